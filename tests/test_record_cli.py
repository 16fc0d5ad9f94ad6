"""`fr-eval record` through the real entry point: text and JSON give the same numbers; plots; bad options."""

from __future__ import annotations

import json

import pytest
from cliutil import run_cli
from recordutil import FAR, write_record

from fr_eval.counting.rates import Rate
from fr_eval.report.record_text import p_text, rate_text


@pytest.fixture
def record(tmp_path):
    return str(write_record(tmp_path))


def _rate(d) -> Rate:
    return Rate(d["id"], d["numerator"], d["denominator"], d["unit"], tuple(d["ci95"]), d["ci_method"],
                {"said_as": d.get("said_as")})


def test_text_and_json_give_the_same_numbers(record, capsys):
    code, text, err = run_cli(["record", record, "--by", "year"], capsys)
    assert code == 0, err
    code, out, _ = run_cli(["record", record, "--by", "year", "--json"], capsys)
    assert code == 0
    d = json.loads(out)
    assert d["selected"] == 12 and d["record"]["deployments"] == 12
    for p in d["pooled"]:
        assert rate_text(_rate(p["result"])) in text, p["method"]
        assert f"{p['method']}: {p['deployments']} of 12 deployments" in text
    far = next(p for p in d["pooled"] if p["method"] == "false_alert_rate")
    assert (far["result"]["numerator"], far["result"]["denominator"]) == FAR
    from fr_eval.counting.rates import one_in

    assert one_in(FAR[0] / FAR[1]) in text
    for h in d["homogeneity"]:
        assert f"Pearson X2 = {h['statistic']:.1f} on {h['df']} df" in text
        assert p_text(h["p_value"]) in text
    for g in d["grouping"]["groups"]:
        for p in g["pooled"]:
            assert rate_text(_rate(p["result"])) in text
    for f in d["funnel_plots"]:
        for p in f["flagged"]:
            assert p["id"] in text and f"{p['side']} {p['outside']}" in text
    for c in d["settings"]:
        assert rate_text(_rate(c["before_result"])) in text and rate_text(_rate(c["after_result"])) in text
        assert p_text(c["test"]["p_value"]) in text
    for row in d["deployments"]:
        assert row["id"] in text


def test_default_output_fits_100_columns_and_wide_shows_everything(record, capsys):
    _, text, _ = run_cli(["record", record], capsys)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "--wide shows them" in text
    _, wide, _ = run_cli(["record", record, "--wide"], capsys)
    assert "Market Square" in wide and "Market Square" not in text


def test_filters_from_the_command_line(record, capsys):
    code, out, err = run_cli(["record", record, "--force", "Force A", "--from", "2024-01-01", "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert [r["id"] for r in d["deployments"]] == ["a-2024-01-10", "a-2024-02-20", "a-2024-05-05", "a-2024-07-07"]
    assert d["selection"]["forces"] == ["Force A"] and d["selection"]["from"] == "2024-01-01"


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_plot_writes_the_funnel_plots(record, tmp_path, capsys, suffix):
    out = tmp_path / f"funnel.{suffix}"
    code, _, err = run_cli(["record", record, "--plot", str(out)], capsys)
    assert code == 0, err
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG") if suffix == "png" else b"<svg" in data[:500]


@pytest.mark.parametrize("args,needle", [
    (["--from", "01/02/2024"], "is not a date YYYY-MM-DD"),
    (["--force", "Force Z"], "no deployment of force 'Force Z'"),
    (["--method", "accuracy"], "unknown counting method 'accuracy'"),
    (["--by", "week"], "Invalid value for '--by'"),
    (["--plot", "x.pdf"], "unknown file type"),
    (["--report", "x.docx"], "unknown file type"),
    (["--exclude", "nope"], "no such deployment_id"),
    (["--year", "1999"], "holds no deployment"),
])
def test_bad_options_exit_2_with_one_line(record, capsys, args, needle):
    code, out, err = run_cli(["record", record, *args], capsys)
    assert code == 2 and needle in err, err
    assert "Traceback" not in err and out == ""


def test_bad_totals_file(record, tmp_path, capsys):
    bad = tmp_path / "totals.yaml"
    bad.write_text("schema: fr-eval/published-totals/1\ntotals:\n  - {id: x, by: y, source: z, from: 2024-01-01, "
                   "to: 2024-12-31, counts: {faces: 3}}\n")
    code, _, err = run_cli(["record", record, "--totals", str(bad)], capsys)
    assert code == 2 and "totals[0]: counts: unknown count 'faces'" in err
