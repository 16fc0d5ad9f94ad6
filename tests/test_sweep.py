"""The threshold sweep: parity with a direct recount and with scikit-learn's det_curve; targets; bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import det_curve

from fr_eval.cli import main
from fr_eval.errors import InputError
from fr_eval.counting.methods import compute
from fr_eval.counting.statistics import at_threshold, load_statistics, to_funnel
from fr_eval.thresholds.sweep import SweepData, binary_curve, count_at_or_above, det_table, sweep, threshold_for_target
from thresholdruns import scored_run


@pytest.fixture(scope="module")
def stats(tmp_path_factory):
    return load_statistics(scored_run(tmp_path_factory.mktemp("sw") / "run"))


@pytest.mark.parametrize("t", [0.25, 0.45, 0.5, 0.55, 0.6, 0.7, 0.85])
def test_sweep_equals_a_direct_recount(stats, t):
    pt = sweep(stats, [t]).points[[p.threshold for p in sweep(stats, [t]).points].index(t)]
    slow = to_funnel(at_threshold(stats, t))
    for m in ("tpir", "fnir", "fnir_rank1", "fpir", "false_alert_rate", "precision", "false_alert_share"):
        a, b = pt.rates[m], compute(m, slow)
        assert (a.numerator, a.denominator) == (b.numerator, b.denominator), m
        assert a.ci95 == pytest.approx(b.ci95, nan_ok=True)
    assert pt.alerts == slow.alerts


def test_operated_threshold_is_always_a_point(stats):
    s = sweep(stats, 5)
    op = [p for p in s.points if p.operated]
    assert len(op) == 1 and op[0].threshold == 0.5
    assert op[0].rates["tpir"].numerator == compute("tpir", to_funnel(stats)).numerator
    value, low, high = op[0].alerts_per_hour
    assert low <= value <= high and value == op[0].alerts  # one hour of footage


def test_det_matches_scikit_learn_at_every_threshold(stats):
    data = SweepData.from_statistics(stats)
    det = det_table(data)
    pos, neg = data.watchlisted, data.nonwatchlist
    assert not np.isnan(pos).any() and not np.isnan(neg).any()
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    fpr, fnr, thr = det_curve(y, np.r_[pos, neg])
    ours = det.set_index("threshold")
    for f, n, t in zip(fpr, fnr, thr):
        row = ours.loc[t]
        assert row["fpir"] == pytest.approx(f) and row["fnir"] == pytest.approx(n)


def test_core_counts_by_sorting_once():
    rng = np.random.default_rng(0)
    s = rng.random(1000).astype(np.float32)
    t = np.linspace(0, 1, 17)
    assert list(count_at_or_above(s, t)) == [int((s >= np.float32(x)).sum()) for x in t]
    lab = rng.random(1000) < 0.3
    th, tp, fp = binary_curve(s, lab)
    for i in (0, 10, len(th) - 1):
        assert tp[i] == (lab & (s >= th[i])).sum() and fp[i] == (~lab & (s >= th[i])).sum()


def test_threshold_for_target(stats):
    c = threshold_for_target(stats, target_fpir=0.1)
    assert c.rates["fpir"].value <= 0.1
    lower = [t for t in det_table(SweepData.from_statistics(stats))["threshold"] if t < c.threshold]
    # any lower threshold breaks the target: the choice is the lowest that meets it
    assert all(compute("fpir", to_funnel(at_threshold(stats, t))).value > 0.1 for t in lower[-3:])
    strict = threshold_for_target(stats, target_fpir=0.1, on="ci")
    assert strict.threshold is None or (strict.threshold >= c.threshold and strict.rates["fpir"].ci95[1] <= 0.1)
    t = threshold_for_target(stats, target_tpir=0.8)
    assert t.rates["tpir"].value >= 0.8
    assert threshold_for_target(stats, target_tpir=1.01).threshold is None


def test_sweep_cli_table_json_csv_plot(stats, tmp_path, capsys):
    run = stats.manifest["bundle"]["path"].rsplit("/bundle", 1)[0]
    with pytest.raises(SystemExit) as exc:
        main(["sweep", run, "--thresholds", "5", "--json", "--csv", str(tmp_path / "s.csv"),
              "--plot", str(tmp_path / "det.svg"), "--target-fpir", "0.1", "--by", "gender"])
    assert exc.value.code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["operated_threshold"] == 0.5 and out["targets"][0]["threshold"] is not None
    assert {g["by"] for g in out["groups"]} == {"gender"}
    assert (tmp_path / "s.csv").read_text().startswith("threshold,")
    assert (tmp_path / "det.svg").read_text().lstrip().startswith("<?xml")


def test_bad_input_one_line_exit_2(stats, tmp_path, capsys):
    run = stats.manifest["bundle"]["path"].rsplit("/bundle", 1)[0]
    with pytest.raises(SystemExit) as exc:
        main(["sweep", run, "--at", "1.5"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "outside the matcher's similarity range" in err and len(err.splitlines()) == 1
    notruth = scored_run(tmp_path / "nt", gender=False)
    (notruth / "bundle" / "truth.csv").unlink()
    spec = (notruth / "bundle" / "deployment.yaml").read_text().replace("truth: truth.csv\n", "")
    (notruth / "bundle" / "deployment.yaml").write_text(spec)
    with pytest.raises(SystemExit) as exc:
        main(["sweep", str(notruth)])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "needs truth" in err
    with pytest.raises(InputError, match="exactly one"):
        threshold_for_target(stats)
