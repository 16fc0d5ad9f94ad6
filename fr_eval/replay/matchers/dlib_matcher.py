"""The ``dlib`` matcher: the ``hog`` detector and the ``dlib`` embedder, as fr-eval first shipped them.

``-m dlib`` is the same as ``-m hog+dlib`` in every number; it keeps its own name and its flat settings
(``upsample``, ``jitters``) so that earlier runs and bundles keep their signatures.  The similarity scale is
the ``dlib`` embedder's (:mod:`fr_eval.replay.matchers.dlib_embedder`): dlib's distance 0.6 is 0.5.
"""

from __future__ import annotations

from typing import Any

from fr_eval.replay.matchers.composed import ComposedMatcher
from fr_eval.replay.matchers.dlib_embedder import (  # noqa: F401 - re-exported for callers of the old module
    distance_to_similarity,
    similarity_to_distance,
)
from fr_eval.replay.matchers.dlib_models import model_dir  # noqa: F401 - re-exported
from fr_eval.replay.matchers.hog_detector import HogDetector


class DlibMatcher(ComposedMatcher):
    """HOG detector (upsampled ``upsample`` times), 5-point alignment, ResNet 128-d embedding."""

    name = "dlib"
    description = "dlib HOG detector + 5-point alignment + 128-d ResNet embedding (= hog+dlib)"
    OPTIONS = {"upsample": "auto, or times the frame is doubled before HOG detection (0-3)",
               "jitters": "re-samplings of each face when embedding (0-100)"}

    def __init__(self, upsample: int | str = "auto", jitters: int | str = 0, **options: Any):
        from fr_eval.replay.matchers.composed import split_options
        from fr_eval.replay.matchers.dlib_embedder import DlibEmbedder

        det, emb = split_options(HogDetector, DlibEmbedder, {"upsample": upsample, "jitters": jitters, **options},
                                 "dlib")
        super().__init__(HogDetector(**det), DlibEmbedder(**emb), name="dlib")

    def parameters(self) -> dict[str, Any]:
        return {"upsample": self.detector.options["upsample"], "jitters": self.embedder.options["jitters"]}
