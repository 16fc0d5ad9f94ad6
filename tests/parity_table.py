"""Parity checks against other tools' own reference numbers: one tolerance, every row printed.

The py-motmetrics pattern (``motmetrics/tests/test_trackeval_parity.py``): each check is a row of a
PASS/FAIL table and the test fails if any row fails, after printing the whole table.

* ``TOL`` = 1e-9, absolute, for every number.  References that exist only as printed text (bob's
  ``compute_perf`` output, ``test_m1.txt``) are compared as text: fr-eval's value printed the same way
  must give the same string.
* ``DIFF`` rows are stated convention differences: both values and the reason are printed, and the
  row *fails* if the two values agree after all (a stale note).  Each DIFF is paired with a PASS row
  that applies the other tool's convention to fr-eval's counts, so the difference is explained, not
  hidden.
* ``N/A`` rows name a reference value fr-eval does not compute, and why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TOL = 1e-9


@dataclass
class Row:
    case: str
    quantity: str
    expected: object
    ours: object
    status: str
    note: str = ""


class ParityTable:
    def __init__(self, tool: str):
        self.tool = tool
        self.rows: list[Row] = []
        self._checked = 0

    # -- kinds of check --------------------------------------------------------------------------
    def close(self, case: str, quantity: str, expected: float, ours: float, note: str = "") -> None:
        ok = _close(expected, ours)
        self.rows.append(Row(case, quantity, expected, ours, "PASS" if ok else "FAIL", note))

    def text(self, case: str, quantity: str, expected: str, ours: str, note: str = "") -> None:
        self.rows.append(Row(case, quantity, expected, ours, "PASS" if expected == ours else "FAIL", note))

    def holds(self, case: str, quantity: str, condition: bool, detail: str) -> None:
        self.rows.append(Row(case, quantity, detail, bool(condition), "PASS" if condition else "FAIL"))

    def differs(self, case: str, quantity: str, theirs: float, ours: float, why: str) -> None:
        stale = _close(theirs, ours)
        self.rows.append(Row(case, quantity, theirs, ours, "FAIL" if stale else "DIFF",
                             ("stated difference not observed: " if stale else "") + why))

    def na(self, case: str, quantity: str, expected: object, why: str) -> None:
        self.rows.append(Row(case, quantity, expected, "-", "N/A", why))

    # -- report --------------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.rows:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    def report(self, rows: list[Row] | None = None) -> str:
        rows = self.rows if rows is None else rows
        head = ("status", "case", "quantity", "expected", "fr-eval", "note")
        body = [(r.status, r.case, r.quantity, _fmt(r.expected), _fmt(r.ours), r.note) for r in rows]
        widths = [min(60, max(len(str(x[i])) for x in [head, *body])) for i in range(5)]
        lines = [f"{self.tool} parity, tolerance {TOL:g} absolute (printed references: same text)"]
        for row in [head, *body]:
            lines.append("  ".join(str(c).ljust(w) for c, w in zip(row[:5], widths, strict=True)) + "  " + row[5])
        c: dict[str, int] = {}
        for r in rows:
            c[r.status] = c.get(r.status, 0) + 1
        lines.append(", ".join(f"{k} {v}" for k, v in sorted(c.items())) + f" of {len(rows)} rows")
        return "\n".join(lines)

    def check_new(self) -> None:
        """Fail (listing every failed row) if a row added since the last call failed; print those rows."""
        new, self._checked = self.rows[self._checked:], len(self.rows)
        print(self.report(new))
        failed = [r for r in new if r.status == "FAIL"]
        assert new, "no parity rows were recorded"
        assert not failed, f"{len(failed)} {self.tool} parity rows failed:\n" + "\n".join(
            f"  {r.case} {r.quantity}: expected {_fmt(r.expected)}, fr-eval {_fmt(r.ours)} {r.note}" for r in failed)


def _close(a: object, b: object) -> bool:
    try:
        fa, fb = float(a), float(b)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return a == b
    if math.isnan(fa) or math.isnan(fb):
        return math.isnan(fa) and math.isnan(fb)
    if math.isinf(fa) or math.isinf(fb):
        return fa == fb
    return abs(fa - fb) <= TOL


def _fmt(x: object) -> str:
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):
        x = x.item()  # numpy scalar
    if isinstance(x, float):
        return repr(x) if abs(x) < 1e6 else f"{x:.10g}"
    return str(x)
