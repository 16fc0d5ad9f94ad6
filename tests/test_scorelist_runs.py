"""Score lists as runs (issue 14): ``fr-eval scores import`` makes a run every command reads, counted by the
same rows, alert rule and counter as a replay; its metrics equal the list's own."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from cliutil import run_cli

from fr_eval import api
from fr_eval.counting.counter import funnel
from fr_eval.counting.load import load_statistics
from fr_eval.counting.methods import compute
from fr_eval.errors import InputError
from fr_eval.inputs.scorelists import read_scorelist
from fr_eval.thresholds import metrics as m
from fr_eval.thresholds.run_metrics import passage_comparisons, passage_searches
from fr_eval.thresholds.summary import summarize, summarize_run

PARITY = Path(__file__).parent / "data" / "parity"
DEV1 = PARITY / "bob" / "dev-1.txt"


@pytest.fixture(scope="module")
def dev1_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sl") / "dev1"
    api.import_scores(DEV1, out, threshold=0.0)
    return out


def test_bob_file_in_one_command_and_every_number_of_the_list_back(dev1_run, capsys):
    code, out, err = run_cli(["metrics", str(dev1_run), "--n-boot", "0", "--json"], capsys)
    assert code == 0, err
    from_run = json.loads(out)
    direct = summarize(read_scorelist(str(DEV1)), n_boot=0).to_dict()
    for key in ("eer", "rocch_eer", "auc", "fnmr_at_fmr", "fmr_at_fnmr", "fta"):
        assert from_run["verification"][key] == direct["verification"][key], key


def test_counter_and_metrics_agree_at_any_threshold(dev1_run):
    stats = load_statistics(dev1_run)
    cs_list = m.Comparisons.from_scorelist(read_scorelist(str(DEV1)))
    cs_run = passage_comparisons(stats)
    assert np.array_equal(cs_list.genuine, cs_run.genuine) and np.array_equal(cs_list.impostor, cs_run.impostor)
    rng = np.random.default_rng(3)
    values = np.r_[cs_list.genuine[rng.integers(0, len(cs_list.genuine), 8)], rng.normal(0, 1, 8), 0.0]
    for t in values:
        f = funnel(stats, float(t))
        r = m.rates_at(cs_list, float(t))
        tpir, fpir = compute("tpir", f), compute("fpir", f)
        assert (tpir.denominator - tpir.numerator, tpir.denominator) == (r.fnmr.numerator, r.fnmr.denominator)
        assert (fpir.numerator, fpir.denominator) == (r.fmr.numerator, r.fmr.denominator)


def test_scores_stay_exact_float64_at_the_threshold(tmp_path):
    t = 0.6399999999999999
    p = tmp_path / "s.csv"
    p.write_text(f"label,score\ngenuine,{t!r}\ngenuine,{float(np.nextafter(t, 0))!r}\nimpostor,0.1\nimpostor,{t!r}\n")
    res = api.import_scores(p, tmp_path / "run", threshold=t)
    assert res.summary["alerts"] == 2                       # the score equal to the threshold alerts; 1 ulp below not
    f = funnel(load_statistics(tmp_path / "run"))
    assert (f.watchlisted_alerted, f.nonwatchlist_alerted) == (1, 1)


def test_row_order_changes_no_part_of_the_run(tmp_path):
    lines = DEV1.read_text().splitlines()
    random.Random(5).shuffle(lines)
    shuffled = tmp_path / "dev-1.txt"
    shuffled.write_text("\n".join(lines) + "\n")
    a = api.import_scores(DEV1, tmp_path / "a", threshold=0.0, deployment_id="dev").manifest
    b = api.import_scores(shuffled, tmp_path / "b", threshold=0.0, deployment_id="dev").manifest
    assert a["parts"] == b["parts"]                        # every table and the bundle copy, byte for byte
    assert a["signature"] != b["signature"]                # the file itself differs (its hash is signed)


def test_signature_names_the_file_and_its_hash(dev1_run):
    sig = json.loads((dev1_run / "manifest.json").read_text())["signature"]
    assert "src:scorelist" in sig and "in:dev-1.txt#14b2a237" in sig and "thr:0|" in sig


def test_default_threshold_is_the_eer_threshold(tmp_path):
    res = api.import_scores(DEV1, tmp_path / "run")
    eer = m.eer(m.Comparisons.from_scorelist(read_scorelist(str(DEV1))), n_boot=0)
    assert res.manifest["parameters"]["threshold"] == eer.threshold
    assert res.manifest["parameters"]["threshold_source"] == "eer"


def test_pyeer_pair_in_one_command(tmp_path, capsys):
    g, i = PARITY / "pyeer" / "exp1_true.txt", PARITY / "pyeer" / "exp1_false.txt"
    code, out, err = run_cli(["scores", "import", str(g), str(i), "--format", "pyeer", "--out",
                              str(tmp_path / "exp1"), "--threshold", "0.5"], capsys)
    assert code == 0, err
    assert "pyeer, verification" in out and "in:exp1_true.txt#" in out and "+exp1_false.txt#" in out
    code, out, err = run_cli(["score", str(tmp_path / "exp1")], capsys)
    assert code == 0, err and "fpir" in out


def test_identification_list_as_run(tmp_path):
    p = tmp_path / "o.csv"
    rows = ["probe,mated,subject,score,true_subject,group"]
    rng = np.random.default_rng(0)
    for k in range(60):
        mated = k % 3 != 0
        true = f"s{k % 7}" if mated else f"x{k}"
        cands = rng.choice(12, 4, replace=False)
        for c in cands:
            s = rng.random()
            rows.append(f"p{k},{str(mated).lower()},s{c},{s!r},{true},{'a' if k % 2 else 'b'}")
        if mated and f"s{k % 7}" not in {f"s{c}" for c in cands}:
            rows.append(f"p{k},true,s{k % 7},{0.5 + rng.random() / 2!r},{true},{'a' if k % 2 else 'b'}")
    rows.append("p999,false,,,x999,a")                         # a failure to acquire
    p.write_text("\n".join(rows) + "\n")
    res = api.import_scores(p, tmp_path / "run", threshold=0.8)
    assert res.manifest["scorelist"]["kind"] == "identification"
    stats = load_statistics(tmp_path / "run")
    from fr_eval.thresholds import identification as ident

    direct = ident.OpenSet.from_searches(read_scorelist(str(p)).searches)
    run = passage_searches(stats)
    assert sorted(direct.mate_score) == sorted(run.mate_score) and np.array_equal(direct.nonmated_best,
                                                                                  run.nonmated_best)
    assert (direct.fta_mated, direct.fta_nonmated) == (run.fta_mated, run.fta_nonmated) == (0, 1)
    for t in (0.3, 0.8, 0.95):
        f = funnel(stats, t)
        fn, fp = ident.fnir(direct, t), ident.fpir(direct, t)
        assert compute("tpir", f).denominator - compute("tpir", f).numerator == fn.numerator
        assert (compute("fpir", f).numerator, compute("fpir", f).denominator) == (fp.numerator, fp.denominator)
    s = summarize_run(stats, n_boot=0)
    assert s.cmc is not None and s.fnir_at_fpir and s.eer is None
    by = api.sweep(tmp_path / "run", at=[0.8], by=["group"])
    assert {g for b in by.groups for g in b.rates} >= {"a", "b"}


@pytest.mark.parametrize("text, fragment", [
    ("label,score\ngenuine,0.5\nimpostor,abc\n", "line 3: score 'abc' is not a number"),
    ("label,score\ngenuine,0.5\nmaybe,0.1\n", "line 3"),
    ("", "empty"),
    ("probe,mated,subject,score,true_subject\np1,true,a,0.9,a\np1,true,b,0.8,a\np1,true,a,0.7,a\n", "line 4"),
])
def test_bad_lists_are_one_line_exit_2(tmp_path, capsys, text, fragment):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    code, out, err = run_cli(["scores", "import", str(p), "--out", str(tmp_path / "run"), "--threshold", "0.5"],
                             capsys)
    assert code == 2 and fragment in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "run").exists() and not (tmp_path / "run.partial").exists()


def test_out_folder_rules(tmp_path, capsys):
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine")
    code, _, err = run_cli(["scores", "import", str(DEV1), "--out", str(mine), "--overwrite"], capsys)
    assert code == 2 and (mine / "keep.txt").read_text() == "mine"
    run = tmp_path / "run"
    assert run_cli(["scores", "import", str(DEV1), "--out", str(run), "-q"], capsys)[0] == 0
    code, _, err = run_cli(["scores", "import", str(DEV1), "--out", str(run)], capsys)
    assert code == 2 and "--overwrite" in err
    assert run_cli(["scores", "import", str(DEV1), "--out", str(run), "--overwrite", "--threshold", "1"],
                   capsys)[0] == 0
    assert api.verify(run) == []


def test_every_command_reads_it(dev1_run, tmp_path, capsys):
    other = tmp_path / "t05"
    api.import_scores(DEV1, other, threshold=0.5)
    for args in (["reconcile", str(dev1_run)], ["sweep", str(dev1_run), "--at", "0.1"],
                 ["compare", str(dev1_run), str(other)], ["verify", str(dev1_run)]):
        code, out, err = run_cli(args, capsys)
        assert code == 0, (args, err)
    policy = tmp_path / "policy.yaml"
    policy.write_text("rules:\n  - {metric: fpir, max: 0.5}\n")
    code, out, err = run_cli(["gate", str(dev1_run), "--policy", str(policy)], capsys)
    assert code in (0, 1) and "fpir" in out, err


def test_metrics_refuses_a_replay_run_with_one_line(tmp_path):
    from runfactory import make_run

    run = make_run(tmp_path / "r")
    with pytest.raises(InputError, match="runs imported from a score list"):
        api.metrics(run)


@pytest.mark.slow
def test_report_of_a_score_list_run_uses_its_metrics(dev1_run, tmp_path):
    from pypdf import PdfReader

    pdf = api.report(dev1_run, tmp_path / "r.pdf")
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(str(pdf)).pages]
    text, page1 = "\n".join(pages), pages[0]
    assert "standard metrics (section 4): EER 11.1%" in page1 and "AUC 0.9474" in page1
    assert "The field's standard metrics of the score list" in text and "ROCCH-EER (Bosaris)" in text
    assert "FRR @ FAR <= 0.001" in text and "455/479 = 95.0%" in text
    assert "A score list has no faces to show" in text
    html = api.report(dev1_run, tmp_path / "r.html").read_text()
    assert "EER 11.1%" in html and "ROCCH-EER (Bosaris)" in html
