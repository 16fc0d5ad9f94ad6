"""The ``dlib`` matcher: dlib's HOG face detector and 128-d ResNet embedding.

Detection upsamples frames below 720 px high once (``upsample=auto``; see
:meth:`DlibMatcher.upsample_for`).

This is the model the ``face_recognition`` package wraps (published at 99.38%
on LFW).  fr-eval calls dlib directly with the weight files shipped in the
``face_recognition_models`` package, located without importing that package
(it imports ``pkg_resources``, which setuptools 81+ no longer ships, and
``face_recognition`` calls ``quit()`` when that import fails).

Similarity
----------
dlib compares faces by the Euclidean distance ``d`` between embeddings; its
customary decision rule is ``d <= 0.6``.  fr-eval needs "higher = more alike",
so it reports::

    similarity = 1 / (1 + (d / 0.6) ** 2)

which is monotone, lies in (0, 1], and maps dlib's customary distance 0.6 to
**0.5** (0.5 ↦ 0.59, 0.4 ↦ 0.69, 0.7 ↦ 0.42).  A threshold of 0.5 in fr-eval
is therefore the same decision as face_recognition's default tolerance.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fr_eval.errors import RunFailed
from fr_eval.replay.matchers.base import Detection, Matcher, whole_number

DISTANCE_AT_HALF = 0.6


def distance_to_similarity(d: np.ndarray | float) -> np.ndarray | float:
    """dlib distance -> fr-eval similarity (0.6 ↦ 0.5)."""
    return 1.0 / (1.0 + (np.asarray(d) / DISTANCE_AT_HALF) ** 2)


def similarity_to_distance(s: np.ndarray | float) -> np.ndarray | float:
    """Inverse of :func:`distance_to_similarity`."""
    s = np.asarray(s, dtype=float)
    return DISTANCE_AT_HALF * np.sqrt(1.0 / s - 1.0)


def model_dir() -> Path:
    """The ``models`` folder of the installed face_recognition_models package."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RunFailed("the dlib matcher needs the face_recognition_models package",
                        hint="run `make env` (installs it) or `pip install face_recognition_models`")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


class DlibMatcher(Matcher):
    """HOG detector (upsampled ``upsample`` times; see :meth:`upsample_for`), 5-point alignment, ResNet 128-d
    embedding."""

    name = "dlib"
    description = "dlib HOG detector + 5-point alignment + 128-d ResNet embedding (face_recognition's model)"
    similarity_range = (0.0, 1.0)
    default_threshold = 0.5

    OPTIONS = {"upsample": "auto, or times the frame is doubled before HOG detection (0-3)",
               "jitters": "re-samplings of each face when embedding (0-100)"}

    def __init__(self, upsample: int | str = "auto", jitters: int | str = 0, **options: Any):
        if str(upsample).strip() != "auto":
            upsample = whole_number("dlib", "upsample", upsample, 0, 3)
        else:
            upsample = "auto"
        jitters = whole_number("dlib", "jitters", jitters, 0, 100)
        super().__init__(upsample=upsample, jitters=jitters, **options)
        import dlib

        self._dlib = dlib
        models = model_dir()
        self._files = {
            "shape_predictor_5_face_landmarks.dat": models / "shape_predictor_5_face_landmarks.dat",
            "dlib_face_recognition_resnet_model_v1.dat": models / "dlib_face_recognition_resnet_model_v1.dat",
        }
        for path in self._files.values():
            if not path.is_file():
                raise RunFailed(f"{path}: dlib model file missing", hint="reinstall face_recognition_models")
        self._detector = dlib.get_frontal_face_detector()
        self._shape = dlib.shape_predictor(str(self._files["shape_predictor_5_face_landmarks.dat"]))
        self._encoder = dlib.face_recognition_model_v1(str(self._files["dlib_face_recognition_resnet_model_v1.dat"]))
        self.upsample = upsample
        self.jitters = int(jitters)

    def version(self) -> str:
        return f"dlib {self._dlib.__version__}"

    def package(self) -> str:
        return "dlib-bin + face_recognition_models"

    def model_files(self) -> dict[str, Path]:
        return dict(self._files)

    def upsample_for(self, height: int) -> int:
        """Times the image is doubled before HOG detection.

        ``auto`` (the default): once below 720 px frame height (finds faces down to
        about 40 px), none at 720 px and above (faces from about 80 px), which keeps
        720p and 1080p replay faster than real time on two cores.  Pass
        ``--matcher-option upsample=1`` to find smaller faces in HD footage at about
        four times the detection cost.
        """
        if self.upsample == "auto":
            return 1 if height < 720 else 0
        return int(self.upsample)

    def detect(self, image: np.ndarray) -> list[Detection]:
        up = self.upsample_for(image.shape[0])
        rects, scores, _ = self._detector.run(np.ascontiguousarray(image), up, 0.0)
        h, w = image.shape[:2]
        out = []
        for r, s in zip(rects, scores):
            x0, y0 = max(0, r.left()), max(0, r.top())
            x1, y1 = min(w, r.right() + 1), min(h, r.bottom() + 1)
            if x1 > x0 and y1 > y0:
                out.append(Detection(x0, y0, x1, y1, float(s)))
        return out

    def embed(self, image: np.ndarray, detections: Sequence[Detection]) -> np.ndarray:
        if not detections:
            return np.zeros((0, 128), dtype=np.float32)
        dlib = self._dlib
        img = np.ascontiguousarray(image)
        shapes = dlib.full_object_detections()
        for d in detections:
            shapes.append(self._shape(img, dlib.rectangle(int(d.x0), int(d.y0), int(d.x1) - 1, int(d.y1) - 1)))
        vecs = self._encoder.compute_face_descriptor(img, shapes, self.jitters)
        return np.asarray([np.asarray(v) for v in vecs], dtype=np.float32)

    def compare(self, probes: np.ndarray, gallery: np.ndarray) -> np.ndarray:
        probes = np.asarray(probes, dtype=np.float64)
        gallery = np.asarray(gallery, dtype=np.float64)
        if len(probes) == 0 or len(gallery) == 0:
            return np.zeros((len(probes), len(gallery)), dtype=np.float64)
        d2 = (np.sum(probes ** 2, 1)[:, None] + np.sum(gallery ** 2, 1)[None, :] - 2 * probes @ gallery.T)
        return np.asarray(distance_to_similarity(np.sqrt(np.maximum(d2, 0.0))), dtype=np.float64)
