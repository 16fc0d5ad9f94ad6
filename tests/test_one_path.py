"""Every number from one path: the nine disagreements of the "one path" issue, each pinned.

Each test here failed on main before the counting was rebuilt around one alert
rule, one counter and one signature (issue "Every number from one path").
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cliutil import run_cli
from runfactory import make_run, track

ROOT = Path(__file__).resolve().parents[1]


def scores_bundle(root: Path, truth: list[dict], log: list[dict], *, threshold: float = 0.5,
                  watchlist=("S1", "S2", "S3")) -> Path:
    """A bundle for the ``scores`` matcher: a vendor log of face events instead of footage."""
    root.mkdir(parents=True)
    pd.DataFrame({"subject_id": list(watchlist), "image": [f"watchlist/{s}.jpg" for s in watchlist]}).to_csv(
        root / "watchlist.csv", index=False)
    pd.DataFrame(truth).assign(plant="false").to_csv(root / "truth.csv", index=False)
    pd.DataFrame(log).to_csv(root / "log.csv", index=False)
    spec = {"id": "vendor", "place": "test", "start_time": "2020-02-27T10:00:00Z",
            "conditions": {"lighting": "day", "crowd": "sparse"}, "threshold": threshold, "matcher": "scores",
            "watchlist": "watchlist.csv", "truth": "truth.csv",
            "footage": [{"path": "footage/cam1.mp4", "camera": "cam1"}]}
    (root / "deployment.yaml").write_text(yaml.safe_dump(spec))
    return root


def passage(pid, t0, t1, subject="", person=None, camera="cam1"):
    return {"passage_id": pid, "camera": camera, "t_start": t0, "t_end": t1, "subject_id": subject,
            "person_id": person or subject or pid, "plant": False}


def score_json(run, capsys, *extra) -> dict:
    code, out, err = run_cli(["score", str(run), "--json", *extra], capsys)
    assert code == 0, err
    return {m["id"]: m for m in json.loads(out)["deployments"][0]["methods"]}


def sweep_json(run, capsys, *extra) -> dict:
    code, out, err = run_cli(["sweep", str(run), "--json", *extra], capsys)
    assert code == 0, err
    return json.loads(out)


def point_at(sweep: dict, threshold: float) -> dict:
    return next(p for p in sweep["points"] if p["threshold"] == threshold)


# -- 1. per-camera precision: one breakdown for sweep --by, gate and the report -----------------------

def test_1_per_camera_precision_is_the_same_in_the_breakdown_and_the_report(tmp_path):
    from fr_eval.counting.groups import breakdown
    from fr_eval.counting.load import load_statistics
    from fr_eval.report.model import build_model

    run = make_run(tmp_path / "run", passages=[
        passage("p1", 0, 10, "S1", camera="cam1"),
        passage("p2", 0, 10, "S2", camera="cam2"),
        passage("p3", 20, 30, "", "bystander", camera="cam2"),
    ], tracks=[
        track("t1", "cam1", 1, 5, {"S1": 0.9}),
        track("t2", "cam2", 1, 5, {"S2": 0.9}),            # correct alert on cam2
        track("t3", "cam2", 21, 25, {"S1": 0.8}),          # false alert on a bystander on cam2
        track("t4", "cam2", 50, 52, {"S3": 0.7}),          # false alert on a face no passage explains, on cam2
    ], watchlist=["S1", "S2", "S3"])
    stats = load_statistics(run)
    b = breakdown(stats, "precision", "camera")
    report = build_model(run, gallery=False)
    rows = {g.group: g for g in report.groups if g.dimension == "camera"}
    for cam in ("cam1", "cam2"):
        r, g = b.rates[cam], rows[cam].rates["precision"]
        assert (r.numerator, r.denominator) == (g.numerator, g.denominator), cam
    # every alert raised on camera 2 is counted there, including the one on a track no passage explains
    assert (b.rates["cam2"].numerator, b.rates["cam2"].denominator) == (1, 3)


# -- 2. the alert rule: an imported log alerts exactly as footage replay does --------------------------

def test_2_imported_scores_alert_on_every_subject_at_or_above_the_threshold(tmp_path, capsys):
    bundle = scores_bundle(tmp_path / "b", [passage("p1", 0, 5, "S2")], [
        {"camera": "cam1", "t": 1.0, "subject_id": "S1", "score": 0.9, "event_id": "e1"},
        {"camera": "cam1", "t": 1.0, "subject_id": "S2", "score": 0.8, "event_id": "e1"},
        {"camera": "cam1", "t": 1.0, "subject_id": "S3", "score": 0.1, "event_id": "e1"},
    ])
    code, _, err = run_cli(["replay", str(bundle), "--out", str(tmp_path / "run"), "--scores",
                            str(bundle / "log.csv"), "--top-k", "1", "-q"], capsys)
    assert code == 0, err
    m = score_json(tmp_path / "run", capsys)
    # S2 is the person present: the rule raises its alert although S1 ranks above it
    assert (m["tpir"]["numerator"], m["tpir"]["denominator"]) == (1, 1)
    assert (m["precision"]["numerator"], m["precision"]["denominator"]) == (1, 2)


# -- 3. exact scores: no float32 anywhere between input and output -------------------------------------

def test_3_a_score_just_below_the_threshold_is_below_it_everywhere(tmp_path, capsys):
    truth = [passage("p1", 0, 5, "S1"), passage("p2", 10, 15, "", "a"), passage("p3", 20, 25, "", "b")]
    log = [{"camera": "cam1", "t": 1.0, "subject_id": "S1", "score": 0.9, "event_id": "e1"},
           {"camera": "cam1", "t": 11.0, "subject_id": "S2", "score": 0.6399999999, "event_id": "e2"},
           {"camera": "cam1", "t": 21.0, "subject_id": "S2", "score": 0.2, "event_id": "e3"}]
    bundle = scores_bundle(tmp_path / "b", truth, log, threshold=0.64)
    run = tmp_path / "run"
    assert run_cli(["replay", str(bundle), "--out", str(run), "--scores", str(bundle / "log.csv"), "-q"],
                   capsys)[0] == 0
    fpir = score_json(run, capsys)["fpir"]
    swept = point_at(sweep_json(run, capsys, "--at", "0.64"), 0.64)["methods"]["fpir"]
    assert (fpir["numerator"], fpir["denominator"]) == (0, 2)
    assert (swept["numerator"], swept["denominator"]) == (0, 2)
    for written in ("0.64", "0.6400000000", "6.4e-1"):
        policy = tmp_path / f"policy-{written}.yaml"
        policy.write_text(f"threshold: {written}\nrules:\n  - {{metric: fpir, max: 0}}\n")
        code, out, err = run_cli(["gate", str(run), "--policy", str(policy)], capsys)
        assert code == 0, (written, out, err)
    # a threshold chosen for a target is one of the run's own scores, never a float32 neighbour
    target = sweep_json(run, capsys, "--target-fpir", "0.6")["targets"][0]
    assert target["threshold"] in (0.9, 0.6399999999, 0.2) or target["threshold"] is None or \
        target.get("interval") is not None


# -- 4. linking does not depend on the order of truth rows ----------------------------------------------

def _two_in_view(root: Path, order: list[int]) -> Path:
    rows = [passage("a", 0, 10, "S1", "alice"), passage("b", 0, 10, "", "bob"), passage("c", 0, 10, "", "carol")]
    return make_run(root, passages=[rows[i] for i in order], tracks=[
        track("t1", "cam1", 1, 4, {"S1": 0.9}), track("t2", "cam1", 5, 8, {"S1": 0.2}),
        track("t3", "cam1", 2, 6, {"S2": 0.3})], watchlist=["S1", "S2"])


def test_4_truth_row_order_changes_no_count_and_ambiguity_is_reported(tmp_path, capsys):
    results = []
    for i, order in enumerate(([0, 1, 2], [1, 0, 2], [2, 1, 0], [1, 2, 0])):
        m = score_json(_two_in_view(tmp_path / f"r{i}", order), capsys)
        results.append({k: (v["numerator"], v["denominator"]) for k, v in m.items() if v.get("available")})
    assert all(r == results[0] for r in results), results
    code, out, err = run_cli(["score", str(tmp_path / "r0")], capsys)
    assert "ambiguous" in out.lower(), out
    code, out, err = run_cli(["score", str(tmp_path / "r0"), "--strict"], capsys)
    assert code == 2 and "ambiguous" in err


# -- 5. a printed threshold is the threshold that was used ---------------------------------------------

def test_5_every_printed_sweep_threshold_gives_the_printed_counts_when_entered(tmp_path, capsys):
    """The demo's sweep printed "0.642" for the score 0.641973 (1 alert); `--at 0.642` gave 0 alerts."""
    run = make_run(tmp_path / "run", passages=[passage(f"p{i}", 10 * i, 10 * i + 5, "S1" if i % 2 else "",
                                                       None if i % 2 else f"x{i}") for i in range(6)],
                   tracks=[track(f"t{i}", "cam1", 10 * i + 1, 10 * i + 4,
                                 {"S1": 0.5 + 0.0283946 * i, "S2": 0.41 + 0.013 * i}) for i in range(6)],
                   watchlist=["S1", "S2"])
    code, out, err = run_cli(["sweep", str(run), "--thresholds", "7"], capsys)
    assert code == 0, err
    rows = [line.split() for line in out.splitlines() if line[:1].isdigit()]
    assert len(rows) >= 7
    for cells in rows:
        printed, alerts = cells[0], int(next(c for c in cells if c.isdigit()))
        pt = sweep_json(run, capsys, "--at", printed)["points"]
        pt = next(p for p in pt if p["threshold"] == float(printed))
        assert pt["alerts"] == alerts, (printed, alerts, pt["alerts"])


# -- 6. a target names the whole interval of thresholds that meet it --------------------------------------

def test_6_target_reports_the_interval_and_a_recommended_point_with_margin(tmp_path, capsys):
    run = make_run(tmp_path / "run", passages=[passage("m1", 0, 5, "S1"), passage("m2", 10, 15, "S2"),
                                               passage("n1", 20, 25, "", "x"), passage("n2", 30, 35, "", "y")],
                   tracks=[track("t1", "cam1", 1, 4, {"S1": 0.7005, "S2": 0.2}),
                           track("t2", "cam1", 11, 14, {"S2": 0.81, "S1": 0.1}),
                           track("t3", "cam1", 21, 24, {"S1": 0.3621}),
                           track("t4", "cam1", 31, 34, {"S2": 0.25})], watchlist=["S1", "S2"])
    target = sweep_json(run, capsys, "--target-fpir", "0.05")["targets"][0]
    # every threshold above 0.3621 (the highest non-mated score) up to 0.7005 (the lowest mated) meets it
    assert target["interval"]["low"] == 0.3621 and target["interval"]["low_inclusive"] is False
    assert target["interval"]["high"] == 0.7005 and target["interval"]["high_inclusive"] is True
    assert 0.3621 < target["threshold"] < 0.7005      # recommended: not on the knife edge of either score
    assert target["rule"]


# -- 7. signatures describe the number ---------------------------------------------------------------------

def test_7_gate_signature_names_the_threshold_it_judged_at(tmp_path, capsys):
    run = make_run(tmp_path / "run", passages=[passage("p1", 0, 5, "S1")],
                   tracks=[track("t1", "cam1", 1, 4, {"S1": 0.9})], watchlist=["S1"])
    policy = tmp_path / "p.yaml"
    policy.write_text("threshold: 0.72\nrules:\n  - {metric: tpir, min: 0.5}\n")
    code, out, err = run_cli(["gate", str(run), "--policy", str(policy), "--json"], capsys)
    sig = json.loads(out)["signature"]
    assert "thr:0.72" in sig and "thr:0.5" not in sig


def test_7_interval_settings_are_in_the_signature(tmp_path, capsys):
    run = make_run(tmp_path / "run", passages=[passage("p1", 0, 5, "S1")],
                   tracks=[track("t1", "cam1", 1, 4, {"S1": 0.9})], watchlist=["S1"])
    code, out, _ = run_cli(["score", str(run), "--json"], capsys)
    plain = json.loads(out)["deployments"][0]["signature"]
    code, out, _ = run_cli(["score", str(run), "--json", "--ci", "bootstrap", "--seed", "7"], capsys)
    boot = json.loads(out)["deployments"][0]["signature"]
    assert plain != boot and "7" in boot


def test_7_one_counts_signature_spelling_and_no_zero_interval_for_a_tiny_rate(tmp_path, capsys):
    counts = tmp_path / "met.yaml"
    counts.write_text("id: met-year\nfaces_processed: 3147436\nalerts: 2077\nfalse_alerts: 10\n")
    code, out, _ = run_cli(["reconcile", str(counts)], capsys)
    assert "0.0% [0.0%, 0.0%]" not in out
    sigs = {line.split("=")[0].strip().split("|", 1)[1] for line in out.splitlines()
            if line.startswith(("false_alert_rate|", "precision|", "false_alert_share|"))}
    assert len(sigs) == 1, sigs
    code, out, _ = run_cli(["reconcile", str(counts), "--json"], capsys)
    assert json.loads(out)["signature"] in sigs


# -- 8. the claims check is monotone -----------------------------------------------------------------------

def test_8_claims_status_is_monotone_in_the_distance_from_the_claim():
    from fr_eval.counting.funnel import Claim, Funnel
    from fr_eval.counting.claims import check_claim

    claim = Claim(id="met", method="false_alert_rate", reported="1 in 1,000")
    order = {"reproduced": 0, "rounding_inconsistent": 1, "contradicted": 2}
    statuses = []
    for n in (1000, 1490, 1510, 2400, 5000, 20000):
        st = check_claim(claim, Funnel(false_alerts=10, faces_processed=10 * n)).status
        statuses.append(order[st])
    assert statuses == sorted(statuses), statuses
    assert statuses[0] == 0 and statuses[-1] == 2
    missing = check_claim(claim, Funnel(alerts=3))
    assert missing.status == "not_checkable" and "faces_processed" in missing.reason


def test_8_a_counts_file_without_alerts_does_not_say_zero_alerts(tmp_path, capsys):
    counts = tmp_path / "c.yaml"
    counts.write_text("id: c\nwatchlist_size: 100\n")
    code, out, _ = run_cli(["reconcile", str(counts)], capsys)
    assert code == 0 and "0 alerts were raised" not in " ".join(out.split())


# -- 9. execution settings never change a number or a time --------------------------------------------------

@pytest.mark.slow
def test_9_chunk_size_and_workers_change_nothing_in_the_run(tmp_path, capsys):
    from fr_eval.store.runs import read_table

    bundle = ROOT / "datasets" / "hamilton"
    runs = {}
    for name, extra in (("c60", []), ("c3", ["--chunk-seconds", "3"]), ("c3j2", ["--chunk-seconds", "3", "-j", "2"])):
        code, _, err = run_cli(["replay", str(bundle), "--out", str(tmp_path / name), "-q", "--workers", "1",
                                "--fps", "2", *extra], capsys)
        assert code == 0, err
        runs[name] = tmp_path / name
    for table in ("alerts", "candidates", "tracks", "detections"):
        frames = [read_table(r, table).drop(columns=["track_id", "alert_id"], errors="ignore")
                  for r in runs.values()]
        frames = [f.sort_values(list(f.columns[:4])).reset_index(drop=True) for f in frames]
        for f in frames[1:]:
            pd.testing.assert_frame_equal(frames[0], f, check_exact=True)
