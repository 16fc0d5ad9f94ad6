"""Record speed: a generated record of 10,000 deployments -> every method per deployment, pooled, homogeneity,
funnel-plot flags, and the funnel plot drawn.

Writes, untimed, a deployment record CSV with ``--deployments`` rows of three forces over three years at three
threshold settings, with Met-like volumes: 500 to 50,000 faces per deployment (log-uniform), false alerts Poisson at
about 1 in 300,000 faces (a tenth of the deployments at ten times that, so that some lie outside the funnel), true
alerts Poisson at about 1 in 2,000 faces, arrests binomial on the true alerts; 2% of rows lack faces. Then times
``load_record``, ``summarise_record`` (every computable method on every deployment, pooled, homogeneity tests with
Monte Carlo p-values, funnel plots, time series by month, threshold before/after tests) and the funnel plot PNG, and
prints a Markdown table for docs/performance.md.

    .venv/bin/python benchmarks/record.py                      # 10,000 deployments
    .venv/bin/python benchmarks/record.py --deployments 1000
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def generate(path: Path, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    faces = np.exp(rng.uniform(np.log(500), np.log(50_000), n)).astype(int)
    hot = rng.random(n) < 0.1
    false = rng.poisson(faces / 300_000 * np.where(hot, 10, 1))
    true = rng.poisson(faces / 2_000)
    arrests = rng.binomial(true, 0.45)
    start = dt.date(2023, 1, 1)
    days = np.sort(rng.integers(0, 3 * 365, n))
    forces = rng.choice(["Force A", "Force B", "Force C"], n, p=[0.7, 0.2, 0.1])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["deployment_id", "force", "date", "place", "threshold", "faces_processed", "alerts",
                    "true_alerts", "false_alerts", "arrests", "source"])
        for i in range(n):
            day = start + dt.timedelta(days=int(days[i]))
            thr = "0.6" if days[i] < 400 else "0.62" if days[i] < 430 else "0.64"
            no_faces = rng.random() < 0.02
            w.writerow([f"d{i:05d}", forces[i], day.isoformat(), f"Place {i % 97}", thr,
                        "" if no_faces else int(faces[i]), int(true[i] + false[i]), int(true[i]), int(false[i]),
                        int(arrests[i]), "generated"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--deployments", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="time the whole pipeline this many times")
    args = ap.parse_args()
    from fr_eval.counting.record_summary import summarise_record
    from fr_eval.counting.record_file import load_record
    from fr_eval.report.record_figures import funnel_figure

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "record.csv"
        generate(path, args.deployments, args.seed)
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            rec = load_record(path)
            t1 = time.perf_counter()
            s = summarise_record(rec, seed=args.seed)
            t2 = time.perf_counter()
            png = funnel_figure(s.funnel_plots)
            t3 = time.perf_counter()
            (Path(tmp) / "funnel.png").write_bytes(png)
            runs.append((t1 - t0, t2 - t1, t3 - t2, t3 - t0))
    flagged = {f.method: (len(f.flagged), sum(p.outside == "99.8%" for p in f.flagged)) for f in s.funnel_plots}
    print(f"{len(rec):,} deployments, methods {', '.join(s.methods)}; "
          + "; ".join(f"{h.method}: X2 {h.statistic:.0f} on {h.df} df, p {h.p_value:.2g} ({h.replicates:,} draws)"
                      for h in s.homogeneity)
          + "; outside 95% (99.8%): " + ", ".join(f"{m} {a} ({b})" for m, (a, b) in flagged.items()))
    print(f"{platform.machine()}, Python {platform.python_version()}, {dt.date.today().isoformat()}, "
          f"{args.repeat} runs (the first includes importing matplotlib)\n")
    steps = [f"`load_record` (read and validate {len(rec):,} rows)",
             "`summarise_record` (every method per deployment, pooled, homogeneity, funnel flags, by month, "
             "settings)", f"funnel plot PNG ({len(s.funnel_plots)} panels, {len(png) / 1e3:.0f} kB)", "**total**"]
    print("| step | fastest run, s | slowest run, s |\n|---|---|---|")
    for i, step in enumerate(steps):
        print(f"| {step} | {min(r[i] for r in runs):.2f} | {max(r[i] for r in runs):.2f} |")
    print(f"| peak resident memory (whole process) | {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
          " | |")


if __name__ == "__main__":
    main()
