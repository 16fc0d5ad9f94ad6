"""Breakdowns by condition and group, with a test of difference between groups.

Each group's rate is the same counting method (:mod:`fr_eval.counting.methods`) on the
passages and alerts of that group only (:func:`fr_eval.counting.statistics.subset`), so a
per-group TPIR is exactly the run's TPIR definition restricted to the group.

Test of difference (is the rate the same in every group?):

* two groups: Fisher's exact test on the 2x2 table (numerator, denominator - numerator);
* more groups: Pearson's chi-square test of the 2xG table, or, when an expected
  count is below 5, a permutation test of the same statistic (10,000 shuffles).

A difference is flagged at p < 0.05.  A group whose 95% interval is wider than
30 percentage points, or whose denominator is below 30, carries a small-sample
warning: its rate alone supports no conclusion.  This is the kind of analysis
NPL's equitability study did by hand for perceived gender and ethnicity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from fr_eval.errors import InputError
from fr_eval.counting.methods import Unavailable, compute, result_dict
from fr_eval.counting.statistics import RunStatistics, subset, to_funnel
from fr_eval.counting.rates import Rate

#: conditions every run can be broken down by (besides demographic columns)
CONDITIONS = ("lighting", "crowd", "camera", "face_size")
FACE_SIZE_BANDS = ((0, 60, "<60 px"), (60, 100, "60-100 px"), (100, math.inf, ">=100 px"))
WIDE_INTERVAL = 0.30
SMALL_DENOMINATOR = 30
ALPHA = 0.05


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
    rates: dict[str, Rate | Unavailable]
    test: GroupTest | None
    warnings: dict[str, str] = field(default_factory=dict)
    note: str = ""

    @property
    def max_ratio(self) -> float | None:
        """Highest group rate over lowest (inf when the lowest is 0 and the highest is not)."""
        vals = [r.value for r in self.rates.values() if isinstance(r, Rate) and r.denominator]
        if len(vals) < 2:
            return None
        lo, hi = min(vals), max(vals)
        if hi == 0:
            return 1.0
        return math.inf if lo == 0 else hi / lo

    def ratio_bound(self) -> float | None:
        """The ratio judged on the intervals: upper bound of the highest group over lower bound of the lowest."""
        rs = [r for r in self.rates.values() if isinstance(r, Rate) and r.denominator]
        if len(rs) < 2:
            return None
        hi = max(rs, key=lambda r: r.value).ci95[1]
        lo = min(rs, key=lambda r: r.value).ci95[0]
        return math.inf if lo == 0 else hi / lo

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "by": self.by, "groups": {k: result_dict(v) for k, v in self.rates.items()},
                "test": None if self.test is None else self.test.to_dict(), "max_ratio": self.max_ratio,
                "warnings": self.warnings, "note": self.note}


def group_labels(stats: RunStatistics, by: str) -> pd.Series:
    """The group of every passage for ``by`` (a condition or a demographic column)."""
    p = stats.passages
    if by == "face_size":
        px = p["face_px"].astype(float)
        out = pd.Series(pd.NA, index=p.index, dtype="object")
        for lo, hi, name in FACE_SIZE_BANDS:
            out[(px >= lo) & (px < hi)] = name
        return out
    if by not in p.columns:
        demo = [c for c in p.columns if c in _demographic_columns(stats)]
        raise InputError(f"cannot break down by {by!r}: no such column in this run's passages",
                         hint=f"conditions: {', '.join(CONDITIONS)}; demographic columns here: "
                              f"{', '.join(demo) or 'none'}")
    labels = p[by].astype("object").where(p[by].notna() & (p[by].astype(str) != ""), pd.NA)
    if len(labels) and labels.isna().all():
        raise InputError(f"cannot break down by {by!r}: no passage of this run has a {by} label",
                         hint="add the column to the truth or watchlist CSV, or choose another grouping")
    return labels


def _demographic_columns(stats: RunStatistics) -> list[str]:
    b = stats.bundle
    return list(b.demographic_columns) if b is not None else ["gender", "age_group", "ethnicity", "skin_tone"]


def breakdown(stats: RunStatistics, method: str, by: str, *, ci: str = "clopper-pearson",
              seed: int = 0) -> Breakdown:
    """``method`` per group of ``by``, with the test of difference.

    Alerts follow their passage's group (an alert on a track linked to no passage belongs to no group).

    Examples
    --------
    >>> b = breakdown(load_statistics("runs/suite-day"), "fpir", "gender")   # doctest: +SKIP
    >>> b.test.p_value, b.max_ratio                                          # doctest: +SKIP
    """
    if not stats.has_truth:
        raise InputError("a breakdown by group needs truth (who passed, and in which group)",
                         hint="add a truth CSV to the bundle")
    labels = group_labels(stats, by)
    groups = sorted(str(g) for g in labels.dropna().unique())
    alert_group = stats.alerts["passage_id"].map(dict(zip(stats.passages["passage_id"], labels)))
    rates: dict[str, Rate | Unavailable] = {}
    for g in groups:
        pm = labels.astype(str) == g
        am = alert_group.astype(str) == g
        sub = subset(stats, pm.fillna(False), am.fillna(False))
        rates[g] = compute(method, to_funnel(sub), ci=ci)
    unlabelled = int(labels.isna().sum())
    note = f"{unlabelled} passages without a {by} label are left out" if unlabelled else ""
    warnings = {}
    for g, r in rates.items():
        if isinstance(r, Rate) and r.denominator and (r.ci95[1] - r.ci95[0] > WIDE_INTERVAL
                                                      or r.denominator < SMALL_DENOMINATOR):
            warnings[g] = (f"small sample: {r.numerator}/{r.denominator}, interval "
                           f"{r.ci95[0]:.1%}-{r.ci95[1]:.1%}; this group's rate alone supports no conclusion")
    return Breakdown(method, by, rates, difference_test(rates, seed=seed), warnings, note)


def difference_test(rates: dict[str, Rate | Unavailable], *, seed: int = 0, n_perm: int = 10_000) -> GroupTest | None:
    """Is the proportion the same in every group?  Fisher (2 groups), chi-square or permutation (more)."""
    rs = [r for r in rates.values() if isinstance(r, Rate) and r.denominator]
    if len(rs) < 2:
        return None
    table = np.array([[r.numerator, r.denominator - r.numerator] for r in rs])
    if table[:, 0].sum() == 0 or table[:, 1].sum() == 0:
        return GroupTest("none (every group has the same all-or-nothing outcome)", None, 1.0, False)
    if len(rs) == 2:
        res = sps.fisher_exact(table)
        return GroupTest("Fisher's exact test", float(res.statistic), float(res.pvalue), res.pvalue < ALPHA)
    chi2, p, _, expected = sps.chi2_contingency(table, correction=False)
    if (expected >= 5).all():
        return GroupTest("Pearson chi-square test", float(chi2), float(p), p < ALPHA)
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
                     p < ALPHA)


def all_breakdowns(stats: RunStatistics, methods=("tpir", "fpir"), *, ci: str = "clopper-pearson") -> list[Breakdown]:
    """Every condition and demographic column that splits this run into two or more groups."""
    out = []
    candidates = list(CONDITIONS) + [c for c in _demographic_columns(stats) if c in stats.passages.columns]
    for by in candidates:
        try:
            labels = group_labels(stats, by)
        except InputError:          # a column without any label splits nothing
            continue
        if labels.dropna().nunique() < 2:
            continue
        for m in methods:
            out.append(breakdown(stats, m, by, ci=ci))
    return out
