#!/usr/bin/env python3
"""Build lfr-deployments.csv: the Met rows parsed from the deployment-grid PDFs, plus the
hand-transcribed rows of other forces (other_forces.yaml), checked by fr-eval's own record
reader, written whole or not at all.

Run from the repository root (the PDFs are not in the repository: fetch them from the
addresses in sources.yaml into DIR; their SHA-256 is checked before parsing):

    .venv/bin/pip install pdfplumber==0.11.10
    .venv/bin/python datasets/published/record/build_record.py --pdfs DIR

Writes datasets/published/record/lfr-deployments.csv (UTF-8, one header row, sorted by
force, date, deployment_id; rows without a published date last within their force) and
prints every anomaly.  Exit status 1 if a row breaks the record format (fr-eval's reader,
the same rules as a counts file) or a dataset rule (every row cites a source; a threshold
lies in (0, 1)).  The build is deterministic: the same PDFs give the same bytes.

Nothing printed is corrected.  One row contradicts itself in the source and cannot be kept
as printed, because the record refuses stages that do not add up: the Met's Westminster
deployment of 10/01/24 prints Total Alerts 1 but True Alerts Confirmed 1 + Unconfirmed 1.
Its `alerts` and `true_alerts` are left empty (withheld, not corrected) and the printed
values are quoted in `notes`.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
import parse_met_grid as pmg  # noqa: E402

# Rows the source contradicts itself on: {id: (columns withheld, what the source prints)}.
WITHHELD = {
    "met-2024-01-10-westminster": (
        ("alerts", "true_alerts"),
        "the grid prints Total Alerts 1 but True Alerts Confirmed 1 + Unconfirmed 1 = 2 (False 0 + 0); "
        "alerts and true_alerts are left empty because they contradict each other"),
}


def other_rows() -> list[dict]:
    with open(HERE / "other_forces.yaml", encoding="utf-8") as f:
        data = yaml.safe_load(f)["rows"]
    out = []
    for r in data:
        unknown = set(r) - set(pmg.COLUMNS)
        if unknown:
            raise SystemExit(f"other_forces.yaml {r.get('deployment_id')}: unknown keys {sorted(unknown)}")
        row = {k: "" for k in pmg.COLUMNS}
        for k, v in r.items():
            row[k] = "" if v is None else re.sub(r"\s+", " ", str(v)).strip()
        out.append(row)
    return out


def withhold(rows: list[dict]) -> list[str]:
    notes = []
    for r in rows:
        if r["deployment_id"] in WITHHELD:
            cols, why = WITHHELD[r["deployment_id"]]
            printed = ", ".join(f"{c} {r[c] or 'empty'}" for c in cols)
            for c in cols:
                r[c] = ""
            r["notes"] = (r["notes"] + "; " if r["notes"] else "") + f"WITHHELD ({printed} as parsed): {why}"
            notes.append(f"{r['deployment_id']}: withheld {', '.join(cols)}: {why}")
    return notes


def dataset_rules(rows: list[dict]) -> list[str]:
    """Rules of this dataset beyond the record format (which fr-eval's reader checks)."""
    errors = []
    for r in rows:
        if not r["source"]:
            errors.append(f"{r['deployment_id']}: no source")
        if r["threshold"] and not 0 < float(r["threshold"]) < 1:
            errors.append(f"{r['deployment_id']}: threshold {r['threshold']} outside (0, 1)")
    return errors


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pdfs", type=Path, required=True, help="folder holding the Met PDFs named in sources.yaml")
    ap.add_argument("--out", type=Path, default=HERE / "lfr-deployments.csv")
    args = ap.parse_args()
    from fr_eval.errors import InputError
    from fr_eval.inputs.record import load_record

    anomalies: list[str] = []
    rows = pmg.parse_all(anomalies, args.pdfs) + other_rows()
    notes = withhold(rows)
    errors = dataset_rules(rows)
    fd, tmp = tempfile.mkstemp(prefix=".lfr-deployments.", suffix=".csv.tmp", dir=args.out.parent)
    os.close(fd)
    try:
        pmg.write_csv(rows, Path(tmp))
        try:
            record = load_record(tmp)          # the record format's rules: fr-eval's reader is their one owner
        except InputError as exc:
            errors.append(f"record format: {exc.one_line().replace(tmp, str(args.out))}")
        if errors:
            for e in errors:
                print("ERROR:", e)
            return 1
        os.replace(tmp, args.out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    by_force: dict[str, int] = {}
    for d in record.deployments:
        by_force[d.force] = by_force.get(d.force, 0) + 1
    print(f"wrote {args.out} with {len(rows)} rows: " + ", ".join(f"{k} {v}" for k, v in sorted(by_force.items())))
    for a in anomalies:
        print("ANOMALY (parser):", a)
    for n in notes:
        print("WITHHELD:", n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
