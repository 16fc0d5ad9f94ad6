"""Candidate scores and alerts: from a track's embedded faces to what an operator sees.

For each track and watchlist subject, the track's similarity is the maximum
over the track's embedded faces.  The top-k subjects are stored as candidate
scores (enough to re-threshold later without re-running the matcher).

The alert rule, as operational LFR systems apply it: **one alert per track and
subject whose similarity reaches the threshold** (``similarity >= threshold``),
timed at the first embedded face that reached it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def score_tracks(detections: pd.DataFrame, faces: pd.DataFrame, subject_ids: list[str], *, threshold: float,
                 top_k: int, footage: int, camera: str, footage_start: dt.datetime,
                 keep_embeddings: bool = False) -> dict[str, pd.DataFrame]:
    """Build the tracks, candidates and alerts tables of one footage.

    ``detections`` and ``faces`` come from :func:`fr_eval.replay.chunks.stitch`:
    one row per detection, and one row per embedded face with its similarity
    vector ``sims`` (aligned with ``subject_ids``) and, when retained, its
    ``embedding``.
    """
    subjects = np.asarray(subject_ids, dtype=object)
    k = min(top_k, len(subjects))
    track_rows, cand_rows, alert_rows = [], [], []
    faces_by_track = {tid: g for tid, g in faces.groupby("track_id", sort=False)} if len(faces) else {}
    for tid, det in detections.groupby("track_id", sort=False):
        det = det.sort_values("t")
        best = det.loc[det["quality"].idxmax()]
        row = {"track_id": tid, "footage": footage, "camera": camera, "t_start": float(det["t"].min()),
               "t_end": float(det["t"].max()), "n_detections": len(det), "n_embedded": 0,
               "best_t": float(best["t"]), "best_x0": int(best["x0"]), "best_y0": int(best["y0"]),
               "best_x1": int(best["x1"]), "best_y1": int(best["y1"]),
               "face_px": float(np.median(det["y1"] - det["y0"])), "top_subject": None,
               "top_similarity": np.nan, "alerted": False, "embedding": None}
        f = faces_by_track.get(tid)
        if f is not None and len(f) and k:
            f = f.sort_values(["t", "frame"])
            sims = np.vstack([np.asarray(s, dtype=np.float32) for s in f["sims"]])  # faces x subjects
            times = f["t"].to_numpy()
            best_face = sims.argmax(axis=0)
            track_sim = sims[best_face, np.arange(sims.shape[1])]
            # rank by similarity, ties broken by subject id so the order is deterministic
            order = np.lexsort((subjects.astype(str), -track_sim))[:k]
            row["n_embedded"] = len(f)
            row["top_subject"] = str(subjects[order[0]])
            row["top_similarity"] = float(track_sim[order[0]])
            for rank, j in enumerate(order, start=1):
                cand_rows.append({"track_id": tid, "camera": camera, "rank": rank, "subject_id": str(subjects[j]),
                                  "similarity": float(track_sim[j]), "t": float(times[best_face[j]])})
            hits = np.nonzero(track_sim >= threshold)[0]
            for j in hits[np.argsort(-track_sim[hits], kind="stable")]:
                first = int(np.nonzero(sims[:, j] >= threshold)[0][0])
                t = float(times[first])
                alert_rows.append({"alert_id": f"{tid}:{subjects[j]}", "track_id": tid, "footage": footage,
                                   "camera": camera, "subject_id": str(subjects[j]),
                                   "similarity": float(track_sim[j]), "t": t,
                                   "wall_time": (footage_start + dt.timedelta(seconds=t)).isoformat(),
                                   "threshold": float(threshold)})
            row["alerted"] = bool(len(hits))
            emb_rows = f["embedding"]
            if row["alerted"] or keep_embeddings:
                # the embedding of the face that scored highest (retained by the chunk worker)
                i = int(sims.max(axis=1).argmax())
                emb = emb_rows.iloc[i]
                row["embedding"] = None if emb is None else np.asarray(emb, dtype=np.float32).tolist()
        track_rows.append(row)
    return {"tracks": pd.DataFrame(track_rows), "candidates": pd.DataFrame(cand_rows),
            "alerts": pd.DataFrame(alert_rows)}


def alerts_at(candidates: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """The alerts a different threshold would have raised, from stored candidate scores.

    Exact for any threshold at or above the k-th candidate score of each track.
    """
    return candidates[candidates["similarity"] >= threshold]
