"""Every counting method against hand-counted funnels; intervals against scipy; property tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from fr_eval.counting.funnel import Funnel
from fr_eval.errors import InputError
from fr_eval.counting.claims import parse_reported
from fr_eval.counting.methods import METHODS, compute, compute_all, markdown_table
from fr_eval.counting.rates import Bounds, Unavailable
from fr_eval.counting.rates import Rate

ROOT = Path(__file__).resolve().parents[1]

ESSEX = Funnel(alerts=42, operator_rejected=16, stop_attempted=26, lost=4, stopped=22, verified_correct=8,
               verified_incorrect=14)
FULL = Funnel(faces_processed=5, alerts=7, true_alerts=3, false_alerts=4, operator_rejected=2, stop_attempted=4,
              lost=1, stopped=3, verified_correct=1, verified_incorrect=1, unverified=1, watchlisted_passages=4,
              watchlisted_alerted=3, watchlisted_rank1=2, nonwatchlist_passages=5, nonwatchlist_alerted=1,
              watchlisted_subjects=3, watchlisted_subjects_alerted=2, frames_processed=37, watchlisted_frames=22,
              watchlisted_frames_alerted=15, nonwatchlist_frames=13, nonwatchlist_frames_alerted=4,
              plant_passages=2, plant_alerts=2)

HAND = {  # method -> (numerator, denominator) counted by hand from FULL
    "tpir": (3, 4), "fnir": (1, 4), "fnir_rank1": (2, 4), "tpir_per_subject": (2, 3), "fpir": (1, 5),
    "false_alert_rate": (4, 5), "precision": (3, 7), "false_alert_share": (4, 7), "verified_precision": (1, 7),
    "stopped_precision": (1, 3), "false_share": (6, 7), "verified_false_share": (1, 7), "precision_bounds": (1, 7),
    "tpir_per_frame": (15, 22), "fpir_per_frame": (4, 13), "false_alert_rate_per_frame": (4, 37),
}


def test_every_method_is_hand_counted():
    assert set(HAND) == set(METHODS)
    for mid, (k, n) in HAND.items():
        r = compute(mid, FULL)
        assert isinstance(r, Rate), mid
        assert (r.numerator, r.denominator) == (k, n), mid
        assert r.unit == METHODS[mid].unit
        assert r.extra["used_by"] and r.extra["label"] == METHODS[mid].label


def test_essex_numbers():
    r = {x.id: x for x in compute_all(ESSEX) if isinstance(x, Rate)}
    assert (r["verified_precision"].numerator, r["verified_precision"].denominator) == (8, 42)
    assert round(r["verified_precision"].value * 100, 1) == 19.0
    assert round(r["stopped_precision"].value * 100, 1) == 36.4
    assert (r["false_share"].numerator, round(r["false_share"].value * 100, 1)) == (34, 81.0)
    b = r["precision_bounds"]
    assert isinstance(b, Bounds) and [round(x * 100, 1) for x in b.bounds] == [19.0, 66.7]
    assert (b.high.numerator, b.high.denominator) == (28, 42)
    assert [round(x * 100, 1) for x in r["verified_precision"].ci95] == [8.6, 34.1]
    assert "Essex" in r["verified_precision"].extra["used_by"]


def test_tpir_falls_back_to_plants():
    r = compute("tpir", Funnel(plant_passages=10, plant_alerts=7))
    assert (r.numerator, r.denominator) == (7, 10)
    assert compute("tpir", Funnel(plant_passages=10, plant_alerts=7, watchlisted_passages=20,
                                  watchlisted_alerted=9)).denominator == 20


def test_missing_counts_are_named():
    r = compute("false_alert_rate", ESSEX)
    assert isinstance(r, Unavailable) and r.missing == ("false_alerts", "faces_processed")
    t = compute("tpir", ESSEX)
    assert "plant_alerts and plant_passages" in t.reason


def test_complements_share_counts():
    t, f = compute("tpir", FULL), compute("fnir", FULL)
    assert t.numerator + f.numerator == t.denominator == f.denominator
    assert f.ci95[0] == pytest.approx(1 - t.ci95[1]) and f.ci95[1] == pytest.approx(1 - t.ci95[0])


@pytest.mark.parametrize("k,n", [(0, 1), (1, 1), (8, 42), (34, 42), (7, 8600), (3, 4), (0, 50), (50, 50)])
def test_clopper_pearson_matches_scipy(k, n):
    r = compute("verified_precision", Funnel(alerts=n, verified_correct=k))
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    assert r.ci95[0] == pytest.approx(ci.low, abs=1e-9) and r.ci95[1] == pytest.approx(ci.high, abs=1e-9)


@pytest.mark.parametrize("k,n", [(1, 7), (8, 42), (20, 21)])
def test_wilson_matches_scipy(k, n):
    r = compute("verified_precision", Funnel(alerts=n, verified_correct=k), ci="wilson")
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert r.ci95 == pytest.approx((ci.low, ci.high), abs=1e-9)
    assert r.ci_method == "wilson"


def test_cluster_bootstrap_uses_clusters_and_is_reproducible():
    clusters = [Funnel(alerts=10, verified_correct=10), Funnel(alerts=10, verified_correct=0),
                Funnel(alerts=10, verified_correct=5), Funnel(alerts=12, verified_correct=1)]
    total = Funnel.total(clusters)
    assert (total.alerts, total.verified_correct) == (42, 16)
    a = compute("verified_precision", total, ci="bootstrap", clusters=clusters, seed=3)
    b = compute("verified_precision", total, ci="bootstrap", clusters=clusters, seed=3)
    assert a.ci95 == b.ci95 and a.extra["n_clusters"] == 4
    assert a.ci95[0] <= a.value <= a.ci95[1]
    # clustered resampling is wider than treating 42 alerts as independent
    cp = compute("verified_precision", total)
    assert a.ci95[1] - a.ci95[0] > cp.ci95[1] - cp.ci95[0]


def test_unknown_interval_method_is_an_input_error():
    with pytest.raises(InputError):
        compute("precision", FULL, ci="jeffreys")


@pytest.mark.parametrize("text,value,matches,no", [
    ("19%", 0.19, 8 / 42, 9 / 42), ("36%", 0.36, 8 / 22, 7 / 22), ("81%", 0.81, 34 / 42, 35 / 42),
    (0.19, 0.19, 8 / 42, 0.2), ("0.08%", 0.0008, 7 / 8600, 8 / 8600), ("1 in 1,000", 0.001, 7 / 8600, 7 / 3000),
    ("one in 1000", 0.001, 1 / 1049, 1 / 1600), ("87.5%", 0.875, 7 / 8, 6 / 7)])
def test_reported_figures(text, value, matches, no):
    rep = parse_reported(text)
    assert rep.value == pytest.approx(value)
    assert rep.matches(matches) and not rep.matches(no)


def test_45_percent_is_not_9_of_19():
    assert not parse_reported("45%").matches(9 / 19)


@pytest.mark.parametrize("bad", ["about a fifth", "120%", 1.5, True, "1 in 0"])
def test_unreadable_reported_figures(bad):
    with pytest.raises(InputError):
        parse_reported(bad)


@st.composite
def funnels(draw):
    """Consistent funnels, drawn stage by stage."""
    n = st.integers(0, 200)
    alerts = draw(n)
    true = draw(st.integers(0, alerts))
    rejected = draw(st.integers(0, alerts))
    attempted = draw(st.integers(0, alerts - rejected))
    stopped = draw(st.integers(0, attempted))
    correct = draw(st.integers(0, stopped))
    incorrect = draw(st.integers(0, stopped - correct))
    faces = draw(st.integers(alerts - true, 10 ** 6))
    wp = draw(n)
    nw = draw(n)
    wf = draw(st.integers(0, 1000))
    nwf = draw(st.integers(0, 1000))
    return Funnel(alerts=alerts, true_alerts=true, false_alerts=alerts - true, operator_rejected=rejected,
                  stop_attempted=attempted, stopped=stopped, lost=attempted - stopped, verified_correct=correct,
                  verified_incorrect=incorrect, faces_processed=faces, watchlisted_passages=wp,
                  watchlisted_alerted=draw(st.integers(0, wp)), nonwatchlist_passages=nw,
                  nonwatchlist_alerted=draw(st.integers(0, nw)), watchlisted_frames=wf,
                  watchlisted_frames_alerted=draw(st.integers(0, wf)), nonwatchlist_frames=nwf,
                  nonwatchlist_frames_alerted=draw(st.integers(0, nwf)),
                  frames_processed=wf + nwf + max(0, alerts - true - wf - nwf) + draw(st.integers(0, 100)))


@settings(max_examples=200, deadline=None)
@given(funnels())
def test_numerators_never_exceed_denominators(f):
    from fr_eval.counting.funnel import check_funnel

    check_funnel(f)
    for r in compute_all(f):
        if isinstance(r, Rate):
            assert 0 <= r.numerator <= r.denominator, r.id
            if r.denominator:
                lo, hi = r.ci95
                if METHODS[r.id].kind == "rate":        # events per unit: Poisson bounds may pass 1
                    assert 0 <= lo <= r.value <= hi and r.ci_method == "poisson-exact", r.id
                else:
                    assert 0 <= lo <= r.value <= hi <= 1, r.id


def test_docs_quote_every_definition_verbatim():
    doc = (ROOT / "docs" / "methods.md").read_text()
    for m in METHODS.values():
        assert m.definition in doc, f"docs/methods.md does not quote the definition of {m.id}"
    assert markdown_table() in doc, "regenerate the table: python -m fr_eval.counting.methods --markdown"


def test_shared_bootstrap_equals_intervals_cluster_bootstrap():
    from fr_eval.counting.intervals import cluster_bootstrap
    from fr_eval.counting.methods import cluster_intervals

    clusters = [Funnel(alerts=a, verified_correct=c, verified_incorrect=i)
                for a, c, i in [(10, 3, 2), (4, 0, 4), (7, 7, 0), (12, 2, 5), (1, 0, 0), (9, 4, 1)]]
    got = cluster_intervals([METHODS["verified_precision"], METHODS["precision_bounds"]], clusters, seed=5, batch=7)
    want = cluster_bootstrap([c.verified_correct for c in clusters], [c.alerts for c in clusters], seed=5)
    assert got["verified_precision"] == pytest.approx(want, abs=1e-12)
    upper = cluster_bootstrap([c.alerts - c.verified_incorrect for c in clusters], [c.alerts for c in clusters], seed=5)
    assert got["precision_bounds:upper"] == pytest.approx(upper, abs=1e-12)
    r = compute("precision_bounds", Funnel.total(clusters), ci="bootstrap", clusters=clusters, seed=5)
    assert r.ci95 == pytest.approx((want[0], upper[1]))


def test_false_alert_rate_with_truth_counts_only_non_watchlist_faces():
    f = Funnel(alerts=7, false_alerts=4, nonwatchlist_false_alerts=2, faces_processed=6)
    r = compute("false_alert_rate", f)
    assert (r.numerator, r.denominator) == (2, 6) and r.one_in == 3
    assert (compute("false_alert_rate", Funnel(false_alerts=7, faces_processed=8600)).numerator) == 7


def test_false_alert_rate_is_a_rate_with_a_poisson_interval():
    from scipy import stats as sps

    from fr_eval.counting.funnel import Funnel

    r = compute("false_alert_rate", Funnel(false_alerts=12, faces_processed=5))
    assert (r.numerator, r.denominator, r.ci_method) == (12, 5, "poisson-exact")
    assert r.ci95[0] == pytest.approx(sps.chi2.ppf(0.025, 24) / 2 / 5)
    assert r.ci95[1] == pytest.approx(sps.chi2.ppf(0.975, 26) / 2 / 5)
    met = compute("false_alert_rate", Funnel(false_alerts=7, faces_processed=8600))
    assert met.ci95[0] < 7 / 8600 < met.ci95[1]
