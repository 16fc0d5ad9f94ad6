"""Are the deployments alike?  Tests that one rate holds in every deployment (or in two groups of them).

Rates per unit (``kind="rate"`` in :data:`fr_eval.counting.methods.METHODS`, e.g. false alerts per face) are
Poisson counts over exposures.  Given their total ``K``, the counts are multinomial with probabilities
proportional to the exposures (``n_i / N``) when the rate is the same everywhere.  The test is Pearson's
goodness-of-fit statistic ``X2 = sum((k_i - e_i)^2 / e_i)``, ``e_i = K n_i / N``, with

* two deployments (or groups): the exact conditional test -- a binomial test of ``k_1`` given ``k_1 + k_2``
  with ``p = n_1 / (n_1 + n_2)``;
* more, with every expected count at least 5: the chi-square distribution on ``G - 1`` degrees of freedom;
* more, with any expected count under 5: the exact conditional distribution, sampled -- ``X2`` of multinomial
  draws of ``K`` events over the deployments (Monte Carlo p-value ``(1 + #{X2* >= X2}) / (1 + B)``, seeded).

Shares of alerts (``kind="proportion"``) are binomial: the 2 x G table (numerator, denominator - numerator)
is tested with Fisher's exact test for two groups, Pearson's chi-square when every expected cell is at least 5,
and otherwise a permutation test of the same statistic (the numerators redistributed over the deployments
with the margins fixed: multivariate hypergeometric draws).  This is the test of
:func:`fr_eval.counting.groups.difference_test`, vectorised so that ten thousand deployments take a second.

The Pearson chi-square and its asymptotic p-value are always reported, with the dispersion ``X2 / df``
(about 1 when the deployments differ only by chance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats as sps

#: Monte Carlo draws: at most this many, and fewer for very many deployments (draws x deployments <= CELLS)
REPLICATES = 10_000
MIN_REPLICATES = 1_000
CELLS = 20_000_000
SMALL_EXPECTED = 5.0


@dataclass(frozen=True)
class Homogeneity:
    """One test of "the same rate in every deployment"."""

    method: str
    kind: str                      # "rate" (Poisson over exposures) or "proportion" (binomial)
    deployments: int               # in the test (those with a non-zero denominator)
    events: int                    # total numerator K
    exposure: int                  # total denominator N
    test: str                      # the test whose p-value is reported
    p_value: float | None
    statistic: float | None        # Pearson chi-square
    df: int | None
    p_asymptotic: float | None     # chi-square distribution
    dispersion: float | None       # X2 / df
    replicates: int = 0
    seed: int | None = None
    left_out: tuple[str, ...] = ()  # deployments with a zero denominator
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["left_out"] = list(self.left_out)
        return d


@dataclass(frozen=True)
class TwoGroupTest:
    """The test of a difference between two pooled rates (e.g. before and after a change of threshold)."""

    test: str
    p_value: float
    #: rate ratio (group 2 over group 1) for rates, odds ratio for shares; None when undefined
    ratio: float | None
    ratio_name: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def homogeneity(method: str, kind: str, ids: Sequence[str], numerators: Sequence[int],
                denominators: Sequence[int], *, seed: int = 0, replicates: int = REPLICATES) -> Homogeneity | None:
    """Test that ``numerators[i] / denominators[i]`` share one rate; None with fewer than two deployments."""
    k = np.asarray(numerators, dtype=np.int64)
    n = np.asarray(denominators, dtype=np.int64)
    keep = n > 0
    left_out = tuple(i for i, ok in zip(ids, keep, strict=True) if not ok)
    k, n = k[keep], n[keep]
    g = len(k)
    if g < 2:
        return None
    big_k, big_n = int(k.sum()), int(n.sum())
    base: dict[str, Any] = dict(method=method, kind=kind, deployments=g, events=big_k, exposure=big_n,
                                left_out=left_out)
    if big_k == 0 or (kind == "proportion" and big_k == big_n):
        what = "no events in any deployment" if big_k == 0 else "every unit counted in every deployment"
        return Homogeneity(**base, test=f"none needed: {what}", p_value=1.0, statistic=0.0, df=g - 1,
                           p_asymptotic=1.0, dispersion=0.0)
    stat, expected_min = (_rate_stat(k, n) if kind == "rate" else _share_stat(k, n))
    df = g - 1
    p_asym = float(sps.chi2.sf(stat, df))
    extra: dict[str, Any] = {}
    if g == 2:
        t = two_group_test(kind, int(k[0]), int(n[0]), int(k[1]), int(n[1]))
        test, p = t.test, t.p_value
    elif expected_min >= SMALL_EXPECTED:
        test, p = f"Pearson chi-square (every expected count >= {SMALL_EXPECTED:g})", p_asym
    else:
        b = int(min(replicates, max(MIN_REPLICATES, CELLS // g)))
        rng = np.random.default_rng(seed)
        sims = _simulate_rates(k, n, b, rng) if kind == "rate" else _simulate_shares(k, n, b, rng)
        p = float((1 + np.count_nonzero(sims >= stat * (1 - 1e-12))) / (b + 1))
        what = "multinomial draws of the events" if kind == "rate" else "permutations of the outcomes"
        test = (f"exact conditional test, Monte Carlo ({b:,} {what}, seed {seed}) of Pearson's chi-square "
                f"(some expected counts < {SMALL_EXPECTED:g})")
        extra = {"replicates": b, "seed": seed}
    return Homogeneity(**base, test=test, p_value=p, statistic=float(stat), df=df, p_asymptotic=p_asym,
                       dispersion=float(stat) / df, **extra)


def _rate_stat(k: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    e = k.sum() * n / n.sum()
    return float(((k - e) ** 2 / e).sum()), float(e.min())


def _share_stat(k: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    big_k, big_n = k.sum(), n.sum()
    e = n * big_k / big_n
    # X2 of the 2 x G table: sum over both rows = N^2 / (K (N - K)) * sum((k - e)^2 / n)
    stat = big_n ** 2 / (big_k * (big_n - big_k)) * float(((k - e) ** 2 / n).sum())
    return float(stat), float(min(e.min(), (n - e).min()))


def _simulate_rates(k: np.ndarray, n: np.ndarray, b: int, rng: np.random.Generator) -> np.ndarray:
    """Pearson X2 of ``b`` multinomial draws of sum(k) events with probabilities n / N."""
    big_k, g = int(k.sum()), len(k)
    p = n / n.sum()
    e = big_k * p
    out = []
    if big_k <= g:
        # few events: draw each event's deployment, and sum x^2 / e over the deployments that got any
        c = np.cumsum(p)
        batch = max(1, min(b, 4_000_000 // big_k))
        for start in range(0, b, batch):
            m = min(batch, b - start)
            idx = np.minimum(np.searchsorted(c, rng.random((m, big_k)) * c[-1], side="right"), g - 1)
            cells, x = np.unique((idx + (np.arange(m) * g)[:, None]).ravel(), return_counts=True)
            out.append(np.bincount(cells // g, weights=x * x / e[cells % g], minlength=m) - big_k)
        return np.concatenate(out)
    batch = max(1, min(b, 4_000_000 // g))
    for start in range(0, b, batch):
        m = min(batch, b - start)
        x = rng.multinomial(big_k, p, size=m)
        out.append((x * x / e).sum(axis=1) - big_k)     # sum((x - e)^2 / e) with sum(x) = sum(e) = K
    return np.concatenate(out)


def _simulate_shares(k: np.ndarray, n: np.ndarray, b: int, rng: np.random.Generator) -> np.ndarray:
    """Pearson X2 of ``b`` permutations: sum(k) successes spread over the deployments, margins fixed."""
    big_k, big_n, g = int(k.sum()), int(n.sum()), len(k)
    e = n * big_k / big_n
    scale = big_n ** 2 / (big_k * (big_n - big_k))
    batch = max(1, min(b, 4_000_000 // max(g, 1)))
    method = "count" if big_n <= 10_000_000 else "marginals"
    out = []
    for start in range(0, b, batch):
        m = min(batch, b - start)
        x = rng.multivariate_hypergeometric(n, big_k, size=m, method=method)  # type: ignore[arg-type]
        out.append(scale * ((x - e) ** 2 / n).sum(axis=1))
    return np.concatenate(out)


def two_group_test(kind: str, k1: int, n1: int, k2: int, n2: int) -> TwoGroupTest:
    """Is the rate of group 2 the rate of group 1?

    ``kind="rate"``: the exact conditional Poisson test -- a two-sided binomial test of ``k1`` given
    ``k1 + k2`` with ``p = n1 / (n1 + n2)`` (``scipy.stats.binomtest``).  ``kind="proportion"``: Fisher's
    exact test of the 2 x 2 table (``scipy.stats.fisher_exact``).
    """
    if kind == "rate":
        if k1 + k2 == 0:
            return TwoGroupTest("none needed: no events in either group", 1.0, None, "rate ratio")
        p = float(sps.binomtest(k1, k1 + k2, n1 / (n1 + n2)).pvalue)
        ratio = (k2 / n2) / (k1 / n1) if k1 and n2 else None
        return TwoGroupTest("exact conditional Poisson test (binomial test of k1 given k1 + k2, "
                            "p = n1 / (n1 + n2))", min(1.0, p), ratio, "rate ratio")
    res = sps.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]])
    top, bottom = k2 * (n1 - k1), (n2 - k2) * k1
    return TwoGroupTest("Fisher's exact test", float(res.pvalue), top / bottom if bottom else None, "odds ratio")
