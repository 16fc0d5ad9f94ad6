"""`fr-eval score` and `fr-eval reconcile` through the real entry point (fr_eval.cli.main)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from runfactory import make_run
from test_outcomes import ADJUDICATION, PASSAGES, TRACKS, WATCHLIST
from cliutil import run_cli

ROOT = Path(__file__).resolve().parents[1]
ESSEX = str(ROOT / "datasets" / "published" / "essex-2019.yaml")



def test_reconcile_essex_table(capsys):
    code, out, err = run_cli(["reconcile", ESSEX], capsys)
    assert code == 0, err
    for needle in ("8/42", "19.0%", "8/22", "36.4%", "34/42", "81.0%", "19.0% to 66.7%", "[8.6%, 34.1%]",
                   "ALERT WATERFALL", "judged credible by the operators", "16 rejected by the operators at once",
                   "4 lost in the crowd", "14 verified incorrect", "not_checkable", "1 in 2,980",
                   "tpir: needs watchlisted_alerted and watchlisted_passages",
                   "verified_precision|fr-eval:", "|src:counts|", "|in:essex-2019#"):
        assert needle in out, needle


def test_reconcile_essex_json_gives_the_same_numbers(capsys):
    code, out, _ = run_cli(["reconcile", ESSEX, "--json"], capsys)
    assert code == 0
    d = json.loads(out)
    by = {m["id"]: m for m in d["methods"]}
    assert (by["verified_precision"]["numerator"], by["verified_precision"]["denominator"]) == (8, 42)
    assert round(by["verified_precision"]["value"] * 100, 1) == 19.0
    assert round(by["stopped_precision"]["value"] * 100, 1) == 36.4
    assert (by["false_share"]["numerator"], round(by["false_share"]["value"] * 100, 1)) == (34, 81.0)
    assert [round(b * 100, 1) for b in by["precision_bounds"]["bounds"]] == [19.0, 66.7]
    assert [round(x * 100, 1) for x in by["verified_precision"]["ci95"]] == [8.6, 34.1]
    assert [s["count"] for s in d["waterfall"]] == [42, 26, 26, 22, 8] and d["waterfall_closes"]
    assert {c["id"]: c["status"] for c in d["claims"]}["essex-19"] == "reproduced"


def test_reconcile_wilson(capsys):
    code, out, _ = run_cli(["reconcile", ESSEX, "--json", "--ci", "wilson"], capsys)
    d = json.loads(out)
    vp = {m["id"]: m for m in d["methods"]}["verified_precision"]
    assert vp["ci_method"] == "wilson" and [round(x, 3) for x in vp["ci95"]] == [0.1, 0.333]


@pytest.mark.parametrize("patch,needle", [
    ({"alerts": -3}, "alerts must not be negative"),
    ({"stopped": 2.5}, "stopped must be a whole number"),
    ({"stopped": 25}, "stage 'stops'"),
    ({"verified_correct": 10, "verified_incorrect": 14}, "stage 'verification'"),
])
def test_bad_counts_one_line_exit_2(tmp_path, capsys, patch, needle):
    data = yaml.safe_load(Path(ESSEX).read_text())
    data.update(patch)
    p = tmp_path / "bad.yaml"
    p.write_text(yaml.safe_dump(data))
    code, out, err = run_cli(["reconcile", str(p)], capsys)
    assert code == 2
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("fr-eval: error: ") and str(p) in err


def test_reconcile_missing_source(tmp_path, capsys):
    code, _, err = run_cli(["reconcile", str(tmp_path / "nothing.txt")], capsys)
    assert code == 2 and "no such file or folder" in err


@pytest.fixture
def run(tmp_path):
    return make_run(tmp_path / "run", passages=PASSAGES, tracks=TRACKS, watchlist=WATCHLIST,
                    adjudication=ADJUDICATION)


def test_score_one_run(run, capsys):
    code, out, err = run_cli(["score", str(run), "--quiet"], capsys)
    assert code == 0, err
    assert "tpir" in out and "3/4" in out and "15/22" in out
    assert "tpir|fr-eval:" in out and "|m:scores@test#" in out and "|thr:0.5|" in out


def test_score_json_plants_only(run, capsys):
    code, out, _ = run_cli(["score", str(run), "--json", "--plants-only"], capsys)
    d = json.loads(out)
    tpir = {m["id"]: m for m in d["deployments"][0]["methods"]}["tpir"]
    assert (tpir["numerator"], tpir["denominator"]) == (2, 2)
    assert "overall" not in d


def test_score_several_runs_overall_by_deployment(tmp_path, capsys):
    a = make_run(tmp_path / "a", passages=PASSAGES, tracks=TRACKS, watchlist=WATCHLIST, adjudication=ADJUDICATION,
                 deployment_id="dep-a")
    b = make_run(tmp_path / "b", passages=PASSAGES[:3], tracks=TRACKS[:4], watchlist=WATCHLIST,
                 deployment_id="dep-b")
    code, out, err = run_cli(["score", str(a), str(b), "--json", "--quiet"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert [x["id"] for x in d["deployments"]] == ["dep-a", "dep-b"]
    overall = {m["id"]: m for m in d["overall"]["methods"]}
    assert (overall["precision"]["numerator"], overall["precision"]["denominator"]) == (3 + 2, 7 + 4)
    assert overall["precision"]["ci_method"] == "bootstrap" and overall["precision"]["n_clusters"] == 2
    # b has no adjudication: the adjudicated methods cannot be pooled
    assert overall["verified_precision"]["available"] is False
    code, out, _ = run_cli(["score", str(a), str(b), "--quiet"], capsys)
    assert "OVERALL (2 deployments; intervals: cluster bootstrap by deployment)" in out


def test_score_bad_adjudication_exit_2(tmp_path, capsys):
    adj = ADJUDICATION[:-1] + [{"alert_id": "nope:S9", "operator_decision": "rejected",
                                "engagement": "not_attempted", "verification": "unverified", "outcome": ""}]
    r = make_run(tmp_path / "run", passages=PASSAGES, tracks=TRACKS, watchlist=WATCHLIST, adjudication=adj)
    code, _, err = run_cli(["score", str(r)], capsys)
    assert code == 2 and "'nope:S9' is not an alert of this run" in err and err.count("\n") == 1


def test_score_overlapping_truth_exit_2(tmp_path, capsys):
    bad = PASSAGES + [{"passage_id": "p10", "camera": "cam1", "t_start": 1, "t_end": 2, "subject_id": "S1",
                       "person_id": "alice", "plant": True}]
    r = make_run(tmp_path / "run", passages=bad, tracks=TRACKS, watchlist=WATCHLIST)
    code, _, err = run_cli(["score", str(r)], capsys)
    assert code == 2 and "overlap in time" in err and err.count("\n") == 1


def test_score_incomplete_run_exit_2(tmp_path, capsys):
    r = make_run(tmp_path / "run", passages=PASSAGES, tracks=TRACKS, watchlist=WATCHLIST, complete=False)
    code, _, err = run_cli(["score", str(r)], capsys)
    assert code == 2 and "did not finish" in err


def test_reconcile_run_json(run, capsys):
    code, out, _ = run_cli(["reconcile", str(run), "--json"], capsys)
    d = json.loads(out)
    assert d["kind"] == "run" and d["signature"].startswith("fr-eval:")
    assert d["base_rate"]["observed_prevalence"]["numerator"] == 4


def test_score_pools_runs_of_one_deployment_and_refuses_repeats(tmp_path, capsys):
    cam1 = [p for p in PASSAGES if p["camera"] == "cam1"]
    cam2 = [p for p in PASSAGES if p["camera"] == "cam2"]
    a = make_run(tmp_path / "a", passages=cam1, tracks=[t for t in TRACKS if t["camera"] == "cam1"],
                 watchlist=WATCHLIST, cameras=["cam1", "cam2"])
    b = make_run(tmp_path / "b", passages=cam2, tracks=[t for t in TRACKS if t["camera"] == "cam2"],
                 watchlist=WATCHLIST, cameras=["cam1", "cam2"])
    code, out, err = run_cli(["score", str(a), str(b), "--json", "--quiet"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert len(d["deployments"]) == 1 and "overall" not in d
    tpir = {m["id"]: m for m in d["deployments"][0]["methods"]}["tpir"]
    assert (tpir["numerator"], tpir["denominator"]) == (3, 4)      # the same as the whole scenario
    c = make_run(tmp_path / "c", passages=cam1, tracks=[t for t in TRACKS if t["camera"] == "cam1"],
                 watchlist=WATCHLIST, cameras=["cam1", "cam2"])
    code, _, err = run_cli(["score", str(a), str(c)], capsys)
    assert code == 2 and "replay the same inputs" in err


def test_plants_only_on_a_counts_file_is_refused(capsys):
    code, _, err = run_cli(["reconcile", ESSEX, "--plants-only"], capsys)
    assert code == 2 and "--plants-only applies to replay runs" in err
