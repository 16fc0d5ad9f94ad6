"""Where the shared, non-redistributable data lives (``../shared`` beside the project).

fr-eval never downloads anything.  Data that may not be committed (Labeled
Faces in the Wild) is read from a local copy: ``$FR_EVAL_SHARED`` when set,
else a ``shared`` folder beside the current directory or beside the source
checkout.  Every function returns ``None`` (never raises) when the data is
absent, so callers can say clearly what is missing.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def shared_root() -> Path | None:
    """The shared folder, or None when none of the usual places has one."""
    env = os.environ.get("FR_EVAL_SHARED")
    candidates = [Path(env)] if env else []
    candidates += [Path.cwd().parent / "shared", PACKAGE_ROOT.parent / "shared", Path.cwd() / "shared"]
    for c in candidates:
        if (c / "data").is_dir():
            return c
    return None


def lfw_root() -> Path | None:
    """``shared/data/lfw`` (Labeled Faces in the Wild, deep-funnelled), or None."""
    root = shared_root()
    lfw = root / "data" / "lfw" if root else None
    return lfw if lfw is not None and (lfw / "images_deepfunneled").is_dir() else None


def lfw_faces() -> Path | None:
    """LFW's folder of identity folders, the face source of ``fr-eval synth``."""
    lfw = lfw_root()
    return lfw / "images_deepfunneled" if lfw else None


def lfw_gender_labels() -> Path | None:
    """Per-identity perceived-gender labels (``identity<TAB>gender``), or None."""
    lfw = lfw_root()
    path = lfw / "labels" / "identity_gender.tsv" if lfw else None
    return path if path is not None and path.is_file() else None


def examples_root() -> Path | None:
    """The MIT-licensed face_recognition example photos and clip, or None."""
    root = shared_root()
    ex = root / "data" / "face_recognition_examples" if root else None
    return ex if ex is not None and ex.is_dir() else None
