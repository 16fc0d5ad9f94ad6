"""Several deployments side by side (``fr-eval reconcile A.yaml B.yaml ...``), and every command's text output
fitting 100 columns (``--wide`` for all)."""

from __future__ import annotations

import json

import pytest

from cliutil import run_cli
from conftest import ROOT
from fr_eval import api
from fr_eval.report.tables import fit
from fr_eval.report.text import value_cell
from thresholdruns import scored_run

PUBLISHED = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "datasets" / "published").glob("*.yaml"))


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


def test_side_by_side_has_the_numbers_of_each_file_alone(capsys):
    assert len(PUBLISHED) >= 4
    code, out, err = run_cli(["reconcile", *PUBLISHED, "--json"], capsys)
    assert code == 0, err
    together = json.loads(out)
    cols = [d["column"] for d in together["deployments"]]
    shown = {m["id"] for m in together["methods"]}
    for col, path in zip(cols, PUBLISHED):
        code, out, _ = run_cli(["reconcile", path, "--json"], capsys)
        alone = {m["id"]: m for m in json.loads(out)["methods"]}
        for mid, m in alone.items():
            if m["available"] and m["denominator"]:
                assert mid in shown, (path, mid)
        for row in together["methods"]:
            got, want = row["by_deployment"][col], alone[row["id"]]
            for key in ("available", "numerator", "denominator", "ci95", "text", "unit", "signature"):
                assert got[key] == want[key], (path, row["id"], key)
        assert together["claims"][col]["checks"] == json.loads(out)["claims"]


def test_side_by_side_text_fits_100_columns_and_prints_each_cell(capsys):
    code, text, _ = run_cli(["reconcile", *PUBLISHED], capsys)
    assert code == 0
    assert widest(text) <= 100
    sbs = api.reconcile_many(PUBLISHED)
    flat = " ".join(text.split())
    for m in sbs.methods():
        for i in range(len(PUBLISHED)):
            for piece in value_cell(sbs.cell(m, i)).split(" "):     # the pieces the fitter keeps whole
                assert piece.replace("\u00a0", " ") in flat, (m, i, piece)
    # --wide: one line per method, wider than the terminal
    _, wide, _ = run_cli(["reconcile", *PUBLISHED, "--wide"], capsys)
    assert widest(wide) > 100
    assert "8/42 = 19.0% [8.6%, 34.1%]" in wide


def test_known_as_figures_never_sit_on_another_deployments_row(capsys):
    """The 2022 Oxford Circus row (1 false alert of 11) was labelled "The Times ... wrong on 7 of 8 alerts"."""
    c2022 = "datasets/published/met-oxford-circus-2022-01-28.yaml"
    for args in (["reconcile", c2022], ["reconcile", *PUBLISHED], ["reconcile", c2022, "--wide"]):
        _, text, _ = run_cli(args, capsys)
        table = text.split("not computable")[0] if len(args) == 2 else text.split("PUBLISHED ELSEWHERE")[0]
        assert "7 of 8" not in table and "1/11 = 9.1%" in " ".join(table.split()), args
    _, text, _ = run_cli(["reconcile", *PUBLISHED], capsys)
    sources = text.split("PUBLISHED ELSEWHERE")[1]
    assert "wrong on 7 of 8 alerts, about the Met's 2020 deployments" in " ".join(sources.split())
    _, out, _ = run_cli(["reconcile", c2022, "--json"], capsys)
    share = next(m for m in json.loads(out)["methods"] if m["id"] == "false_alert_share")
    assert "7 of 8" not in share["used_by"]


def test_single_reconcile_fits_and_shows_claims_apart(capsys):
    _, text, _ = run_cli(["reconcile", "datasets/published/essex-2019.yaml"], capsys)
    assert widest(text) <= 100
    published = text.split("PUBLISHED CLAIMS")[1].split("DERIVED FIGURES")[0]
    derived = text.split("DERIVED FIGURES")[1].split("BASE RATE")[0]
    assert "essex-19" in published and "stops-36" not in published
    assert "stops-36" in derived and "verified-wrong-33" in derived and "met-70" not in derived
    assert "what-if" in text.split("BASE RATE")[1].splitlines()[0]


def test_a_bad_file_among_many_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("alerts: 4\nverified_correct: 9\n")
    code, _, err = run_cli(["reconcile", "datasets/published/essex-2019.yaml", str(bad)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "bad.yaml" in err


def test_score_sweep_compare_fit_100_columns(tmp_path, capsys):
    a = scored_run(tmp_path / "a")
    b = scored_run(tmp_path / "b", shift=0.1)
    c = scored_run(tmp_path / "c", seed=2, footage_hash="e" * 64)
    for args in (["score", str(a)], ["score", str(a), str(c)], ["sweep", str(a), "--by", "gender"],
                 ["compare", str(a), str(b)]):
        code, text, err = run_cli(args, capsys)
        assert code == 0, (args, err)
        assert widest(text) <= 100, (args, [line for line in text.splitlines() if len(line) > 100][:2])
        code, wide, _ = run_cli([*args, "--wide"], capsys)
        assert code == 0 and widest(wide) >= widest(text)


def test_fit_wraps_then_drops_and_says_so():
    headers = ["id", "figure", "notes"]
    rows = [["a", "8/42 = 19.0% \u00a0[8.6%,\u00a034.1%]", "x " * 40]]
    text, dropped = fit(headers, rows, [0, 1, 2], "lll", width=45, wrap={2: 10})
    assert widest(text) <= 45 and dropped == [] and "[8.6%, 34.1%]" in text
    text, dropped = fit(headers, rows, [0, 1, 2], "lll", width=35, wrap={})
    assert dropped == ["notes"] and widest(text) <= 35
    text, dropped = fit(headers, rows, [0, 1, 2], "lll", width=30, wide=True)
    assert dropped == [] and widest(text) > 30
