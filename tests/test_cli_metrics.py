"""``fr-eval metrics``: table and JSON from every format; bad input is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cliutil import run_cli

from fr_eval.cli import COMMANDS

PARITY = Path(__file__).parent / "data" / "parity"


def test_listed_with_help(capsys):
    assert "metrics" in COMMANDS
    code, out, _ = run_cli(["metrics", "--help"], capsys)
    assert code == 0 and "--target-fmr" in out and "--fta" in out and "--ci" in out


def test_bob_4col_table_reproduces_compute_perf(capsys):
    code, out, err = run_cli(["metrics", str(PARITY / "bob" / "dev-4col.txt"), "--n-boot", "50"], capsys)
    assert code == 0, err
    assert "format bob4" in out and "390 genuine, 520 impostor" in out
    eer_line = next(line for line in out.splitlines() if line.startswith("EER"))
    assert "FMR 35/520, FNMR 26/390" in eer_line and "-0.0048305" in eer_line   # bob's compute_perf numbers
    assert "FNMR @ FMR <= 0.01" in out and "FNMR @ FMR <= 0.001" in out and "FMR @ FNMR <= 0.01" in out
    assert "ROCCH-EER" in out and "AUC" in out and "np.nextafter" in out


def test_json_is_strict_and_complete(capsys):
    code, out, _ = run_cli(["metrics", str(PARITY / "bob" / "dev-1.txt"), "--json", "--n-boot", "20",
                            "--target-fmr", "0.05", "--fta", "exclude", "--seed", "3"], capsys)
    assert code == 0
    d = json.loads(out)
    v = d["verification"]
    assert d["fta_convention"] == "exclude" and d["seed"] == 3 and d["source"]["files"][0]["sha256"]
    assert v["fta"]["genuine"] == 28 and v["fta"]["impostor"] == 26 and v["fta"]["convention"] == "exclude"
    assert [p["target_value"] for p in v["fnmr_at_fmr"]] == [0.05]
    assert v["eer"]["fmr"]["numerator"] == 31 and v["eer"]["fmr"]["denominator"] == 495   # bob's test_m1.txt
    assert v["eer"]["n_boot"] == 20 and len(v["eer"]["ci95"]) == 2 and 0 < v["auc"]["value"] < 1
    assert "identification" not in d


def test_pyeer_pair(capsys):
    pair = [str(PARITY / "pyeer" / "exp2_true.txt"), str(PARITY / "pyeer" / "exp2_false.txt")]
    code, out, err = run_cli(["metrics", *pair, "--n-boot", "0"], capsys)
    assert code == 0, err
    assert all(len(line) <= 100 for line in out.splitlines())       # fitted to the terminal
    out = " ".join(out.split())                                      # the header wraps at spaces
    assert "format pyeer" in out and "180 genuine, 3,619 impostor" in out and "no interval (--n-boot 0)" in out


def test_openset_list(tmp_path, capsys):
    p = tmp_path / "s.csv"
    p.write_text("probe,mated,subject,score,true_subject\n"
                 "m1,true,a,0.9,a\nm1,true,b,0.5,a\nm2,true,c,0.8,b\nm2,true,b,0.6,b\n"
                 "n1,false,a,0.7,q\nn2,false,c,0.4,r\nn3,false,,,s\n")
    code, out, err = run_cli(["metrics", str(p), "--target-fpir", "0.34", "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)["identification"]
    point = d["fnir_at_fpir"][0]
    assert point["threshold"] == 0.7 and point["fpir"]["numerator"] == 1 and point["fpir"]["denominator"] == 3
    assert point["fnir"]["numerator"] == 1 and point["fnir_rank1"]["numerator"] == 1
    assert [q["numerator"] for q in d["cmc"]["points"]] == [1, 2] and d["fta"]["nonmated"] == 1
    code, out, _ = run_cli(["metrics", str(p), "--target-fpir", "0.34"], capsys)
    assert "FNIR @ FPIR <= 0.34" in out and "DIR rank 1" in out and "CMC rank 2" in out


def test_bootstrap_interval_clustered_by_subject(tmp_path, capsys):
    rows = ["label,score,subject"] + [f"{'genuine' if k % 2 else 'impostor'},{(k % 7) / 7 + (k % 2) / 3},s{k % 5}"
                                      for k in range(60)]
    p = tmp_path / "s.csv"
    p.write_text("\n".join(rows) + "\n")
    code, out, err = run_cli(["metrics", str(p), "--ci", "bootstrap", "--seed", "9", "--n-boot", "30", "--json"],
                             capsys)
    assert code == 0, err
    eer_ = json.loads(out)["verification"]["eer"]
    assert "cluster bootstrap (5 clusters" in eer_["fmr"]["ci_method"] and eer_["fmr"]["seed"] == 9
    assert "cluster bootstrap by subject" in eer_["ci_method"]


@pytest.mark.parametrize("files,args,needles", [
    (["bad.csv"], [], ["bad.csv: line 3", "not a number"]),
    (["one.txt"], [], ["cannot tell the format", "pyeer"]),
    (["missing.csv"], [], ["no such file"]),
    (["bad.csv", "bad.csv"], ["--format", "csv"], ["reads one file, got 2"]),
    (["nolabels.csv"], ["--ci", "bootstrap"], ["who is who"]),
    (["nolabels.csv"], ["--target-fpir", "0.01"], ["identification needs probe and subject labels"]),
])
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, files, args, needles):
    (tmp_path / "bad.csv").write_text("label,score\ngenuine,0.5\nimpostor,x\n")
    (tmp_path / "one.txt").write_text("0.5\n0.6\n")
    (tmp_path / "nolabels.csv").write_text("label,score\ngenuine,0.5\nimpostor,0.1\n")
    code, out, err = run_cli(["metrics", *[str(tmp_path / f) for f in files], *args], capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    for n in needles:
        assert n in err, err
