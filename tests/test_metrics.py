"""Verification and identification metrics: drawn fixtures, slow oracles, FTA conventions, intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fr_eval.errors import InputError
from fr_eval.inputs.scorelists import ScoreList, searches_from
from fr_eval.thresholds import identification as ident
from fr_eval.thresholds.metrics import (
    Comparisons,
    auc,
    det_curve,
    eer,
    fmr_at_fnmr,
    fnmr_at_fmr,
    min_hter,
    proportion,
    rates_at,
    rocch_eer,
)

# A drawn fixture: scores on a line, G genuine, I impostor, x a failure to acquire (no score).
#
#   0.1   0.2   0.3   0.6   0.7   0.8   0.9      x      x
#    I     I     I     G     I     G     G       G      I
GEN = [0.6, 0.8, 0.9, np.nan]
IMP = [0.1, 0.2, 0.3, 0.7, np.nan]


def comparisons(gen=GEN, imp=IMP, **kw) -> Comparisons:
    s = np.r_[np.asarray(gen, float), np.asarray(imp, float)]
    return Comparisons.from_arrays(s, np.r_[np.ones(len(gen), bool), np.zeros(len(imp), bool)], **kw)


def test_rates_at_a_threshold_under_both_fta_conventions():
    r = rates_at(comparisons(fta="count"), 0.65)       # accepted: 0.7 (I), 0.8, 0.9 (G)
    assert (r.fmr.id, r.fmr.numerator, r.fmr.denominator) == ("far", 1, 5)      # failed impostor: never a match
    assert (r.fnmr.id, r.fnmr.numerator, r.fnmr.denominator) == ("frr", 2, 4)   # 0.6 and the failed genuine
    assert (r.fta.genuine, r.fta.impostor, r.fta.convention) == (1, 1, "count")
    assert (r.fta.rate.numerator, r.fta.rate.denominator) == (2, 9)
    r = rates_at(comparisons(fta="exclude"), 0.65)
    assert (r.fmr.id, r.fmr.numerator, r.fmr.denominator) == ("fmr", 1, 4)
    assert (r.fnmr.numerator, r.fnmr.denominator) == (1, 3)
    r = rates_at(comparisons(fta="exclude"), 0.7)       # the threshold itself accepts: score >= threshold
    assert r.fmr.numerator == 1 and r.fnmr.numerator == 1


def test_operating_points_on_the_drawn_fixture():
    cs = comparisons(fta="exclude")
    op = fnmr_at_fmr(cs, 0.25)                          # 0.7 alone: FMR 1/4 <= 0.25
    assert op.threshold == 0.7 and op.fmr.numerator == 1 and op.fnmr.numerator == 1 and not op.beyond_scores
    op = fnmr_at_fmr(cs, 0.2)                           # no impostor score gives FMR <= 0.2 but 0
    assert op.beyond_scores and op.threshold == np.nextafter(0.7, 1) and op.fmr.numerator == 0
    assert "np.nextafter" in op.note
    op = fmr_at_fnmr(cs, 1 / 3)                         # highest threshold with FNMR <= 1/3: 0.8
    assert op.threshold == 0.8 and op.fnmr.numerator == 1 and op.fmr.numerator == 0
    op = fmr_at_fnmr(comparisons(fta="count"), 0.2)     # the failed genuine alone is 1/4 > 0.2
    assert not op.met and "failures to acquire alone" in op.note


def test_curve_on_the_drawn_fixture():
    c = det_curve(comparisons(fta="count"))
    assert c.thresholds.tolist() == [np.inf, 0.9, 0.8, 0.7, 0.6, 0.3, 0.2, 0.1]
    assert c.fm.tolist() == [0, 0, 0, 1, 1, 2, 3, 4]
    assert c.fnm.tolist() == [4, 3, 2, 2, 1, 1, 1, 1]    # the failed genuine is rejected at every threshold
    assert c.n_genuine == 4 and c.n_impostor == 5 and c.fmr[-1] == 4 / 5


def test_auc_equals_pair_counting_with_ties_half():
    cs = comparisons([0.5, 0.7, 0.7, np.nan], [0.7, 0.2, 0.5])
    a = auc(cs, n_boot=0)
    # pairs (g, i): 0.5>0.2, 0.5=0.5 (1/2), 0.7=0.7 (1/2) x2, 0.7>0.2 x2, 0.7>0.5 x2 -> 1 + .5 + 1 + 2 + 2 = 6.5
    assert (a.u_statistic, a.pairs) == (6.5, 9) and a.value == 6.5 / 9 and a.fta.genuine == 1


# -- slow oracles ------------------------------------------------------------------------------------

def bob_minimizing_threshold(neg, pos, criterion):
    """bob.measure 6.1 ``_minimizing_threshold`` as written (a literal port, for the test only)."""
    neg, pos = np.sort(neg), np.sort(pos)

    def crit(far, frr):
        return abs(far - frr) if criterion == "eer" else 0.5 * far + 0.5 * frr

    min_pred, min_thr = 1e8, 1e8
    far, frr = 1.0, 0.0
    fd, fi = 1.0 / len(neg), 1.0 / len(pos)
    p = n = 0
    cur = min(neg[0], pos[0])
    while p < len(pos) and n < len(neg):
        pred = crit(far, frr)
        if pred <= min_pred:
            min_pred, min_thr = pred, cur
        if pos[p] >= neg[n]:
            cur = neg[n]
            n += 1
            far -= fd
        else:
            cur = pos[p]
            p += 1
            frr += fi
        while n < len(neg) and cur == neg[n]:
            n += 1
            far -= fd
        while p < len(pos) and cur == pos[p]:
            p += 1
            frr += fi
        if n < len(neg) or p < len(pos):
            if n < len(neg) and p < len(pos):
                cur += min(neg[n], pos[p])
            elif n < len(neg):
                cur += neg[n]
            else:
                cur += pos[p]
            cur /= 2
    pred = crit(far, frr)
    if pred < min_pred:
        min_pred, min_thr = pred, cur
    return min_thr


def bob_far_threshold(neg, far_value):
    """bob.measure 6.1 ``far_threshold`` as written."""
    s = np.sort(neg)[::-1]
    if far_value >= 1 - np.finfo(float).eps:
        return np.nextafter(s[-1], s[-1] - 1)
    valid = np.nextafter(s[0], s[0] + 1)
    i = 0
    while i < len(s):
        cur = s[i]
        while i < len(s) - 1 and s[i + 1] == cur:
            i += 1
        if (i + 1) / len(s) > far_value:
            break
        valid = cur
        i += 1
    return valid


scores = st.lists(st.integers(0, 12).map(lambda k: k / 4), min_size=2, max_size=40)   # small grid: many ties


@settings(max_examples=150, deadline=None)
@given(scores, scores, st.floats(0, 1))
def test_eer_min_hter_and_far_threshold_match_bobs_own_loops(neg, pos, target):
    cs = comparisons(pos, neg, fta="exclude")
    for crit, fn in (("eer", eer), ("min-hter", min_hter)):
        want = bob_minimizing_threshold(np.array(neg), np.array(pos), crit)
        got = fn(cs, n_boot=0)
        # bob accumulates FAR/FRR by repeated float subtraction; where that drift breaks a tie (or makes its
        # last state look better than it is) fr-eval's exact comparison may pick another threshold: never a
        # worse one, recounted exactly
        if got.threshold != want:
            r = rates_at(cs, want)
            f = (lambda a, b: abs(a - b)) if crit == "eer" else (lambda a, b: a + b)
            assert f(got.fmr.value, got.fnmr.value) <= f(r.fmr.value, r.fnmr.value) + 1e-12
    if not 1 - np.finfo(float).eps <= target < 1:      # bob returns FMR 1 there, above the target
        assert fnmr_at_fmr(cs, target, n_boot=0).threshold == bob_far_threshold(np.array(neg), target)


@settings(max_examples=150, deadline=None)
@given(scores, scores, st.floats(0, 1))
def test_operating_points_are_at_most_the_target_and_tightest(neg, pos, target):
    cs = comparisons(pos, neg, fta="exclude")
    op = fnmr_at_fmr(cs, target, n_boot=0)
    assert op.fmr.value <= target
    lower = cs.impostor[cs.impostor < op.threshold]     # the next impostor score down would exceed the target
    if len(lower) and not target >= 1 - 1e-15:
        assert rates_at(cs, lower.max()).fmr.value > target
    op = fmr_at_fnmr(cs, target, n_boot=0)
    assert op.fnmr.value <= target
    higher = cs.genuine[cs.genuine > op.threshold]       # the next genuine score up would exceed it
    if len(higher):
        assert rates_at(cs, higher.min()).fnmr.value > target


@settings(max_examples=100, deadline=None)
@given(scores, scores)
def test_rocch_eer_against_the_dual_formula(neg, pos):
    """ROCCH-EER = max over w of min over ROC points of w*FNMR + (1-w)*FMR (the hull's crossing of FMR = FNMR)."""
    assume(len(set(neg) | set(pos)) > 1)
    cs = comparisons(pos, neg, fta="exclude")
    c = det_curve(cs)
    w = np.linspace(0, 1, 20001)[:, None]
    brute = float(np.max(np.min(w * c.fnmr[None, :] + (1 - w) * c.fmr[None, :], axis=1)))
    r = rocch_eer(cs, n_boot=0)
    assert abs(r.value - brute) < 1e-4
    assert np.all(np.diff(r.hull_fmr) <= 0) and np.all(np.diff(r.hull_fnmr) >= 0)


# -- intervals -----------------------------------------------------------------------------------------

def test_bootstrap_intervals_are_seeded_and_named():
    rng = np.random.default_rng(3)
    cs = comparisons(rng.normal(1, 1, 300), rng.normal(-1, 1, 400), fta="exclude")
    a, b, c = (eer(cs, seed=s, n_boot=200) for s in (7, 7, 8))
    assert a.estimate.ci95 == b.estimate.ci95 != c.estimate.ci95
    assert a.estimate.seed == 7 and a.estimate.n_boot == 200 and "within each class" in a.estimate.ci_method
    lo, hi = a.estimate.ci95
    assert lo < a.value < hi and hi - lo < 0.1
    none = eer(cs, n_boot=0).estimate
    assert none.ci_method == "none" and all(math.isnan(x) for x in none.ci95)   # no interval asked for


def test_cluster_bootstrap_needs_labels_and_resamples_clusters():
    with pytest.raises(InputError, match="who is who"):
        rates_at(comparisons(fta="exclude"), 0.5, ci="bootstrap")
    rng = np.random.default_rng(0)
    n = 400
    subject = np.repeat(np.arange(20), n // 20)
    effect = rng.normal(0, 2, 20)[subject]                 # strong per-person effect: clustered data
    genuine = rng.random(n) < 0.5
    score = np.where(genuine, 1.0, -1.0) + effect + rng.normal(0, 0.3, n)
    sl = ScoreList(score=score, genuine=genuine, format="csv", paths=("x",), sha256=("-",),
                   subject=subject.astype(str).astype(object))
    plain = Comparisons.from_scorelist(sl, fta="exclude")
    clustered = Comparisons.from_scorelist(sl, fta="exclude", cluster_by="subject")
    cp = rates_at(plain, 0.0).fmr
    boot = rates_at(clustered, 0.0, ci="bootstrap", seed=5).fmr
    assert (cp.numerator, cp.denominator) == (boot.numerator, boot.denominator)
    assert boot.extra["seed"] == 5 and "20 clusters" in boot.ci_method
    assert boot.ci95[1] - boot.ci95[0] > cp.ci95[1] - cp.ci95[0]   # clustering widens the interval


def test_proportion_to_dict_and_format():
    p = proportion("fmr", 3, 1000, "comparison")
    d = p.to_dict()
    assert d["numerator"] == 3 and d["denominator"] == 1000 and d["value"] == 0.003 and d["unit"] == "comparison"
    assert p.format().startswith("3/1,000 = 0.30% [") and p.format().endswith("(1 in 333) per comparison")
    assert proportion("x", 0, 0, "search").format() == "0/0 (undefined) per search"


def test_bad_arguments_are_input_errors():
    with pytest.raises(InputError, match="not a proportion"):
        fnmr_at_fmr(comparisons(), 1.5)
    with pytest.raises(InputError, match="count or exclude"):
        comparisons(fta="drop")
    with pytest.raises(InputError, match="no impostor comparison has a score"):
        comparisons(imp=[np.nan])
    with pytest.raises(InputError, match="infinite"):
        comparisons(gen=[np.inf, 0.5])
    with pytest.raises(InputError, match="not a number"):
        rates_at(comparisons(), np.nan)


# -- identification ---------------------------------------------------------------------------------

def openset(rows, **kw):
    """rows: (probe, mated, candidate, score, true_subject); score None = failure to acquire."""
    sl = ScoreList(score=np.array([np.nan if r[3] is None else r[3] for r in rows]),
                   genuine=np.array([r[1] and r[2] == r[4] for r in rows]), format="openset", paths=("x",),
                   sha256=("-",), subject=np.array([r[2] for r in rows], dtype=object),
                   probe=np.array([r[0] for r in rows], dtype=object),
                   true_subject=np.array([r[4] for r in rows], dtype=object), mated=np.array([r[1] for r in rows]))
    from fr_eval.inputs.scorelists import _with_searches

    return ident.OpenSet.from_searches(_with_searches(sl, lambda r: f"row {r}").searches, **kw)


ROWS = [("m1", True, "a", 0.9, "a"), ("m1", True, "b", 0.5, "a"),      # mate at rank 1, 0.9
        ("m2", True, "c", 0.8, "b"), ("m2", True, "b", 0.6, "b"),      # mate at rank 2, 0.6
        ("m3", True, "c", 0.3, "z"),                                    # mate not returned
        ("m4", True, "", None, "d"),                                    # failed to acquire
        ("n1", False, "a", 0.7, "q"), ("n1", False, "b", 0.2, "q"),    # best 0.7
        ("n2", False, "c", 0.4, "r"),                                   # best 0.4
        ("n3", False, "", None, "s")]                                   # failed to acquire


def test_fnir_fpir_dir_cmc_on_a_drawn_list():
    os_ = openset(ROWS)
    r = ident.identification_rates(os_, 0.55)
    assert (r.fnir.numerator, r.fnir.denominator) == (2, 4)        # m3 (not returned), m4 (failed)
    assert (r.fpir.numerator, r.fpir.denominator) == (1, 3)        # n1 alerts; n3 failed, counted
    r1 = ident.identification_rates(os_, 0.55, rank=1)
    assert r1.fnir.numerator == 3                                   # m2's mate is at rank 2
    assert r1.fnir.id == "fnir@rank1" and r.fnir.unit == "search"
    assert [p.numerator for p in ident.dir_at_ranks(os_, 0.55).points] == [1, 2]
    assert [p.numerator for p in ident.cmc(os_).points] == [1, 2] and ident.cmc(os_).points[0].denominator == 4
    ex = openset(ROWS, fta="exclude")
    assert ident.fnir(ex, 0.55).denominator == 3 and ident.fpir(ex, 0.55).denominator == 2
    assert (ex.fta().mated, ex.fta().nonmated, ex.fta().convention) == (1, 1, "exclude")


def test_fnir_at_fpir_uses_the_at_most_rule():
    os_ = openset(ROWS)
    p = ident.fnir_at_fpir(os_, 1 / 3)        # lowest non-mated best score with FPIR <= 1/3: 0.7
    assert p.threshold == 0.7 and p.fpir.numerator == 1 and p.fnir.numerator == 3 and not p.beyond_scores
    p = ident.fnir_at_fpir(os_, 0.1)
    assert p.beyond_scores and p.threshold == np.nextafter(0.7, 1) and p.fpir.numerator == 0


def test_identification_needs_searches_of_both_kinds():
    with pytest.raises(InputError, match="needs mated searches"):
        ident.cmc(openset([r for r in ROWS if not r[1]]))
    sl = ScoreList(score=np.array([0.5]), genuine=np.array([True]), format="pyeer", paths=("g", "i"), sha256=("", ""))
    with pytest.raises(InputError, match="probe and subject labels"):
        searches_from(sl)


def test_bootstrap_replicates_centre_on_the_estimates_with_counted_failures():
    """Replicates recompute EER, ROCCH-EER and AUC (failures resampled too); their medians sit on the point values."""
    rng = np.random.default_rng(11)
    gen = np.r_[rng.normal(1.5, 1, 400), [np.nan] * 20]
    imp = np.r_[rng.normal(-1, 1, 600), [np.nan] * 10]
    cs = comparisons(gen, imp, fta="count")
    from fr_eval.thresholds.curves import _bootstrap

    reps = _bootstrap(cs, "clopper-pearson", 0, 300)
    for name, point in (("eer", eer(cs, n_boot=0).value), ("rocch_eer", rocch_eer(cs, n_boot=0).value),
                        ("auc", auc(cs, n_boot=0).value)):
        assert len(reps[name]) == 300
        assert abs(float(np.median(reps[name])) - point) < 0.01, name
    lo, hi = eer(cs, n_boot=300).estimate.ci95
    assert lo < eer(cs, n_boot=0).value < hi


def test_hull_ignores_repeated_points():
    """A resample leaves some scores with no weight: their points repeat a neighbour and must not hide a corner."""
    from fr_eval.thresholds.curves import _hull

    c = det_curve(comparisons(fta="exclude"))
    x, y = c.fmr, c.fnmr
    rep = np.repeat(np.arange(len(x)), 2)                   # every point twice
    for a, b in zip(_hull(x, y), _hull(x[rep], y[rep]), strict=True):
        assert np.array_equal(a, b)
    assert _hull(x, y)[0].tolist() == [1.0, 0.25, 0.0, 0.0]


def test_cluster_bootstrap_does_not_depend_on_the_order_of_rows():
    rng = np.random.default_rng(11)
    n = 400
    scores = np.r_[rng.normal(1, 1, n // 4), rng.normal(0, 1, 3 * n // 4)]
    genuine = np.r_[np.ones(n // 4, bool), np.zeros(3 * n // 4, bool)]
    labels = np.array([f"s{i % 37}" for i in range(n)], dtype=object)
    perm = rng.permutation(n)
    a = Comparisons.from_arrays(scores, genuine, labels=labels, cluster_by="subject")
    b = Comparisons.from_arrays(scores[perm], genuine[perm], labels=labels[perm], cluster_by="subject")
    ra, rb = rates_at(a, 0.5, ci="bootstrap", seed=3), rates_at(b, 0.5, ci="bootstrap", seed=3)
    assert ra.fmr.ci95 == rb.fmr.ci95 and ra.fnmr.ci95 == rb.fnmr.ci95
    assert eer(a, ci="bootstrap", seed=3, n_boot=50).estimate.ci95 == eer(b, ci="bootstrap", seed=3,
                                                                           n_boot=50).estimate.ci95
