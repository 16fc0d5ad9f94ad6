"""Breakdowns by condition and group, with a test of difference between groups: the only breakdown.

``fr-eval sweep --by``, the gate's ``max_group_ratio`` rules and the report's group tables all call
:func:`breakdown`.  Each group's rate is the same counting method on the counts of that group only
(:func:`fr_eval.counting.counter.group_funnels`; which rows belong to which group is
:mod:`fr_eval.counting.labels`'s rule), so a per-group TPIR is exactly the run's TPIR definition
restricted to the group.

Test of difference (is the rate the same in every group?):

* two groups: Fisher's exact test on the 2x2 table (numerator, denominator - numerator);
* more groups: Pearson's chi-square test of the 2xG table, or, when an expected count is below 5, a
  permutation test of the same statistic (10,000 shuffles, seeded).

A difference is flagged at p < 0.05.  A group whose 95% interval is wider than 30 percentage points, or
whose denominator is below 30, carries the small-sample warning of :func:`small_sample`: its rate alone
supports no conclusion.  This is the kind of analysis NPL's equitability study did by hand for perceived
gender and ethnicity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fr_eval.counting.counter import group_funnels
from fr_eval.counting.labels import CONDITIONS, demographic_columns, labels, unlabelled
from fr_eval.counting.methods import compute, result_dict
from fr_eval.counting.rates import Rate, Ratio, Result, percent
from fr_eval.counting.statistics import RunStatistics
from fr_eval.errors import InputError

WIDE_INTERVAL = 0.30
SMALL_DENOMINATOR = 30
ALPHA = 0.05


def small_sample(r: Result) -> str | None:
    """The one small-sample rule: a warning when the interval is wider than 30 points or n < 30."""
    if not isinstance(r, Rate) or not r.denominator:
        return None
    lo, hi = r.ci95
    wide = not (math.isnan(lo) or math.isnan(hi)) and hi - lo > WIDE_INTERVAL
    if wide or r.denominator < SMALL_DENOMINATOR:
        return (f"small sample: {r.numerator}/{r.denominator}, interval {percent(lo)}-{percent(hi)}; this "
                "group's rate alone supports no conclusion")
    return None


@dataclass
class GroupTest:
    test: str
    statistic: float | None
    p_value: float | None
    significant: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Breakdown:
    """One method by one grouping: a rate per group, the test between groups, and warnings."""

    method: str
    by: str
    rates: dict[str, Result]
    test: GroupTest | None
    threshold: float
    warnings: dict[str, str] = field(default_factory=dict)
    note: str = ""

    def ratio(self) -> Ratio | None:
        """Highest group rate over lowest, and the same on the 95% bounds (None with fewer than two groups)."""
        rs = [(g, r) for g, r in self.rates.items() if isinstance(r, Rate) and r.denominator]
        if len(rs) < 2:
            return None
        (gh, hi), (gl, lo) = max(rs, key=lambda x: x[1].value), min(rs, key=lambda x: x[1].value)
        value = 1.0 if hi.value == 0 else (math.inf if lo.value == 0 else hi.value / lo.value)
        bound = math.inf if not lo.ci95[0] else hi.ci95[1] / lo.ci95[0]
        return Ratio(self.method, self.by, gh, gl, value, bound)

    def to_dict(self) -> dict[str, Any]:
        ratio = self.ratio()
        return {"method": self.method, "by": self.by, "threshold": self.threshold,
                "groups": {k: result_dict(v) for k, v in self.rates.items()},
                "test": None if self.test is None else self.test.to_dict(),
                "ratio": None if ratio is None else ratio.to_dict(), "warnings": self.warnings, "note": self.note}


def breakdown(stats: RunStatistics, method: str, by: str, *, threshold: float | None = None,
              ci: str = "clopper-pearson", seed: int = 0) -> Breakdown:
    """``method`` per group of ``by`` at ``threshold`` (default: the operated one), with the test of difference.

    Examples
    --------
    >>> b = breakdown(load_statistics("runs/suite-day"), "fpir", "gender")   # doctest: +SKIP
    >>> b.test.p_value, b.ratio()                                            # doctest: +SKIP
    """
    if not stats.has_truth and by not in ("camera", "lighting", "crowd", "deployment"):
        raise InputError("a breakdown by group needs truth (who passed, and in which group)",
                         hint="add a truth CSV to the bundle")
    th = stats.threshold if threshold is None else float(threshold)
    funnels = group_funnels(stats, by, th)
    rates = {g: compute(method, f, ci=ci, seed=seed) for g, f in funnels.items()}
    left = unlabelled(stats, by)
    parts = [f"{left['passages']} passages" if left["passages"] else "",
             f"{left['tracks']} face tracks linked to no passage" if left["tracks"] else ""]
    parts = [x for x in parts if x]
    note = f"{' and '.join(parts)} without a {by} label are left out" if parts else ""
    warnings = {g: w for g, r in rates.items() if (w := small_sample(r))}
    return Breakdown(method, by, rates, difference_test(rates, seed=seed), th, warnings, note)


def difference_test(rates: dict[str, Result], *, seed: int = 0, n_perm: int = 10_000) -> GroupTest | None:
    """Is the proportion the same in every group?  Fisher (2 groups), chi-square or permutation (more)."""
    from scipy import stats as sps

    rs = [r for r in rates.values() if isinstance(r, Rate) and r.denominator and r.numerator <= r.denominator]
    if len(rs) < 2:
        return None
    table = np.array([[r.numerator, r.denominator - r.numerator] for r in rs])
    if table[:, 0].sum() == 0 or table[:, 1].sum() == 0:
        return GroupTest("none (every group has the same all-or-nothing outcome)", None, 1.0, False)
    if len(rs) == 2:
        res = sps.fisher_exact(table)
        return GroupTest("Fisher's exact test", float(res.statistic), float(res.pvalue), bool(res.pvalue < ALPHA))
    chi2, p, _, expected = sps.chi2_contingency(table, correction=False)
    if (expected >= 5).all():
        return GroupTest("Pearson chi-square test", float(chi2), float(p), bool(p < ALPHA))
    # permutation test of the chi-square statistic: shuffle outcomes across groups
    rng = np.random.default_rng(seed)
    sizes = table.sum(axis=1)
    outcomes = np.r_[np.ones(table[:, 0].sum()), np.zeros(table[:, 1].sum())]
    bounds = np.cumsum(sizes)[:-1]
    exceed = 0
    for _ in range(n_perm):
        rng.shuffle(outcomes)
        k = np.array([part.sum() for part in np.split(outcomes, bounds)])
        stat = sps.chi2_contingency(np.c_[k, sizes - k], correction=False)[0]
        exceed += stat >= chi2 - 1e-12
    p = (exceed + 1) / (n_perm + 1)
    return GroupTest(f"permutation test of the chi-square statistic ({n_perm:,} shuffles)", float(chi2), float(p),
                     bool(p < ALPHA))


def dimensions(stats: RunStatistics) -> list[str]:
    """Every condition and demographic column that splits this run into two or more groups."""
    out = []
    for by in list(CONDITIONS) + [c for c in demographic_columns(stats) if c in stats.passages.columns]:
        try:
            pl, tl = labels(stats, by)
        except InputError:          # a column without any label splits nothing
            continue
        if len({v for v in pl if v is not None} | {v for v in tl if v is not None}) >= 2:
            out.append(by)
    return out


def all_breakdowns(stats: RunStatistics, methods=("tpir", "fpir"), *, threshold: float | None = None,
                   ci: str = "clopper-pearson") -> list[Breakdown]:
    """Every method by every dimension that splits this run (see :func:`dimensions`)."""
    if not stats.has_truth:
        return []
    return [breakdown(stats, m, by, threshold=threshold, ci=ci) for by in dimensions(stats) for m in methods]
