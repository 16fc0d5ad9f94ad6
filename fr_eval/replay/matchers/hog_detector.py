"""The ``hog`` detector: dlib's HOG + linear SVM frontal face detector (no weight file; BSL-1.0)."""

from __future__ import annotations

from typing import Any

import numpy as np

from fr_eval.replay.matchers.base import Detection, whole_number
from fr_eval.replay.matchers.dlib_models import dlib_version
from fr_eval.replay.matchers.plugins import Detector


def rect_box(rect, width: int, height: int) -> tuple[int, int, int, int] | None:
    """A dlib rectangle (inclusive corners) as a clipped ``(x0, y0, x1, y1)`` box, or None if empty."""
    x0, y0 = max(0, rect.left()), max(0, rect.top())
    x1, y1 = min(width, rect.right() + 1), min(height, rect.bottom() + 1)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def parse_upsample(kind: str, value: Any) -> int | str:
    return "auto" if str(value).strip() == "auto" else whole_number(kind, "upsample", value, 0, 3)


def upsample_for(upsample: int | str, height: int) -> int:
    """``auto``: once below 720 px frame height (faces from about 40 px), none at 720 px and above (faces from
    about 80 px)."""
    if upsample == "auto":
        return 1 if height < 720 else 0
    return int(upsample)


class DlibDetector(Detector):
    """What dlib's two detectors share: the ``upsample`` option and dlib's version."""

    OPTIONS = {"upsample": "auto, or times the frame is doubled before detection (0-3)"}

    def __init__(self, upsample: int | str = "auto", **options: Any):
        super().__init__(upsample=parse_upsample(self.name, upsample), **options)
        self.upsample = self.options["upsample"]

    def version(self) -> str:
        return dlib_version()

    def times_up(self, image: np.ndarray) -> int:
        """Times ``image`` is doubled before detection (:func:`upsample_for`)."""
        return upsample_for(self.upsample, image.shape[0])


class HogDetector(DlibDetector):
    name = "hog"
    description = "dlib HOG + linear SVM, frontal faces from about 80 px (40 px with upsample=1)"
    licence = "BSL-1.0"

    def __init__(self, upsample: int | str = "auto", **options: Any):
        super().__init__(upsample, **options)
        import dlib

        self._detector = dlib.get_frontal_face_detector()

    def package(self) -> str:
        return "dlib-bin"

    def detect(self, image: np.ndarray) -> list[Detection]:
        rects, scores, _ = self._detector.run(np.ascontiguousarray(image), self.times_up(image), 0.0)
        h, w = image.shape[:2]
        return [Detection(*b, float(s)) for r, s in zip(rects, scores) if (b := rect_box(r, w, h))]
