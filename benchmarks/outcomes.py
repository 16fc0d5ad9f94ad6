"""Counting speed: run folder -> per-passage statistics -> every method, on a large synthetic run.

Builds a run folder by hand (no matcher, no footage) with ``--passages``
truth passages over ``--cameras`` cameras, about 1.3 tracks per passage
(broken tracks and re-entries), 10 candidates per track, alerts at the
threshold, and adjudication of every alert.  Then times

* ``load_statistics`` (reading the tables, linking tracks to passages, adjudication),
* ``to_funnel`` and ``compute_all`` with Clopper-Pearson intervals,
* ``compute_all`` with the cluster bootstrap by subject (2,000 replicates),

and reports peak resident memory.  Results print as a Markdown table; copy them into docs/performance.md.

    .venv/bin/python benchmarks/outcomes.py                     # 20,000 passages
    .venv/bin/python benchmarks/outcomes.py --passages 100000
"""

from __future__ import annotations

import argparse
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def build(root: Path, n_passages: int, n_cameras: int, watchlist: int, seed: int) -> Path:
    from runfactory import make_run

    rng = np.random.default_rng(seed)
    subjects = [f"S{i:05d}" for i in range(watchlist)]
    passages, tracks, adjudication = [], [], []
    per_cam = int(np.ceil(n_passages / n_cameras))
    duration = per_cam * 2.0          # a new person every 2 s on each camera, each in view 3-8 s
    for c in range(n_cameras):
        cam = f"cam{c}"
        starts = np.sort(rng.uniform(0, duration, per_cam))
        for i, t0 in enumerate(starts):
            pid = f"{cam}-p{i}"
            watch = rng.random() < 0.02
            sid = subjects[rng.integers(watchlist)] if watch else ""
            length = float(rng.uniform(3, 8))
            passages.append({"passage_id": pid, "camera": cam, "t_start": round(float(t0), 3),
                             "t_end": round(float(t0) + length, 3), "subject_id": sid,
                             "person_id": f"person-{pid}", "plant": bool(watch and rng.random() < 0.5)})
            pieces = 2 if rng.random() < 0.3 else 1
            edges = np.linspace(t0 + 0.2, t0 + length - 0.2, pieces + 1)
            for k in range(pieces):
                scores = {s: float(rng.uniform(0.1, 0.45)) for s in rng.choice(subjects, 10, replace=False)}
                if watch:
                    scores[sid] = float(rng.uniform(0.3, 0.9))
                elif rng.random() < 0.001:
                    scores[subjects[0]] = 0.55
                tid = f"{cam}-00-0000-{i:06d}{k}"
                tracks.append({"track_id": tid, "camera": cam, "t_start": float(edges[k]),
                               "t_end": float(edges[k + 1] - 0.05), "scores": scores, "n_detections": 10,
                               "box": None, "footage": c, "face_px": 60.0})
    from runfactory import track  # noqa: F401  (documented helper; rows above follow its shape)

    for t in tracks:
        for sid, sim in t["scores"].items():
            if sim >= 0.5:
                adjudication.append({"alert_id": f"{t['track_id']}:{sid}", "operator_decision": "credible",
                                     "engagement": "stopped", "verification": "correct", "outcome": ""})
    return make_run(root, passages=passages, tracks=tracks, watchlist=subjects, threshold=0.5,
                    adjudication=adjudication, cameras=[f"cam{c}" for c in range(n_cameras)],
                    deployment_id="bench", duration_s=duration)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passages", type=int, default=20_000)
    ap.add_argument("--cameras", type=int, default=4)
    ap.add_argument("--watchlist", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    from fr_eval.counting.methods import compute_all
    from fr_eval.counting.statistics import load_statistics, to_funnel

    tmp = Path(tempfile.mkdtemp(prefix="fr-eval-bench-"))
    try:
        t0 = time.perf_counter()
        run = build(tmp / "run", args.passages, args.cameras, args.watchlist, args.seed)
        t_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        stats = load_statistics(run)
        t_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        funnel = to_funnel(stats)
        results = compute_all(funnel)
        t_cp = time.perf_counter() - t0
        t0 = time.perf_counter()
        clusters = list(to_funnel(stats, by="subject").values())
        compute_all(funnel, ci="bootstrap", clusters=clusters)
        t_boot = time.perf_counter() - t0
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        linked = int(stats.tracks["passage_id"].notna().sum())
        print(f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}")
        print(f"{args.passages:,} passages, {len(stats.tracks):,} tracks ({linked:,} linked), "
              f"{len(stats.candidates):,} candidates, {len(stats.alerts):,} alerts (building the run: {t_build:.1f} s)")
        print()
        print("| step | seconds |")
        print("|---|---|")
        print(f"| load_statistics (read, link, adjudicate) | {t_load:.2f} |")
        print(f"| to_funnel + every method (Clopper-Pearson) | {t_cp:.2f} |")
        print(f"| per-subject funnels + every method (cluster bootstrap, 2,000 replicates) | {t_boot:.2f} |")
        print(f"| peak resident memory (whole process, building the run included) | {peak_mb:,.0f} MB |")
        tp = next(r for r in results if r.id == "tpir")
        print(f"\ncheck: tpir {tp.format()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
