"""Enrolment: one template per watchlist subject, from the one face of its photo.

A photo is enrolled when the detector finds exactly one face in it, or when one face dominates: its box is at
least :data:`DOMINANT` times as high as every other face's (a custody photo with a small face in the
background, common in news photos such as LFW's, which a CNN detector finds and HOG misses).  Anything else
(no face, two faces of similar size) is refused, naming the photo, because which face is the subject would be
a guess.

Photos are enrolled in parallel on the replay's worker processes when it has them, and each template is
kept in the template cache (:mod:`fr_eval.replay.template_cache`), so a second replay against the same
watchlist with the same matcher enrols nothing.  Where a template was computed (which worker, or the cache)
changes no number: detection and embedding are deterministic, and the cache is keyed by the photo's bytes and
the matcher's identity.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from fr_eval.errors import InputError
from fr_eval.inputs.bundle import Bundle
from fr_eval.replay import template_cache
from fr_eval.replay.footage import load_image
from fr_eval.replay.template_cache import Enrolled
from fr_eval.store.hashing import sha256_file

#: a face this many times as high as every other face in the photo is the subject's
DOMINANT = 1.5

#: ``map(function, items)`` over worker processes, or None for this process
Mapper = Callable[[Callable, Sequence], list] | None


def enrol_photo(matcher, path: str, where: str) -> Enrolled:
    """Detect and embed the face of one photo (in whichever process runs it)."""
    try:
        image = load_image(path, where)
    except InputError as exc:
        return Enrolled(0, error=exc.message if exc.where is None else exc.one_line())
    dets = sorted(matcher.detect(image), key=lambda d: (-d.height, d.y0, d.x0))
    if not dets or (len(dets) > 1 and dets[0].height < DOMINANT * dets[1].height):
        return Enrolled(len(dets))
    d = dets[0]
    return Enrolled(len(dets), d.box, np.asarray(matcher.embed(image, [d])[0], dtype=np.float32))


def enrol(bundle: Bundle, matcher, mapper: Mapper = None, progress: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """Detect and embed the face of every watchlist photo.

    Returns the enrolment table (subject, image, hash, face box, category and demographic columns) and the
    gallery matrix, one row per subject in watchlist order.  Every subject whose photo is unreadable, has no
    face or has two or more faces is reported in one line.  ``mapper`` runs the photos not in the cache on
    worker processes (:meth:`fr_eval.replay.executors.WorkerPool.map`).
    """
    wl_file = bundle.raw["watchlist"]
    extra = [c for c in bundle.watchlist.columns if c not in ("subject_id", "image")]
    key = template_cache.matcher_key(matcher)
    subjects = []
    for _, sub in bundle.watchlist.iterrows():
        path = bundle.image_path(sub["subject_id"])
        sha = sha256_file(path) if Path(path).is_file() else ""
        subjects.append((sub, path, sha))
    shas = {sha for _, _, sha in subjects if sha}
    found: dict[str, Enrolled] = {}
    todo: dict[str, tuple[str, str]] = {}       # photo sha256 (or the path of a missing file) -> work
    for sub, path, sha in subjects:
        hit = template_cache.get(key, sha) if sha else None
        if hit is not None:
            found[sha] = hit
        elif sha not in todo:
            todo[sha or str(path)] = (str(path), f"{wl_file}: subject {sub['subject_id']} ({sub['image']})")
    if todo:
        items = list(todo.items())
        if mapper is not None and len(items) > 1:
            results = mapper(_enrol_one, [args for _, args in items])
        else:
            from tqdm import tqdm

            results = [enrol_photo(matcher, p, w) for p, w in tqdm(
                [args for _, args in items], desc="enrol", unit="photo", disable=not progress, leave=False)]
        for (sha, _), got in zip(items, results):
            found[sha] = got
            if sha in shas:
                template_cache.put(key, sha, got)
    rows, vectors, problems = [], [], []
    for sub, path, sha in subjects:
        got = found[sha or str(path)]
        sid, rel = sub["subject_id"], sub["image"]
        if got.error is not None:
            problems.append(got.error)
            continue
        if got.template is None:
            problems.append(f"subject {sid} ({rel}): " + ("no face found" if not got.faces else
                            f"{got.faces} faces found, none at least {DOMINANT:g} times as high as the others"))
            continue
        assert got.box is not None
        vectors.append(got.template)
        x0, y0, x1, y1 = got.box
        rows.append({"subject_id": sid, "image": rel, "sha256": sha, "x0": x0, "y0": y0, "x1": x1, "y1": y1,
                     "faces_in_photo": got.faces, **{c: sub[c] for c in extra}})
    if problems:
        more = f" (and {len(problems) - 1} more: {'; '.join(problems[1:4])})" if len(problems) > 1 else ""
        raise InputError(f"{bundle.root / wl_file}: cannot enrol {problems[0]}{more}",
                         hint="each watchlist photo needs exactly one clear face; crop or replace it")
    gallery = np.vstack(vectors).astype(np.float32) if vectors else np.zeros((0, 0), np.float32)
    return pd.DataFrame(rows), gallery


def _enrol_one(args: tuple[str, str]) -> Enrolled:
    """Run in a worker process: the worker's own matcher enrols one photo."""
    from fr_eval.replay.executors import worker_matcher

    return enrol_photo(worker_matcher(), *args)
