"""The ``opencv-lbph`` matcher: a classic, independent matcher with no downloaded weights.

Detection: OpenCV's Haar cascade ``haarcascade_frontalface_default.xml``
shipped in ``opencv-contrib-python-headless`` (``cv2.data.haarcascades``),
``scaleFactor=1.1``, ``minNeighbors=8`` (5, OpenCV's usual value, finds false faces in large portraits),
``minSize=(30, 30)``, on the
histogram-equalised grey frame.  The detector score is the cascade's level
weight (``detectMultiScale3``).

Embedding: local binary pattern histograms exactly as OpenCV's
``LBPHFaceRecognizer`` computes them (radius 1, 8 neighbours, an 8x8 grid of
cells, 256-bin histograms, 16,384 values): the face box is cropped, turned
grey, resized to 96x96 and equalised.  The histograms come from
``cv2.face.LBPHFaceRecognizer_create(1, 8, 8, 8).train([crop])``'s
``getHistograms()``, so they are OpenCV's own.

Similarity: OpenCV's LBPH ``predict`` compares by the chi-square distance
``d = sum((a - b)^2 / (a + b))``; fr-eval reports ``1 / (1 + d / 100)``, in
(0, 1], higher = more alike.  LBPH is far weaker than a deep embedding and
sensitive to pose and light: it is here so that two independent matchers can
be compared on the same footage, not as a recommendation.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fr_eval.replay.matchers.base import Detection, Matcher, real_number, whole_number

SIZE = 96
SCALE = 100.0


class LBPHMatcher(Matcher):
    name = "opencv-lbph"
    description = "OpenCV Haar cascade + LBPH histograms (chi-square), no downloaded weights"
    licence = "Apache-2.0 (OpenCV) + Intel (cascade)"
    similarity_range = (0.0, 1.0)
    default_threshold = 0.64  # the accuracy-maximising LFW threshold (benchmarks/lfw_pairs.py)

    OPTIONS = {"scale_factor": "Haar cascade scale step (1.01-2)", "min_neighbors": "cascade neighbours (1-50)",
               "min_size": "smallest face in pixels (8-1000)"}

    def __init__(self, scale_factor: float | str = 1.1, min_neighbors: int | str = 8, min_size: int | str = 30,
                 **options: Any):
        scale_factor = real_number("opencv-lbph", "scale_factor", scale_factor, 1.01, 2.0)
        min_neighbors = whole_number("opencv-lbph", "min_neighbors", min_neighbors, 1, 50)
        min_size = whole_number("opencv-lbph", "min_size", min_size, 8, 1000)
        super().__init__(scale_factor=scale_factor, min_neighbors=min_neighbors, min_size=min_size, **options)
        import cv2

        self._cv2 = cv2
        self._cascade_path = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
        self._cascade = cv2.CascadeClassifier(str(self._cascade_path))
        if self._cascade.empty():
            from fr_eval.errors import RunFailed
            raise RunFailed(f"{self._cascade_path}: OpenCV's face cascade could not be loaded",
                            hint="install opencv-contrib-python-headless<5 (5.x wheels no longer ship the cascades)")
        self.scale_factor = float(scale_factor)
        self.min_neighbors = int(min_neighbors)
        self.min_size = int(min_size)

    def set_threads(self, n: int) -> None:
        self._cv2.setNumThreads(int(n))   # detectMultiScale is parallel inside one call

    def version(self) -> str:
        return f"opencv {self._cv2.__version__}"

    def package(self) -> str:
        return "opencv-contrib-python-headless"

    def model_files(self) -> dict[str, Path]:
        return {self._cascade_path.name: self._cascade_path}

    def _grey(self, image: np.ndarray) -> np.ndarray:
        return self._cv2.cvtColor(np.ascontiguousarray(image), self._cv2.COLOR_RGB2GRAY)

    def detect(self, image: np.ndarray) -> list[Detection]:
        cv2 = self._cv2
        grey = cv2.equalizeHist(self._grey(image))
        boxes, _, weights = self._cascade.detectMultiScale3(
            grey, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
            minSize=(self.min_size, self.min_size), outputRejectLevels=True)
        h, w = grey.shape
        out = []
        for (x, y, bw, bh), score in sorted(zip(np.asarray(boxes).reshape(-1, 4).tolist(),
                                                np.asarray(weights).ravel().tolist())):
            x0, y0, x1, y1 = max(0, x), max(0, y), min(w, x + bw), min(h, y + bh)
            if x1 > x0 and y1 > y0:
                out.append(Detection(int(x0), int(y0), int(x1), int(y1), float(score)))
        return out

    def embed(self, image: np.ndarray, detections: Sequence[Detection]) -> np.ndarray:
        cv2 = self._cv2
        grey = self._grey(image)
        rows = []
        for d in detections:
            face = grey[d.y0:d.y1, d.x0:d.x1]
            face = cv2.equalizeHist(cv2.resize(face, (SIZE, SIZE), interpolation=cv2.INTER_AREA))
            rec = cv2.face.LBPHFaceRecognizer_create(1, 8, 8, 8)
            rec.train([face], np.array([0], dtype=np.int32))
            rows.append(np.asarray(rec.getHistograms()[0], dtype=np.float32).ravel())
        return np.vstack(rows) if rows else np.zeros((0, 64 * 256), dtype=np.float32)

    def compare(self, probes: np.ndarray, gallery: np.ndarray) -> np.ndarray:
        probes = np.asarray(probes, dtype=np.float32)
        gallery = np.asarray(gallery, dtype=np.float32)
        out = np.zeros((len(probes), len(gallery)), dtype=np.float64)
        for i, p in enumerate(probes):
            num = (gallery - p) ** 2
            den = gallery + p
            d = np.divide(num, den, out=np.zeros_like(num), where=den > 0).sum(axis=1, dtype=np.float64)
            out[i] = 1.0 / (1.0 + d / SCALE)
        return out
