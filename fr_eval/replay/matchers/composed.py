"""A matcher made of a detector and an embedder (``--detector yunet --embedder dlib`` or ``-m yunet+dlib``).

Options (``--matcher-option KEY=VALUE``) go to whichever half declares ``KEY``; a key both declare must be
written ``detector.KEY`` or ``embedder.KEY``.  The signature records the spec, both halves' settings and the
SHA-256 of every weight file of both.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fr_eval.errors import InputError
from fr_eval.replay.matchers.base import Detection, Matcher
from fr_eval.replay.matchers.plugins import Detector, Embedder


def split_options(detector_cls: type[Detector], embedder_cls: type[Embedder], options: dict[str, Any],
                  spec: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Route ``options`` to the detector and the embedder (one-line error for an unknown or ambiguous key)."""
    det, emb = {}, {}
    for key, value in options.items():
        half, _, bare = str(key).rpartition(".")
        if half == "detector":
            det[bare] = value
        elif half == "embedder":
            emb[bare] = value
        elif half:
            raise InputError(f"matcher {spec!r}: option {key!r}: prefix must be detector. or embedder.")
        elif key in detector_cls.OPTIONS and key in embedder_cls.OPTIONS:
            raise InputError(f"matcher {spec!r}: option {key!r} is both the detector's and the embedder's",
                             hint=f"write detector.{key}=… or embedder.{key}=…")
        elif key in embedder_cls.OPTIONS:
            emb[key] = value
        elif key in detector_cls.OPTIONS:
            det[key] = value
        else:
            known = sorted(set(detector_cls.OPTIONS) | set(embedder_cls.OPTIONS))
            raise InputError(f"matcher {spec!r}: unknown option {key!r}",
                             hint=f"its options: {', '.join(known) or 'none'}")
    return det, emb


class ComposedMatcher(Matcher):
    """Detect with one plug-in, embed and compare with another."""

    description = "a detector and an embedder composed at replay"

    def __init__(self, detector: Detector, embedder: Embedder, name: str | None = None):
        if embedder.needs_landmarks and not detector.gives_landmarks:
            raise InputError(f"embedder {embedder.name!r} needs landmarks, which detector {detector.name!r} "
                             f"does not give", hint="choose a detector with landmarks (see `fr-eval matchers`)")
        self.detector, self.embedder = detector, embedder
        embedder.for_detector(detector)
        self.name = name or f"{detector.name}+{embedder.name}"   # type: ignore[misc]
        self.similarity_range = embedder.similarity_range
        self.default_threshold = embedder.default_threshold       # type: ignore[misc]
        self.options = {**detector.options, **embedder.options}
        self.licence = (detector.licence if detector.licence == embedder.licence  # type: ignore[misc]
                        else f"{detector.licence} + {embedder.licence}")

    def detect(self, image: np.ndarray) -> list[Detection]:
        return self.detector.detect(image)

    def embed(self, image: np.ndarray, detections: Sequence[Detection]) -> np.ndarray:
        return self.embedder.embed(image, detections)

    def compare(self, probes: np.ndarray, gallery: np.ndarray) -> np.ndarray:
        return self.embedder.compare(probes, gallery)

    def set_threads(self, n: int) -> None:
        self.detector.set_threads(n)
        self.embedder.set_threads(n)

    def version(self) -> str:
        dv, ev = self.detector.version(), self.embedder.version()
        return dv if dv == ev else f"{dv}+{ev}"

    def package(self) -> str:
        dp, ep = self.detector.package(), self.embedder.package()
        return dp if dp == ep else f"{dp}; {ep}"

    def model_files(self) -> dict[str, Path]:
        return {**self.detector.model_files(), **self.embedder.model_files()}

    def parameters(self) -> dict[str, Any]:
        return {"detector": {"name": self.detector.name, **self.detector.parameters()},
                "embedder": {"name": self.embedder.name, **self.embedder.parameters()}}
