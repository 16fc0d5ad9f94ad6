"""The claims check: a published figure recomputed from the counts, with a stated, monotone rule.

A claim is a figure a party published ("19%", "1 in 1,000") with the counting method it uses.  Its status:

* ``reproduced`` -- the computed value rounds to the reported one at the precision it was printed
  (``19%`` for 8/42 = 19.05%; ``1 in 1,000`` at one significant figure for anything from 1 in 950 to
  1 in 1,499);
* ``rounding_inconsistent`` -- it does not, but the reported value lies inside the 95% interval of the
  counts: the counts cannot rule the figure out;
* ``contradicted`` -- the reported value lies outside the 95% interval: the counts rule it out;
* ``not_checkable`` -- a count the method needs is missing (named) or its denominator is zero.

The rule is monotone: as the computed value moves away from the reported one, the status only moves from
``reproduced`` to ``rounding_inconsistent`` to ``contradicted``.  (fr-eval 0.1 used ``not_reproducible``
for both "missing counts" and "counts contradict"; docs/formats.md records the change.)
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fr_eval.counting.funnel import Claim, Funnel
from fr_eval.counting.rates import Rate, Unavailable, format_rate, interval_text
from fr_eval.errors import InputError

STATUSES = ("reproduced", "rounding_inconsistent", "contradicted", "not_checkable")


@dataclass(frozen=True)
class Reported:
    """A published figure, as a proportion, with the precision it was printed at."""

    value: float
    kind: str            # "fraction", "percent" or "one_in"
    text: str
    decimals: int = 0    # digits after the point as printed (fraction, percent)
    n: float | None = None          # the N of "1 in N"
    sig_figs: int | None = None     # significant figures of N

    def matches(self, value: float) -> bool:
        """Whether ``value`` (a proportion) rounds to this figure at the precision it was printed."""
        if value is None or math.isnan(value):
            return False
        if self.kind == "one_in":
            if value <= 0:
                return False
            return _round_sig(1 / value, self.sig_figs or 1) == _round_sig(self.n or math.nan, self.sig_figs or 1)
        scaled = value * (100 if self.kind == "percent" else 1)
        printed = self.value * (100 if self.kind == "percent" else 1)
        return _round_half_up(scaled, self.decimals) == round(printed, self.decimals)


_PCT = re.compile(r"^\s*(\d+(?:\.(\d+))?)\s*%\s*$")
_ONE_IN = re.compile(r"^\s*(?:1|one)\s+in\s+(?:every\s+)?([\d,]+(?:\.\d+)?)\s*$", re.IGNORECASE)


def parse_reported(reported: Any, *, where: str = "claim") -> Reported:
    """Read a published figure: ``0.19``, ``"19%"``, ``"1 in 1,000"``.

    >>> parse_reported("19%").value
    0.19
    >>> parse_reported("1 in 1,000").n
    1000.0
    """
    if isinstance(reported, bool):
        raise InputError(f"reported {reported!r} is not a figure", where=where, hint="write 0.19, '19%' or '1 in 1000'")
    if isinstance(reported, (int, float)):
        if not 0 <= reported <= 1:
            raise InputError(f"reported {reported!r} is not a proportion between 0 and 1", where=where,
                             hint="write percentages as '19%'")
        text = repr(reported)
        decimals = len(text.split(".")[1]) if "." in text else 0
        return Reported(float(reported), "fraction", text, decimals)
    if isinstance(reported, str):
        m = _PCT.match(reported)
        if m:
            v = float(m.group(1))
            if v > 100:
                raise InputError(f"reported {reported!r} is more than 100%", where=where)
            return Reported(v / 100, "percent", reported.strip(), len(m.group(2) or ""))
        m = _ONE_IN.match(reported)
        if m:
            digits = m.group(1).replace(",", "")
            n = float(digits)
            if n < 1:
                raise InputError(f"reported {reported!r}: N in '1 in N' must be at least 1", where=where)
            return Reported(1 / n, "one_in", reported.strip(), n=n, sig_figs=_sig_figs(digits))
    raise InputError(f"reported {reported!r} is not a figure", where=where,
                     hint="write a proportion (0.19), a percentage ('19%') or '1 in N'")


def _sig_figs(digits: str) -> int:
    if "." in digits:
        return len(digits.replace(".", "").lstrip("0")) or 1
    stripped = digits.lstrip("0")
    return len(stripped.rstrip("0")) or 1


def _round_sig(x: float, sig: int) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    digits = sig - int(math.floor(math.log10(abs(x)))) - 1
    return _round_half_up(x, digits)


def _round_half_up(x: float, digits: int) -> float:
    """Round half away from zero (as people print numbers), robust to binary error."""
    q = 10.0 ** digits
    return math.floor(abs(x) * q + 0.5 + 1e-9) / q * (1 if x >= 0 else -1)


# -- the check -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClaimCheck:
    """A published figure, recomputed."""

    id: str
    method: str
    reported: str
    reported_value: float
    status: str
    reason: str
    computed: Rate | None = None
    text: str = ""
    source: str = ""
    by: str = ""
    kind: str = "published"

    def to_dict(self) -> dict[str, Any]:
        c = self.computed
        return {"id": self.id, "method": self.method, "status": self.status, "kind": self.kind,
                "reported": self.reported, "reported_value": self.reported_value,
                "computed": None if c is None or math.isnan(c.value) else c.value,
                "numerator": None if c is None else c.numerator, "denominator": None if c is None else c.denominator,
                "ci95": None if c is None else [None if math.isnan(x) else x for x in c.ci95],
                "computed_text": None if c is None else format_rate(c),
                "reason": self.reason, "text": self.text, "by": self.by, "source": self.source}


def check_claim(claim: Claim, funnel: Funnel, *, ci: str = "clopper-pearson") -> ClaimCheck:
    """Recompute one claim from the counts and give its status (module docstring)."""
    from fr_eval.counting.methods import compute

    rep = parse_reported(claim.reported, where=f"claim {claim.id}")
    def check(status: str, reason: str, computed: Rate | None = None) -> ClaimCheck:
        return ClaimCheck(id=claim.id, method=claim.method, reported=str(claim.reported), reported_value=rep.value,
                          status=status, reason=reason, computed=computed, text=claim.text, source=claim.source,
                          by=claim.by, kind=claim.kind)

    result = compute(claim.method, funnel, ci=ci)
    if isinstance(result, Unavailable):
        return check("not_checkable", f"{claim.method} {result.reason}")
    if not result.denominator:
        return check("not_checkable", f"{claim.method}: the denominator is 0, so there is nothing to check", result)
    got = format_rate(result, unit=False)
    if rep.matches(result.value):
        return check("reproduced", f"{got} rounds to {claim.reported} at the precision it was printed", result)
    lo, hi = result.ci95
    inside = not (math.isnan(lo) or math.isnan(hi)) and lo <= rep.value <= hi
    if inside:
        return check("rounding_inconsistent", f"{got} does not round to {claim.reported}, but {claim.reported} lies "
                                              f"inside the 95% interval {interval_text(result.ci95)}", result)
    where = "no interval" if math.isnan(lo) else f"outside the 95% interval {interval_text(result.ci95)}"
    return check("contradicted", f"the counts give {got}; {claim.reported} lies {where}", result)


def check_claims(funnel: Funnel, claims: Sequence[Claim] | None = None, *,
                 ci: str = "clopper-pearson") -> list[ClaimCheck]:
    """Check every claim of a counts file (or the claims given)."""
    return [check_claim(c, funnel, ci=ci) for c in (funnel.claims if claims is None else claims)]


def tally(checks: Sequence[ClaimCheck], kind: str = "published") -> dict[str, int]:
    """How many claims of ``kind`` have each status."""
    out = dict.fromkeys(STATUSES, 0)
    for c in checks:
        if c.kind == kind:
            out[c.status] += 1
    return out
