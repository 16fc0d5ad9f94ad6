"""Watchlist templates kept between replays, keyed by the photo's and the matcher's hashes.

A watchlist of 10,000 photos takes minutes to enrol; a second replay against the same watchlist with the same
matcher enrols nothing.  The key of a template is the SHA-256 of the photo's bytes and the matcher's identity
(:func:`matcher_key`: its name, version, every setting and the SHA-256 of every weight file), so a changed
photo, model or setting is never served an old template.  Entries live in ``FR_EVAL_CACHE`` (default
``~/.cache/fr-eval``) ``/templates/<matcher key>/<photo sha256>.npz``, written to a temporary file and renamed.
A cache entry that cannot be read, or whose recorded keys are not the expected ones, is ignored and
recomputed: the cache is fr-eval's own and never a source of truth.  ``FR_EVAL_TEMPLATE_CACHE=0`` turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass
class Enrolled:
    """What enrolling one photo found: the number of faces, and the box and template of the subject's face
    (None when no face is the subject's: none found, or two of similar size)."""

    faces: int
    box: tuple[int, int, int, int] | None = None
    template: np.ndarray | None = None
    error: str | None = None          # the photo could not be read (a one-line message)


def matcher_key(matcher, rule: str = "") -> str:
    """The cache key of ``matcher``'s templates; ``rule`` names the enrolment rule (a change of rule is a new
    key)."""
    info = matcher.info()
    ident = {"name": info.name, "version": info.version, "model_files": info.model_files,
             "parameters": info.parameters, "enrolment_rule": rule}
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()


def enabled() -> bool:
    return os.environ.get("FR_EVAL_TEMPLATE_CACHE", "1").strip().lower() not in ("0", "no", "false", "off")


def folder(key: str) -> Path:
    from fr_eval.replay.matchers.weights import cache_dir

    return cache_dir() / "templates" / key[:32]


def get(key: str, photo_sha: str) -> Enrolled | None:
    path = folder(key) / f"{photo_sha}.npz"
    if not enabled() or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["key"]) != key or str(z["photo"]) != photo_sha:
                return None
            faces = int(z["faces"])
            if not len(z["template"]):
                return Enrolled(faces)
            box = tuple(int(v) for v in z["box"])
            return Enrolled(faces, (box[0], box[1], box[2], box[3]), np.asarray(z["template"], dtype=np.float32))
    except Exception:   # a damaged entry is recomputed, never used
        return None


def put(key: str, photo_sha: str, got: Enrolled) -> None:
    if not enabled() or got.error is not None:
        return
    target = folder(key) / f"{photo_sha}.npz"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            np.savez(fh, key=np.array(key), photo=np.array(photo_sha), faces=np.array(got.faces),
                     box=np.array(got.box if got.box else (0, 0, 0, 0)),
                     template=got.template if got.template is not None else np.zeros(0, np.float32))
        os.replace(tmp, target)
    except OSError:     # a read-only or full cache only costs time
        return
