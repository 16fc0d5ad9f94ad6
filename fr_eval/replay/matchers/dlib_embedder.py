"""The ``dlib`` embedder: dlib's 5-point alignment and 128-d ResNet (face_recognition's model, 99.38% on LFW).

Weights ``shape_predictor_5_face_landmarks.dat`` and ``dlib_face_recognition_resnet_model_v1.dat`` from the
installed ``face_recognition_models`` package (CC0, Davis King).

Alignment uses dlib's own 5-point landmarks, found inside the box it is given.  dlib's shape predictor was
trained on HOG boxes; another detector's box is first mapped onto the box HOG would have drawn
(:data:`BOX_MAPS`, measured on LFW by ``benchmarks/lfw_pairs.py --fit-box-map``), and the map in use is in
the signature.

Similarity
----------
dlib compares faces by the Euclidean distance ``d`` between embeddings; its customary decision rule is
``d <= 0.6``.  fr-eval needs "higher = more alike", so it reports::

    similarity = 1 / (1 + (d / 0.6) ** 2)

which is monotone, lies in (0, 1], and maps dlib's customary distance 0.6 to **0.5** (0.5 ↦ 0.59,
0.4 ↦ 0.69, 0.7 ↦ 0.42).  A threshold of 0.5 in fr-eval is therefore the same decision as face_recognition's
default tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fr_eval.replay.matchers.base import Detection, whole_number
from fr_eval.replay.matchers.dlib_models import dlib_version, model_file
from fr_eval.replay.matchers.plugins import Detector, Embedder

DISTANCE_AT_HALF = 0.6
SHAPE, RESNET = "shape_predictor_5_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.dat"

#: detector name -> (left, top, right, bottom) offsets as fractions of the detector's box width/height that
#: turn its box into the box HOG draws around the same face (least squares over LFW faces both detectors
#: found; benchmarks/lfw_pairs.py --fit-box-map).  Detectors not listed are used as they come.
BOX_MAPS: dict[str, tuple[float, float, float, float]] = {
    # 590 LFW images where each found one central face: YuNet's box reaches higher (forehead) than HOG's
    "yunet": (-0.0215, 0.1605, 0.0802, -0.0229),
}


def distance_to_similarity(d: np.ndarray | float) -> np.ndarray | float:
    """dlib distance -> fr-eval similarity (0.6 ↦ 0.5)."""
    return 1.0 / (1.0 + (np.asarray(d) / DISTANCE_AT_HALF) ** 2)


def similarity_to_distance(s: np.ndarray | float) -> np.ndarray | float:
    """Inverse of :func:`distance_to_similarity`."""
    s = np.asarray(s, dtype=float)
    return DISTANCE_AT_HALF * np.sqrt(1.0 / s - 1.0)


def map_box(d: Detection, offsets: tuple[float, float, float, float] | None) -> tuple[int, int, int, int]:
    if not offsets:
        return d.x0, d.y0, d.x1, d.y1
    w, h = d.x1 - d.x0, d.y1 - d.y0
    a, b, c, e = offsets
    return (int(round(d.x0 + a * w)), int(round(d.y0 + b * h)), int(round(d.x1 + c * w)), int(round(d.y1 + e * h)))


class DlibEmbedder(Embedder):
    name = "dlib"
    description = "dlib 5-point alignment + 128-d ResNet (face_recognition's model, 99.38% on LFW)"
    licence = "CC0-1.0"
    similarity_range = (0.0, 1.0)
    default_threshold = 0.5
    OPTIONS = {"jitters": "re-samplings of each face when embedding (0-100)",
               "box_map": "auto (map another detector's box onto HOG's, as measured) or none"}

    def __init__(self, jitters: int | str = 0, box_map: str = "auto", **options: Any):
        if str(box_map) not in ("auto", "none"):
            from fr_eval.errors import InputError

            raise InputError(f"embedder 'dlib': option box_map must be auto or none, got {box_map!r}")
        super().__init__(jitters=whole_number("dlib", "jitters", jitters, 0, 100), **options)
        self._box_map_mode = str(box_map)
        import dlib

        self._dlib = dlib
        self._files = {SHAPE: model_file(SHAPE), RESNET: model_file(RESNET)}
        self._shape = dlib.shape_predictor(str(self._files[SHAPE]))
        self._encoder = dlib.face_recognition_model_v1(str(self._files[RESNET]))
        self.jitters = int(self.options["jitters"])
        self.box_map: tuple[float, float, float, float] | None = None

    def for_detector(self, detector: Detector) -> None:
        self.box_map = BOX_MAPS.get(detector.name) if self._box_map_mode == "auto" else None

    def version(self) -> str:
        return dlib_version()

    def package(self) -> str:
        return "dlib-bin + face_recognition_models"

    def model_files(self) -> dict[str, Path]:
        return dict(self._files)

    def parameters(self) -> dict[str, Any]:
        p = dict(self.options)
        if self._box_map_mode == "none":
            p["box_map"] = "none"
        elif self.box_map:
            p["box_map"] = list(self.box_map)
        return p

    def embed(self, image: np.ndarray, detections: Sequence[Detection]) -> np.ndarray:
        if not detections:
            return np.zeros((0, 128), dtype=np.float32)
        dlib = self._dlib
        img = np.ascontiguousarray(image)
        shapes = dlib.full_object_detections()
        for d in detections:
            x0, y0, x1, y1 = map_box(d, self.box_map)
            shapes.append(self._shape(img, dlib.rectangle(x0, y0, x1 - 1, y1 - 1)))
        vecs = self._encoder.compute_face_descriptor(img, shapes, self.jitters)
        return np.asarray([np.asarray(v) for v in vecs], dtype=np.float32)

    def compare(self, probes: np.ndarray, gallery: np.ndarray) -> np.ndarray:
        probes = np.asarray(probes, dtype=np.float64)
        gallery = np.asarray(gallery, dtype=np.float64)
        if len(probes) == 0 or len(gallery) == 0:
            return np.zeros((len(probes), len(gallery)), dtype=np.float64)
        d2 = (np.sum(probes ** 2, 1)[:, None] + np.sum(gallery ** 2, 1)[None, :] - 2 * probes @ gallery.T)
        return np.asarray(distance_to_similarity(np.sqrt(np.maximum(d2, 0.0))), dtype=np.float64)
