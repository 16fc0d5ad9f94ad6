#!/bin/sh
# Replay the reference deployment with this build's settings, then gate it (docs/ci.md).
set -eu
THRESHOLD="${THRESHOLD:-0.6}"
BUNDLE="${BUNDLE:-datasets/synthetic/build/day-dense}"
POLICY="${POLICY:-docs/examples/policy.yaml}"
fr-eval replay "$BUNDLE" --out runs/ci --threshold "$THRESHOLD" --overwrite --quiet
mkdir -p reports
fr-eval gate runs/ci --policy "$POLICY" --junit reports/gate.xml
