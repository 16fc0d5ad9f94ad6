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

from abc import abstractmethod
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from fr_eval.replay.matchers.base import Component, Detection


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
