"""Enrolment of a watchlist of real size: cold (every photo detected and embedded) and warm (template cache).

The Met's watchlists run to 7,000-16,000 photos.  This builds a bundle whose watchlist is ``--photos`` LFW
images (one subject per image, linked into benchmarks/out/, never committed) and times fr-eval's enrolment,
the code a replay runs (:func:`fr_eval.replay.enrolment.enrol`):

* cold, in the coordinator alone (``--workers 1``) and on the replay's worker processes;
* warm: the same watchlist again, every template from the cache (keyed by photo and matcher hashes).

Photos in which the detector finds no face or two faces are counted (a replay would refuse them, naming them).

    .venv/bin/python benchmarks/enrolment.py --photos 10000 --workers 2
    .venv/bin/python benchmarks/enrolment.py --photos 1000 --workers 1,2 --matcher dlib

Needs ../shared/data/lfw (or FR_EVAL_SHARED).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
LFW = Path(os.environ.get("FR_EVAL_SHARED", ROOT.parent / "shared")) / "data" / "lfw"
OUT = ROOT / "benchmarks" / "out"


def make_bundle(n: int) -> Path:
    from bundlefactory import write_bundle

    root = OUT / f"watchlist-{n}"
    if (root / "deployment.yaml").is_file():
        return root
    shutil.rmtree(root, ignore_errors=True)
    (root / "watchlist").mkdir(parents=True)
    (root / "footage").mkdir()
    (root / "footage" / "none.mp4").write_bytes(b"")
    images = sorted((LFW / "images_deepfunneled").glob("*/*.jpg"))[:n]
    if len(images) < n:
        sys.exit(f"only {len(images)} LFW images at {LFW}")
    wl = []
    for p in images:
        target = root / "watchlist" / p.name
        try:
            os.link(p, target)
        except OSError:
            shutil.copy(p, target)
        wl.append({"subject_id": p.stem, "image": f"watchlist/{p.name}"})
    write_bundle(root, footage=[{"path": "footage/none.mp4", "camera": "cam"}], watchlist=wl, id=f"watchlist-{n}")
    return root


def timed_enrol(bundle, matcher, spec: str, workers: int) -> tuple[float, int, np.ndarray | None]:
    from fr_eval.errors import InputError
    from fr_eval.replay.enrolment import enrol
    from fr_eval.replay.executors import WorkerPool

    pool = WorkerPool(workers, spec, {}) if workers > 1 else None
    started = time.perf_counter()
    problems, gallery = 0, None
    try:
        try:
            _, gallery = enrol(bundle, matcher, mapper=pool.map if pool else None)
        except InputError as exc:
            msg = exc.message
            problems = 1 + (int(msg.split("(and ")[1].split(" more")[0]) if "(and " in msg else 0)
        return time.perf_counter() - started, problems, gallery
    finally:
        if pool is not None:
            pool.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=int, default=10_000)
    ap.add_argument("--workers", default="2", help="comma-separated worker counts for the cold runs")
    ap.add_argument("--matcher", default="yunet+dlib")
    args = ap.parse_args()
    from fr_eval.inputs.bundle import load_bundle
    from fr_eval.replay.matchers.registry import load_matcher

    bundle = load_bundle(make_bundle(args.photos), check_media=False)
    matcher = load_matcher(args.matcher)
    print(f"{args.photos:,} LFW photos, matcher {args.matcher}, {os.cpu_count()} cores")
    print("| run | workers | wall s | photos/s | photos refused |")
    print("|---|---|---|---|---|")
    for w in [int(x) for x in args.workers.split(",")]:
        with tempfile.TemporaryDirectory() as cache:
            os.environ["FR_EVAL_CACHE"] = cache
            wall, problems, _ = timed_enrol(bundle, matcher, args.matcher, w)
            print(f"| cold (empty cache) | {w} | {wall:.1f} | {args.photos / wall:.1f} | {problems} |", flush=True)
            if w == max(int(x) for x in args.workers.split(",")):
                wall, problems, _ = timed_enrol(bundle, matcher, args.matcher, 1)
                print(f"| warm (every template cached) | 1 | {wall:.1f} | {args.photos / wall:.1f} | {problems} |")


if __name__ == "__main__":
    main()
