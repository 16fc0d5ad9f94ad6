"""The matcher interface: detect, embed, compare.

A third party adds a matcher by subclassing :class:`Matcher` in an installed
package and declaring it in that package's ``setup.cfg``::

    [options.entry_points]
    fr_eval.matchers =
        mymatcher = mypackage.module:MyMatcher

Contract
--------
* Images are ``numpy.uint8`` arrays of shape ``(height, width, 3)`` in RGB order.
* :meth:`Matcher.detect` returns :class:`Detection` boxes in pixel coordinates
  ``(x0, y0, x1, y1)`` with ``x1 > x0`` and ``y1 > y0``, clipped to the image.
* :meth:`Matcher.embed` returns one row per box, ``float32``.
* :meth:`Matcher.compare` returns similarities, **higher means more alike**, in
  ``similarity_range``.  The alert rule is ``similarity >= threshold``.
* A matcher must be deterministic: the same frames give the same numbers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from fr_eval.store.hashing import sha256_file


@dataclass(frozen=True)
class Detection:
    """One face found in one frame.

    ``landmarks`` are the detector's five points, when it gives them, as ``(x, y)`` pairs flattened to ten
    numbers in pixel coordinates of the same image, in the order right eye, left eye, nose tip, right mouth
    corner, left mouth corner (the subject's right and left; YuNet's order).  A detector without landmarks
    leaves it empty; an embedder that needs them says so (``Embedder.needs_landmarks``).
    """

    x0: int
    y0: int
    x1: int
    y1: int
    score: float = 1.0
    landmarks: tuple[float, ...] = ()

    def shifted(self, dx: int, dy: int) -> Detection:
        """The same face in an image whose origin is at ``(dx, dy)`` of this one (a crop)."""
        lm = tuple(v - (dx if i % 2 == 0 else dy) for i, v in enumerate(self.landmarks))
        return Detection(self.x0 - dx, self.y0 - dy, self.x1 - dx, self.y1 - dy, self.score, lm)

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.x0, self.y0, self.x1, self.y1)

    @property
    def height(self) -> int:
        return self.y1 - self.y0


@dataclass
class MatcherInfo:
    """What the manifest and ``fr-eval matchers`` say about a matcher."""

    name: str
    version: str
    package: str
    description: str
    similarity_range: tuple[float, float]
    default_threshold: float
    model_files: dict[str, str] = field(default_factory=dict)  # name -> sha256
    parameters: dict[str, Any] = field(default_factory=dict)


class Component(ABC):  # noqa: B024 - abstract through its subclasses' detect/embed/compare
    """What every matcher, detector and embedder has: a name, options, version, licence and weight files."""

    #: entry-point name
    name: ClassVar[str] = "base"
    #: one line for ``fr-eval matchers``
    description: ClassVar[str] = ""
    #: the licence of the model weights (what a user redistributing results needs to know)
    licence: ClassVar[str] = "unknown"
    #: the settings it accepts (``--matcher-option KEY=VALUE``), with what each does; anything else is refused
    OPTIONS: ClassVar[dict[str, str]] = {}
    #: "matcher", "detector" or "embedder" (in messages)
    kind: ClassVar[str] = "component"

    def __init__(self, **options: Any):
        unknown = sorted(set(options) - set(self.OPTIONS))
        if unknown:
            from fr_eval.errors import InputError

            known = ", ".join(f"{k} ({v})" for k, v in self.OPTIONS.items()) or "none"
            raise InputError(f"{self.kind} {self.name!r}: unknown option {unknown[0]!r}", hint=f"its options: {known}")
        self.options = options

    def set_threads(self, n: int) -> None:  # noqa: B027 - an optional hook, not an abstract method
        """Limit its own thread pool to ``n`` threads (called with 1 in each replay worker process, so that
        workers do not oversubscribe the cores).  Default: nothing to limit."""

    def version(self) -> str:
        """The version of the software doing the work (not of fr-eval)."""
        return "unknown"

    def package(self) -> str:
        return type(self).__module__.split(".")[0]

    def model_files(self) -> dict[str, Path]:
        """Model weight files, hashed into the manifest and the signature."""
        return {}

    def parameters(self) -> dict[str, Any]:
        """Settings that change the numbers (recorded in the manifest and hashed into the signature)."""
        return dict(self.options)


class Matcher(Component):
    """Base class of every face matcher."""

    kind = "matcher"
    #: (low, high) of :meth:`compare`
    similarity_range: tuple[float, float] = (0.0, 1.0)
    #: the threshold this matcher's documentation recommends
    default_threshold: ClassVar[float] = 0.5
    #: True for matchers that read recorded scores instead of footage (no detect/embed)
    imports_scores: ClassVar[bool] = False
    # -- the three operations -------------------------------------------------
    @abstractmethod
    def detect(self, image: np.ndarray) -> list[Detection]:
        """Find faces in an RGB uint8 image."""

    @abstractmethod
    def embed(self, image: np.ndarray, detections: Sequence[Detection]) -> np.ndarray:
        """One embedding row per detection (float32, shape ``(len(detections), d)``)."""

    @abstractmethod
    def compare(self, probes: np.ndarray, gallery: np.ndarray) -> np.ndarray:
        """Similarity matrix ``(len(probes), len(gallery))``; higher means more alike."""

    # -- description ------------------------------------------------------------
    def input_files(self, bundle_root: Path) -> dict[str, Path]:
        """Input files the matcher reads besides the bundle (an imported log), hashed into the inputs."""
        return {}

    def info(self) -> MatcherInfo:
        return MatcherInfo(
            name=self.name,
            version=self.version(),
            package=self.package(),
            description=self.description,
            similarity_range=(float(self.similarity_range[0]), float(self.similarity_range[1])),
            default_threshold=self.default_threshold,
            model_files={k: sha256_file(p) for k, p in self.model_files().items()},
            parameters=self.parameters(),
        )

    def check_threshold(self, threshold: float) -> None:
        """Refuse a threshold outside the similarity scale (a common unit mix-up)."""
        import math

        from fr_eval.errors import InputError

        low, high = self.similarity_range
        if not math.isfinite(threshold) or not (low <= threshold <= high):
            raise InputError(
                f"threshold {threshold} is outside the {self.name} matcher's similarity range [{low}, {high}]",
                hint="thresholds are similarities (higher = more alike); see docs/matchers.md",
            )


def whole_number(matcher: str, key: str, value: Any, low: int = 0, high: int = 100) -> int:
    """A matcher option that must be a whole number in ``[low, high]`` (a one-line error otherwise)."""
    from fr_eval.errors import InputError

    try:
        n = int(str(value).strip())
    except ValueError:
        raise InputError(f"matcher {matcher!r}: option {key} must be a whole number, got {value!r}") from None
    if not low <= n <= high:
        raise InputError(f"matcher {matcher!r}: option {key} must be from {low} to {high}, got {n}")
    return n


def real_number(matcher: str, key: str, value: Any, low: float, high: float) -> float:
    """A matcher option that must be a finite number in ``[low, high]``."""
    import math

    from fr_eval.errors import InputError

    try:
        x = float(str(value).strip())
    except ValueError:
        raise InputError(f"matcher {matcher!r}: option {key} must be a number, got {value!r}") from None
    if not math.isfinite(x) or not low <= x <= high:
        raise InputError(f"matcher {matcher!r}: option {key} must be from {low:g} to {high:g}, got {value!r}")
    return x
