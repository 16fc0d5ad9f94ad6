"""The alert rule on hand-built similarities: one alert per track and subject at or above the threshold."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from fr_eval.replay import alert_rule
from fr_eval.replay.scoring import score_tracks

SUBJECTS = ["s1", "s2", "s3", "s4"]
START = dt.datetime(2020, 2, 27, 11, 0, tzinfo=dt.timezone.utc)


def _tables(tracks: dict[str, list[tuple[float, list[float]]]], embed: bool = True):
    """tracks and faces tables as the replay's global tracking gives them: one embedded face per (t, sims)."""
    track_rows, face_rows = [], []
    for tid, faces in tracks.items():
        track_rows.append({"track_id": tid, "t_start": faces[0][0], "t_end": faces[-1][0], "n_detections": len(faces),
                           "n_embedded": 0, "best_t": faces[0][0], "best_x0": 10, "best_y0": 10, "best_x1": 70,
                           "best_y1": 70, "face_px": 60.0})
        for i, (t, sims) in enumerate(faces):
            face_rows.append({"track_id": tid, "frame": int(t * 5), "t": t, "sims": np.asarray(sims, np.float64),
                              "embedding": np.full(4, i, np.float32) if embed else None})
    return pd.DataFrame(track_rows), pd.DataFrame(face_rows)


def _score(tracks, threshold=0.5, top_k=3, keep_embeddings=False, embed_only_hits=False):
    det, faces = _tables(tracks)
    if embed_only_hits:  # what the chunk worker retains by default: embeddings of faces that reached the threshold
        faces["embedding"] = [e if float(np.max(s)) >= threshold else None for e, s in zip(faces["embedding"],
                                                                                           faces["sims"])]
    return score_tracks(det, faces, SUBJECTS, threshold=threshold, top_k=top_k, footage=0, camera="cam",
                        footage_start=START, keep_embeddings=keep_embeddings)


def test_track_similarity_is_the_maximum_over_its_faces_and_each_subject_alerts_once():
    out = _score({"A": [(1.0, [0.40, 0.60, 0.55, 0.1]), (1.2, [0.70, 0.30, 0.10, 0.1]),
                        (1.4, [0.65, 0.62, 0.20, 0.1])]})
    alerts = out["alerts"].set_index("subject_id")
    assert sorted(alerts.index) == ["s1", "s2", "s3"], "one alert per track and subject that reached 0.5"
    assert alerts.loc["s1", "similarity"] == pytest.approx(0.70)
    assert alerts.loc["s2", "similarity"] == pytest.approx(0.62)
    # timed at the first embedded face that reached the threshold, not at the best one
    assert alerts.loc["s1", "t"] == pytest.approx(1.2)
    assert alerts.loc["s2", "t"] == pytest.approx(1.0)
    assert alerts.loc["s1", "wall_time"] == (START + dt.timedelta(seconds=1.2)).isoformat()
    assert set(alerts["alert_id"]) == {"A:s1", "A:s2", "A:s3"}
    tr = out["tracks"].iloc[0]
    assert tr["alerted"] and tr["top_subject"] == "s1" and tr["n_embedded"] == 3


def test_threshold_is_inclusive_and_below_it_nothing_alerts():
    at = _score({"A": [(0.0, [0.5, 0.2, 0.2, 0.2])]}, threshold=0.5)
    assert list(at["alerts"]["subject_id"]) == ["s1"]
    below = _score({"A": [(0.0, [0.4999, 0.2, 0.2, 0.2])]}, threshold=0.5)
    assert len(below["alerts"]) == 0 and not below["tracks"].iloc[0]["alerted"]


def test_top_k_candidates_ranked_with_deterministic_ties():
    out = _score({"A": [(0.0, [0.3, 0.8, 0.3, 0.9])]}, top_k=3)
    c = out["candidates"]
    assert list(c["rank"]) == [1, 2, 3]
    assert list(c["subject_id"]) == ["s4", "s2", "s1"], "equal scores ranked by subject id"
    assert len(_score({"A": [(0.0, [0.3, 0.8, 0.3, 0.9])]}, top_k=10)["candidates"]) == len(SUBJECTS)


def test_embeddings_are_kept_only_for_tracks_that_alerted_unless_asked():
    tracks = {"hit": [(0.0, [0.9, 0.1, 0.1, 0.1]), (0.2, [0.2, 0.1, 0.1, 0.1])],
              "miss": [(0.0, [0.2, 0.1, 0.1, 0.1])]}
    out = _score(tracks, embed_only_hits=True).get("tracks").set_index("track_id")
    assert out.loc["hit", "embedding"] is not None
    assert out.loc["miss", "embedding"] is None
    kept = _score(tracks, keep_embeddings=True)["tracks"].set_index("track_id")
    assert kept.loc["miss", "embedding"] is not None


def test_alerts_at_another_threshold_equal_a_recount():
    rng = np.random.default_rng(7)
    tracks = {f"T{i}": [(0.2 * j, list(rng.uniform(0.2, 0.9, len(SUBJECTS)))) for j in range(3)] for i in range(30)}
    stored = _score(tracks, threshold=0.5, top_k=len(SUBJECTS))["candidates"]
    for thr in (0.5, 0.6, 0.75, 0.85):
        recount = _score(tracks, threshold=thr, top_k=len(SUBJECTS))["alerts"]
        again = alert_rule.alerts(stored, thr)
        assert sorted(zip(again["track_id"], again["subject_id"])) == \
            sorted(zip(recount["track_id"], recount["subject_id"])), thr


def test_every_subject_at_or_above_the_threshold_is_a_candidate_beyond_top_k():
    """The import of a vendor log with --top-k 1 lost the true subject's alert (one-path issue, case 2)."""
    out = _score({"A": [(0.0, [0.9, 0.8, 0.3, 0.1])]}, top_k=1)
    assert list(out["candidates"]["subject_id"]) == ["s1", "s2"]
    assert sorted(out["alerts"]["subject_id"]) == ["s1", "s2"]
    assert alert_rule.alerts(out["candidates"], 0.5)["alert_id"].tolist() == ["A:s1", "A:s2"]


def test_scores_stay_float64_and_the_boundary_is_inclusive():
    out = _score({"A": [(0.0, [0.6399999999, 0.64, 0.2, 0.1])]}, threshold=0.64, top_k=4)
    c = out["candidates"].set_index("subject_id")
    assert c.loc["s1", "similarity"] == 0.6399999999 and c["similarity"].dtype == np.float64
    assert list(out["alerts"]["subject_id"]) == ["s2"]


def test_track_without_embedded_faces_has_no_candidates():
    det, faces = _tables({"A": [(0.0, [0.9, 0.1, 0.1, 0.1])]})
    det = pd.concat([det, det.assign(track_id="B")], ignore_index=True)
    out = score_tracks(det, faces, SUBJECTS, threshold=0.5, top_k=3, footage=0, camera="cam", footage_start=START)
    tracks = out["tracks"].set_index("track_id")
    assert not tracks.loc["B", "alerted"] and tracks.loc["B", "n_embedded"] == 0
    assert set(out["candidates"]["track_id"]) == {"A"}
