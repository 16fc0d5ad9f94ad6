"""Shared fixtures: where ../shared is, and small real bundles built from the MIT photos."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# nothing downloads during the tests, and templates are cached in a folder of this test session, not the user's
os.environ["FR_EVAL_OFFLINE"] = "1"
if not os.environ.get("FR_EVAL_TEST_CACHE"):
    import atexit
    import shutil
    import tempfile

    _cache = tempfile.mkdtemp(prefix="fr-eval-test-cache-")
    atexit.register(shutil.rmtree, _cache, True)
os.environ["FR_EVAL_CACHE"] = os.environ.get("FR_EVAL_TEST_CACHE") or _cache


def shared_dir() -> Path:
    return Path(os.environ.get("FR_EVAL_SHARED", ROOT.parent / "shared"))


EXAMPLES = shared_dir() / "data" / "face_recognition_examples"
LFW = shared_dir() / "data" / "lfw"


@pytest.fixture
def examples_dir() -> Path:
    if not (EXAMPLES / "short_hamilton_clip.mp4").is_file():
        pytest.skip(f"the face_recognition example photos are not at {EXAMPLES}")
    return EXAMPLES


@pytest.fixture
def lfw_dir() -> Path:
    if not (LFW / "pairs.txt").is_file():
        pytest.skip(f"LFW is not at {LFW} (see ../shared/README.md)")
    return LFW
