"""Run -> threshold-free rows -> the one counter, checked against a scenario counted by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from runfactory import make_run, track

from fr_eval.counting.counter import cluster_funnels, funnel, passage_outcomes
from fr_eval.counting.linking import link_tracks as _link
from fr_eval.counting.load import load_statistics
from fr_eval.counting.statistics import RunStatistics
from fr_eval.errors import InputError
from fr_eval.inputs.truth import check_truth


def link_tracks(*args, **kw):
    return _link(*args, **kw)[0]


def to_funnel(stats, threshold=None):
    return funnel(stats, threshold)

PASSAGES = [
    # person alice (S1, planted) passes cam1 then cam2
    {"passage_id": "p1", "camera": "cam1", "t_start": 0, "t_end": 5, "subject_id": "S1", "person_id": "alice", "plant": True},
    {"passage_id": "p2", "camera": "cam1", "t_start": 3, "t_end": 8, "subject_id": "", "person_id": "bob", "plant": False},
    {"passage_id": "p3", "camera": "cam1", "t_start": 20, "t_end": 25, "subject_id": "S2", "person_id": "carol", "plant": False},
    {"passage_id": "p4", "camera": "cam2", "t_start": 0, "t_end": 4, "subject_id": "", "person_id": "dave", "plant": False},
    {"passage_id": "p5", "camera": "cam2", "t_start": 10, "t_end": 14, "subject_id": "S1", "person_id": "alice", "plant": True},
    {"passage_id": "p6", "camera": "cam2", "t_start": 30, "t_end": 33, "subject_id": "", "person_id": "erin", "plant": False},
    {"passage_id": "p7", "camera": "cam1", "t_start": 40, "t_end": 45, "subject_id": "S3", "person_id": "frank", "plant": False},
    {"passage_id": "p8", "camera": "cam1", "t_start": 60, "t_end": 62, "subject_id": "", "person_id": "gina", "plant": False},
    {"passage_id": "p9", "camera": "cam2", "t_start": 60, "t_end": 62, "subject_id": "", "person_id": "hank", "plant": False},
]
TRACKS = [
    track("t1", "cam1", 1, 4, {"S1": 0.8, "S2": 0.3}, n_detections=6),        # p1, correct alert
    track("t2", "cam1", 4.5, 7.5, {"S2": 0.6}, n_detections=4),               # p2, false alert
    track("t3", "cam1", 20, 22, {"S2": 0.7}, n_detections=5),                 # p3, correct alert
    track("t4", "cam1", 23, 25, {"S1": 0.52, "S2": 0.45}, n_detections=2),    # p3 (broken track), false alert
    track("t5", "cam2", 0.5, 3, {"S3": 0.2}, n_detections=3),                 # p4, no alert
    track("t6", "cam2", 10, 13, {"S3": 0.6, "S1": 0.55}, n_detections=4),     # p5, false rank-1 + correct rank-2
    track("t7", "cam2", 50, 52, {"S2": 0.9}, n_detections=2),                 # no passage: false alert
    track("t8", "cam1", 40, 44, {"S3": 0.4, "S1": 0.35}, n_detections=5),     # p7, below threshold
    track("t9", "cam1", 60.5, 61.5, {"S1": 0.1}, n_detections=3),             # p8
    track("t10", "cam2", 60.5, 61, {"S2": 0.2}, n_detections=3),              # p9
]
ADJUDICATION = [
    {"alert_id": "t1:S1", "operator_decision": "credible", "engagement": "stopped", "verification": "correct", "outcome": "arrest"},
    {"alert_id": "t2:S2", "operator_decision": "rejected", "engagement": "not_attempted", "verification": "unverified", "outcome": ""},
    {"alert_id": "t3:S2", "operator_decision": "credible", "engagement": "lost", "verification": "unverified", "outcome": ""},
    {"alert_id": "t4:S1", "operator_decision": "credible", "engagement": "stopped", "verification": "incorrect", "outcome": "words of advice"},
    {"alert_id": "t6:S3", "operator_decision": "credible", "engagement": "not_attempted", "verification": "unverified", "outcome": ""},
    {"alert_id": "t6:S1", "operator_decision": "credible", "engagement": "stopped", "verification": "unverified", "outcome": ""},
    {"alert_id": "t7:S2", "operator_decision": "rejected", "engagement": "not_attempted", "verification": "unverified", "outcome": ""},
]
WATCHLIST = [{"subject_id": "S1", "gender": "F"}, {"subject_id": "S2", "gender": "F"}, {"subject_id": "S3", "gender": "M"}]


@pytest.fixture
def scenario(tmp_path):
    return make_run(tmp_path / "run", passages=PASSAGES, tracks=TRACKS, watchlist=WATCHLIST, threshold=0.5,
                    adjudication=ADJUDICATION)


def test_links_tracks_to_passages(scenario):
    stats = load_statistics(scenario)
    link = dict(zip(stats.tracks["track_id"], stats.tracks["passage_id"]))
    assert link == {"t1": "p1", "t2": "p2", "t3": "p3", "t4": "p3", "t5": "p4", "t6": "p5", "t7": None,
                    "t8": "p7", "t9": "p8", "t10": "p9"}


def test_passage_rows_counted_by_hand(scenario):
    p = load_statistics(scenario).passages.set_index("passage_id")
    assert p.loc["p3", "n_tracks"] == 2 and p.loc["p3", "n_detections"] == 7
    assert p.loc["p6", "n_tracks"] == 0 and math.isnan(p.loc["p6", "mated_score"])
    assert p.loc["p1", "mated_score"] == pytest.approx(0.8) and p.loc["p1", "nonmated_score"] == pytest.approx(0.3)
    assert p.loc["p3", "mated_score"] == pytest.approx(0.7) and p.loc["p3", "nonmated_score"] == pytest.approx(0.52)
    assert p.loc["p5", "mated_rank"] == 2 and math.isnan(p.loc["p5", "rank1_score"])
    assert math.isnan(p.loc["p2", "mated_score"]) and p.loc["p2", "nonmated_score"] == pytest.approx(0.6)
    o = passage_outcomes(load_statistics(scenario)).set_index("passage_id")
    assert list(o.index[o["alerted_correct"]]) == ["p1", "p3", "p5"]
    assert list(o.index[o["alerted_false"]]) == ["p2", "p3", "p5"]
    assert p.loc["p1", "gender"] == "F" and p.loc["p7", "gender"] == "M"   # joined from the watchlist
    assert set(p["deployment"]) == {"test-deployment"} and set(p["lighting"]) == {"day"}


def test_alert_rows(scenario):
    a = load_statistics(scenario).alerts.set_index("alert_id")
    assert len(a) == 7
    assert a.loc["t7:S2", "passage_id"] is None and not a.loc["t7:S2", "correct"]
    assert a.loc["t6:S1", "correct"] and not a.loc["t6:S3", "correct"]
    assert a.loc["t4:S1", "truth_subject_id"] == "S2"
    assert a.loc["t1:S1", "outcome"] == "arrest" and a.loc["t3:S2", "engagement"] == "lost"


def test_funnel_counted_by_hand(scenario):
    f = to_funnel(load_statistics(scenario))
    expected = dict(alerts=7, true_alerts=3, false_alerts=4, nonwatchlist_false_alerts=2, operator_rejected=2,
                    not_adjudicated=0,
                    stop_attempted=4, lost=1, stopped=3, verified_correct=1, verified_incorrect=1, unverified=1,
                    arrests=1, watchlisted_passages=4, watchlisted_alerted=3, watchlisted_rank1=2,
                    plant_passages=2, plant_alerts=2, nonwatchlist_passages=5, nonwatchlist_alerted=1,
                    faces_processed=6, watchlisted_subjects=3, watchlisted_subjects_alerted=2, frames_processed=37,
                    watchlisted_frames=22, watchlisted_frames_alerted=15, nonwatchlist_frames=13,
                    nonwatchlist_frames_alerted=4, watchlist_size=3)
    assert {k: f.get(k) for k in expected} == expected
    assert f.get("judged_credible") == 5
    assert f.footage_hours == pytest.approx(120 / 3600)


def test_plants_only_restricts_watchlisted(scenario):
    f = to_funnel(load_statistics(scenario, plants_only=True))
    assert (f.watchlisted_passages, f.watchlisted_alerted, f.watchlisted_subjects) == (2, 2, 1)
    assert f.nonwatchlist_passages == 5   # non-watchlist counts unchanged


def test_cluster_funnels_sum_to_total(scenario):
    stats = load_statistics(scenario)
    total = to_funnel(stats)
    for by in ("subject", "camera", "deployment"):
        parts = cluster_funnels(stats, by)
        for key in ("alerts", "true_alerts", "watchlisted_passages", "watchlisted_alerted", "nonwatchlist_alerted",
                    "verified_correct", "frames_processed", "watchlisted_frames"):
            assert sum(getattr(p, key) for p in parts.values()) == getattr(total, key), (by, key)
    subj = cluster_funnels(stats, "subject")
    assert subj["alice"].watchlisted_passages == 2 and subj["track:t7"].false_alerts == 1


def test_unknown_adjudication_alert_is_refused(tmp_path):
    adj = ADJUDICATION + [{"alert_id": "t99:S1", "operator_decision": "credible", "engagement": "stopped",
                           "verification": "correct", "outcome": ""}]
    run = make_run(tmp_path / "run", passages=PASSAGES, tracks=TRACKS, watchlist=WATCHLIST, adjudication=adj)
    with pytest.raises(InputError, match="t99:S1.*not an alert of this run"):
        load_statistics(run)


def test_adjudication_by_camera_time_subject(tmp_path):
    adj = [{"camera": "cam1", "t": 1.5, "subject_id": "S1", "operator_decision": "credible",
            "engagement": "stopped", "verification": "correct", "outcome": "arrest"},
           {"camera": "cam2", "t": 49.0, "subject_id": "S2", "operator_decision": "rejected",
            "engagement": "not_attempted", "verification": "unverified", "outcome": ""}]
    run = make_run(tmp_path / "run", passages=PASSAGES, tracks=TRACKS, watchlist=WATCHLIST, adjudication=adj)
    stats = load_statistics(run)
    a = stats.alerts.set_index("alert_id")
    assert a.loc["t1:S1", "verification"] == "correct" and a.loc["t7:S2", "operator_decision"] == "rejected"
    f = to_funnel(stats)
    assert f.not_adjudicated == 5 and f.get("judged_credible") == 1
    bad = adj + [{"camera": "cam1", "t": 30.0, "subject_id": "S1", "operator_decision": "credible",
                  "engagement": "stopped", "verification": "correct", "outcome": ""}]
    run2 = make_run(tmp_path / "run2", passages=PASSAGES, tracks=TRACKS, watchlist=WATCHLIST, adjudication=bad)
    with pytest.raises(InputError, match="no alert for subject 'S1' on camera 'cam1' within 2 s"):
        load_statistics(run2)


def test_overlapping_truth_for_one_person_is_refused():
    truth = pd.DataFrame(PASSAGES + [{"passage_id": "p10", "camera": "cam1", "t_start": 4, "t_end": 6,
                                      "subject_id": "S1", "person_id": "alice", "plant": True}])
    with pytest.raises(InputError, match="'p1' and 'p10' of person 'alice' overlap in time on camera 'cam1'"):
        check_truth(truth)
    check_truth(pd.DataFrame(PASSAGES))  # the scenario itself is fine


def test_overlapping_truth_in_run_is_refused(tmp_path):
    bad = PASSAGES + [{"passage_id": "p10", "camera": "cam2", "t_start": 12, "t_end": 20, "subject_id": "S1",
                       "person_id": "alice", "plant": True}]
    run = make_run(tmp_path / "run", passages=bad, tracks=TRACKS, watchlist=WATCHLIST)
    with pytest.raises(InputError, match="overlap in time"):
        load_statistics(run)


def test_concurrent_people_get_one_track_each():
    # two people in view at once on one camera, no boxes: overlapping tracks cannot share a passage
    truth = pd.DataFrame([{"passage_id": "a", "camera": "c", "t_start": 0, "t_end": 10, "subject_id": None,
                           "person_id": "A", "plant": False},
                          {"passage_id": "b", "camera": "c", "t_start": 1, "t_end": 11, "subject_id": None,
                           "person_id": "B", "plant": False}])
    tracks = pd.DataFrame([{"track_id": "x", "camera": "c", "t_start": 0.5, "t_end": 9.5},
                           {"track_id": "y", "camera": "c", "t_start": 1.0, "t_end": 9.0}])
    link = link_tracks(tracks, truth)
    assert sorted(link.tolist()) == ["a", "b"]


def test_truth_boxes_decide_between_concurrent_passages():
    truth = pd.DataFrame([{"passage_id": "left", "camera": "c", "t_start": 0, "t_end": 10, "subject_id": None,
                           "person_id": "L", "plant": False},
                          {"passage_id": "right", "camera": "c", "t_start": 0, "t_end": 10, "subject_id": None,
                           "person_id": "R", "plant": False}])
    boxes = pd.DataFrame([{"passage_id": "left", "t": t, "x0": 0, "y0": 0, "x1": 100, "y1": 100} for t in range(11)]
                         + [{"passage_id": "right", "t": t, "x0": 500, "y0": 0, "x1": 600, "y1": 100} for t in range(11)])
    tracks = pd.DataFrame([{"track_id": "r", "camera": "c", "t_start": 2.0, "t_end": 4.0},
                           {"track_id": "l", "camera": "c", "t_start": 2.0, "t_end": 4.0}])
    dets = pd.DataFrame([{"track_id": "r", "t": t, "x0": 510, "y0": 10, "x1": 590, "y1": 90} for t in (2, 3, 4)]
                        + [{"track_id": "l", "t": t, "x0": 10, "y0": 10, "x1": 90, "y1": 90} for t in (2, 3, 4)])
    link = link_tracks(tracks, truth, truth_boxes=boxes, detections=dets)
    assert link["r"] == "right" and link["l"] == "left"


def test_re_entry_gives_a_passage_two_tracks():
    truth = pd.DataFrame([{"passage_id": "a", "camera": "c", "t_start": 0, "t_end": 20, "subject_id": "S1",
                           "person_id": "A", "plant": True}])
    tracks = pd.DataFrame([{"track_id": "x", "camera": "c", "t_start": 1, "t_end": 5},
                           {"track_id": "y", "camera": "c", "t_start": 8, "t_end": 12},
                           {"track_id": "z", "camera": "d", "t_start": 8, "t_end": 12}])
    link = link_tracks(tracks, truth)
    assert link.to_dict() == {"x": "a", "y": "a", "z": None}


def test_from_frames_without_truth_keeps_alert_counts():
    tracks = pd.DataFrame([{"track_id": "x", "camera": "c", "t_start": 0, "t_end": 1, "n_detections": 4}])
    cands = pd.DataFrame([{"track_id": "x", "rank": 1, "subject_id": "S1", "similarity": 0.9, "t": 0.0}])
    stats = RunStatistics.from_frames(tracks=tracks, candidates=cands, threshold=0.5, faces_processed=1000)
    f = to_funnel(stats)
    assert f.alerts == 1 and f.true_alerts is None and f.faces_processed == 1000 and f.frames_processed == 4
    assert stats.alerts["correct"].isna().all() and not stats.has_truth


def test_other_thresholds_recount_from_candidates(scenario):
    stats = load_statistics(scenario)
    assert sorted(stats.alerts_at(0.5)["alert_id"]) == sorted(stats.alerts["alert_id"])
    assert to_funnel(stats, 0.5) == to_funnel(stats)
    strict = to_funnel(stats, 0.65)
    # at 0.65 only t1:S1 (0.8), t3:S2 (0.7) and t7:S2 (0.9) remain
    assert (strict.alerts, strict.true_alerts, strict.false_alerts) == (3, 2, 1)
    assert (strict.watchlisted_alerted, strict.watchlisted_rank1, strict.nonwatchlist_alerted) == (2, 2, 0)
    assert (strict.verified_correct, strict.operator_rejected, strict.not_adjudicated) == (1, 1, 0)
    loose = to_funnel(stats, 0.4)
    assert loose.alerts == 9 and loose.watchlisted_alerted == 4 and loose.not_adjudicated == 2


def test_plant_strings_from_a_csv_are_read_as_booleans():
    truth = pd.DataFrame([{"passage_id": "a", "camera": "c", "t_start": 0, "t_end": 5, "subject_id": "S1",
                           "person_id": "A", "plant": "false"},
                          {"passage_id": "b", "camera": "c", "t_start": 6, "t_end": 9, "subject_id": "S1",
                           "person_id": "A", "plant": "TRUE"}])
    tracks = pd.DataFrame([{"track_id": "x", "camera": "c", "t_start": 1, "t_end": 2, "n_detections": 1}])
    stats = RunStatistics.from_frames(tracks=tracks, candidates=None, threshold=0.5, truth=truth)
    assert stats.passages["plant"].tolist() == [False, True]
    assert to_funnel(stats).plant_passages == 1
