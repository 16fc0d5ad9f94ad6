"""The ``yunet`` detector: YuNet (2023mar) through OpenCV's ``FaceDetectorYN``.

A 75,856-parameter CNN that finds faces from about 10 px to 300 px with five landmarks (WIDER Face AP 0.884
easy, 0.866 medium, 0.750 hard, OpenCV Zoo).  Its weights (232,589 bytes, MIT licence, Shiqi Yu) ship inside
fr-eval and are checked against their pinned SHA-256 before use (:mod:`fr_eval.replay.matchers.weights`).

Frames 720 px high or more are detected at half size (``scale=auto``): YuNet still finds faces from about
20 px of the original frame, at a quarter of the cost (a 1280x720 frame takes about 100 ms on one core at full
size).  ``scale=1`` detects at full size (faces from about 10 px).

Faces larger than about 300 px (close-ups, watchlist photos) are found by also running YuNet on the image
shrunk so that its longer side is at most ``large_side`` pixels, and keeping those detections that the full
size pass did not find (non-maximum suppression at IoU 0.3 across both passes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from fr_eval.replay.matchers.base import Detection, real_number, whole_number
from fr_eval.replay.matchers.plugins import Detector
from fr_eval.replay.matchers.weights import PINNED, locate


class YuNetDetector(Detector):
    name = "yunet"
    description = "YuNet CNN (OpenCV FaceDetectorYN): faces from about 10 px, with 5 landmarks; fast on CPU"
    licence = "MIT"
    gives_landmarks = True
    OPTIONS = {"scale": "auto (half size for frames 720 px high or more, else full), or a factor (0.25-2)",
               "score_threshold": "keep faces scoring at least this (0.05-0.99)",
               "nms_threshold": "IoU above which overlapping boxes are merged (0.05-0.95)",
               "large_side": "longer side of the second, shrunk pass for large faces (0 = none; 160-4096)",
               "weights": "path of a local copy of face_detection_yunet_2023mar.onnx (checked by SHA-256)"}

    def __init__(self, scale: float | str = "auto", score_threshold: float | str = 0.6,
                 nms_threshold: float | str = 0.3, large_side: int | str = 480, weights: str | None = None,
                 **options: Any):
        if str(scale).strip() != "auto":
            scale = real_number("yunet", "scale", scale, 0.25, 2.0)
        else:
            scale = "auto"
        score_threshold = real_number("yunet", "score_threshold", score_threshold, 0.05, 0.99)
        nms_threshold = real_number("yunet", "nms_threshold", nms_threshold, 0.05, 0.95)
        large_side = whole_number("yunet", "large_side", large_side, 0, 4096)
        if 0 < large_side < 160:
            large_side = whole_number("yunet", "large_side", large_side, 160, 4096)
        super().__init__(scale=scale, score_threshold=score_threshold, nms_threshold=nms_threshold,
                         large_side=large_side, **options)
        self.scale = scale
        import cv2

        self._cv2 = cv2
        self._file = locate("yunet", weights)
        self._net = cv2.FaceDetectorYN.create(str(self._file), "", (320, 320), score_threshold, nms_threshold, 5000)
        self.score_threshold, self.nms_threshold, self.large_side = score_threshold, nms_threshold, large_side

    def version(self) -> str:
        return f"opencv {self._cv2.__version__}"

    def package(self) -> str:
        return "opencv-contrib-python-headless"

    def model_files(self) -> dict[str, Path]:
        return {PINNED["yunet"].filename: self._file}

    def set_threads(self, n: int) -> None:
        self._cv2.setNumThreads(n)

    def _run(self, bgr: np.ndarray, scale: float) -> np.ndarray:
        h, w = bgr.shape[:2]
        self._net.setInputSize((w, h))
        _, faces = self._net.detect(bgr)
        if faces is None:
            return np.zeros((0, 15), np.float64)
        out = np.array(faces, dtype=np.float64)
        out[:, :14] = out[:, :14] / scale
        return out

    def scale_for(self, height: int) -> float:
        if self.scale == "auto":
            return 0.5 if height >= 720 else 1.0
        return float(self.scale)

    def detect(self, image: np.ndarray) -> list[Detection]:
        cv2 = self._cv2
        bgr = np.ascontiguousarray(image[:, :, ::-1])
        h, w = image.shape[:2]
        factor = self.scale_for(h)
        if factor == 1.0:
            faces = self._run(bgr, 1.0)
        else:
            interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR
            size = (max(1, round(w * factor)), max(1, round(h * factor)))
            faces = self._run(cv2.resize(bgr, size, interpolation=interp), factor)
        if self.large_side and max(h, w) > self.large_side:
            s = self.large_side / max(h, w)
            small = cv2.resize(bgr, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
            faces = np.vstack([faces, self._run(small, s)])
            if len(faces) > 1:
                keep = cv2.dnn.NMSBoxes([list(map(float, r[:4])) for r in faces], [float(r[14]) for r in faces],
                                        self.score_threshold, self.nms_threshold)
                faces = faces[np.sort(np.asarray(keep, dtype=int).ravel())]
        out = []
        for r in faces:
            x0, y0 = max(0, int(round(r[0]))), max(0, int(round(r[1])))
            x1, y1 = min(w, int(round(r[0] + r[2]))), min(h, int(round(r[1] + r[3])))
            if x1 > x0 and y1 > y0:
                out.append(Detection(x0, y0, x1, y1, float(r[14]), tuple(float(v) for v in r[4:14])))
        out.sort(key=lambda d: (d.y0, d.x0, d.y1, d.x1))
        return out
