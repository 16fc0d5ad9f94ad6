"""Where dlib's model files are: the ``face_recognition_models`` package, found without importing it.

(It imports ``pkg_resources``, which setuptools 81+ no longer ships, and ``face_recognition`` calls ``quit()``
when that import fails.)
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fr_eval.errors import RunFailed


def model_dir() -> Path:
    """The ``models`` folder of the installed face_recognition_models package."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RunFailed("dlib's models need the face_recognition_models package",
                        hint="run `make env` (installs it) or `pip install face_recognition_models`")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


def model_file(name: str) -> Path:
    path = model_dir() / name
    if not path.is_file():
        raise RunFailed(f"{path}: dlib model file missing", hint="reinstall face_recognition_models")
    return path


def dlib_version() -> str:
    import dlib

    return f"dlib {dlib.__version__}"
