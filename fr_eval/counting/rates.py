"""A rate is never a bare float.

:class:`Rate` carries what produced it: numerator, denominator, the unit that
was counted (passage, alert, stop, face, frame), a 95% interval and the
interval method, plus the counting method's id.  Every number fr-eval prints is
one of these, so any figure can be traced back to two counts.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from fr_eval.counting.intervals import interval

UNITS = ("passage", "alert", "stop", "face", "frame", "track", "subject", "hour")


def pct(x: float | None, digits: int = 1, missing: str = "-") -> str:
    """A proportion as a percentage; values under 1% keep two significant figures (0.081%).

    >>> pct(8 / 42), pct(0.00081), pct(None, missing="n/a")
    ('19.0%', '0.081%', 'n/a')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return missing
    p = x * 100
    if 0 < abs(p) < 1:
        digits = max(digits, 1 - int(math.floor(math.log10(abs(p)))))
    return f"{p:.{digits}f}%"


@dataclass(frozen=True)
class Rate:
    """``numerator / denominator`` counted in ``unit``, with its interval.

    >>> r = Rate.of("verified_precision", 8, 42, "alert")
    >>> f"{r.value:.3f}", tuple(round(x, 3) for x in r.ci95), r.one_in
    ('0.190', (0.086, 0.341), 5.25)
    """

    id: str
    numerator: int
    denominator: int
    unit: str
    ci95: tuple[float, float] = (math.nan, math.nan)
    ci_method: str = "clopper-pearson"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, id: str, numerator: int, denominator: int, unit: str, *, ci_method: str = "clopper-pearson",
           clusters=None, seed: int = 0, **extra) -> "Rate":
        """Build a rate and compute its 95% interval."""
        numerator, denominator = int(numerator), int(denominator)
        if unit not in UNITS:
            raise ValueError(f"unknown unit {unit!r}; one of {', '.join(UNITS)}")
        ci = interval(numerator, denominator, ci_method, clusters=clusters, seed=seed)
        return cls(id, numerator, denominator, unit, ci, ci_method, dict(extra))

    @property
    def value(self) -> float:
        return self.numerator / self.denominator if self.denominator else math.nan

    @property
    def one_in(self) -> float | None:
        """The rate said as "1 in N" (``denominator / numerator``); None when the numerator is 0."""
        return self.denominator / self.numerator if self.numerator else None

    def complement(self, id: str) -> "Rate":
        """``1 - rate`` on the same counts (e.g. FNIR from TPIR); the interval flips."""
        low, high = self.ci95
        return replace(self, id=id, numerator=self.denominator - self.numerator, ci95=(1 - high, 1 - low))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["value"] = None if math.isnan(self.value) else self.value
        d["ci95"] = [None if math.isnan(x) else x for x in self.ci95]
        d["one_in"] = self.one_in
        d.update(d.pop("extra"))
        return d

    def format(self, digits: int = 1) -> str:
        """``8/42 = 19.0% [8.6%, 34.1%] per alert``."""
        if not self.denominator:
            return f"{self.numerator}/0 (undefined) per {self.unit}"
        lo, hi = self.ci95
        return (f"{self.numerator}/{self.denominator} = {self.value:.{digits}%} "
                f"[{lo:.{digits}%}, {hi:.{digits}%}] per {self.unit}")
