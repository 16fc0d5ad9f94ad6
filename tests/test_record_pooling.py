"""Pooling: sums of counts (never averages of rates), what each deployment contributed, what it lacked."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from recordutil import FAR, PRECISION, write_record

from fr_eval.counting.funnel import Funnel
from fr_eval.counting.intervals import clopper_pearson, poisson_exact
from fr_eval.counting.methods import Unavailable, compute
from fr_eval.counting.pooling import Selection, count_sums, groups, per_deployment, pool, pool_method, select
from fr_eval.counting.record_summary import summarise_record
from fr_eval.errors import InputError
from fr_eval.counting.record_file import Deployment, Record, load_record


@pytest.fixture
def rec(tmp_path):
    return load_record(write_record(tmp_path))


def test_pooled_counts_are_the_sums_of_the_rows(rec):
    far, prec = pool(rec.deployments, ["false_alert_rate", "precision"])
    assert (far.result.numerator, far.result.denominator) == FAR
    assert (prec.result.numerator, prec.result.denominator) == PRECISION
    assert far.result.ci95 == poisson_exact(*FAR)                 # the exact interval of the summed counts
    assert prec.result.ci95 == clopper_pearson(*PRECISION)
    assert far.deployments == 9 and prec.deployments == 11
    assert dict(far.lacking) == {"a-2024-07-07": ("false_alerts", "faces_processed"),
                                 "b-2024-08-08": ("faces_processed",), "b-undated": ("faces_processed",)}
    assert [i for i, _ in prec.lacking] == ["a-2024-07-07"]
    contrib = {c.id: (c.numerator, c.denominator) for c in prec.contributions}
    assert contrib["b-2024-05-05"] == (6, 7)                       # true alerts derived as 7 - 1


def test_pooling_is_not_averaging_rates(rec):
    far = pool_method("false_alert_rate", rec.deployments)
    mean_of_rates = sum(c.numerator / c.denominator for c in far.contributions) / far.deployments
    assert far.result.value == pytest.approx(FAR[0] / FAR[1])
    assert far.result.value != pytest.approx(mean_of_rates)


def test_method_no_deployment_can_compute(rec):
    p = pool_method("tpir", rec.deployments)
    assert isinstance(p.result, Unavailable) and p.deployments == 0 and len(p.lacking) == len(rec)


def test_count_sums_name_who_lacks_a_count_and_do_not_sum_watchlists(rec):
    sums = count_sums(rec.deployments)
    assert sums["faces_processed"]["sum"] == FAR[1] + 0 and sums["faces_processed"]["deployments"] == 9
    assert sums["true_alerts"]["sum"] == PRECISION[0]               # given or derived
    assert "watchlist_size" not in sums


def test_per_deployment_results_are_computes(rec):
    per = per_deployment(rec.deployments, ["false_alert_rate", "precision"])
    for d in rec.deployments:
        assert per[d.id] == [compute("false_alert_rate", d.funnel), compute("precision", d.funnel)]


@pytest.mark.parametrize("sel,ids", [
    (Selection(forces=("force b",)), {"b-2023-05-05", "b-2024-05-05", "b-2024-08-08", "b-undated"}),
    (Selection(years=(2023,), forces=("Force A",)), {"a-2023-03-01", "a-2023-03-15", "a-2023-06-02", "a-2023-09-09"}),
    (Selection(date_from=dt.date(2024, 5, 5), date_to=dt.date(2024, 7, 7)),
     {"a-2024-05-05", "a-2024-07-07", "b-2024-05-05"}),
    (Selection(place="high st"), {"a-2023-03-01", "a-2023-06-02", "a-2024-01-10", "a-2024-07-07"}),
    (Selection(thresholds=(0.64,), exclude=("a-2024-07-07",)), {"a-2024-01-10", "a-2024-02-20", "a-2024-05-05"}),
])
def test_selection_filters(rec, sel, ids):
    assert {d.id for d in select(rec, sel).deployments} == ids


def test_date_filters_list_undated_deployments(rec):
    chosen = select(rec, Selection(years=(2024,)))
    assert chosen.undated == ("b-undated",)
    assert select(rec, Selection()).undated == ()


@pytest.mark.parametrize("sel,needle", [
    (Selection(forces=("Force C",)), "no deployment of force 'Force C'"),
    (Selection(exclude=("nope",)), "no such deployment_id"),
    (Selection(years=(1999,)), "holds no deployment"),
])
def test_selection_errors(rec, sel, needle):
    with pytest.raises(InputError, match=needle):
        select(rec, sel)


def test_groups_by_year_and_threshold(rec):
    by_year = groups(rec.deployments, "year", ["false_alert_rate"])
    assert [g.key for g in by_year.groups] == ["2023", "2024"] and by_year.unassigned == ("b-undated",)
    y2023 = by_year.groups[0].pooled[0].result
    assert (y2023.numerator, y2023.denominator) == (2 + 1 + 5, 10000 + 20000 + 5000 + 8000 + 40000)
    by_thr = groups(rec.deployments, "threshold", ["false_alert_rate"])
    assert [g.key for g in by_thr.groups] == ["0.6", "0.64"]
    assert len(by_thr.unassigned) == 4


def test_summary_tests_setting_change_and_skips_complements(rec):
    s = summarise_record(rec, methods=["false_alert_rate", "precision", "false_alert_share"], seed=1)
    assert s.tested == ["false_alert_rate", "precision"]
    change = [c for c in s.settings if c.method == "false_alert_rate"][0]
    assert (change.before.key, change.after.key) == ("0.6", "0.64")
    assert (change.before_rate.result.numerator, change.after_rate.result.numerator) == (3, 0)
    assert not change.overlap


# -- property: pooled counts equal the sums of the rows, for any record ---------------------------------------

count = st.one_of(st.none(), st.integers(0, 50))


@st.composite
def records(draw):
    n = draw(st.integers(1, 12))
    out = []
    for i in range(n):
        alerts = draw(count)
        true = draw(st.one_of(st.none(), st.integers(0, alerts))) if alerts is not None else draw(count)
        false = None
        if alerts is not None and true is not None and draw(st.booleans()):
            false = alerts - true
        elif alerts is None:
            false = draw(count)
        faces = draw(st.one_of(st.none(), st.integers(max(false or 0, 1), 100_000)))
        f = Funnel(id=f"d{i}", faces_processed=faces, alerts=alerts, true_alerts=true, false_alerts=false)
        out.append(Deployment(f"d{i}", f, date=dt.date(2024, 1, 1 + i)))
    return Record("generated", tuple(out), "0" * 64)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_property_pooled_equals_sum_of_rows(record):
    def known(d, key):
        return d.funnel.get(key)

    expect = {
        "false_alert_rate": [(known(d, "false_alerts"), known(d, "faces_processed")) for d in record.deployments],
        "precision": [(known(d, "true_alerts"), known(d, "alerts")) for d in record.deployments],
        "false_alert_share": [(known(d, "false_alerts"), known(d, "alerts")) for d in record.deployments],
    }
    for method, pairs in expect.items():
        p = pool_method(method, record.deployments)
        have = [(k, n) for k, n in pairs if k is not None and n is not None]
        assert p.deployments == len(have)
        assert p.deployments + len(p.lacking) == len(record)
        if have:
            assert (p.result.numerator, p.result.denominator) == (sum(k for k, _ in have), sum(n for _, n in have))
            assert sum(c.numerator for c in p.contributions) == p.result.numerator
        else:
            assert isinstance(p.result, Unavailable)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from([None, 0.6, 0.64]), count,
                          st.one_of(st.none(), st.sampled_from([100, 200])), count), min_size=1, max_size=15),
       st.data())
def test_property_cell_sums_equal_funnel_total(rows, data):
    from fr_eval.counting.pooling import Sums

    ds = [Deployment(f"d{i}", Funnel(id=f"d{i}", alerts=a, watchlist_size=w, faces_processed=faces),
                     date=dt.date(2024, 1 + month, 1), threshold=thr)
          for i, (month, thr, a, w, faces) in enumerate(rows)]
    sums = Sums(lambda d: (d.month, d.threshold))
    for _ in range(3):              # overlapping subsets share cached cells
        subset = data.draw(st.lists(st.sampled_from(ds), min_size=1, unique_by=lambda d: d.id))
        subset.sort(key=lambda d: d.id)
        expect = Funnel.total([d.summable for d in subset])
        assert sums.total(subset).counts() == expect.counts()


def test_three_settings_compare_consecutive_and_first_with_last(tmp_path):
    from recordutil import ROWS

    rows = [list(r) for r in ROWS]
    rows[4][4] = "0.62"                                   # a-2024-01-10 at an interim setting
    s = summarise_record(load_record(write_record(tmp_path, rows)), methods=["false_alert_rate"])
    assert [(c.before.key, c.after.key) for c in s.settings] == [("0.6", "0.62"), ("0.62", "0.64"), ("0.6", "0.64")]
    first_last = s.settings[-1]
    assert (first_last.before_rate.result.numerator, first_last.before_rate.result.denominator) == (3, 43000)
    assert (first_last.after_rate.result.numerator, first_last.after_rate.result.denominator) == (0, 39000)
