"""How the report writes numbers (shared by the PDF and HTML layouts): formatting only, no counting."""

from __future__ import annotations

import math

from fr_eval.counting.methods import Unavailable
from fr_eval.counting.rates import Rate
from fr_eval.report.text import pct


def fraction(r: Rate | Unavailable | None) -> str:
    """``8/42 = 19.0%`` (``precision_bounds``: ``8/42 to 28/42 = 19.0%-66.7%``); ``n/a`` when not computable."""
    if r is None or isinstance(r, Unavailable):
        return "n/a"
    if not r.denominator:
        return f"{r.numerator}/0 (undefined)"
    if r.id == "precision_bounds" and "bounds" in r.extra:
        lo, hi = r.extra["bounds"]
        return f"{r.numerator:,}/{r.denominator:,} to {r.extra['upper_numerator']:,}/{r.denominator:,} = {pct(lo)}-{pct(hi)}"
    return f"{r.numerator:,}/{r.denominator:,} = {pct(r.value)}"


def interval(r: Rate | Unavailable | None) -> str:
    """``8.6%-34.1%`` or ``-`` when there is no interval."""
    if r is None or isinstance(r, Unavailable) or not r.denominator:
        return "-"
    lo, hi = r.ci95
    if math.isnan(lo) or math.isnan(hi):
        return "-"
    return f"{pct(lo)}-{pct(hi)}"


def one_in(r: Rate | Unavailable | None) -> str:
    if r is None or isinstance(r, Unavailable) or not r.numerator:
        return ""
    n = r.denominator / r.numerator
    return f"1 in {n:,.0f}" if n >= 10 else f"1 in {n:.2f}".rstrip("0").rstrip(".")


def cell(r: Rate | Unavailable | None) -> str:
    """Counts, value and interval in one short cell: ``8/42 = 19.0% [8.6%-34.1%]``."""
    if r is None or isinstance(r, Unavailable):
        return "n/a"
    ci = interval(r)
    return fraction(r) + ("" if ci == "-" else f" [{ci}]")


def number(x: float | None, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:,.{digits}f}"


def stage_share(count: int | None, alerts: int | None) -> str:
    return "-" if count is None or not alerts else pct(count / alerts)
