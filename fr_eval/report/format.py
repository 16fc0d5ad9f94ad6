"""How the report's tables lay numbers out (shared by the PDF and HTML layouts).

Layout only: every piece of text comes from the one formatter, :mod:`fr_eval.counting.rates`.
"""

from __future__ import annotations

import math

from fr_eval.counting.rates import Bounds, Result, Unavailable, interval_text, percent
from fr_eval.counting.rates import fraction as frac
from fr_eval.counting.rates import one_in as one_in_text


def fraction(r: Result | None) -> str:
    """``8/42 = 19.0%`` (bounds: ``8/42 to 28/42 = 19.0% to 66.7%``); ``n/a`` when not computable."""
    if r is None or isinstance(r, Unavailable):
        return "n/a"
    if not r.denominator:
        return f"{r.numerator}/0 (undefined)"
    if isinstance(r, Bounds) and r.high is not None:
        return (f"{frac(r.numerator, r.denominator)} to {frac(r.high.numerator, r.high.denominator)} = "
                f"{percent(r.value)} to {percent(r.high.value)}")
    return f"{frac(r.numerator, r.denominator)} = {percent(r.value)}"


def interval(r: Result | None) -> str:
    """``8.6%-34.1%`` or ``-`` when there is no interval."""
    if r is None or isinstance(r, Unavailable) or not r.denominator:
        return "-"
    text = interval_text(r.ci95)
    return text[1:-1].replace(", ", "-") if text else "-"


def one_in(r: Result | None) -> str:
    if r is None or isinstance(r, Unavailable) or not r.numerator:
        return ""
    return one_in_text(r.value)


def cell(r: Result | None) -> str:
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
    return "-" if count is None or not alerts else percent(count / alerts)
