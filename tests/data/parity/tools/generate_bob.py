"""Run bob.measure's own code on its own reference files; print the values as JSON (one-off generator).

Not run by the tests: bob.measure 6.1.1 pins numpy~=1.26, so it lives in a throwaway venv:

    python3 -m venv /tmp/venv-bob && /tmp/venv-bob/bin/pip install bob.measure==6.1.1
    /tmp/venv-bob/bin/python tests/data/parity/tools/generate_bob.py > tests/data/parity/bob/bob_generated.json

The output holds full-precision values that bob's tests assert only in part (or print rounded);
tests/test_parity_bob.py compares fr-eval with both.  NaN scores are removed first with bob's own
``utils.get_fta`` (what bob's command line does).
"""

import importlib.metadata as md
import json
import os
import sys
from collections import OrderedDict

import bob.measure as bm
import numpy as np
from bob.measure import load, utils

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bob")
FAR_TARGETS = [0.5, 0.1, 0.05, 0.01, 0.005, 0.001, 0.0]
FRR_TARGETS = [0.5, 0.1, 0.05, 0.01, 0.001, 0.0]


def split_cols(name, cols):
    neg, pos = [], []
    for line in open(os.path.join(HERE, name)):
        r = line.split()
        if not r:
            continue
        claimed, real = (r[0], r[1]) if cols == 4 else (r[0], r[2])
        (pos if claimed == real else neg).append(float(r[-1]))
    return np.array(neg), np.array(pos)


def probes(name, cols):
    d = OrderedDict()
    for line in open(os.path.join(HERE, name)):
        r = line.split()
        if not r:
            continue
        claimed, real, probe = (r[0], r[1], r[2]) if cols == 4 else (r[0], r[2], r[3])
        n, p = d.setdefault(probe, ([], []))
        (p if claimed == real else n).append(float(r[-1]))
    return [(np.array(n) if n else None, np.array(p) if p else None) for n, p in d.values()]


def array(name):
    return np.array(json.load(open(os.path.join(HERE, name + ".hdf5.json")))["datasets"]["array"]["data"], float)


def verification(neg, pos):
    out = {"n_neg": len(neg), "n_pos": len(pos)}
    for crit, fn in (("eer", bm.eer_threshold), ("min_hter", bm.min_hter_threshold)):
        t = float(fn(neg, pos))
        far, frr = bm.farfrr(neg, pos, t)
        out[crit] = {"threshold": t, "far": float(far), "frr": float(frr), "value": (far + frr) / 2}
    out["far_threshold"] = []
    for target in FAR_TARGETS:
        t = float(bm.far_threshold(neg, pos, target))
        far, frr = bm.farfrr(neg, pos, t)
        out["far_threshold"].append({"target": target, "threshold": t, "far": float(far), "frr": float(frr)})
    out["frr_threshold"] = []
    for target in FRR_TARGETS:
        t = float(bm.frr_threshold(neg, pos, target))
        far, frr = bm.farfrr(neg, pos, t)
        out["frr_threshold"].append({"target": target, "threshold": t, "far": float(far), "frr": float(frr)})
    return out


res = {"bob.measure": md.version("bob.measure"), "numpy": np.__version__,
       "command": "python tests/data/parity/tools/generate_bob.py", "verification": {}, "identification": {}}
for name in ("dev-1.txt", "dev-2.txt", "test-1.txt", "test-2.txt"):
    (neg, pos), fta = utils.get_fta(load.split(os.path.join(HERE, name)))
    res["verification"][name] = {"fta": float(fta), **verification(neg, pos)}
for name, cols in (("dev-4col.txt", 4), ("test-4col.txt", 4), ("dev-5col.txt", 5), ("test-5col.txt", 5)):
    res["verification"][name] = verification(*split_cols(name, cols))
for name in ("nonsep", "linsep"):
    res["verification"][name] = verification(array(name + "-negatives"), array(name + "-positives"))
# frr_threshold with ties at the boundary (bob tests the FRR one tie group late)
tie_neg, tie_pos = np.array([0.0, 0.5, 2.0, 3.0]), np.array([0.0, 1.0, 1.0, 1.0])
t = float(bm.frr_threshold(tie_neg, tie_pos, 0.3))
res["frr_threshold_ties"] = {"negatives": tie_neg.tolist(), "positives": tie_pos.tolist(), "target": 0.3,
                             "threshold": t, "frr": float(bm.farfrr(tie_neg, tie_pos, t)[1])}
for name, cols in (("scores-cmc-4col.txt", 4), ("scores-cmc-5col.txt", 5)):
    data = probes(name, cols)
    res["identification"][name] = {"recognition_rate": bm.recognition_rate(data), "cmc": bm.cmc(data).tolist()}
for name in ("scores-cmc-4col-open-set.txt", "scores-cmc-4col-open-set-one-error.txt",
             "scores-cmc-4col-open-set-two-errors.txt"):
    data = probes(name, 4)
    res["identification"][name] = {
        str(t): {"detection_identification_rate": bm.detection_identification_rate(data, t),
                 "false_alarm_rate": bm.false_alarm_rate(data, t)} for t in (-0.5, 0.0, 0.5, 1.0, 5.0)}
json.dump(res, sys.stdout, indent=1)
sys.stdout.write("\n")
