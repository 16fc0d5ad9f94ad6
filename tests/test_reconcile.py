"""The reconciliation: waterfall, claims check, base rate, explanation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fr_eval.counting.claims import check_claim
from fr_eval.counting.counts_file import load_counts
from fr_eval.counting.funnel import Claim, Funnel
from fr_eval.counting.reconcile import (expected_precision, implied_prevalence, reconcile,
                               scaled_false_alert_rate, waterfall, waterfall_closes)
from runfactory import make_run
from test_outcomes import ADJUDICATION, PASSAGES, TRACKS, WATCHLIST

ROOT = Path(__file__).resolve().parents[1]
ESSEX = ROOT / "datasets" / "published" / "essex-2019.yaml"
MET = ROOT / "datasets" / "published" / "met-oxford-circus-2020-02-27.yaml"


def test_essex_waterfall():
    stages = waterfall(load_counts(ESSEX))
    assert [(s.id, s.count, s.dropped) for s in stages] == [
        ("alerts", 42, None), ("judged_credible", 26, 16), ("stop_attempted", 26, 0), ("stopped", 22, 4),
        ("verified_correct", 8, 14)]
    assert stages[1].dropped_as == {"rejected by the operators at once": 16}
    assert stages[3].dropped_as == {"lost in the crowd": 4}
    assert stages[4].dropped_as == {"verified incorrect": 14}
    assert waterfall_closes(stages)


def test_waterfall_with_gaps_counts_across_them():
    stages = waterfall(Funnel(alerts=10, stopped=4, verified_correct=1))
    assert [s.count for s in stages] == [10, None, None, 4, 1]
    assert stages[3].dropped == 6 and stages[3].dropped_as == {"lost between the last known stages": 6}
    assert waterfall_closes(stages)


@st.composite
def adjudicated(draw):
    alerts = draw(st.integers(0, 300))
    rejected = draw(st.integers(0, alerts))
    unadj = draw(st.integers(0, alerts - rejected))
    attempted = draw(st.integers(0, alerts - rejected - unadj))
    stopped = draw(st.integers(0, attempted))
    correct = draw(st.integers(0, stopped))
    incorrect = draw(st.integers(0, stopped - correct))
    keep = draw(st.lists(st.booleans(), min_size=6, max_size=6))
    values = dict(operator_rejected=rejected, stop_attempted=attempted, lost=attempted - stopped, stopped=stopped,
                  verified_correct=correct, verified_incorrect=incorrect)
    values = {k: v for (k, v), kept in zip(values.items(), keep) if kept}
    return Funnel(alerts=alerts, not_adjudicated=unadj, **values)


@settings(max_examples=300, deadline=None)
@given(adjudicated())
def test_waterfall_always_closes(f):
    from fr_eval.counting.funnel import check_funnel

    check_funnel(f)
    stages = waterfall(f)
    assert waterfall_closes(stages)
    known = [s.count for s in stages if s.count is not None]
    assert known == sorted(known, reverse=True)          # never grows
    for s in stages:
        if s.dropped is not None:
            assert s.dropped >= 0 and sum(s.dropped_as.values()) == s.dropped


def test_claims_check_statuses():
    f = Funnel(alerts=19, verified_correct=9)
    ok = check_claim(Claim("a", "verified_precision", "47%"), f)
    slip = check_claim(Claim("b", "verified_precision", "45%"), f)
    trunc = check_claim(Claim("c", "verified_precision", "47.3%"), f)
    far = check_claim(Claim("d", "verified_precision", "90%"), f)
    missing = check_claim(Claim("e", "tpir", "70%"), f)
    assert ok.status == "reproduced"
    assert slip.status == "rounding_inconsistent" and "inside the 95% interval" in slip.reason
    assert trunc.status == "rounding_inconsistent" and "does not round to 47.3%" in trunc.reason
    assert far.status == "contradicted" and "outside the 95% interval" in far.reason
    assert missing.status == "not_checkable" and missing.computed is None and "needs" in missing.reason
    assert far.to_dict()["computed"] == pytest.approx(9 / 19) and len(far.to_dict()["ci95"]) == 2


def test_essex_and_met_claims():
    rec = reconcile(ESSEX)
    status = {c.id: c.status for c in rec.claims}
    assert status == {"essex-19": "reproduced", "press-81": "reproduced", "stops-36": "reproduced",
                      "verified-wrong-33": "reproduced", "met-70": "not_checkable",
                      "met-1-in-1000": "not_checkable"}
    assert {c.id for c in rec.claims if c.kind == "derived"} == {"stops-36", "verified-wrong-33"}
    met = {c.id: c.status for c in reconcile(MET).claims}
    assert met["met-record-far"] == "reproduced" and met["met-1-in-1000"] == "reproduced"
    assert met["met-70"] == "not_checkable"


def test_base_rate_arithmetic():
    p = implied_prevalence(0.7, 0.001, 8 / 42)
    assert 2900 < 1 / p < 3100                        # "about 1 in 3,000"
    assert expected_precision(0.7, 0.001, p) == pytest.approx(8 / 42)
    assert scaled_false_alert_rate(0.001, 2, 1) == pytest.approx(1 - 0.999 ** 2)
    assert math.isnan(implied_prevalence(0.7, 0.001, 0.0)) or implied_prevalence(0.7, 0.001, 0.0) == 0


def test_essex_base_rate_and_grid():
    br = reconcile(ESSEX).base_rate
    assert br.tpir == pytest.approx(0.7) and br.false_alert_rate == pytest.approx(0.001)
    assert 2900 < 1 / br.prevalence < 3100
    lo, hi = br.prevalence_range
    assert lo < br.prevalence < hi
    g = br.grid
    one = [r["expected_precision"] for r in sorted(g, key=lambda r: r["prevalence"]) if r["watchlist_factor"] == 1.0]
    assert one == sorted(one) and len(one) > 3                    # more wanted people -> higher precision
    at = [r["expected_precision"] for r in sorted(g, key=lambda r: r["watchlist_factor"]) if r["prevalence"] == 1e-3]
    assert at == sorted(at, reverse=True) and len(at) > 3         # bigger watchlist -> more false alerts


def test_explanation_is_generated_from_the_numbers():
    text = " ".join(reconcile(ESSEX).explanation)
    for needle in ("8/42 = 19.0%", "66.7%", "16 rejected by the operators at once", "4 lost in the crowd",
                   "8/22 = 36.4%", "1 in 2,980", "(8 + 34 = 42)"):
        assert needle in text
    other = Funnel(id="x", alerts=50, operator_rejected=10, stop_attempted=40, lost=5, stopped=35,
                   verified_correct=30, verified_incorrect=5)
    text2 = " ".join(reconcile(other).explanation)
    assert "10 rejected by the operators at once" in text2 and "30/50 = 60.0%" in text2
    assert "16 rejected" not in text2


def test_json_shape_and_numbers():
    d = json.loads(json.dumps(reconcile(ESSEX).to_dict()))
    by = {m["id"]: m for m in d["methods"]}
    m = by["verified_precision"]
    for key in ("id", "value", "numerator", "denominator", "unit", "ci95", "one_in", "used_by", "source"):
        assert key in m
    assert (m["numerator"], m["denominator"], round(m["value"], 4)) == (8, 42, 0.1905)
    assert [round(x, 3) for x in m["ci95"]] == [0.086, 0.341]
    assert by["tpir"]["available"] is False and "watchlisted_passages" in by["tpir"]["reason"]
    assert [s["count"] for s in d["waterfall"]] == [42, 26, 26, 22, 8]
    assert {"id", "status", "reported", "computed", "ci95"} <= set(d["claims"][0])


def test_reconcile_a_run(tmp_path):
    run = make_run(tmp_path / "run", passages=PASSAGES, tracks=TRACKS, watchlist=WATCHLIST,
                   adjudication=ADJUDICATION)
    rec = reconcile(run)
    assert rec.kind == "run" and rec.signature.short().startswith("fr-eval:")
    assert rec.rate("precision").numerator == 3 and rec.rate("tpir").denominator == 4
    assert [s.count for s in rec.waterfall] == [7, 5, 4, 3, 1] and waterfall_closes(rec.waterfall)
    br = rec.base_rate
    assert br.observed_prevalence.numerator == 4 and br.observed_prevalence.denominator == 9
    boot = reconcile(run, ci="bootstrap")
    assert boot.rate("tpir").ci_method == "bootstrap" and boot.rate("tpir").extra["n_clusters"] >= 3
    json.dumps(rec.to_dict(), allow_nan=True)


def test_zero_false_alerts_reconcile_without_division_by_zero(tmp_path, capsys):
    """A deployment with no false alert: no '1 in never', no implied prevalence, exit 0."""
    import yaml

    from fr_eval.cli import main

    path = tmp_path / "clean.yaml"
    path.write_text(yaml.safe_dump({"id": "clean", "title": "No false alerts", "faces_processed": 5000,
                                    "alerts": 3, "true_alerts": 3, "false_alerts": 0,
                                    "plant_passages": 4, "plant_alerts": 3}))
    with pytest.raises(SystemExit) as exc:
        main(["reconcile", str(path)])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    assert "never" not in out and "No false alert was raised on 5,000 faces" in out
    assert "passers-by is on the watchlist" not in out
