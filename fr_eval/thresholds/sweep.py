"""Threshold sweeps: what every threshold would have done, from the stored candidate scores.

Nothing is re-replayed.  The counts at every threshold come from the one counter
(:func:`fr_eval.counting.counter.funnels`: each item set sorted once, counted at every threshold by binary
search, the alert rule ``similarity >= threshold``) and go through the same counting methods as a single
run, so every point of a sweep is the number ``fr-eval score`` would print at that threshold, with its
interval.  Alert counts are exact above each track's lowest stored candidate score (the top k and every
subject at or above the operated threshold are stored); :attr:`Sweep.exact_above` says from where.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fr_eval.counting.counter import funnels as funnels_at
from fr_eval.counting.funnel import Funnel
from fr_eval.counting.methods import compute, result_dict
from fr_eval.counting.rates import EventRate, Rate, Result
from fr_eval.counting.signing import signature_for
from fr_eval.counting.statistics import RunStatistics
from fr_eval.errors import InputError
from fr_eval.signature import Signature, number

#: the methods a sweep reports, in order
SWEEP_METHODS = ("tpir", "fnir", "fnir_rank1", "fpir", "false_alert_rate", "precision", "false_alert_share")
#: default grid thresholds are rounded to this many decimals, so that the printed threshold is the one used
GRID_DECIMALS = 4


@dataclass
class SweepPoint:
    threshold: float
    rates: dict[str, Result]
    alerts: int
    alerts_per_hour: EventRate | None
    operated: bool = False
    funnel: Funnel | None = field(default=None, repr=False)
    signature: Signature | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "threshold_text": number(self.threshold), "operated": self.operated,
                "signature": None if self.signature is None else self.signature.short(),
                "alerts": self.alerts,
                "alerts_per_hour": None if self.alerts_per_hour is None else self.alerts_per_hour.to_dict(),
                "methods": {k: result_dict(v) for k, v in self.rates.items()}}


@dataclass
class Sweep:
    points: list[SweepPoint]
    det: pd.DataFrame               # every distinct per-passage score: threshold, fpir, fnir, counts
    operated_threshold: float
    signature: Signature
    exact_above: float              # alert counts are exact at thresholds above this (-inf: everywhere)
    extra: dict[str, Any] = field(default_factory=dict)

    def point(self, threshold: float) -> SweepPoint:
        for p in self.points:
            if p.threshold == threshold:
                return p
        raise KeyError(threshold)

    def table(self) -> pd.DataFrame:
        rows = []
        for pt in self.points:
            row: dict[str, Any] = {"threshold": pt.threshold, "operated": pt.operated, "alerts": pt.alerts,
                                   "alerts_per_hour": None if pt.alerts_per_hour is None else pt.alerts_per_hour.value}
            for mid, r in pt.rates.items():
                if isinstance(r, Rate) and r.denominator:
                    row[mid] = r.value
                    row[f"{mid}_num"], row[f"{mid}_den"] = r.numerator, r.denominator
                    row[f"{mid}_ci_low"], row[f"{mid}_ci_high"] = r.ci95
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return {"signature": self.signature.short(), "signature_fields": self.signature.to_dict(),
                "operated_threshold": self.operated_threshold,
                "exact_above": None if math.isinf(self.exact_above) else self.exact_above,
                "points": [p.to_dict() for p in self.points], **self.extra}


def exact_above(stats: RunStatistics) -> float:
    """Alert counts are exact at thresholds above this: the highest lowest-stored score of a track whose
    candidate list was cut at top k (a subject not stored scored at most that); -inf when none was cut."""
    c = stats.candidates
    m = stats.manifest or {}
    top_k = (m.get("parameters") or {}).get("top_k")
    size = stats.watchlist_size
    if not len(c) or not top_k or (size is not None and top_k >= size):
        return -math.inf
    per_track = c.groupby("track_id")["similarity"].agg(["size", "min"])
    cut = per_track[per_track["size"] >= top_k]
    return float(cut["min"].max()) if len(cut) else -math.inf


def default_thresholds(stats: RunStatistics, n: int) -> np.ndarray:
    """``n`` thresholds evenly spaced (rounded to :data:`GRID_DECIMALS`) over the stored scores, from where
    counts are exact to the highest score."""
    s = stats.candidates["similarity"].to_numpy(np.float64)
    s = s[~np.isnan(s)]
    if not len(s):
        return np.array([stats.threshold])
    low = max(float(s.min()), exact_above(stats))
    high = float(s.max())
    grid = np.round(np.linspace(low, high, max(2, n)), GRID_DECIMALS)
    return grid[(grid > exact_above(stats)) | (grid == low)]


def similarity_range(stats: RunStatistics) -> tuple[float, float]:
    rng = ((stats.manifest or {}).get("matcher") or {}).get("similarity_range")
    return (float(rng[0]), float(rng[1])) if rng else (-math.inf, math.inf)


def check_thresholds(stats: RunStatistics, thresholds: np.ndarray) -> None:
    lo, hi = similarity_range(stats)
    bad = thresholds[~np.isfinite(thresholds) | (thresholds < lo) | (thresholds > hi)]
    if len(bad):
        raise InputError(f"threshold {number(bad[0])} is outside the matcher's similarity range "
                         f"[{number(lo)}, {number(hi)}]", hint="thresholds are similarities in the matcher's own scale")


def sweep(stats: RunStatistics, thresholds: Sequence[float] | int = 25, *, ci: str = "clopper-pearson",
          methods: Sequence[str] = SWEEP_METHODS) -> Sweep:
    """Every counting method of :data:`SWEEP_METHODS` at each threshold, with intervals.

    Parameters
    ----------
    stats : the run's statistics (methods that need truth are unavailable without it).
    thresholds : explicit thresholds (float64, used as given), or a number of thresholds spread evenly over
        the stored scores (the operated threshold is always included).
    ci : interval method for every rate.

    Examples
    --------
    >>> s = sweep(load_statistics("runs/demo"), [0.5, 0.6])     # doctest: +SKIP
    >>> s.point(0.6).rates["tpir"].format()                    # doctest: +SKIP
    """
    if isinstance(thresholds, (int, np.integer)) and not isinstance(thresholds, bool):
        grid = default_thresholds(stats, int(thresholds))
    else:
        grid = np.asarray(thresholds, dtype=np.float64)
    th = np.unique(np.r_[grid, np.float64(stats.threshold)])
    check_thresholds(stats, th)
    hours = stats.footage_hours
    points = []
    for t, f in zip(th, funnels_at(stats, th)):
        rates = {m: compute(m, f, ci=ci) for m in methods}
        n = int(f.get("alerts") or 0)
        aph = EventRate.of("alerts_per_hour", n, hours) if hours else None
        points.append(SweepPoint(float(t), rates, n, aph, operated=bool(t == stats.threshold), funnel=f,
                                 signature=signature_for(stats, threshold=float(t), ci=ci)))
    return Sweep(points, det_table(stats), stats.threshold, signature_for(stats, ci=ci), exact_above(stats))


def det_table(stats: RunStatistics) -> pd.DataFrame:
    """FPIR and FNIR at every distinct per-passage score (the DET curve), highest threshold first.

    Watchlisted passages are positives scored by their best mated candidate; non-watchlist passages are
    negatives scored by their best candidate; a passage with no candidate never alerts but stays in the
    denominator (:func:`fr_eval.thresholds.run_metrics.passage_comparisons`).  The curve is
    :func:`fr_eval.thresholds.curves.det_curve` of those comparisons: at each threshold ``t``, FPIR =
    negatives >= t / negatives and FNIR = 1 - positives >= t / positives, the same numbers as the counter's
    tpir and fpir at ``t`` and as ``sklearn.metrics.det_curve`` on those scores.  Empty when either class
    has no scored passage.
    """
    from fr_eval.errors import InputError
    from fr_eval.thresholds.curves import det_curve
    from fr_eval.thresholds.run_metrics import passage_comparisons

    cols = ["threshold", "nonwatchlist_alerted", "watchlisted_alerted", "fpir", "fnir", "watchlisted_passages",
            "nonwatchlist_passages"]
    if not stats.has_truth:
        return pd.DataFrame(columns=cols)
    try:
        curve = det_curve(passage_comparisons(stats))
    except InputError:             # no scored positive or no scored negative: no curve
        return pd.DataFrame(columns=cols)
    n_pos, n_neg = curve.n_genuine, curve.n_impostor
    return pd.DataFrame({"threshold": curve.thresholds[1:], "nonwatchlist_alerted": curve.fm[1:].astype(np.int64),
                         "watchlisted_alerted": n_pos - curve.fnm[1:].astype(np.int64),
                         "fpir": curve.fmr[1:], "fnir": curve.fnmr[1:],
                         "watchlisted_passages": n_pos, "nonwatchlist_passages": n_neg})


__all__ = ["SWEEP_METHODS", "Sweep", "SweepPoint", "default_thresholds", "det_table",
           "exact_above", "sweep"]
