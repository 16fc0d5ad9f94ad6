"""Detectors and embedders: the two halves of a matcher, chosen separately.

A matcher is a detector (finds faces) and an embedder (turns a face into a template and compares templates).
fr-eval composes them at replay: ``--detector yunet --embedder dlib``, or the matcher spec ``yunet+dlib``
(:class:`fr_eval.replay.matchers.composed.ComposedMatcher`).  Each half is a plug-in with its own entry-point
group, so a third party can add either in its own package's ``setup.cfg``::

    [options.entry_points]
    fr_eval.detectors =
        mydetector = mypackage.module:MyDetector
    fr_eval.embedders =
        myembedder = mypackage.module:MyEmbedder

The interface between them
--------------------------
* Images are ``numpy.uint8`` arrays ``(height, width, 3)`` in RGB order.
* :meth:`Detector.detect` returns :class:`~fr_eval.replay.matchers.base.Detection` boxes ``(x0, y0, x1, y1)``
  in pixels, clipped to the image, with the detector's score and, when it has them, five landmarks.
* :meth:`Embedder.embed` gets the image and those detections -- the box, and the landmarks when the detector
  gives them -- and returns one ``float32`` row per detection.  An embedder that cannot work without landmarks
  sets :attr:`Embedder.needs_landmarks`, and composing it with a detector that gives none is refused.
* An embedder whose own alignment expects another detector's boxes maps the box it is given
  (:meth:`Embedder.embed` receives the detector's name through :meth:`Embedder.for_detector`).
* :meth:`Embedder.compare` returns similarities, higher = more alike, in :attr:`Embedder.similarity_range`.
* Both are deterministic, and every setting that changes a number is in :meth:`parameters` (the signature).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from fr_eval.replay.matchers.base import Detection


class Component(ABC):  # noqa: B024 - abstract through its subclasses' detect/embed
    """What a detector and an embedder share: a name, options, version, licence and weight files."""

    name: ClassVar[str] = "base"
    description: ClassVar[str] = ""
    #: the licence of the model weights (what a user redistributing results needs to know)
    licence: ClassVar[str] = "unknown"
    #: option name -> what it does (``--matcher-option KEY=VALUE``)
    OPTIONS: ClassVar[dict[str, str]] = {}
    kind: ClassVar[str] = "component"

    def __init__(self, **options: Any):
        unknown = sorted(set(options) - set(self.OPTIONS))
        if unknown:
            from fr_eval.errors import InputError

            known = ", ".join(f"{k} ({v})" for k, v in self.OPTIONS.items()) or "none"
            raise InputError(f"{self.kind} {self.name!r}: unknown option {unknown[0]!r}", hint=f"its options: {known}")
        self.options = options

    def version(self) -> str:
        return "unknown"

    def package(self) -> str:
        return type(self).__module__.split(".")[0]

    def model_files(self) -> dict[str, Path]:
        """Weight files, hashed into the manifest and the signature."""
        return {}

    def parameters(self) -> dict[str, Any]:
        """Settings that change the numbers."""
        return dict(self.options)

    def set_threads(self, n: int) -> None:  # noqa: B027 - an optional hook
        """Limit the component's own threads to ``n`` (1 in each replay worker process)."""


class Detector(Component):
    """Finds faces.  Registered in the ``fr_eval.detectors`` entry-point group."""

    kind = "detector"
    #: True when :meth:`detect` fills :attr:`Detection.landmarks`
    gives_landmarks: ClassVar[bool] = False

    @abstractmethod
    def detect(self, image: np.ndarray) -> list[Detection]:
        """Faces in an RGB uint8 image."""


class Embedder(Component):
    """Turns faces into templates and compares them.  Registered in the ``fr_eval.embedders`` group."""

    kind = "embedder"
    similarity_range: ClassVar[tuple[float, float]] = (0.0, 1.0)
    default_threshold: ClassVar[float] = 0.5
    needs_landmarks: ClassVar[bool] = False

    def for_detector(self, detector: Detector) -> None:  # noqa: B027 - an optional hook
        """Told which detector's boxes it will get (to map them to the boxes its alignment expects)."""

    @abstractmethod
    def embed(self, image: np.ndarray, detections: Sequence[Detection]) -> np.ndarray:
        """One ``float32`` row per detection."""

    @abstractmethod
    def compare(self, probes: np.ndarray, gallery: np.ndarray) -> np.ndarray:
        """Similarities ``(len(probes), len(gallery))``, higher = more alike."""
