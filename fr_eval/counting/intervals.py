"""Confidence intervals for a proportion k/n.

* ``clopper_pearson`` -- the exact (conservative) binomial interval, the default.
* ``wilson`` -- the Wilson score interval (less conservative, good coverage).
* ``cluster_bootstrap`` -- percentile bootstrap that resamples whole clusters
  (subjects, cameras or deployments), for when counts within a cluster are not
  independent (the same person walks past ten times).

* ``poisson_exact`` -- the exact (Garwood) interval of a rate of events per unit
  (false alerts per face), for the methods that are rates, not proportions.

The exact intervals invert the incomplete beta and gamma functions of :mod:`fr_eval.counting.special` (plain
Python, checked against SciPy), so a counts file is answered without importing NumPy or SciPy.

All return ``(low, high)``, in [0, 1] for proportions.  With ``n == 0`` there is no
interval: ``(nan, nan)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from fr_eval.counting.special import betaincinv, gammaincinv

CI_METHODS = ("clopper-pearson", "wilson", "bootstrap")


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact Clopper-Pearson interval, from the beta distribution.

    >>> tuple(round(x, 3) for x in clopper_pearson(8, 42))
    (0.086, 0.341)
    """
    _check(k, n)
    if n == 0:
        return (math.nan, math.nan)
    alpha = 1.0 - confidence
    low = 0.0 if k == 0 else float(betaincinv(k, n - k + 1, alpha / 2))
    high = 1.0 if k == n else float(betaincinv(k + 1, n - k, 1 - alpha / 2))
    return (low, high)


def poisson_exact(k: int, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval of a rate of ``k`` events over an exposure of ``n`` units.

    For rates that are not proportions: false alerts per face processed can exceed one when a face raises
    alerts on several subjects.  Bounds are per unit of exposure and may exceed 1.

    >>> tuple(round(x, 5) for x in poisson_exact(7, 8600))
    (0.00033, 0.00168)
    """
    if k < 0 or n < 0:
        raise ValueError(f"a rate needs k >= 0 and n >= 0, got {k}/{n}")
    if n == 0:
        return (math.nan, math.nan)
    alpha = 1.0 - confidence
    # chi2.ppf(q, 2k) / 2 == gammaincinv(k, q)
    low = 0.0 if k == 0 else float(gammaincinv(k, alpha / 2))
    high = float(gammaincinv(k + 1, 1 - alpha / 2))
    return (low / n, high / n)


def wilson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval."""
    _check(k, n)
    if n == 0:
        return (math.nan, math.nan)
    from statistics import NormalDist

    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def cluster_bootstrap(numerators: Sequence[int], denominators: Sequence[int], *,
                      confidence: float = 0.95, n_boot: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap of sum(num)/sum(den), resampling clusters with replacement.

    ``numerators[i]`` and ``denominators[i]`` are the counts of cluster ``i``
    (one subject, camera or deployment).  The resampling is vectorised: one
    multinomial draw of cluster weights per replicate.
    """
    import numpy as np

    num = np.asarray(numerators, dtype=float)
    den = np.asarray(denominators, dtype=float)
    if num.shape != den.shape:
        raise ValueError("numerators and denominators differ in length")
    if den.sum() == 0:
        return (math.nan, math.nan)
    m = len(num)
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(m, np.full(m, 1.0 / m), size=n_boot)
    top = weights @ num
    bottom = weights @ den
    ok = bottom > 0
    ratios = top[ok] / bottom[ok]
    alpha = 1 - confidence
    low, high = np.quantile(ratios, [alpha / 2, 1 - alpha / 2])
    return (float(low), float(high))


def interval(k: int, n: int, method: str = "clopper-pearson", confidence: float = 0.95,
             clusters: tuple[Sequence[int], Sequence[int]] | None = None, seed: int = 0,
             n_boot: int = 2000) -> tuple[float, float]:
    """Dispatch to one of :data:`CI_METHODS`.

    ``bootstrap`` needs ``clusters=(numerators, denominators)``; without clusters
    it falls back to resampling single units, which is the ordinary bootstrap.
    """
    if method == "clopper-pearson":
        return clopper_pearson(k, n, confidence)
    if method == "wilson":
        return wilson(k, n, confidence)
    if method == "bootstrap":
        if clusters is None:
            clusters = ([1] * k + [0] * (n - k), [1] * n)
        return cluster_bootstrap(*clusters, confidence=confidence, seed=seed, n_boot=n_boot)
    raise ValueError(f"unknown interval method {method!r}; choose one of {', '.join(CI_METHODS)}")


def _check(k: int, n: int) -> None:
    if k < 0 or n < 0 or k > n:
        raise ValueError(f"a proportion needs 0 <= k <= n, got {k}/{n}")
