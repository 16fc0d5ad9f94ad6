"""Sweep speed: 10 million candidate scores, fr-eval's sweep against scikit-learn's det_curve.

    .venv/bin/python benchmarks/sweep.py [--candidates 10000000] [--repeat 3]

Builds a run's sweep data directly (no replay): 1 million passages (5% watchlisted), 10 candidate scores each
(10 million), seeded.  Times, best of --repeat:

* ``fr-eval sweep core``: what `fr-eval sweep` computes after loading -- the DET curve over every distinct
  per-passage score (one sort + cumulative sums), and the counts of every method at the table's thresholds
  from the 10 million candidate scores (one sort each + binary search), every rate with its interval;
* ``DET over all 10M candidate scores``: fr_eval.thresholds.sweep.binary_curve on the candidate scores and their labels
  (mated or not), the like-for-like comparison with
* ``sklearn det_curve``: sklearn.metrics.det_curve on the same 10 million scores and labels.

Prints a Markdown table for docs/performance.md.  Targets: the sweep core <= 2 s, and fr-eval's DET within
1.5x of det_curve on the same scores.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fr_eval.counting.funnel import Funnel  # noqa: E402
from fr_eval.counting.methods import compute  # noqa: E402
from fr_eval.thresholds.sweep import SWEEP_METHODS, SweepData, binary_curve, det_table  # noqa: E402


def build(n_candidates: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    k = 10
    n_pass = n_candidates // k
    wl = rng.random(n_pass) < 0.05
    sims = rng.beta(2, 5, size=(n_pass, k)).astype(np.float32)           # non-mated similarities
    mated = np.zeros((n_pass, k), bool)
    mated[wl, 0] = True
    sims[wl, 0] = rng.beta(6, 3, size=wl.sum()).astype(np.float32)        # the mated candidate
    flat, lab = sims.ravel(), mated.ravel()
    best = sims.max(axis=1)
    data = SweepData(watchlisted=sims[wl, 0].astype(np.float64), watchlisted_rank1=sims[wl, 0].astype(np.float64),
                     nonwatchlist=best[~wl].astype(np.float64), true_alerts=flat[lab], false_alerts=flat[~lab],
                     nonwatchlist_false=sims[~wl].ravel(),
                     base=Funnel(id="bench", watchlisted_passages=int(wl.sum()),
                                 nonwatchlist_passages=int((~wl).sum()), faces_processed=int(n_pass),
                                 footage_hours=100.0),
                     threshold=0.6, similarity_range=(0.0, 1.0))
    return data, flat, lab


def sweep_core(data: SweepData, thresholds: np.ndarray):
    det = det_table(data)
    funnels = data.funnel_at(thresholds)
    rates = [{m: compute(m, f) for m in SWEEP_METHODS} for f in funnels]
    return det, rates


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--candidates", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from sklearn.metrics import det_curve

    data, flat, lab = build(args.candidates)
    th = np.r_[np.linspace(0.3, 0.95, 25), 0.6]
    t_core, (det, _) = best_of(lambda: sweep_core(data, th), args.repeat)
    t_ours, (thr, tp, fp) = best_of(lambda: binary_curve(flat, lab), args.repeat)
    t_sk, (fpr, fnr, sk_thr) = best_of(lambda: det_curve(lab, flat), args.repeat)
    # parity: at sklearn's thresholds, the same FPR/FNR
    n_pos, n_neg = lab.sum(), (~lab).sum()
    ours = dict(zip(thr.tolist(), zip((fp / n_neg).tolist(), (1 - tp / n_pos).tolist())))
    idx = np.linspace(0, len(sk_thr) - 1, 50).astype(int)
    worst = max(abs(ours[float(sk_thr[i])][0] - fpr[i]) + abs(ours[float(sk_thr[i])][1] - fnr[i]) for i in idx)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.candidates:,} candidate scores ({len(data.watchlisted) + len(data.nonwatchlist):,} passages), "
          f"best of {args.repeat}")
    print()
    print("| step | seconds |")
    print("|---|---|")
    print(f"| fr-eval sweep core: DET over {len(det):,} distinct per-passage scores + {len(th)} thresholds x "
          f"{len(SWEEP_METHODS)} methods from 10M candidate scores, with intervals | {t_core:.2f} |")
    print(f"| fr-eval binary_curve: DET over all {len(flat):,} candidate scores | {t_ours:.2f} |")
    print(f"| sklearn.metrics.det_curve on the same scores | {t_sk:.2f} |")
    print(f"| ratio fr-eval / sklearn (same scores) | {t_ours / t_sk:.2f} |")
    print()
    print(f"largest |FPR difference| + |FNR difference| at 50 of sklearn's thresholds: {worst:.2e}; "
          f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
