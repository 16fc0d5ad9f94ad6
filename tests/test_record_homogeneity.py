"""Are the deployments alike? The tests against scipy, exact enumeration, and the funnel limits by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from fr_eval.counting.funnel_plot import LEVELS, control_limit, funnel_plot
from fr_eval.counting.groups import difference_test
from fr_eval.counting.homogeneity import homogeneity, two_group_test
from fr_eval.counting.rates import Rate


def ids(n):
    return [f"d{i}" for i in range(n)]


# -- rates per unit (Poisson over exposures) ---------------------------------------------------------------------

def test_rate_chi_square_equals_scipy_goodness_of_fit():
    k, n = [30, 45, 12, 60], [10_000, 20_000, 6_000, 15_000]
    h = homogeneity("false_alert_rate", "rate", ids(4), k, n)
    expected = np.array(n) * sum(k) / sum(n)
    ref = stats.chisquare(k, f_exp=expected)
    assert h.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert h.p_value == pytest.approx(ref.pvalue, rel=1e-9) and h.p_value == h.p_asymptotic
    assert h.df == 3 and h.test.startswith("Pearson chi-square")


def test_two_deployments_rate_is_the_exact_conditional_binomial_test():
    h = homogeneity("false_alert_rate", "rate", ids(2), [7, 1], [8600, 12120])
    assert h.p_value == pytest.approx(stats.binomtest(7, 8, 8600 / 20720).pvalue, rel=1e-12)
    t = two_group_test("rate", 25, 491_246, 5, 1_863_630)
    assert t.p_value == pytest.approx(stats.binomtest(25, 30, 491_246 / (491_246 + 1_863_630)).pvalue, rel=1e-12)
    assert t.ratio == pytest.approx((5 / 1_863_630) / (25 / 491_246))


def _exact_multinomial_p(k, n):
    """P(X2 >= observed) by enumerating every split of sum(k) events (multinomial, p proportional to n)."""
    big_k, p = sum(k), np.array(n) / sum(n)
    e = big_k * p
    obs = float(((np.array(k) - e) ** 2 / e).sum())
    total = 0.0
    for split in itertools.product(range(big_k + 1), repeat=len(k) - 1):
        if sum(split) > big_k:
            continue
        x = np.array(list(split) + [big_k - sum(split)])
        if ((x - e) ** 2 / e).sum() >= obs - 1e-9:
            total += stats.multinomial.pmf(x, big_k, p)
    return total


def test_rate_monte_carlo_matches_exact_enumeration_when_counts_are_small():
    k, n = [0, 1, 4], [1000, 2000, 1500]
    h = homogeneity("false_alert_rate", "rate", ids(3), k, n, seed=3)
    exact = _exact_multinomial_p(k, n)
    se = math.sqrt(exact * (1 - exact) / h.replicates)
    assert h.replicates == 10_000 and "Monte Carlo" in h.test
    assert abs(h.p_value - exact) < 4 * se + 1 / h.replicates
    assert homogeneity("false_alert_rate", "rate", ids(3), k, n, seed=3) == h      # seeded: reproducible


def test_few_events_over_many_deployments_matches_exact_enumeration():
    k, n = [0, 2, 0, 1, 0], [4000, 1000, 3000, 2000, 5000]        # 3 events, 5 deployments: the sparse draws
    h = homogeneity("false_alert_rate", "rate", ids(5), k, n, seed=11)
    exact = _exact_multinomial_p(k, n)
    assert abs(h.p_value - exact) < 4 * math.sqrt(exact * (1 - exact) / h.replicates) + 1 / h.replicates


def test_many_deployments_few_events_uses_the_event_draws():
    rng = np.random.default_rng(0)
    n = rng.integers(500, 5000, 400)
    k = rng.poisson(n * 2e-4)
    h = homogeneity("false_alert_rate", "rate", ids(400), k, n, seed=0, replicates=2000)
    assert h.events < 400 and "Monte Carlo" in h.test
    assert 0.0 < h.p_value <= 1.0 and h.dispersion == pytest.approx(h.statistic / 399)


# -- shares of alerts (binomial) ---------------------------------------------------------------------------------

def test_share_chi_square_equals_scipy_contingency():
    k, n = [40, 55, 70, 30], [50, 60, 90, 45]
    h = homogeneity("precision", "proportion", ids(4), k, n)
    ref = stats.chi2_contingency(np.c_[k, np.array(n) - k], correction=False)
    assert h.statistic == pytest.approx(ref[0], rel=1e-12) and h.p_value == pytest.approx(ref[1], rel=1e-9)
    assert h.test.startswith("Pearson chi-square")
    g = difference_test({i: Rate.of("precision", a, b, "alert") for i, a, b in zip(ids(4), k, n, strict=True)})
    assert g.p_value == pytest.approx(h.p_value, rel=1e-9)         # the same test as the group breakdowns


def test_two_deployments_share_is_fisher():
    h = homogeneity("precision", "proportion", ids(2), [1, 10], [8, 11])
    assert h.p_value == pytest.approx(stats.fisher_exact([[1, 7], [10, 1]]).pvalue, rel=1e-12)
    t = two_group_test("proportion", 665, 690, 1408, 1413)
    assert t.p_value == pytest.approx(stats.fisher_exact([[665, 25], [1408, 5]]).pvalue, rel=1e-12)
    assert t.ratio == pytest.approx((1408 * 25) / (5 * 665))


def _exact_permutation_p(k, n):
    """P(X2 >= observed) over every way of spreading sum(k) successes (multivariate hypergeometric)."""
    big_k, big_n = sum(k), sum(n)

    def x2(x):
        e = np.array(n) * big_k / big_n
        return big_n ** 2 / (big_k * (big_n - big_k)) * float(((np.array(x) - e) ** 2 / np.array(n)).sum())

    obs, total = x2(k), 0.0
    for split in itertools.product(*[range(min(m, big_k) + 1) for m in n[:-1]]):
        last = big_k - sum(split)
        if 0 <= last <= n[-1]:
            x = list(split) + [last]
            if x2(x) >= obs - 1e-9:
                total += stats.multivariate_hypergeom.pmf(x, n, big_k)
    return total


def test_share_permutation_matches_exact_enumeration():
    k, n = [3, 6, 1], [4, 6, 5]
    h = homogeneity("precision", "proportion", ids(3), k, n, seed=5)
    exact = _exact_permutation_p(k, n)
    se = math.sqrt(exact * (1 - exact) / h.replicates)
    assert "permutations" in h.test and abs(h.p_value - exact) < 4 * se + 1 / h.replicates
    ref = stats.chi2_contingency(np.c_[k, np.array(n) - k], correction=False)
    assert h.statistic == pytest.approx(ref[0], rel=1e-12)


def test_no_events_needs_no_test_and_zero_denominators_are_listed():
    h = homogeneity("false_alert_rate", "rate", ["a", "b", "c"], [0, 0, 0], [100, 0, 300])
    assert h.p_value == 1.0 and h.test.startswith("none needed") and h.left_out == ("b",)
    assert homogeneity("precision", "proportion", ["a"], [1], [2]) is None


# -- funnel plot limits (Spiegelhalter 2005, appendix A.1), by hand --------------------------------------------

def _binom_cdf(r, n, p):
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(r + 1)) if r >= 0 else 0.0


def _poisson_cdf(r, mu):
    return sum(math.exp(-mu) * mu ** i / math.factorial(i) for i in range(r + 1)) if r >= 0 else 0.0


def _hand_limits(cdf, n, tail):
    """r = the quantile, a = (F(r) - q) / P(r); lower (r - a)/n at q = tail, upper (r + 1 - a)/n at q = 1 - tail."""
    out = []
    for q, plus in ((tail, 0), (1 - tail, 1)):
        r = 0
        while cdf(r) < q:
            r += 1
        a = (cdf(r) - q) / (cdf(r) - cdf(r - 1))
        out.append(max((r + plus - a) / n, 0.0))
    return tuple(out)


@pytest.mark.parametrize("n,p", [(100, 0.1), (40, 0.98), (250, 0.5), (7, 0.9)])
@pytest.mark.parametrize("level", sorted(LEVELS))
def test_binomial_limits_by_hand(n, p, level):
    tail = LEVELS[level]
    lo, hi = _hand_limits(lambda r: _binom_cdf(r, n, p), n, tail)
    assert control_limit("proportion", p, n, tail, "lower")[0] == pytest.approx(lo, abs=1e-12)
    assert control_limit("proportion", p, n, tail, "upper")[0] == pytest.approx(min(hi, 1.0), abs=1e-12)


def test_binomial_limit_worked_example():
    # n = 100, p = 0.1: F(15) = 0.96011, F(16) = 0.97940, so the 97.5% quantile is 16;
    # a = (0.97940 - 0.975) / 0.01929 = 0.2282 and the upper 95% limit is (16 + 1 - 0.2282) / 100 = 0.1677
    assert control_limit("proportion", 0.1, 100, 0.025, "upper")[0] == pytest.approx(0.16772, abs=5e-5)


@pytest.mark.parametrize("n,rate", [(10_000, 2.85e-6), (2_000, 1.74e-5), (50_000, 1e-4), (1_000_000, 2e-5)])
@pytest.mark.parametrize("level", sorted(LEVELS))
def test_poisson_limits_by_hand(n, rate, level):
    tail = LEVELS[level]
    lo, hi = _hand_limits(lambda r: _poisson_cdf(r, n * rate), n, tail)
    assert control_limit("rate", rate, n, tail, "lower")[0] == pytest.approx(lo, abs=1e-15)
    assert control_limit("rate", rate, n, tail, "upper")[0] == pytest.approx(hi, rel=1e-9)


def test_flags_agree_with_the_drawn_limits():
    rng = np.random.default_rng(1)
    n = rng.integers(200, 50_000, 300)
    k = rng.poisson(n * 3e-4 * rng.choice([0.3, 1, 1, 1, 4], 300))
    f = funnel_plot("false_alert_rate", "rate", "face", ids(300), k, n)
    assert f.target == pytest.approx(k.sum() / n.sum())
    for p in f.points:
        for level, tail in LEVELS.items():
            lo = control_limit("rate", f.target, p.denominator, tail, "lower")[0]
            hi = control_limit("rate", f.target, p.denominator, tail, "upper")[0]
            outside = p.value > hi or p.value < lo
            flagged = (p.outside == "99.8%") or (p.outside == "95%" and level == "95%")
            assert outside == flagged, (p, level, lo, hi)


def test_one_event_where_few_were_expected_is_not_an_outlier():
    # pooled 1 in 350,000 faces; a deployment of 10,000 faces with one false alert: P(Y >= 1) = 0.028
    f = funnel_plot("false_alert_rate", "rate", "face", ["big", "small"], [4, 1], [1_390_000, 10_000])
    small = next(p for p in f.points if p.id == "small")
    assert small.p_above == pytest.approx(1 - math.exp(-10_000 * 5 / 1_400_000))
    assert small.outside == ""                     # 0.035 > 0.025: inside the 95% limits
