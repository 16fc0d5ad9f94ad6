"""Typed results and their one text form.

A number fr-eval prints is never a bare float.  Each result type carries what
produced it:

* :class:`Rate` -- ``numerator / denominator`` counted in a unit (passage,
  alert, stop, face, frame, subject), with a 95% interval and its method;
* :class:`Bounds` -- a rate known only between two ends (precision when some
  alerts were never resolved): a :class:`Rate` for the low end and another for
  the high end;
* :class:`EventRate` -- events per unit of exposure (alerts per hour of
  footage), with the exact Poisson interval;
* :class:`Ratio` -- the highest group's rate over the lowest group's;
* :class:`Difference` -- run B's rate minus run A's, with Newcombe's interval;
* :class:`Unavailable` -- a method the counts do not allow, naming the counts
  it needs.

**The text form of a rate lives here and nowhere else** (terminal, PDF, HTML,
signatures): :func:`percent`, :func:`one_in`, :func:`fraction`,
:func:`format_rate` (and :func:`format_value`, its value part, for sentences).
Tiny rates keep two significant figures and add "1 in N", so a non-zero count never prints as ``0.0% [0.0%, 0.0%]``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from fr_eval.counting.intervals import interval, wilson

UNITS = ("passage", "alert", "stop", "face", "frame", "track", "subject", "hour", "comparison", "search")


# -- the text form -------------------------------------------------------------------------------

def percent(x: float | None, digits: int = 1, missing: str = "n/a") -> str:
    """A proportion as a percentage: one decimal from 1% up, two significant figures below 1%, ``0%`` for 0.

    >>> percent(8 / 42), percent(0.00081), percent(10 / 3_147_436), percent(0.0), percent(None)
    ('19.0%', '0.081%', '0.00032%', '0%', 'n/a')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return missing
    if x == 0:
        return "0%"
    if math.isinf(x):
        return "inf"
    p = x * 100
    if abs(p) < 1:
        sig = 2
        d = max(digits, sig - 1 - int(math.floor(math.log10(abs(p)))))
        text = f"{p:.{d}f}"
        # 0.0099999 rounds up to 1.0 at two significant figures: keep the one-decimal form there
        return (text if abs(float(text)) < 1 else f"{p:.{digits}f}") + "%"
    return f"{p:.{digits}f}%"


def one_in(x: float | None) -> str:
    """A small rate said as "1 in N": three significant figures from 1,000 up, whole numbers from 10.

    >>> one_in(1 / 1000), one_in(10 / 3_147_436), one_in(8 / 42), one_in(0.0)
    ('1 in 1,000', '1 in 315,000', '1 in 5.25', 'never')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if x <= 0:
        return "never"
    n = 1 / x
    if n >= 1000:
        digits = int(math.floor(math.log10(n))) - 2
        return f"1 in {round(n, -digits):,.0f}"
    if n >= 10:
        return f"1 in {n:,.0f}"
    return f"1 in {n:.2f}".rstrip("0").rstrip(".")


def fraction(k: int, n: int) -> str:
    """``k/n`` with thousands separators: ``10/3,147,436``."""
    return f"{k:,}/{n:,}"


def interval_text(ci: tuple[float, float]) -> str:
    """``[8.6%, 34.1%]``, or an empty string when there is no interval."""
    lo, hi = ci
    if math.isnan(lo) or math.isnan(hi):
        return ""
    return f"[{percent(lo)}, {percent(hi)}]"


def format_rate(r: Rate | Unavailable | EventRate, *, unit: bool = True) -> str:
    """The one text form of a result, e.g. ``8/42 = 19.0% [8.6%, 34.1%] per alert``.

    A tiny rate (under 1%) or one its users say as "1 in N" adds it:
    ``10/3,147,436 = 0.00032% [0.00015%, 0.00058%] (1 in 315,000) per face``.
    """
    if isinstance(r, Unavailable):
        return f"not computable: {r.reason}"
    if isinstance(r, EventRate):
        lo, hi = r.ci95
        return (f"{r.count:,} over {r.exposure:,.4g} {r.per}s = {r.value:.3g} per {r.per} "
                f"[{lo:.3g}, {hi:.3g}]")
    if isinstance(r, Bounds) and r.high is not None:
        h = r.high
        text = (f"{fraction(r.numerator, r.denominator)} to {fraction(h.numerator, h.denominator)} = "
                f"{percent(r.value)} to {percent(h.value)}")
        ci = interval_text(r.ci95)
        return text + (f" {ci}" if ci else "") + (f" per {r.unit}" if unit else "")
    if not r.denominator:
        return f"{fraction(r.numerator, 0)} (undefined)" + (f" per {r.unit}" if unit else "")
    text = f"{fraction(r.numerator, r.denominator)} = {percent(r.value)}"
    ci = interval_text(r.ci95)
    if ci:
        text += f" {ci}"
    elif r.numerator > r.denominator:
        text += " (no interval: more events than units)"
    if r.numerator and (r.value < 0.01 or r.extra.get("said_as") == "one_in"):
        text += f" ({one_in(r.value)})"
    return text + (f" per {r.unit}" if unit else "")


def format_value(r: Rate) -> str:
    """The value part of :func:`format_rate`, for a sentence that has already said the counts:
    ``19.0% [8.6%, 34.1%]``, ``19.0% to 66.7% [8.6%, 80.4%]``, ``0.081% [0.033%, 0.17%] (1 in 1,230)``."""
    if isinstance(r, Bounds) and r.high is not None:
        text = f"{percent(r.value)} to {percent(r.high.value)}"
    elif not r.denominator:
        return "undefined"
    else:
        text = percent(r.value)
    ci = interval_text(r.ci95)
    if ci:
        text += f" {ci}"
    if r.numerator and (r.value < 0.01 or r.extra.get("said_as") == "one_in") and not isinstance(r, Bounds):
        text += f" ({one_in(r.value)})"
    return text


# -- results -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rate:
    """``numerator / denominator`` counted in ``unit``, with its interval.

    >>> r = Rate.of("verified_precision", 8, 42, "alert")
    >>> r.format(), r.one_in
    ('8/42 = 19.0% [8.6%, 34.1%] per alert', 5.25)
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
           clusters=None, seed: int = 0, n_boot: int = 2000, **extra) -> Rate:
        """Build a rate and compute its 95% interval."""
        numerator, denominator = int(numerator), int(denominator)
        if unit not in UNITS:
            raise ValueError(f"unknown unit {unit!r}; one of {', '.join(UNITS)}")
        ci = interval(numerator, denominator, ci_method, clusters=clusters, seed=seed, n_boot=n_boot)
        return cls(id, numerator, denominator, unit, ci, ci_method, dict(extra))

    @property
    def value(self) -> float:
        return self.numerator / self.denominator if self.denominator else math.nan

    @property
    def available(self) -> bool:
        return self.denominator > 0

    @property
    def one_in(self) -> float | None:
        """The rate said as "1 in N" (``denominator / numerator``); None when the numerator is 0."""
        return self.denominator / self.numerator if self.numerator else None

    def complement(self, id: str) -> Rate:
        """``1 - rate`` on the same counts (e.g. FNIR from TPIR); the interval flips."""
        low, high = self.ci95
        return replace(self, id=id, numerator=self.denominator - self.numerator, ci95=(1 - high, 1 - low))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["value"] = None if math.isnan(self.value) else self.value
        d["ci95"] = [None if math.isnan(x) else x for x in self.ci95]
        d["one_in"] = self.one_in
        d["text"] = format_rate(self)
        d.update(d.pop("extra"))
        return d

    def format(self, unit: bool = True) -> str:
        """The one text form (:func:`format_rate`)."""
        return format_rate(self, unit=unit)


@dataclass(frozen=True)
class Bounds(Rate):
    """A rate known between two ends: this rate is the low end, ``high`` the high end.

    ``ci95`` runs from the low end's lower bound to the high end's upper bound.
    """

    high: Rate | None = None

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.value, self.high.value if self.high is not None else math.nan)

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d.pop("high", None)
        d["bounds"] = list(self.bounds)
        d["high"] = None if self.high is None else {"numerator": self.high.numerator,
                                                     "denominator": self.high.denominator,
                                                     "value": self.high.value}
        d["text"] = format_rate(self)
        return d


@dataclass(frozen=True)
class EventRate:
    """``count`` events over ``exposure`` units of ``per`` (alerts per hour), with the exact Poisson interval."""

    id: str
    count: int
    exposure: float
    per: str
    ci95: tuple[float, float]
    ci_method: str = "poisson-exact"

    @classmethod
    def of(cls, id: str, count: int, exposure: float, per: str = "hour") -> EventRate:
        from fr_eval.counting.intervals import poisson_exact

        return cls(id, int(count), float(exposure), per, poisson_exact(int(count), float(exposure)))

    @property
    def value(self) -> float:
        return self.count / self.exposure if self.exposure else math.nan

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "count": self.count, "exposure": self.exposure, "per": self.per,
                "value": None if math.isnan(self.value) else self.value, "ci95": list(self.ci95),
                "ci_method": self.ci_method, "text": format_rate(self)}

    def format(self) -> str:
        return format_rate(self)


@dataclass(frozen=True)
class Unavailable:
    """A method the counts do not allow, and what is missing."""

    id: str
    missing: tuple[str, ...]
    label: str = ""
    #: every set of counts that would allow the method
    alternatives: tuple[tuple[str, ...], ...] = ()
    unit: str = ""

    @property
    def available(self) -> bool:
        return False

    @property
    def reason(self) -> str:
        text = f"needs {' and '.join(self.missing)}"
        others = [alt for alt in self.alternatives if not set(self.missing) <= set(alt)]
        for alt in others:
            text += f" (or {' and '.join(alt)})"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "available": False, "value": None, "numerator": None,
                "denominator": None, "unit": self.unit or None, "ci95": [None, None], "one_in": None,
                "missing": list(self.missing), "reason": self.reason, "text": format_rate(self)}

    def format(self) -> str:
        return format_rate(self)


@dataclass(frozen=True)
class Ratio:
    """The highest group's rate over the lowest group's (``inf`` when the lowest is 0 and the highest is not).

    ``bound`` is the same ratio judged on the intervals: the highest group's upper bound over the lowest
    group's lower bound.
    """

    id: str
    by: str
    high_group: str
    low_group: str
    value: float
    bound: float

    def to_dict(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and (math.isnan(v) or math.isinf(v)) else v)
                for k, v in asdict(self).items()} | {"text": self.format()}

    def format(self) -> str:
        v = "inf" if math.isinf(self.value) else f"{self.value:.3g}"
        b = "inf" if math.isinf(self.bound) else f"{self.bound:.3g}"
        return f"{self.high_group} / {self.low_group} = {v} (on the 95% bounds: {b})"


@dataclass(frozen=True)
class Difference:
    """Run B's rate minus run A's, with Newcombe's hybrid score interval (method 10, from Wilson intervals).

    Newcombe's interval assumes the two rates are independent; for runs on the same footage, the paired
    McNemar test in :mod:`fr_eval.thresholds.compare` is the test of the difference.
    """

    id: str
    a: Rate
    b: Rate
    value: float
    ci95: tuple[float, float]

    @classmethod
    def of(cls, a: Rate, b: Rate) -> Difference:
        if not (a.denominator and b.denominator) or a.numerator > a.denominator or b.numerator > b.denominator:
            return cls(a.id, a, b, math.nan, (math.nan, math.nan))
        p1, p2 = a.value, b.value
        l1, u1 = wilson(a.numerator, a.denominator)
        l2, u2 = wilson(b.numerator, b.denominator)
        d = p2 - p1
        return cls(a.id, a, b, d, (d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2),
                                   d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "value": None if math.isnan(self.value) else self.value,
                "ci95": [None if math.isnan(x) else x for x in self.ci95], "ci_method": "newcombe-hybrid-score",
                "text": self.format()}

    def format(self) -> str:
        if math.isnan(self.value):
            return "n/a"
        lo, hi = self.ci95
        return f"{self.value * 100:+.1f} pts [{lo * 100:+.1f}, {hi * 100:+.1f}]"


#: what a counting method gives: a rate (a Bounds is a Rate), or what it needs when it cannot be computed
Result = Rate | Unavailable
