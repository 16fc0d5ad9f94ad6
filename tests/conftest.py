"""Shared fixtures: where ../shared is, and small real bundles built from the MIT photos."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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
