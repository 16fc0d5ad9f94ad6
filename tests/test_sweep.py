"""The threshold sweep: parity with a direct recount and with scikit-learn's det_curve; targets; bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import det_curve

from fr_eval.cli import main
from fr_eval.counting.counter import funnel
from fr_eval.counting.load import load_statistics
from fr_eval.counting.methods import compute
from fr_eval.errors import InputError
from fr_eval.replay.alert_rule import count_reaching, reaches
from fr_eval.thresholds.curves import det_curve as det_curve_of
from fr_eval.thresholds.sweep import det_table, sweep
from fr_eval.thresholds.verification import Comparisons
from fr_eval.thresholds.targets import threshold_for_target
from thresholdruns import scored_run


@pytest.fixture(scope="module")
def stats(tmp_path_factory):
    return load_statistics(scored_run(tmp_path_factory.mktemp("sw") / "run"))


def slow_counts(stats, t):
    """An independent recount, one row at a time (the oracle the vectorised counter is checked against)."""
    c = stats.candidates
    alerts = [r for r in c.itertuples() if r.similarity >= t]
    true = sum(1 for r in alerts if r.mated)
    wl = stats.passages[stats.passages["watchlisted"]]
    nw = stats.passages[~stats.passages["watchlisted"]]
    hit = sum(1 for pid in wl["passage_id"] if any(r.mated and r.passage_id == pid for r in alerts))
    rank1 = sum(1 for pid in wl["passage_id"]
                if any(r.mated and r.rank == 1 and r.passage_id == pid for r in alerts))
    fp = sum(1 for pid in nw["passage_id"] if any(r.passage_id == pid for r in alerts))
    unlinked = int(stats.tracks["passage_id"].isna().sum())
    nwfa = sum(1 for r in alerts if not r.mated and (r.passage_id is None or r.truth_subject_id is None))
    return {"alerts": len(alerts), "true_alerts": true, "watchlisted_alerted": hit, "watchlisted_rank1": rank1,
            "nonwatchlist_alerted": fp, "faces_processed": len(nw) + unlinked, "nonwatchlist_false_alerts": nwfa}


@pytest.mark.parametrize("t", [0.25, 0.45, 0.5, 0.55, 0.6, 0.7, 0.85])
def test_sweep_equals_a_row_by_row_recount(stats, t):
    pt = sweep(stats, [t]).point(t)
    slow = slow_counts(stats, t)
    for key, value in slow.items():
        assert pt.funnel.get(key) == value, (t, key)
    assert pt.alerts == slow["alerts"]
    # and the one counter at one threshold is the same path: identical funnels
    assert funnel(stats, t) == pt.funnel


def test_operated_threshold_is_always_a_point(stats):
    s = sweep(stats, 5)
    op = [p for p in s.points if p.operated]
    assert len(op) == 1 and op[0].threshold == 0.5
    assert op[0].rates["tpir"].numerator == compute("tpir", funnel(stats)).numerator
    aph = op[0].alerts_per_hour
    lo, hi = aph.ci95
    assert lo <= aph.value <= hi and aph.value == op[0].alerts  # one hour of footage


def test_det_matches_scikit_learn_at_every_threshold(stats):
    det = det_table(stats)
    p = stats.passages
    pos = p.loc[p["watchlisted"], "mated_score"].to_numpy()
    neg = p.loc[~p["watchlisted"], "any_score"].to_numpy()
    assert not np.isnan(pos).any() and not np.isnan(neg).any()
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    fpr, fnr, thr = det_curve(y, np.r_[pos, neg])
    ours = det.set_index("threshold")
    finite = [(f, n, t) for f, n, t in zip(fpr, fnr, thr) if np.isfinite(t)]
    for f, n, t in finite:
        row = ours.loc[t]
        assert row["fpir"] == pytest.approx(f) and row["fnir"] == pytest.approx(n)
    assert len(finite) >= 10


def test_the_two_forms_of_the_rule_agree_at_the_boundary():
    rng = np.random.default_rng(0)
    s = np.sort(np.r_[rng.random(1000), [0.64, 0.6399999999, 0.6400000001, 0.5, 0.5]])
    t = np.r_[np.linspace(0, 1, 17), [0.64, 0.6399999999, 0.5, np.nextafter(0.5, 1)]]
    assert list(count_reaching(s, t)) == [int(reaches(s, x).sum()) for x in t]
    lab = rng.random(len(s)) < 0.3
    curve = det_curve_of(Comparisons.from_arrays(s, lab))     # the curve's cumulated counts, the same rule
    for i in (1, 10, len(curve) - 1):
        th = curve.thresholds[i]
        assert curve.fnm[i] == (lab & ~reaches(s, th)).sum() and curve.fm[i] == (~lab & reaches(s, th)).sum()


def test_threshold_for_target_gives_the_interval_and_a_margin(stats):
    c = threshold_for_target(stats, target_fpir=0.1)
    assert c.rates["fpir"].value <= 0.1 and c.interval.contains(c.threshold)
    assert not c.interval.low_inclusive and c.interval.high_inclusive
    # every threshold in the interval has the same, best TPIR and meets the target; just below it, it breaks
    inside = [c.interval.low + (c.interval.high - c.interval.low) * f for f in (1e-9, 0.5, 1.0)]
    assert {funnel(stats, t).watchlisted_alerted for t in inside} == {c.rates["tpir"].numerator}
    assert all(compute("fpir", funnel(stats, t)).value <= 0.1 for t in inside)
    assert compute("fpir", funnel(stats, c.interval.low)).value > 0.1
    # the recommended point has the fewest non-mated alerts the interval allows
    assert c.rates["fpir"].numerator == min(funnel(stats, t).nonwatchlist_alerted for t in inside)
    assert c.bob_threshold == np.nextafter(c.interval.low, 1)
    strict = threshold_for_target(stats, target_fpir=0.1, on="ci")
    assert strict.threshold is None or strict.rates["fpir"].ci95[1] <= 0.1
    t = threshold_for_target(stats, target_tpir=0.8)
    assert t.rates["tpir"].value >= 0.8 and t.interval.contains(t.threshold)
    with pytest.raises(InputError, match="between 0 and 1"):
        threshold_for_target(stats, target_tpir=1.01)
    tiny = threshold_for_target(stats, target_fpir=1e-6)
    assert tiny.rates["fpir"].numerator == 0 and "stricter" in tiny.reason


def test_sweep_cli_table_json_csv_plot(stats, tmp_path, capsys):
    run = stats.manifest["_path"]
    with pytest.raises(SystemExit) as exc:
        main(["sweep", run, "--thresholds", "5", "--json", "--csv", str(tmp_path / "s.csv"),
              "--plot", str(tmp_path / "det.svg"), "--target-fpir", "0.1", "--by", "gender"])
    assert exc.value.code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["operated_threshold"] == 0.5 and out["targets"][0]["threshold"] is not None
    assert out["targets"][0]["interval"]["low"] is not None
    assert {g["by"] for g in out["groups"]} == {"gender"}
    assert (tmp_path / "s.csv").read_text().startswith("threshold,")
    assert (tmp_path / "det.svg").read_text().lstrip().startswith("<?xml")


def test_bad_input_one_line_exit_2(stats, tmp_path, capsys):
    run = stats.manifest["_path"]
    with pytest.raises(SystemExit) as exc:
        main(["sweep", run, "--at", "1.5"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "outside the matcher's similarity range" in err and len(err.splitlines()) == 1
    from runfactory import make_run, track

    notruth = make_run(tmp_path / "nt", tracks=[track("t1", "cam1", 0, 2, {"S1": 0.7})])
    with pytest.raises(SystemExit) as exc:
        main(["sweep", str(notruth), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert exc.value.code == 0 and out["points"][0]["methods"]["tpir"]["available"] is False
    assert [p["alerts"] for p in out["points"] if p["operated"]] == [1]
    with pytest.raises(SystemExit) as exc:
        main(["sweep", str(notruth), "--target-fpir", "0.1"])
    assert exc.value.code == 2 and "needs truth" in capsys.readouterr().err
    with pytest.raises(InputError, match="exactly one"):
        threshold_for_target(stats)
