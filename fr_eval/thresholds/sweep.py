"""Threshold sweeps: what every threshold would have done, from the stored candidate scores.

Nothing is re-replayed and nothing is recounted per threshold.  Each count the
counting methods need is "how many items score at or above the threshold" for
one set of items, so each set is sorted **once** and counted at any number of
thresholds with a binary search (``np.searchsorted``), exactly the
sort-then-cumulate scheme of scikit-learn's ``det_curve``:

==========================  ======================================================
count at threshold t        items whose score is >= t
==========================  ======================================================
watchlisted_alerted         watchlisted passages, scored by their best *mated* candidate
watchlisted_rank1           watchlisted passages, best mated candidate at rank 1
nonwatchlist_alerted        non-watchlist passages, scored by their best candidate
alerts                      every stored candidate (track x subject)
true_alerts                 candidates naming the person present
false_alerts                the other candidates
nonwatchlist_false_alerts   candidates on people not on the watchlist (or unlinked tracks)
==========================  ======================================================

The counts then go through the same :mod:`fr_eval.counting.methods` definitions as a
single run (tpir, fnir, fpir, false_alert_rate, precision, ...), so every point
of a sweep is a :class:`~fr_eval.counting.rates.Rate` with its interval.  Alert counts
are exact at or above each track's k-th stored candidate (see
:func:`fr_eval.counting.statistics.at_threshold`, which recounts one threshold the slow
way and is used by the tests to check this module).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from fr_eval.counting.funnel import Funnel
from fr_eval.errors import InputError
from fr_eval.counting.methods import Unavailable, compute
from fr_eval.counting.statistics import RunStatistics, to_funnel
from fr_eval.counting.rates import Rate

#: the methods a sweep reports, in order
SWEEP_METHODS = ("tpir", "fnir", "fnir_rank1", "fpir", "false_alert_rate", "precision", "false_alert_share")


# -- the core: counts at or above thresholds, by sorting once -----------------------------------

def count_at_or_above(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """For each threshold, how many ``scores`` are ``>= threshold`` (NaN scores never count).

    >>> count_at_or_above(np.array([0.2, 0.9, 0.5, np.nan]), np.array([0.1, 0.5, 0.95]))
    array([3, 2, 0])
    """
    scores = np.asarray(scores, dtype=np.float32)
    s = np.sort(scores[~np.isnan(scores)])
    # similarities are stored as float32 and compared in float32, as the replay's alert rule does
    return len(s) - np.searchsorted(s, np.asarray(thresholds, dtype=np.float32), side="left")


def binary_curve(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative true and false positives at every distinct score, highest first.

    Returns ``(thresholds, tp, fp)`` where ``tp[i]`` (``fp[i]``) counts positives
    (negatives) scoring ``>= thresholds[i]``.  One sort, one cumulative sum, as
    scikit-learn's ``_binary_clf_curve``.
    """
    scores = np.asarray(scores)
    positive = np.asarray(positive, dtype=bool)
    order = np.argsort(scores, kind="mergesort")[::-1]
    s, y = scores[order], positive[order]
    distinct = np.where(np.diff(s))[0]
    ends = np.r_[distinct, len(s) - 1]
    tp = np.cumsum(y)[ends]
    fp = (ends + 1) - tp
    return s[ends], tp, fp


# -- the per-run arrays the sweep works on ------------------------------------------------------

@dataclass
class SweepData:
    """The scores of one run, reduced to what the sweep counts (small: one float per item)."""

    watchlisted: np.ndarray          # best mated score per watchlisted passage (NaN: never a mated candidate)
    watchlisted_rank1: np.ndarray    # best rank-1 mated score per watchlisted passage
    nonwatchlist: np.ndarray         # best score per non-watchlist passage (NaN: no candidate)
    true_alerts: np.ndarray          # candidate scores naming the person present
    false_alerts: np.ndarray         # the other candidate scores
    nonwatchlist_false: np.ndarray   # false candidates on people not on the watchlist
    base: Funnel                     # counts that do not depend on the threshold (faces processed, hours, ...)
    threshold: float
    similarity_range: tuple[float, float] = (-math.inf, math.inf)
    lowest_exact: float = -math.inf  # below this some tracks' candidates beyond top-k are missing

    @classmethod
    def from_statistics(cls, stats: RunStatistics) -> "SweepData":
        if not stats.has_truth:
            raise InputError("a threshold sweep needs truth (which passages are watchlisted)",
                             hint="add a truth CSV to the bundle (docs/formats.md), replay again, then sweep")
        p, c = stats.passages, stats.candidates
        w = p["watchlisted"].astype(bool)
        if stats.plants_only:
            w = w & p["plant"].astype(bool)
        nw = ~p["watchlisted"].astype(bool)
        linked = c[c["passage_id"].notna()]
        rank1 = linked[linked["mated"].astype(bool) & (linked["rank"] == 1)].groupby("passage_id")["similarity"].max()
        mated = c["mated"].fillna(False).astype(bool).to_numpy()
        sim = c["similarity"].to_numpy(dtype=np.float64)
        not_wl = (c["passage_id"].isna() | c["truth_subject_id"].isna()).to_numpy()
        base = to_funnel(stats)
        m = stats.manifest or {}
        rng = tuple(m.get("matcher", {}).get("similarity_range") or (-math.inf, math.inf))
        k_min = c.groupby("track_id")["similarity"].min() if len(c) else pd.Series(dtype=float)
        top_k = (m.get("parameters") or {}).get("top_k")
        full = c.groupby("track_id").size() if len(c) else pd.Series(dtype=int)
        truncated = k_min[full.reindex(k_min.index).to_numpy() >= (top_k or 10**9)] if top_k else k_min.iloc[:0]
        return cls(watchlisted=p.loc[w, "mated_score"].to_numpy(dtype=np.float64),
                   watchlisted_rank1=p.loc[w, "passage_id"].map(rank1).to_numpy(dtype=np.float64),
                   nonwatchlist=p.loc[nw, "nonmated_score"].to_numpy(dtype=np.float64),
                   true_alerts=sim[mated], false_alerts=sim[~mated], nonwatchlist_false=sim[~mated & not_wl],
                   base=base, threshold=stats.threshold, similarity_range=(float(rng[0]), float(rng[1])),
                   lowest_exact=float(truncated.max()) if len(truncated) else -math.inf)

    def funnel_at(self, thresholds: np.ndarray) -> list[Funnel]:
        """The run's funnel at each threshold (threshold-dependent counts replaced)."""
        t = np.asarray(thresholds, dtype=np.float64)
        cols = {
            "watchlisted_alerted": count_at_or_above(self.watchlisted, t),
            "watchlisted_rank1": count_at_or_above(self.watchlisted_rank1, t),
            "nonwatchlist_alerted": count_at_or_above(self.nonwatchlist, t),
            "true_alerts": count_at_or_above(self.true_alerts, t),
            "false_alerts": count_at_or_above(self.false_alerts, t),
            "nonwatchlist_false_alerts": count_at_or_above(self.nonwatchlist_false, t),
        }
        cols["alerts"] = cols["true_alerts"] + cols["false_alerts"]
        keep = {k: v for k, v in self.base.known().items() if k in _THRESHOLD_FREE}
        out = []
        for i, th in enumerate(t):
            values = {**keep, **{k: int(v[i]) for k, v in cols.items()}}
            if "plant_passages" in keep:
                values["plant_alerts"] = None  # depends on the threshold; not swept
            out.append(Funnel(id=f"{self.base.id}@{th:g}", title=self.base.title, threshold=float(th),
                              origin=self.base.origin, **{k: v for k, v in values.items() if v is not None}))
        return out


_THRESHOLD_FREE = ("watchlisted_passages", "nonwatchlist_passages", "faces_processed", "watchlist_size",
                   "footage_hours", "watchlisted_subjects", "frames_processed")


# -- the sweep ------------------------------------------------------------------------------------

@dataclass
class SweepPoint:
    threshold: float
    rates: dict[str, Rate | Unavailable]
    alerts: int
    alerts_per_hour: tuple[float, float, float] | None  # value, low, high (exact Poisson 95%)
    operated: bool = False

    def to_dict(self) -> dict[str, Any]:
        from fr_eval.counting.methods import result_dict

        d = {"threshold": self.threshold, "operated": self.operated, "alerts": self.alerts,
             "alerts_per_hour": None if self.alerts_per_hour is None else
             {"value": self.alerts_per_hour[0], "ci95": list(self.alerts_per_hour[1:])}}
        d["methods"] = {k: result_dict(v) for k, v in self.rates.items()}
        return d


@dataclass
class Sweep:
    points: list[SweepPoint]
    det: pd.DataFrame               # every distinct per-passage score: threshold, fpir, fnir, counts
    operated_threshold: float
    signature: str
    lowest_exact: float
    extra: dict[str, Any] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        rows = []
        for pt in self.points:
            row = {"threshold": pt.threshold, "operated": pt.operated, "alerts": pt.alerts,
                   "alerts_per_hour": None if pt.alerts_per_hour is None else pt.alerts_per_hour[0]}
            for mid, r in pt.rates.items():
                if isinstance(r, Rate):
                    row[f"{mid}"] = r.value
                    row[f"{mid}_num"], row[f"{mid}_den"] = r.numerator, r.denominator
                    row[f"{mid}_ci_low"], row[f"{mid}_ci_high"] = r.ci95
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return {"signature": self.signature, "operated_threshold": self.operated_threshold,
                "exact_at_or_above": None if math.isinf(self.lowest_exact) else self.lowest_exact,
                "points": [p.to_dict() for p in self.points], **self.extra}


def sweep(stats: RunStatistics, thresholds: Sequence[float] | int = 25, *, ci: str = "clopper-pearson",
          methods: Sequence[str] = SWEEP_METHODS) -> Sweep:
    """Every counting method of :data:`SWEEP_METHODS` at each threshold, with intervals.

    Parameters
    ----------
    stats : the run's statistics (needs truth).
    thresholds : explicit thresholds, or a number of thresholds spread evenly over the stored scores
        (the operated threshold is always included).
    ci : interval method for every rate.

    Examples
    --------
    >>> s = sweep(load_statistics("runs/demo"), 10)       # doctest: +SKIP
    >>> s.points[0].rates["tpir"].format()                # doctest: +SKIP
    """
    data = SweepData.from_statistics(stats)
    if isinstance(thresholds, (int, np.integer)):
        thresholds = default_thresholds(data, int(thresholds))
    th = np.unique(np.r_[np.asarray(thresholds, dtype=np.float64), data.threshold])
    lo, hi = data.similarity_range
    bad = th[(th < lo) | (th > hi)]
    if len(bad):
        raise InputError(f"threshold {bad[0]:g} is outside the matcher's similarity range [{lo:g}, {hi:g}]",
                         hint="thresholds are similarities in the matcher's own scale")
    hours = data.base.get("footage_hours")
    points = []
    for t, funnel in zip(th, data.funnel_at(th)):
        rates = {m: compute(m, funnel, ci=ci) for m in methods}
        aph = poisson_rate(funnel.alerts, hours) if hours else None
        points.append(SweepPoint(float(t), rates, int(funnel.alerts), aph, operated=bool(np.isclose(t, data.threshold))))
    return Sweep(points, det_table(data), data.threshold, stats.signature, data.lowest_exact)


def default_thresholds(data: SweepData, n: int) -> np.ndarray:
    """``n`` thresholds evenly spaced between the lowest exact score and the highest stored score."""
    allscores = np.r_[data.watchlisted, data.nonwatchlist, data.true_alerts, data.false_alerts]
    allscores = allscores[~np.isnan(allscores)]
    if not len(allscores):
        return np.array([data.threshold])
    low = max(float(allscores.min()), data.lowest_exact if math.isfinite(data.lowest_exact) else -math.inf)
    high = float(allscores.max())
    return np.linspace(low, high, max(2, n))


def det_table(data: SweepData) -> pd.DataFrame:
    """FPIR and FNIR at every distinct per-passage score (the DET curve), highest threshold first.

    Mated passages are positives scored by their best mated candidate; non-watchlist passages are
    negatives scored by their best candidate; a passage with no candidate never alerts.  At each
    threshold ``t``: FPIR = negatives >= t / negatives, FNIR = 1 - positives >= t / positives:
    the same numbers as ``sklearn.metrics.det_curve`` on those scores.
    """
    pos, neg = data.watchlisted, data.nonwatchlist
    scores = np.r_[pos, neg]
    label = np.r_[np.ones(len(pos), bool), np.zeros(len(neg), bool)]
    ok = ~np.isnan(scores)
    t, tp, fp = binary_curve(scores[ok], label[ok])
    n_pos, n_neg = len(pos), len(neg)
    return pd.DataFrame({"threshold": t, "nonwatchlist_alerted": fp, "watchlisted_alerted": tp,
                         "fpir": fp / n_neg if n_neg else np.nan,
                         "fnir": 1 - tp / n_pos if n_pos else np.nan,
                         "watchlisted_passages": n_pos, "nonwatchlist_passages": n_neg})


def poisson_rate(count: int, exposure: float, confidence: float = 0.95) -> tuple[float, float, float]:
    """Rate per unit exposure with the exact (Garwood) Poisson interval: alerts per hour of footage."""
    a = 1 - confidence
    low = 0.0 if count == 0 else sps.chi2.ppf(a / 2, 2 * count) / 2
    high = sps.chi2.ppf(1 - a / 2, 2 * count + 2) / 2
    return count / exposure, low / exposure, high / exposure


# -- choosing a threshold -------------------------------------------------------------------------

@dataclass
class ThresholdChoice:
    target: str                 # e.g. "fpir <= 0.001"
    threshold: float | None
    on: str                     # "point" or "ci"
    rates: dict[str, Rate | Unavailable]
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        from fr_eval.counting.methods import result_dict

        return {"target": self.target, "on": self.on, "threshold": self.threshold, "reason": self.reason,
                "methods": {k: result_dict(v) for k, v in self.rates.items()}}


def threshold_for_target(stats: RunStatistics, *, target_fpir: float | None = None,
                         target_tpir: float | None = None, on: str = "point",
                         ci: str = "clopper-pearson") -> ThresholdChoice:
    """The threshold that meets a target, judged on the point value or on the 95% bound.

    * ``target_fpir``: the **lowest** threshold whose FPIR is at most the target (so TPIR is as
      high as the target allows); with ``on="ci"``, whose FPIR *upper* bound is at most the target.
    * ``target_tpir``: the **highest** threshold whose TPIR is at least the target (so FPIR is as
      low as possible); with ``on="ci"``, whose TPIR *lower* bound is at least the target.

    Candidate thresholds are every distinct per-passage score (where the counts change).  The
    chosen threshold is reported with TPIR and FPIR at it, each with its interval.
    """
    if (target_fpir is None) == (target_tpir is None):
        raise InputError("give exactly one of --target-fpir and --target-tpir")
    if on not in ("point", "ci"):
        raise InputError(f"unknown bound {on!r}", hint="point or ci")
    data = SweepData.from_statistics(stats)
    det = det_table(data)
    th = det["threshold"].to_numpy()
    funnels = data.funnel_at(th)
    fp_rates = [compute("fpir", f, ci=ci) for f in funnels]
    tp_rates = [compute("tpir", f, ci=ci) for f in funnels]

    def val(r, side):
        if not isinstance(r, Rate) or not r.denominator:
            return math.nan
        return r.value if on == "point" else r.ci95[side]

    if target_fpir is not None:
        name = f"fpir <= {target_fpir:g}"
        ok = [i for i, r in enumerate(fp_rates) if val(r, 1) <= target_fpir]
        pick = min(ok, key=lambda i: th[i]) if ok else None
    else:
        name = f"tpir >= {target_tpir:g}"
        ok = [i for i, r in enumerate(tp_rates) if val(r, 0) >= target_tpir]
        pick = max(ok, key=lambda i: th[i]) if ok else None
    if pick is None:
        return ThresholdChoice(name, None, on, {}, reason="no stored threshold meets the target on this data")
    return ThresholdChoice(name, float(th[pick]), on, {"tpir": tp_rates[pick], "fpir": fp_rates[pick]})


def with_threshold(stats: RunStatistics, threshold: float) -> Funnel:
    """The run's funnel at one other threshold, through the sweep's counts (fast)."""
    data = SweepData.from_statistics(stats)
    return data.funnel_at(np.array([threshold]))[0]


__all__ = ["SWEEP_METHODS", "Sweep", "SweepData", "SweepPoint", "ThresholdChoice", "binary_curve",
           "count_at_or_above", "det_table", "poisson_rate", "sweep", "threshold_for_target", "with_threshold"]
