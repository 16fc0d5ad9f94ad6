"""A synthetic run store for the scale benchmark: many runs of many candidate scores.

Each run is one deployment of ``tracks`` passages (one track each), a
watchlist of 5,000 subjects, ``top_k`` candidate scores per track, 2% of
passages watchlisted.  Mated scores are drawn higher than non-mated ones, so
the counts are realistic, but nothing here is footage: it exercises the
counting path only (statistics -> counts -> methods).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def make_run_store(folder: Path, n_runs: int, *, tracks: int = 20_000, top_k: int = 50, seed: int = 0) -> list[Path]:
    """Write ``n_runs`` run folders (reusing those already there) and return their paths."""
    from runfactory import make_run

    from fr_eval.store.runs import write_part

    folder.mkdir(parents=True, exist_ok=True)
    runs = []
    for r in range(n_runs):
        run = folder / f"run-{r:03d}"
        runs.append(run)
        if (run / "manifest.json").is_file():
            continue
        rng = np.random.default_rng(seed + r)
        n_subjects = 5000
        subjects = np.array([f"S{i:05d}" for i in range(n_subjects)])
        t0 = np.arange(tracks, dtype=float) * 1.5
        wanted = rng.random(tracks) < 0.02
        own = np.where(wanted, rng.integers(0, n_subjects, tracks), -1)
        passages = pd.DataFrame({"passage_id": [f"p{i:06d}" for i in range(tracks)], "camera": "cam1",
                                 "t_start": t0, "t_end": t0 + 1.0,
                                 "subject_id": np.where(wanted, subjects[np.maximum(own, 0)], ""),
                                 "person_id": [f"person{i:06d}" for i in range(tracks)], "plant": False})
        make_run(run, passages=passages.to_dict("records"), tracks=[], watchlist=list(subjects[:2]),
                 deployment_id=f"deployment-{r:03d}", duration_s=float(t0[-1] + 2), matcher="scores",
                 threshold=0.6, top_k=top_k)
        # replace the tiny tables by the large ones, written as the replay writes them
        for name in ("tracks", "candidates", "alerts"):
            for p in (run / name).glob("*.parquet"):
                p.unlink()
        _write_watchlist(run, subjects)
        tid = np.array([f"cam1-00-0000-{i:06d}" for i in range(tracks)])
        scores = (np.sort(rng.beta(2, 9, size=(tracks, top_k)), axis=1)[:, ::-1] * 0.8).astype(np.float32)
        cand_subj = rng.integers(0, n_subjects, size=(tracks, top_k))
        mated_hit = wanted & (rng.random(tracks) < 0.8)
        cand_subj[mated_hit, 0] = own[mated_hit]
        scores[mated_hit, 0] = rng.uniform(0.6, 0.95, mated_hit.sum())
        cands = pd.DataFrame({"track_id": np.repeat(tid, top_k), "camera": "cam1",
                              "rank": np.tile(np.arange(1, top_k + 1), tracks).astype(np.int16),
                              "subject_id": subjects[cand_subj.ravel()], "similarity": scores.ravel(),
                              "t": np.repeat(t0 + 0.5, top_k)})
        top = scores[:, 0]
        tr = pd.DataFrame({"track_id": tid, "footage": 0, "camera": "cam1", "t_start": t0 + 0.1, "t_end": t0 + 0.9,
                           "n_detections": 4, "n_embedded": 3, "best_t": t0 + 0.5, "best_x0": 0, "best_y0": 0,
                           "best_x1": 80, "best_y1": 80, "face_px": 80.0, "top_subject": subjects[cand_subj[:, 0]],
                           "top_similarity": top, "alerted": top >= 0.6, "embedding": None})
        hits = cands[cands["similarity"] >= 0.6]
        alerts = pd.DataFrame({"alert_id": hits["track_id"] + ":" + hits["subject_id"], "track_id": hits["track_id"],
                               "footage": 0, "camera": "cam1", "subject_id": hits["subject_id"],
                               "similarity": hits["similarity"], "t": hits["t"], "wall_time": "2020-02-27T10:00:00",
                               "threshold": 0.6})
        write_part(run, "tracks", "00-0000", tr)
        write_part(run, "candidates", "00-0000", cands)
        write_part(run, "alerts", "00-0000", alerts)
    return runs


def _write_watchlist(run: Path, subjects: np.ndarray) -> None:
    pd.DataFrame({"subject_id": subjects, "image": [f"watchlist/{s}.jpg" for s in subjects]}).to_csv(
        run / "bundle" / "watchlist.csv", index=False)
