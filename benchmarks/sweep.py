"""Sweep speed on a large run: an open-set score list imported as a run, then loaded and swept.

    .venv/bin/python benchmarks/sweep.py [--searches 100000] [--candidates 10] [--repeat 3]

Builds a seeded open-set identification list (5% mated searches, ``--candidates`` scores each), imports it
with ``fr-eval scores import`` (one passage per search), and times, best of --repeat:

* ``import``: read the list, one passage and track per search, candidate lists, alerts, sealed run;
* ``load``: the run read back, every part hash-checked, truth linked, threshold-free rows built;
* ``sweep``: every sweep method at 25 thresholds with intervals, and the per-passage DET curve;
* ``sklearn det_curve`` on the same per-passage scores (the DET part alone, like for like).

Prints a Markdown table for docs/performance.md and the largest FPIR/FNIR difference from scikit-learn.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fr_eval import api  # noqa: E402
from fr_eval.counting.load import load_statistics  # noqa: E402
from fr_eval.thresholds.sweep import det_table, sweep  # noqa: E402


def write_list(path: Path, n: int, k: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    mated = rng.random(n) < 0.05
    subjects = np.array([f"s{i}" for i in range(5000)])
    with path.open("w") as f:
        f.write("probe,mated,subject,score,true_subject\n")
        for i in range(n):
            cand = rng.choice(len(subjects), k, replace=False)
            scores = rng.beta(2, 5, k)
            true = subjects[cand[0]] if mated[i] else f"x{i}"
            if mated[i]:
                scores[0] = rng.beta(6, 3)
            m = "true" if mated[i] else "false"
            f.writelines(f"p{i},{m},{subjects[c]},{float(s)!r},{true}\n" for c, s in zip(cand, scores))


def best_of(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--searches", type=int, default=100_000)
    ap.add_argument("--candidates", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from sklearn.metrics import det_curve

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "searches.csv"
        write_list(src, args.searches, args.candidates)
        run = Path(tmp) / "run"
        t_import, _ = best_of(lambda: api.import_scores(src, run, threshold=0.6, overwrite=True), args.repeat)
        t_load, stats = best_of(lambda: load_statistics(run), args.repeat)
        t_sweep, s = best_of(lambda: sweep(stats, 25), args.repeat)
        p = stats.passages
        w = p["watchlisted"].to_numpy(bool)
        scores = np.r_[p["mated_score"].to_numpy(float)[w], p["any_score"].to_numpy(float)[~w]]
        labels = np.r_[np.ones(w.sum(), bool), np.zeros((~w).sum(), bool)]
        ok = ~np.isnan(scores)
        t_det, det = best_of(lambda: det_table(stats), args.repeat)
        t_sk, (fpr, fnr, thr) = best_of(lambda: det_curve(labels[ok], scores[ok]), args.repeat)
    ours = det.set_index("threshold")
    worst = 0.0
    for f, n, t in zip(fpr, fnr, thr):
        if np.isfinite(t) and not labels[~ok].any():       # no unscored mated passage: same denominators
            row = ours.loc[t]
            worst = max(worst, abs(row["fpir"] - f) + abs(row["fnir"] - n))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n_c = args.searches * args.candidates
    print(f"{args.searches:,} searches x {args.candidates} candidates ({n_c:,} candidate scores), best of "
          f"{args.repeat}")
    print()
    print("| step | seconds |")
    print("|---|---|")
    print(f"| fr-eval scores import (list to sealed run) | {t_import:.2f} |")
    print(f"| load the run (hash-checked parts, linking, rows) | {t_load:.2f} |")
    print(f"| sweep: {len(s.points)} thresholds x every method with intervals, and the DET curve | {t_sweep:.2f} |")
    print(f"| of which the DET curve over {len(det):,} per-passage scores | {t_det:.3f} |")
    print(f"| sklearn.metrics.det_curve on the same scores | {t_sk:.3f} |")
    print()
    print(f"largest |FPIR difference| + |FNIR difference| at sklearn's thresholds: {worst:.2e}; "
          f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
