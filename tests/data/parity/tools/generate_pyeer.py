"""Run pyeer's own code on its own example files; print the values as JSON (one-off generator).

pyeer asserts nothing (it has no tests and publishes no numbers), so its expected values come from
running it.  Not run by the tests; in a throwaway venv:

    python3 -m venv /tmp/venv-pyeer && /tmp/venv-pyeer/bin/pip install pyeer==0.5.6
    /tmp/venv-pyeer/bin/python tests/data/parity/tools/generate_pyeer.py > tests/data/parity/pyeer/pyeer_generated.json

Files are read as pyeer's ``geteerinf`` reads them (last space-separated field of each line).  The
error-rate curve is kept at 201 evenly spaced indices (every distinct score would be 700 kB).
"""

import importlib.metadata as md
import json
import os
import sys

import numpy as np
from pyeer.eer_info import get_eer_stats

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pyeer")
KEYS = ["eer", "eer_low", "eer_high", "eer_th", "auc", "fmr0", "fmr0_th", "fmr1000", "fmr1000_th", "fmr100",
        "fmr100_th", "fmr20", "fmr20_th", "fmr10", "fmr10_th", "fnmr0", "fnmr0_th"]


def read(name):
    with open(os.path.join(HERE, name)) as fh:
        return [float(line.strip().split(" ")[-1]) for line in fh if line.strip()]


out = {"pyeer": md.version("pyeer"), "numpy": np.__version__,
       "command": "python tests/data/parity/tools/generate_pyeer.py", "experiments": {}}
for exp in ("exp1", "exp2", "exp3"):
    st = get_eer_stats(read(exp + "_true.txt"), read(exp + "_false.txt"), False, False)
    d = {k: float(getattr(st, k)) for k in KEYS}
    n = len(st.thrs)
    idx = np.unique(np.linspace(0, n - 1, 201).round().astype(int))
    d["curve"] = {"n_thresholds": n, "index": idx.tolist(), "thresholds": np.asarray(st.thrs)[idx].tolist(),
                  "fmr": np.asarray(st.fmr)[idx].tolist(), "fnmr": np.asarray(st.fnmr)[idx].tolist()}
    out["experiments"][exp] = d
json.dump(out, sys.stdout, indent=1)
sys.stdout.write("\n")
