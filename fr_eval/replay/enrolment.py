"""Enrolment: one template per watchlist subject, from one photo with exactly one face."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fr_eval.errors import InputError
from fr_eval.inputs.bundle import Bundle
from fr_eval.replay.footage import load_image
from fr_eval.store.hashing import sha256_file


def enrol(bundle: Bundle, matcher) -> tuple[pd.DataFrame, np.ndarray]:
    """Detect and embed the face of every watchlist photo.

    Returns the enrolment table (subject, image, hash, face box, category and
    demographic columns) and the gallery matrix, one row per subject in
    watchlist order.  Every subject whose photo is unreadable, has no face or
    has two or more faces is reported in one line.
    """
    wl_file = bundle.raw["watchlist"]
    rows, vectors, problems = [], [], []
    extra = [c for c in bundle.watchlist.columns if c not in ("subject_id", "image")]
    for _, sub in bundle.watchlist.iterrows():
        sid, rel = sub["subject_id"], sub["image"]
        path = bundle.image_path(sid)
        try:
            image = load_image(path, f"{wl_file}: subject {sid} ({rel})")
        except InputError as exc:
            problems.append(exc.message if exc.where is None else exc.one_line())
            continue
        dets = matcher.detect(image)
        if len(dets) != 1:
            what = "no face" if not dets else f"{len(dets)} faces"
            problems.append(f"subject {sid} ({rel}): {what} found")
            continue
        d = dets[0]
        vectors.append(matcher.embed(image, dets)[0])
        rows.append({"subject_id": sid, "image": rel, "sha256": sha256_file(path), "x0": d.x0, "y0": d.y0,
                     "x1": d.x1, "y1": d.y1, **{c: sub[c] for c in extra}})
    if problems:
        more = f" (and {len(problems) - 1} more: {'; '.join(problems[1:4])})" if len(problems) > 1 else ""
        raise InputError(f"{bundle.root / wl_file}: cannot enrol {problems[0]}{more}",
                         hint="each watchlist photo needs exactly one clear face; crop or replace it")
    gallery = np.vstack(vectors).astype(np.float32) if vectors else np.zeros((0, 0), np.float32)
    return pd.DataFrame(rows), gallery
