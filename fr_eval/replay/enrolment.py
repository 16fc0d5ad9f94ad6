"""Enrolment: one template per watchlist subject, from the one face of its photo.

A photo is enrolled when the detector finds exactly one face in it.  When it finds several (a CNN detector
also finds the faces cut by the border or far behind, common in news photos such as LFW's, which HOG misses),
the subject's face is (:func:`subject_face`):

1. the largest face, when its box is at least :data:`DOMINANT` times the area of every other; else
2. the one face whose box spans the photo's vertical centre line (watchlist photos are taken with the subject's
   face centred left to right: ISO/IEC 19794-5 frontal images, custody photos), when exactly one does and no
   other face is more than :data:`DOMINANT` times its area.

Anything else (no face; two faces of similar size, both or neither on the centre line) is refused, naming the
photo, because which face is the subject's would be a guess.  The enrolment table records how many faces each
photo had (``faces_in_photo``).

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
from fr_eval.replay.matchers.base import Detection
from fr_eval.replay.template_cache import Enrolled
from fr_eval.store.hashing import sha256_file

#: several faces: the central face is the subject's unless another face is more than this many times its area
DOMINANT = 1.5


def subject_face(dets: Sequence[Detection], width: int, height: int) -> Detection | None:
    """The subject's face among a photo's detections, or None when there is none or it would be a guess."""
    if len(dets) <= 1:
        return dets[0] if dets else None

    def area(d: Detection) -> int:
        return (d.x1 - d.x0) * (d.y1 - d.y0)

    largest = max(dets, key=lambda d: (area(d), -d.y0, -d.x0))
    if all(area(largest) >= DOMINANT * area(d) for d in dets if d is not largest):
        return largest
    central = [d for d in dets if d.x0 <= width / 2 < d.x1]
    if len(central) != 1:
        return None
    c = central[0]
    return None if any(area(d) > DOMINANT * area(c) for d in dets if d is not c) else c

#: the enrolment rule's name in the template cache key (change it with the rule)
RULE = f"subject_face: one face, the largest by {DOMINANT:g}x, or the only one on the centre line"

#: ``map(function, items)`` over worker processes, or None for this process
Mapper = Callable[[Callable, Sequence], list] | None


def enrol_photo(matcher, path: str, where: str) -> Enrolled:
    """Detect and embed the face of one photo (in whichever process runs it)."""
    try:
        image = load_image(path, where)
    except InputError as exc:
        return Enrolled(0, error=exc.message if exc.where is None else exc.one_line())
    dets = matcher.detect(image)
    d = subject_face(dets, image.shape[1], image.shape[0])
    if d is None:
        return Enrolled(len(dets))
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
    key = template_cache.matcher_key(matcher, RULE)
    subjects = []
    for _, sub in bundle.watchlist.iterrows():
        path = bundle.image_path(sub["subject_id"])
        sha = sha256_file(path) if Path(path).is_file() else ""
        subjects.append((sub, path, sha))
    found: dict[str, Enrolled] = {}
    todo: dict[str, tuple[str, str]] = {}       # photo sha256 (or the path of a missing file) -> work
    for sub, path, sha in subjects:
        hit = template_cache.get(key, sha) if sha else None
        if hit is not None:
            found[sha] = hit
        elif (sha or str(path)) not in todo:
            todo[sha or str(path)] = (str(path), f"{wl_file}: subject {sub['subject_id']} ({sub['image']})")
    if todo:
        items = list(todo.items())
        if mapper is not None and len(items) > 1:
            results = mapper(_enrol_one, [args for _, args in items])
        else:
            from tqdm import tqdm

            results = [enrol_photo(matcher, p, w) for p, w in tqdm(
                [args for _, args in items], desc="enrol", unit="photo", disable=not progress, leave=False)]
        for (k, (photo, _)), got in zip(items, results):
            found[k] = got
            if k != photo:                       # keyed by the photo's hash, not the path of a missing file
                template_cache.put(key, k, got)
    rows, vectors, problems = [], [], []
    for sub, path, sha in subjects:
        got = found[sha or str(path)]
        sid, rel = sub["subject_id"], sub["image"]
        if got.error is not None:
            problems.append(got.error)
            continue
        if got.template is None:
            problems.append(f"subject {sid} ({rel}): " + ("no face found" if not got.faces else
                            f"{got.faces} faces found and none is clearly the subject's (the largest by "
                            f"{DOMINANT:g} times, or the only one on the photo's centre line)"))
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
