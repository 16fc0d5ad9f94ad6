"""The ``dlib-cnn`` detector: dlib's CNN (max-margin object detection) face detector.

Weights ``mmod_human_face_detector.dat`` from the installed ``face_recognition_models`` package (CC0, Davis
King).  More accurate than HOG across pose and light, and far slower on a CPU.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from fr_eval.replay.matchers.base import Detection
from fr_eval.replay.matchers.dlib_models import model_file
from fr_eval.replay.matchers.hog_detector import DlibDetector, rect_box

WEIGHTS = "mmod_human_face_detector.dat"


class MmodDetector(DlibDetector):
    name = "dlib-cnn"
    description = "dlib CNN (MMOD) detector: robust to pose and light, slow on CPU"
    licence = "CC0-1.0"

    def __init__(self, upsample: int | str = "auto", **options: Any):
        super().__init__(upsample, **options)
        import dlib

        self._file = model_file(WEIGHTS)
        self._detector = dlib.cnn_face_detection_model_v1(str(self._file))

    def package(self) -> str:
        return "dlib-bin + face_recognition_models"

    def model_files(self) -> dict[str, Path]:
        return {WEIGHTS: self._file}

    def detect(self, image: np.ndarray) -> list[Detection]:
        found = self._detector(np.ascontiguousarray(image), self.times_up(image))
        h, w = image.shape[:2]
        return [Detection(*b, float(d.confidence)) for d in found if (b := rect_box(d.rect, w, h))]
