"""Importing a system's recorded scores: a reader that produces the same per-face rows as a footage replay.

Each face event of the log (``event_id``; one row per event and candidate subject) becomes a track; each
distinct time ``t`` within an event is one face whose similarities to the logged subjects are the log's
scores (a subject the log does not name for that face was not compared: NaN, never a score).  The rows then
go through :func:`fr_eval.replay.scoring.score_tracks` -- the same candidate list, the same alert rule and
the same alert times as footage replay.  Scores stay float64 as written.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fr_eval.inputs.bundle import Bundle
from fr_eval.replay.scoring import score_tracks


def imported_tables(bundle: Bundle, log: pd.DataFrame, subjects: list[str], *, threshold: float, top_k: int
                    ) -> dict[int, dict[str, pd.DataFrame]]:
    """The tracks, candidates and alerts tables per footage index, from a validated log."""
    index = {s: j for j, s in enumerate(subjects)}
    by_camera = {f.camera: f for f in bundle.footage}
    out: dict[int, dict[str, pd.DataFrame]] = {}
    for cam in sorted(log["camera"].unique()):
        f = by_camera[cam]
        g = log[log["camera"] == cam]
        track_rows, face_rows = [], []
        events = sorted(g["event_id"].unique(), key=lambda e: (g.loc[g["event_id"] == e, "t"].min(), str(e)))
        for n, event in enumerate(events):
            ev = g[g["event_id"] == event]
            tid = f"{cam}-{f.index:02d}-e{n:05d}"
            track_rows.append({"track_id": tid, "t_start": float(ev["t"].min()), "t_end": float(ev["t_end"].max()),
                               "n_detections": 0, "n_embedded": 0, "best_t": float(ev["t"].min()),
                               "best_x0": None, "best_y0": None, "best_x1": None, "best_y1": None,
                               "face_px": np.nan})
            for t, face in ev.groupby("t", sort=True):
                sims = np.full(len(subjects), np.nan)
                for sid, score in zip(face["subject_id"], face["score"]):
                    j = index[sid]
                    sims[j] = score if np.isnan(sims[j]) else max(sims[j], score)
                face_rows.append({"track_id": tid, "frame": -1, "t": float(t), "sims": sims, "embedding": None})
        tables = score_tracks(pd.DataFrame(track_rows), pd.DataFrame(face_rows), subjects, threshold=threshold,
                              top_k=top_k, footage=f.index, camera=cam, footage_start=f.start_time)
        out[f.index] = tables
    return out
