"""Choosing a threshold for a target: the whole interval that meets it, and a recommended point.

FPIR and TPIR change only at the stored per-passage scores, so the thresholds that meet a target with the
best other rate form an interval.  Returning one observed score puts the threshold on a knife edge (zero
margin to the score that decides it); this module returns:

* the **interval** of thresholds that meet the target with the best other rate (for ``fpir <= x``: every
  threshold there has the same, highest TPIR and an FPIR at most the target; for ``tpir >= y``: the same,
  lowest FPIR and a TPIR at least the target), with which ends are included (``similarity >= threshold``
  alerts, so a score equal to the threshold counts);
* the **recommended** threshold: inside the interval, the stretch with the fewest errors of the other
  kind (for ``fpir <= x``: the fewest non-mated alerts; its ends are a non-mated score below and the
  lowest mated score above), and the midpoint of that stretch, as far as the data allow from the score at
  either end, so that a small shift in scores changes neither count;
* **bob.measure's** point: ``far_threshold`` promises FAR at most the target and takes the lowest such
  threshold, i.e. just above the highest non-mated score it must exclude (``np.nextafter``);
* what happens when no threshold meets the target (only with ``on="ci"``: the interval of even zero
  non-mated alerts can be wider than the target), and when the target is stricter than these counts can
  resolve (below 1 / the number of non-watchlist passages: only FPIR 0 meets it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fr_eval.counting.counter import funnel
from fr_eval.counting.intervals import clopper_pearson
from fr_eval.counting.methods import compute, result_dict
from fr_eval.counting.rates import Result, percent
from fr_eval.counting.signing import signature_for
from fr_eval.counting.statistics import RunStatistics
from fr_eval.errors import InputError
from fr_eval.signature import number


@dataclass
class Interval:
    low: float
    low_inclusive: bool
    high: float
    high_inclusive: bool

    def contains(self, t: float) -> bool:
        above = t >= self.low if self.low_inclusive else t > self.low
        below = t <= self.high if self.high_inclusive else t < self.high
        return above and below

    def text(self) -> str:
        lo = "(-inf" if math.isinf(self.low) else ("[" if self.low_inclusive else "(") + number(self.low)
        hi = "inf)" if math.isinf(self.high) else number(self.high) + ("]" if self.high_inclusive else ")")
        return f"{lo}, {hi}"

    def to_dict(self) -> dict[str, Any]:
        fin = lambda x: None if math.isinf(x) else x  # noqa: E731
        return {"low": fin(self.low), "low_inclusive": self.low_inclusive, "high": fin(self.high),
                "high_inclusive": self.high_inclusive, "text": self.text()}


@dataclass
class ThresholdChoice:
    target: str                       # e.g. "fpir <= 0.001"
    on: str                           # "point" or "ci"
    threshold: float | None           # the recommended threshold
    interval: Interval | None
    rule: str                         # why this point
    bob_threshold: float | None = None
    rates: dict[str, Result] = field(default_factory=dict)
    reason: str = ""                  # when no threshold meets the target, or a note on resolution
    signature: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "on": self.on, "threshold": self.threshold,
                "threshold_text": None if self.threshold is None else number(self.threshold),
                "interval": None if self.interval is None else self.interval.to_dict(), "rule": self.rule,
                "bob_measure_threshold": self.bob_threshold, "reason": self.reason, "signature": self.signature,
                "methods": {k: result_dict(v) for k, v in self.rates.items()}}


def _scores(stats: RunStatistics) -> tuple[np.ndarray, np.ndarray]:
    """Best mated score per watchlisted passage, best candidate per non-watchlist passage (as the counter)."""
    if not stats.has_truth:
        raise InputError("choosing a threshold for a target needs truth (which passages are watchlisted)",
                         hint="add a truth CSV to the bundle (docs/formats.md), replay again, then sweep")
    p = stats.passages
    w = p["watchlisted"].astype(bool)
    if stats.plants_only:
        w = w & p["plant"].astype(bool)
    nw = ~p["watchlisted"].astype(bool)
    return p.loc[w, "mated_score"].to_numpy(np.float64), p.loc[nw, "any_score"].to_numpy(np.float64)


def _kth_highest(x: np.ndarray, k: int) -> float:
    """The k-th highest value (1-based) of ``x`` ignoring NaN; -inf when there are fewer than k."""
    v = np.sort(x[~np.isnan(x)])[::-1]
    return float(v[k - 1]) if 1 <= k <= len(v) else -math.inf


def _midpoint(lo: float, hi: float) -> float:
    return float(lo + (hi - lo) / 2)


def threshold_for_target(stats: RunStatistics, *, target_fpir: float | None = None,
                         target_tpir: float | None = None, on: str = "point",
                         ci: str = "clopper-pearson") -> ThresholdChoice:
    """The interval of thresholds that meet a target and the recommended point (module docstring)."""
    if (target_fpir is None) == (target_tpir is None):
        raise InputError("give exactly one of --target-fpir and --target-tpir")
    if on not in ("point", "ci"):
        raise InputError(f"unknown bound {on!r}", hint="point or ci")
    value = target_fpir if target_fpir is not None else target_tpir
    if value is None or not math.isfinite(value) or not 0 <= value <= 1:
        raise InputError(f"a target must be a proportion between 0 and 1, got {value!r}")
    mated, nonmated = _scores(stats)
    n_m, n_n = len(mated), len(nonmated)
    stored = np.r_[mated, nonmated]
    stored = stored[~np.isnan(stored)]
    if target_fpir is not None:
        choice = _for_fpir(target_fpir, mated, nonmated, n_n, on, stored)
    else:
        choice = _for_tpir(target_tpir, mated, nonmated, n_m, on, stored)  # type: ignore[arg-type]
    if choice.threshold is not None:
        f = funnel(stats, choice.threshold)
        choice.rates = {"tpir": compute("tpir", f, ci=ci), "fpir": compute("fpir", f, ci=ci)}
        choice.signature = signature_for(stats, threshold=choice.threshold, ci=ci).short()
    return choice


def _for_fpir(x: float, mated, nonmated, n_n: int, on: str, stored) -> ThresholdChoice:
    name = f"fpir <= {number(x)}"
    if not n_n:
        return ThresholdChoice(name, on, None, None, "", reason="no non-watchlist passages: FPIR is undefined")
    if on == "point":
        k_max = int(math.floor(x * n_n + 1e-12))
    else:
        k_max = -1
        for k in range(n_n + 1):
            if clopper_pearson(k, n_n)[1] <= x:
                k_max = k
            else:
                break
        if k_max < 0:
            need = next((n for n in range(n_n, 10**9) if clopper_pearson(0, n)[1] <= x), None) if x > 0 else None
            return ThresholdChoice(name, on, None, None, "", reason=(
                f"no threshold meets it on the 95% bound: with {n_n} non-watchlist passages even 0 alerts have an "
                f"upper bound of {percent(clopper_pearson(0, n_n)[1])}"
                + (f"; it needs at least {need:,} non-watchlist passages" if need else "")))
    a = _kth_highest(nonmated, k_max + 1)          # thresholds above a meet the target
    above = mated[~np.isnan(mated) & (mated > a)]
    m_star = float(above.min()) if len(above) else math.inf
    interval = Interval(a, False, m_star, not math.isinf(m_star))
    note = ""
    if on == "point" and x * n_n < 1:
        note = (f"the target is stricter than {n_n} non-watchlist passages can resolve (the smallest non-zero FPIR "
                f"they show is 1/{n_n}): only FPIR 0 meets it")
    bob = float(np.nextafter(a, math.inf)) if math.isfinite(a) else None
    if math.isinf(m_star):
        t = bob if bob is not None else (float(stored.min()) if len(stored) else None)
        rule = ("no watchlisted passage scores above the excluded non-mated scores, so TPIR is 0 at every "
                "threshold that meets the target; recommended: bob.measure's point, just above the highest "
                "non-mated score it must exclude")
    else:
        below = nonmated[~np.isnan(nonmated) & (nonmated < m_star)]
        lo = max(a, float(below.max())) if len(below) else a     # fewest non-mated alerts with that TPIR
        lo = lo if math.isfinite(lo) else _below(stored, m_star)
        t = _midpoint(lo, m_star) if math.isfinite(lo) else m_star
        rule = ("every threshold in the interval meets the target with the same, highest TPIR; recommended: the "
                f"midpoint of its stretch with the fewest non-mated alerts ({number(lo)}, {number(m_star)}], as far "
                "as the data allow from the non-mated score below and the mated score above it (bob.measure's "
                "far_threshold takes the lowest point of the interval instead, just above the non-mated score)")
    return ThresholdChoice(name, on, t, interval, rule, bob, reason=note)


def _for_tpir(y: float, mated, nonmated, n_m: int, on: str, stored) -> ThresholdChoice:
    name = f"tpir >= {number(y)}"
    if not n_m:
        return ThresholdChoice(name, on, None, None, "", reason="no watchlisted passages: TPIR is undefined")
    if on == "point":
        j = int(math.ceil(y * n_m - 1e-12))
    else:
        j = next((k for k in range(n_m + 1) if clopper_pearson(k, n_m)[0] >= y), n_m + 1)
    if j > int((~np.isnan(mated)).sum()):
        return ThresholdChoice(name, on, None, None, "", reason=(
            f"no threshold meets it: only {int((~np.isnan(mated)).sum())} of {n_m} watchlisted passages have a "
            "mated score at all" + (" (judged on the 95% lower bound)" if on == "ci" else "")))
    m_j = _kth_highest(mated, j) if j > 0 else math.inf
    below = nonmated[~np.isnan(nonmated) & (nonmated < m_j)]
    n_star = float(below.max()) if len(below) else -math.inf
    interval = Interval(n_star, False, m_j, not math.isinf(m_j))
    if math.isinf(m_j):
        hi = float(stored.max()) if len(stored) else math.nan
        return ThresholdChoice(name, on, float(np.nextafter(hi, math.inf)), interval,
                               "a target of 0 is met by any threshold; recommended: just above every stored score")
    above = mated[~np.isnan(mated) & (mated > n_star)]
    hi = float(above.min()) if len(above) else m_j             # most mated alerts with that FPIR
    lo = n_star if math.isfinite(n_star) else _below(stored, hi)
    t = _midpoint(lo, hi) if math.isfinite(lo) else hi
    rule = ("every threshold in the interval meets the target with the same, lowest FPIR; recommended: the midpoint "
            f"of its stretch with the most mated alerts ({number(lo)}, {number(hi)}], as far as the data allow from "
            "the non-mated score below and the mated score above it")
    return ThresholdChoice(name, on, t, interval, rule, None)


def _below(stored: np.ndarray, x: float) -> float:
    lower = stored[stored < x]
    return float(lower.max()) if len(lower) else -math.inf
