"""Dump every dataset of bob.measure's test HDF5 files to JSON (how the ``bob/*.hdf5.json`` copies were derived).

    python hdf5_to_json.py SRC_DIR DST_DIR      # needs h5py; NaN is written as null

Each JSON records its source file name and SHA-256.
"""

import glob
import hashlib
import json
import os
import sys

import h5py
import numpy as np


def datasets(path: str) -> dict:
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            v = obj[()]
            if isinstance(v, np.ndarray) and v.dtype.kind == "S":
                v = [x.decode() for x in v.ravel()]
            elif isinstance(v, bytes):
                v = v.decode()
            elif isinstance(v, np.ndarray):
                v = np.where(np.isnan(v), None, v).tolist() if v.dtype.kind == "f" else v.tolist()
            out[name] = {"shape": list(obj.shape), "dtype": str(obj.dtype), "data": v}

    with h5py.File(path, "r") as fh:
        fh.visititems(visit)
    return out


def main(src: str, dst: str) -> None:
    os.makedirs(dst, exist_ok=True)
    for f in sorted(glob.glob(os.path.join(src, "*.hdf5"))):
        with open(f, "rb") as fh:
            sha = hashlib.sha256(fh.read()).hexdigest()
        doc = {"source_file": os.path.basename(f), "source_sha256": sha,
               "note": "derived by tools/hdf5_to_json.py with h5py; NaN written as null", "datasets": datasets(f)}
        with open(os.path.join(dst, os.path.basename(f) + ".json"), "w") as out:
            json.dump(doc, out, indent=None)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
