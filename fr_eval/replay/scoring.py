"""Candidate scores and alerts: from a track's embedded faces to what an operator sees.

For each track and watchlist subject, the track's similarity is the maximum over the track's embedded
faces (float64, as the matcher computed it).  The candidate list keeps the top ``k`` subjects and every
subject at or above the operated threshold (:func:`fr_eval.replay.alert_rule.kept_subjects`), each with the
times and similarities of the track's embedded faces, so that the alerts -- at the operated threshold or any
other -- are exactly :func:`fr_eval.replay.alert_rule.alerts` of the candidates.

Footage replay and score-log import both call :func:`score_tracks`: an imported log is a reader that
produces the same per-face similarity rows, not a second implementation of alerting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fr_eval.replay import alert_rule


def score_tracks(tracks: pd.DataFrame, faces: pd.DataFrame, subject_ids: list[str], *, threshold: float,
                 top_k: int, footage: int, camera: str, footage_start: dt.datetime,
                 keep_embeddings: bool = False) -> dict[str, pd.DataFrame]:
    """The tracks, candidates and alerts tables of one footage.

    Parameters
    ----------
    tracks : one row per track (track_id, t_start, t_end, n_detections, n_embedded, best_*, face_px).
    faces : one row per embedded face: track_id, t, ``sims`` (float64 similarities aligned with
        ``subject_ids``; NaN where the subject was not compared) and optionally ``embedding``.
    """
    subjects = np.asarray(subject_ids, dtype=object)
    faces_by_track = {tid: g for tid, g in faces.groupby("track_id", sort=False)} if len(faces) else {}
    track_rows, cand_rows = [], []
    for row in tracks.to_dict("records"):
        tid = row["track_id"]
        row.update(footage=footage, camera=camera, top_subject=None, top_similarity=np.nan, alerted=False,
                   embedding=None)
        f = faces_by_track.get(tid)
        if f is not None and len(f) and len(subjects):
            f = f.sort_values(["t", "frame"] if "frame" in f.columns else ["t"], kind="stable")
            sims = np.vstack([np.asarray(s, dtype=np.float64) for s in f["sims"]])   # faces x subjects
            scored = track_candidates(sims, f["t"].to_numpy(np.float64), subjects, top_k=top_k,
                                      threshold=threshold)
            row["n_embedded"] = len(f)
            row.update(top_subject=scored.top_subject, top_similarity=scored.top_similarity,
                       alerted=scored.alerted)
            cand_rows += [{"track_id": tid, "camera": camera, **c} for c in scored.candidates]
            if (scored.alerted or keep_embeddings) and "embedding" in f.columns:
                # the embedding of the face that scored highest against any subject (kept by the worker)
                emb = f["embedding"].iloc[scored.best_face]
                row["embedding"] = None if emb is None else np.asarray(emb, dtype=np.float32).tolist()
        track_rows.append(row)
    candidates = pd.DataFrame(cand_rows, columns=["track_id", "camera", "rank", "subject_id", "similarity", "t",
                                                  "face_t", "face_similarity"])
    return {"tracks": pd.DataFrame(track_rows), "candidates": candidates,
            "alerts": alert_table(candidates, threshold, footage=footage, footage_start=footage_start)}


@dataclass
class ScoredTrack:
    """One track's candidate list (rank, subject_id, similarity, t, face_t, face_similarity rows, best first)."""

    candidates: list[dict]
    top_subject: str | None
    top_similarity: float
    alerted: bool
    best_face: int          # the face that scored highest against any subject


def track_candidates(sims: np.ndarray, times: np.ndarray, subjects: np.ndarray, *, top_k: int,
                     threshold: float) -> ScoredTrack:
    """The candidate list of one track from its faces' similarities (faces x subjects, float64, NaN where a
    subject was not compared), faces in time order: the track's similarity to a subject is the maximum over
    its faces, the list keeps :func:`fr_eval.replay.alert_rule.kept_subjects`, and each candidate keeps the
    times and similarities of the faces compared with it.  Subjects never compared are left out, so passing
    only the compared subjects gives the same list (what a score-list import does)."""
    filled = np.where(np.isnan(sims), -np.inf, sims)
    best_face = filled.argmax(axis=0)
    track_sim = sims[best_face, np.arange(sims.shape[1])]
    compared = ~np.isnan(track_sim)
    keep = alert_rule.kept_subjects(np.where(compared, track_sim, -np.inf), subjects, top_k, threshold)
    keep = keep[compared[keep]]
    rows = []
    for rank, j in enumerate(keep, start=1):
        ok = ~np.isnan(sims[:, j])
        rows.append({"rank": rank, "subject_id": str(subjects[j]), "similarity": float(track_sim[j]),
                     "t": float(times[best_face[j]]), "face_t": times[ok].tolist(),
                     "face_similarity": sims[ok, j].tolist()})
    if not len(keep):
        return ScoredTrack(rows, None, np.nan, False, int(filled.max(axis=1).argmax()))
    return ScoredTrack(rows, str(subjects[keep[0]]), float(track_sim[keep[0]]),
                       bool(alert_rule.reaches(track_sim[keep[0]], threshold)), int(filled.max(axis=1).argmax()))


def alert_table(candidates: pd.DataFrame, threshold: float, *, footage: int,
                footage_start: dt.datetime) -> pd.DataFrame:
    """The run's alerts table: the alert rule on the candidates, with footage index and wall-clock time."""
    a = alert_rule.alerts(candidates, threshold)
    cols = ["alert_id", "track_id", "footage", "camera", "subject_id", "similarity", "t", "wall_time", "threshold"]
    if not len(a):
        return pd.DataFrame(columns=cols)
    a["footage"] = footage
    a["wall_time"] = [(footage_start + dt.timedelta(seconds=float(t))).isoformat() for t in a["t"]]
    # order: by time, then camera, track and subject (never the order rows arrived in)
    a = a.sort_values(["t", "camera", "track_id", "subject_id"], kind="mergesort")
    return a[cols].reset_index(drop=True)
