"""Small runs with known scores for the threshold tests (built with runfactory)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from runfactory import make_run, track


def scored_run(root: Path, *, seed: int = 1, n: int = 60, shift: float = 0.0, gender: bool = True,
               footage_hash: str = "f" * 64, threshold: float = 0.5) -> Path:
    """``n`` passages, every third watchlisted; mated scores 0.4-0.9 (+shift), non-mated 0.2-0.6."""
    rng = np.random.default_rng(seed)
    subjects = [f"S{j}" for j in range(1, 6)]
    passages, tracks = [], []
    for i in range(n):
        wl = i % 3 == 0
        sid = subjects[i % 5] if wl else ""
        row = {"passage_id": f"p{i}", "camera": "cam1", "t_start": i * 10, "t_end": i * 10 + 5, "subject_id": sid,
               "person_id": sid or f"q{i}", "plant": False}
        if gender:
            row["gender"] = "F" if i % 2 else "M"
        passages.append(row)
        sc = {s: float(rng.uniform(0.2, 0.6)) for s in subjects}
        if wl:
            sc[sid] = float(min(0.99, rng.uniform(0.4, 0.9) + shift))
        tracks.append(track(f"t{i}", "cam1", i * 10 + 1, i * 10 + 4, sc))
    tracks.append(track("stray", "cam1", 2000, 2002, {"S1": 0.7}))  # a track no passage explains
    run = make_run(root, passages=passages, tracks=tracks, watchlist=subjects, threshold=threshold,
                   demographics=("gender",) if gender else (), duration_s=3600.0)
    m = json.loads((run / "manifest.json").read_text())
    m["matcher"]["similarity_range"] = [0.0, 1.0]
    m["inputs"]["files"]["footage/cam1.mp4"] = footage_hash
    (run / "manifest.json").write_text(json.dumps(m))
    return run
