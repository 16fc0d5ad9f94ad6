"""Group breakdowns, the paired comparison and the CI gate: their statistics and their exit codes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from scipy import stats as sps

from fr_eval.counting.counter import funnel as to_funnel
from fr_eval.counting.groups import breakdown, difference_test
from fr_eval.counting.load import load_statistics
from fr_eval.counting.methods import compute
from fr_eval.counting.rates import Rate
from fr_eval.errors import InputError
from fr_eval.thresholds.compare import compare, mcnemar
from fr_eval.thresholds.gate import judge, load_policy
from thresholdruns import scored_run
from cliutil import run_cli



@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("thr")
    return {"a": scored_run(root / "a", seed=1), "b": scored_run(root / "b", seed=1, shift=0.2),
            "other": scored_run(root / "o", seed=1, footage_hash="0" * 64),
            "nogender": scored_run(root / "n", seed=2, gender=False)}


# -- groups -----------------------------------------------------------------------------------

def test_breakdown_counts_each_group_by_hand(runs):
    st = load_statistics(runs["a"])
    b = breakdown(st, "fpir", "gender")
    p = st.passages
    c = st.candidates
    for g in ("F", "M"):
        nw = p[(p["gender"] == g) & ~p["watchlisted"]]["passage_id"]
        hit = sum(1 for pid in nw if ((c["passage_id"] == pid) & (c["similarity"] >= st.threshold)).any())
        got = b.rates[g]
        assert (got.numerator, got.denominator) == (hit, len(nw))
        assert got.ci95 == pytest.approx(Rate.of("fpir", hit, len(nw), "passage").ci95)
    assert sum(r.denominator for r in b.rates.values()) == compute("fpir", to_funnel(st)).denominator


def test_fisher_p_value_is_scipys_and_flags_a_real_difference():
    rates = {"x": Rate.of("fpir", 30, 100, "passage"), "y": Rate.of("fpir", 8, 100, "passage")}
    t = difference_test(rates)
    assert t.test == "Fisher's exact test"
    assert t.p_value == pytest.approx(sps.fisher_exact([[30, 70], [8, 92]]).pvalue)
    assert t.significant
    same = difference_test({"x": Rate.of("fpir", 10, 100, "passage"), "y": Rate.of("fpir", 11, 100, "passage")})
    assert same.p_value == pytest.approx(sps.fisher_exact([[10, 90], [11, 89]]).pvalue) and not same.significant


def test_more_than_two_groups_use_chi_square_or_permutation():
    big = {g: Rate.of("tpir", k, 200, "passage") for g, k in (("a", 100), ("b", 120), ("c", 80))}
    t = difference_test(big)
    chi2, p, _, _ = sps.chi2_contingency(np.array([[100, 100], [120, 80], [80, 120]]), correction=False)
    assert t.test == "Pearson chi-square test" and t.p_value == pytest.approx(p)
    small = {g: Rate.of("tpir", k, 6, "passage") for g, k in (("a", 1), ("b", 5), ("c", 2))}
    t2 = difference_test(small)
    assert t2.test.startswith("permutation") and 0 < t2.p_value <= 1


def test_ratio_and_bound():
    from fr_eval.counting.groups import Breakdown

    b = Breakdown("fpir", "gender", {"F": Rate.of("fpir", 20, 100, "passage"),
                                     "M": Rate.of("fpir", 10, 100, "passage")}, None, 0.5)
    r = b.ratio()
    assert (r.high_group, r.low_group) == ("F", "M") and r.value == pytest.approx(2.0)
    assert r.bound > r.value


def test_breakdown_by_unknown_column_is_clear(runs):
    with pytest.raises(InputError, match="cannot break down by 'ethnicity': no passage"):
        breakdown(load_statistics(runs["nogender"]), "tpir", "ethnicity")


# -- compare ----------------------------------------------------------------------------------

def test_mcnemar_is_the_exact_binomial_on_discordant_pairs():
    a = np.array([1] * 12 + [0] * 3 + [1] * 40 + [0] * 45, bool)
    b = np.array([0] * 12 + [1] * 3 + [1] * 40 + [0] * 45, bool)
    m = mcnemar(a, b, "x")
    assert (m.a_only, m.b_only, m.both, m.neither) == (12, 3, 40, 45)
    assert m.p_value == pytest.approx(sps.binomtest(12, 15, 0.5).pvalue) and m.significant
    assert mcnemar(a, a, "x").p_value == 1.0


def test_compare_side_by_side_and_paired_tests(runs):
    a, b = load_statistics(runs["a"]), load_statistics(runs["b"])
    c = compare(a, b)
    row = next(r for r in c.rows if r["id"] == "tpir")
    ta, tb = compute("tpir", to_funnel(a)), compute("tpir", to_funnel(b))
    assert tb.value > ta.value
    assert row["difference"]["value"] == pytest.approx(tb.value - ta.value)
    lo, hi = row["difference"]["ci95"]
    assert lo < tb.value - ta.value < hi
    t = next(t for t in c.tests if "watchlisted" in t.what)
    assert t.b_only >= 1 and t.a_only == 0


def test_compare_refuses_different_footage(runs, capsys):
    code, _, err = run_cli(["compare", str(runs["a"]), str(runs["other"])], capsys)
    assert code == 2 and "footage" in err and "inputs" in err and len(err.strip().splitlines()) == 1
    code, out, err = run_cli(["compare", str(runs["a"]), str(runs["other"]), "--allow-mismatch", "--json"],
                             capsys)
    assert code == 0 and json.loads(out)["footage_same"] is False


# -- gate -------------------------------------------------------------------------------------

def write_policy(tmp_path, text, name="policy.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_gate_pass_exit_0_and_junit(runs, tmp_path, capsys):
    st = load_statistics(runs["a"])
    tp = compute("tpir", to_funnel(st)).value
    pol = write_policy(tmp_path, f"rules:\n  - {{metric: tpir, min: {tp - 0.01:.4f}}}\n  - {{metric: fpir, max: 1.0}}\n")
    junit = tmp_path / "gate.xml"
    code, out, err = run_cli(["gate", str(runs["a"]), "--policy", str(pol), "--junit", str(junit)], capsys)
    assert code == 0, err
    suite = ET.parse(junit).getroot()
    cases = list(suite.iter("testcase"))
    assert len(cases) == 2 and not list(suite.iter("failure"))
    sig = {p.get("value") for c in cases for p in c.iter("property") if p.get("name") == "signature"}
    assert len(sig) == 1 and "|thr:0.5|" in sig.pop()


def test_gate_fail_exit_1_one_line_per_failed_rule(runs, tmp_path, capsys):
    pol = write_policy(tmp_path, "rules:\n  - {metric: tpir, min: 0.99}\n  - {metric: fpir, max: 0.0}\n"
                                 "  - {metric: precision, min: 0.0}\n")
    junit = tmp_path / "gate.xml"
    code, out, err = run_cli(["gate", str(runs["a"]), "--policy", str(pol), "--junit", str(junit)], capsys)
    assert code == 1
    fails = [line for line in (out + err).splitlines() if line.startswith("FAIL  ")]
    assert len(fails) == 2 and any("tpir" in f for f in fails) and any("fpir" in f for f in fails)
    assert len(list(ET.parse(junit).getroot().iter("failure"))) == 2


def test_gate_on_the_confidence_bound_is_stricter(runs, tmp_path):
    st = load_statistics(runs["a"])
    tp = compute("tpir", to_funnel(st))
    limit = (tp.value + tp.ci95[0]) / 2          # below the value, above the lower bound
    point = load_policy(write_policy(tmp_path, f"rules:\n  - {{metric: tpir, min: {limit}}}\n", "p.yaml"))
    bound = load_policy(write_policy(tmp_path, f"bound: ci\nrules:\n  - {{metric: tpir, min: {limit}}}\n", "c.yaml"))
    assert judge(st, point).passed and not judge(st, bound).passed


def test_gate_group_ratio_rule(runs, tmp_path):
    st = load_statistics(runs["a"])
    b = breakdown(st, "fpir", "gender")
    ratio = b.ratio().value
    pol = load_policy(write_policy(tmp_path, f"rules:\n  - {{metric: fpir, by: gender, max_group_ratio: "
                                             f"{ratio * 0.9 if ratio else 0.5}}}\n"))
    assert not judge(st, pol).passed


@pytest.mark.parametrize("text, expect", [
    ("rules:\n  - {metric: accuracy, max: 0.1}\n", "unknown metric 'accuracy'"),
    ("rules:\n  - {metric: fpir}\n", "exactly one of max"),
    ("rules: []\n", "non-empty list of rules"),
    ("threshold: 7\nrules:\n  - {metric: fpir, max: 0.1}\n", "threshold"),
    ("rules:\n  - {metric: fpir, max: 0.1, colour: red}\n", "unknown key 'colour'"),
])
def test_gate_bad_policy_exit_2_one_line(runs, tmp_path, capsys, text, expect):
    pol = write_policy(tmp_path, text)
    code, out, err = run_cli(["gate", str(runs["a"]), "--policy", str(pol)], capsys)
    assert code == 2 and expect in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_gate_needs_truth_for_truth_methods(tmp_path, capsys):
    from runfactory import make_run, track

    run = make_run(tmp_path / "nt", passages=None, tracks=[track("t1", "cam1", 0, 2, {"S1": 0.8})],
                   watchlist=["S1"], threshold=0.5)
    pol = write_policy(tmp_path, "rules:\n  - {metric: tpir, min: 0.5}\n")
    code, out, err = run_cli(["gate", str(run), "--policy", str(pol)], capsys)
    assert code == 2 and "truth" in err and len(err.strip().splitlines()) == 1


def test_report_flags_groups_with_the_same_test_as_the_breakdown(tmp_path):
    """A run whose F passages alert far more often than its M passages: the report flags it, citing Fisher."""
    from fr_eval.report.model import build_model
    from runfactory import make_run, track

    passages, tracks = [], []
    for i in range(80):
        g = "F" if i % 2 else "M"
        passages.append({"passage_id": f"p{i}", "camera": "cam1", "t_start": i * 10, "t_end": i * 10 + 5,
                         "subject_id": "", "person_id": f"q{i}", "plant": False, "gender": g})
        score = 0.8 if (g == "F" and i % 4 != 1) else 0.2        # F: 20 of 40 alert; M: none
        tracks.append(track(f"t{i}", "cam1", i * 10 + 1, i * 10 + 4, {"S1": score}))
    run = make_run(tmp_path / "r", passages=passages, tracks=tracks, watchlist=["S1"], threshold=0.5,
                   demographics=("gender",), duration_s=3600.0)
    stats = load_statistics(run)
    b = breakdown(stats, "fpir", "gender")
    assert b.test.significant
    model = build_model(run)
    flags = {g.group: g.flag for g in model.groups if g.dimension == "gender"}
    assert "Fisher" in flags["F"] and "highest" in flags["F"] and "lowest" in flags["M"]
