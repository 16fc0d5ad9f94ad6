"""Scale benchmarks: replay speed-up with workers, Dask parity, and bounded-memory scoring.

    .venv/bin/python benchmarks/scale.py replay   [--repeat 13] [--chunk-seconds 15]
    .venv/bin/python benchmarks/scale.py score    [--candidates 50000000]

``replay`` replays the Hamilton clip played ``--repeat`` times (13: about two
minutes) with 1 and 2 local workers and on a 2-worker Dask LocalCluster, and
checks that the three runs' tables are identical.

``score`` writes a synthetic run store of ``--candidates`` candidate scores as
runs of 1 million each (a year of deployments; written once to
benchmarks/out/, see benchmarks/scale_store.py) and scores a tenth, half and
all of it with ``fr_eval.counting.score.score_runs``, each in a fresh process, to show
that peak memory stays flat as the store grows.

Figures go into docs/performance.md (copy the printed Markdown).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))


def bench_replay(repeat: int, chunk_s: float) -> None:

    from fr_eval.replay.pipeline import ExecOptions, ReplayOptions, replay
    from fr_eval.store.runs import TABLES, read_table
    from replay import make_bundle  # benchmarks/replay.py

    bundle = make_bundle(360, repeat)
    opts = ReplayOptions(chunk_s=chunk_s)
    rows = []
    runs = {}
    for label, ex in [("1 worker", ExecOptions(workers=1)), ("2 workers", ExecOptions(workers=2))]:
        ex.overwrite, ex.progress = True, False
        t = time.perf_counter()
        res = replay(bundle, OUT / f"scale-{label.replace(' ', '')}", opts, ex)
        rows.append((label, time.perf_counter() - t, res.summary))
        runs[label] = res.run
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        t = time.perf_counter()
        res = replay(bundle, OUT / "scale-dask", opts, ExecOptions(scheduler=cluster.scheduler_address,
                                                                   overwrite=True, progress=False))
        rows.append(("Dask LocalCluster, 2 workers", time.perf_counter() - t, res.summary))
        runs["dask"] = res.run
    same = all(read_table(runs["1 worker"], n).equals(read_table(runs[k], n)) for n in TABLES
               for k in ("2 workers", "dask"))
    base = rows[0][1]
    print(f"\nfootage: Hamilton clip x{repeat} ({rows[0][2]['footage_s']:.0f} s, 640x360), chunk {chunk_s:g} s, "
          f"{os.cpu_count()} cores")
    print("| run | wall s | speed-up | real-time factor | frames | tracks | alerts |")
    print("|---|---|---|---|---|---|---|")
    for label, wall, s in rows:
        print(f"| {label} | {wall:.1f} | {base / wall:.2f}x | {s['realtime_factor']:.2f} | {s['frames']} | "
              f"{s['tracks']} | {s['alerts']} |")
    print(f"tables identical across the three runs: {same}")


def bench_score(total: int, per_run: int = 1_000_000) -> None:
    """Score ``total`` candidate scores held in runs of ``per_run`` each; peak memory per size.

    Each size is scored in a fresh process (``score-once``) so its peak resident
    memory is its own.
    """
    import subprocess

    from scale_store import make_run_store  # benchmarks/scale_store.py

    n_runs = max(1, total // per_run)
    t = time.perf_counter()
    runs = make_run_store(OUT / "store", n_runs, tracks=per_run // 50, top_k=50)
    print(f"run store: {n_runs} runs x {per_run:,} candidate scores (written in {time.perf_counter() - t:.0f} s)")
    print("| runs | candidate scores | wall s | peak RSS MiB | overall tpir | overall fpir |")
    print("|---|---|---|---|---|---|")
    for n in sorted({max(1, n_runs // 10), max(1, n_runs // 2), n_runs}):
        out = subprocess.run([sys.executable, __file__, "score-once", *map(str, runs[:n])], capture_output=True,
                             text=True, check=True).stdout.strip().splitlines()[-1]
        wall, rss, tpir, fpir = out.split("\t")
        print(f"| {n} | {n * per_run:,} | {float(wall):.1f} | {float(rss):.0f} | {tpir} | {fpir} |")


def score_once(runs: list[str]) -> None:
    from fr_eval.counting.score import score_runs

    t = time.perf_counter()
    result = score_runs(runs)
    wall = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    methods = {r.id: r for r in (result.overall or next(iter(result.per_deployment.values())))}
    fmt = lambda m: methods[m].format() if m in methods and hasattr(methods[m], "format") else "-"  # noqa: E731
    print(f"{wall}\t{rss}\t{fmt('tpir')}\t{fmt('fpir')}")


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="what", required=True)
    r = sub.add_parser("replay")
    r.add_argument("--repeat", type=int, default=13)
    r.add_argument("--chunk-seconds", type=float, default=15.0)
    s = sub.add_parser("score")
    s.add_argument("--candidates", type=int, default=50_000_000)
    o = sub.add_parser("score-once")
    o.add_argument("runs", nargs="+")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.what == "replay":
        bench_replay(args.repeat, args.chunk_seconds)
    elif args.what == "score-once":
        score_once(args.runs)
    else:
        bench_score(args.candidates)


if __name__ == "__main__":
    main()
