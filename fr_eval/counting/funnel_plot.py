"""Funnel plots: each deployment's rate against its denominator, with control limits around the pooled rate.

After D. J. Spiegelhalter, "Funnel plots for comparing institutional performance", Statistics in Medicine
24 (2005) 1185-1202.  The target is the pooled rate ``theta = sum(k) / sum(n)`` of the deployments plotted.
If a deployment with denominator ``n`` had that rate, its count ``Y`` would be Binomial(n, theta) for a share of
alerts (``kind="proportion"``) or Poisson(n theta) for a rate per unit (``kind="rate"``).  The limits are the
exact quantiles of that distribution, interpolated between whole counts so that they are smooth curves
(Spiegelhalter 2005, appendix A.1), at tail areas 2.5% (95% limits) and 0.1% (99.8% limits) on each side:

* lower limit at tail ``p``: ``r`` = the ``p``-quantile of Y (smallest r with ``P(Y <= r) >= p``),
  ``a = (P(Y <= r) - p) / P(Y = r)``, limit ``(r - a) / n`` (not below 0);
* upper limit at tail ``p``: ``r`` = the ``(1 - p)``-quantile, ``a = (P(Y <= r) - (1 - p)) / P(Y = r)``,
  limit ``(r + 1 - a) / n`` (not above 1 for a share).

The upper limit spreads the probability of ``Y = r`` over ``[r, r + 1]`` and the lower over ``[r - 1, r]`` (as
the R function ``qbinom.interp`` of the funnel-plot code from Spiegelhalter's group does), so a deployment lies
above an upper limit exactly when its exact one-sided tail probability ``P(Y >= k)`` is at most ``p``, and below
a lower limit exactly when ``P(Y <= k) <= p``.  The deployment is flagged by those tail probabilities, which are
listed with it: a single false alert where 0.03 were expected is not an outlier (``P(Y >= 1) = 0.03``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

#: control limits: name -> tail area on each side
LEVELS: dict[str, float] = {"95%": 0.025, "99.8%": 0.001}


def _dist(kind: str, target: float, n):
    n = np.asarray(n, dtype=float)
    if kind == "rate":
        return sps.poisson(n * target)
    return sps.binom(n.astype(np.int64), target)


def control_limit(kind: str, target: float, n, tail: float, side: str) -> np.ndarray:
    """The interpolated exact control limit(s) at denominator(s) ``n`` (see the module docstring).

    >>> round(float(control_limit("proportion", 0.1, 100, 0.025, "upper")), 4)
    0.1677
    """
    n = np.atleast_1d(np.asarray(n, dtype=float))
    if target <= 0:
        return np.zeros_like(n)
    if kind == "proportion" and target >= 1:
        return np.ones_like(n)
    dist = _dist(kind, target, n)
    q = tail if side == "lower" else 1 - tail
    r = dist.ppf(q)
    cdf, pmf = dist.cdf(r), dist.pmf(r)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(pmf > 0, (cdf - q) / pmf, 0.0)
        if side == "lower":
            return np.maximum((r - a) / n, 0.0)
        lim = (r + 1 - a) / n
    return np.minimum(lim, 1.0) if kind == "proportion" else lim


def tail_probabilities(kind: str, target: float, k, n) -> tuple[np.ndarray, np.ndarray]:
    """``(P(Y <= k), P(Y >= k))`` for each deployment, Y as under the target."""
    k = np.asarray(k, dtype=float)
    dist = _dist(kind, target, n)
    return np.asarray(dist.cdf(k), dtype=float), np.asarray(dist.sf(k - 1), dtype=float)


@dataclass(frozen=True)
class FunnelPoint:
    id: str
    numerator: int
    denominator: int
    p_below: float         # P(Y <= k): small when the deployment is low
    p_above: float         # P(Y >= k): small when the deployment is high
    #: "" (inside the 95% limits), "95%" (outside them) or "99.8%" (outside those too)
    outside: str = ""
    side: str = ""         # "above" or "below" when outside

    @property
    def value(self) -> float:
        return self.numerator / self.denominator

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "numerator": self.numerator, "denominator": self.denominator, "value": self.value,
                "p_below": self.p_below, "p_above": self.p_above, "outside": self.outside or None,
                "side": self.side or None}


@dataclass(frozen=True)
class FunnelPlot:
    """The points and limits of one method's funnel plot."""

    method: str
    kind: str
    unit: str
    numerator: int                         # pooled
    denominator: int
    points: tuple[FunnelPoint, ...]
    #: denominators at which the limit curves are drawn, and {level: (lower, upper)} at each
    grid: tuple[float, ...] = ()
    limits: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] | None = None
    left_out: tuple[str, ...] = ()         # deployments with a zero denominator

    @property
    def target(self) -> float:
        return self.numerator / self.denominator if self.denominator else math.nan

    @property
    def flagged(self) -> list[FunnelPoint]:
        """Deployments outside the 95% limits, the most extreme first."""
        out = [p for p in self.points if p.outside]
        return sorted(out, key=lambda p: min(p.p_above, p.p_below))

    def limits_at(self, n: float) -> dict[str, tuple[float, float]]:
        return {lvl: (float(control_limit(self.kind, self.target, n, t, "lower")[0]),
                      float(control_limit(self.kind, self.target, n, t, "upper")[0])) for lvl, t in LEVELS.items()}

    def to_dict(self, *, points: bool = True) -> dict[str, Any]:
        d = {"method": self.method, "kind": self.kind, "unit": self.unit, "target": self.target,
             "numerator": self.numerator, "denominator": self.denominator, "levels": dict(LEVELS),
             "deployments": len(self.points), "left_out": list(self.left_out),
             "flagged": [dict(p.to_dict(), limits=self.limits_at(p.denominator)) for p in self.flagged]}
        if points:
            d["points"] = [p.to_dict() for p in self.points]
        return d


def funnel_plot(method: str, kind: str, unit: str, ids: Sequence[str], numerators: Sequence[int],
                denominators: Sequence[int], *, grid_points: int = 160) -> FunnelPlot | None:
    """Points, flags and limit curves; None when fewer than two deployments have a non-zero denominator."""
    k = np.asarray(numerators, dtype=np.int64)
    n = np.asarray(denominators, dtype=np.int64)
    keep = n > 0
    left_out = tuple(i for i, ok in zip(ids, keep, strict=True) if not ok)
    ids = [i for i, ok in zip(ids, keep, strict=True) if ok]
    k, n = k[keep], n[keep]
    if len(k) < 2:
        return None
    big_k, big_n = int(k.sum()), int(n.sum())
    target = big_k / big_n
    p_below, p_above = tail_probabilities(kind, target, k, n)
    points = []
    for i, ki, ni, lo, hi in zip(ids, k, n, p_below, p_above, strict=True):
        outside = side = ""
        for level, tail in sorted(LEVELS.items(), key=lambda x: x[1]):   # the stricter level first
            if hi <= tail or lo <= tail:
                outside, side = level, "above" if hi <= tail else "below"
                break
        points.append(FunnelPoint(i, int(ki), int(ni), float(lo), float(hi), outside, side))
    lo_n, hi_n = max(1.0, float(n.min()) / 1.5), float(n.max()) * 1.5
    grid = np.unique(np.round(np.geomspace(lo_n, hi_n, grid_points)))
    limits = {lvl: (tuple(control_limit(kind, target, grid, t, "lower").tolist()),
                    tuple(control_limit(kind, target, grid, t, "upper").tolist())) for lvl, t in LEVELS.items()}
    return FunnelPlot(method, kind, unit, big_k, big_n, tuple(points), tuple(grid.tolist()), limits, left_out)
