"""Terminal tables that fit the terminal: the one table and fitting function of every command's text output.

:func:`fit` lays rows out in columns no wider than ``width`` (100 by default): first every cell on one line;
if that is too wide, the columns marked wrappable are wrapped inside their cells (at spaces; a no-break space
``\\u00a0`` -- :data:`KEEP` -- holds a piece such as ``[8.6%, 34.1%]`` together), narrowest table first; if it
is still too wide, whole columns are dropped, highest ``priority`` number first, and :func:`dropped_note`
says which (``--wide`` keeps every column on one line).  Nothing wraps at the terminal.

Why not a library: ``rich`` (``rich.table``, about 35 ms to import here) fits a table by wrapping or
ellipsising any cell, so a figure could be cut to ``8/42 = 19.0% [8.6%, 3…`` and a column cannot be dropped
with a note saying so; ``tabulate`` (about 40 ms) lays out but does not fit a width.  Both would fit the 0.3 s
budget of ``fr-eval reconcile`` (docs/performance.md); neither does the one thing needed here, which is never
to shorten a number, so this stays a small function.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

WIDTH = 100
#: a no-break space: the fitter never wraps a cell there (printed as a space)
KEEP = "\u00a0"


def keep(text: str) -> str:
    """``text`` with its spaces made unbreakable (a piece the fitter keeps on one line)."""
    return text.replace(" ", KEEP)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None) -> str:
    """A fixed-width table; ``align`` is a string of ``l``/``r`` per column.  A cell may hold several lines
    (``\\n``); when the first column itself takes several lines, rows are separated by a blank line (otherwise
    a row's continuation lines are the ones with an empty first column)."""
    align = align or "l" * len(headers)
    cells = [[str(c).split("\n") for c in r] for r in rows]
    head = [str(h).split("\n") for h in headers]
    widths = [max(len(line) for c in [head[i], *(r[i] for r in cells)] for line in c) for i in range(len(headers))]

    def lines(row: list[list[str]]) -> list[str]:
        height = max(len(c) for c in row)
        out = []
        for k in range(height):
            parts = [c[k] if k < len(c) else "" for c in row]
            out.append("  ".join(p.rjust(w) if a == "r" else p.ljust(w)
                                 for p, w, a in zip(parts, widths, align)).rstrip().replace(KEEP, " "))
        return out

    multi = any(len(r[0]) > 1 for r in cells if r)
    body: list[str] = []
    for i, r in enumerate(cells):
        if multi and i:
            body.append("")
        body += lines(r)
    return "\n".join(lines(head) + ["  ".join("-" * w for w in widths)] + body)


def _wrap(text: str, width: int) -> str:
    out = []
    for para in text.split("\n"):
        out += textwrap.wrap(para, width, break_long_words=False, break_on_hyphens=False) or [""]
    return "\n".join(out)


def _width(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def fit(headers: Sequence[str], rows: Sequence[Sequence[str]], priority: Sequence[float], align: str, *,
        width: int = WIDTH, wide: bool = False, wrap: dict[int, int] | None = None) -> tuple[str, list[str]]:
    """The table fitted to ``width`` columns, and the headers of the columns left out.

    Parameters
    ----------
    priority : one number per column; the highest is dropped first (0: never dropped while others remain).
    wrap : column index -> the narrowest it may be wrapped to (only these columns wrap); the widest wrappable
        column is narrowed first.
    wide : every column, every cell on one line (nothing dropped, nothing wrapped).
    """
    if wide:
        flat = [[str(c).replace("\n", " ") for c in r] for r in rows]
        return table([h.replace("\n", " ") for h in headers], flat, align), []
    given = [[str(c) for c in r] for r in rows]
    keep_cols = list(range(len(headers)))
    dropped: list[str] = []
    while True:
        text = _fitted(headers, given, align, keep_cols, width, wrap or {})
        if _width(text) <= width or len(keep_cols) <= 1:
            return text, dropped
        worst = max(keep_cols, key=lambda i: priority[i])
        keep_cols.remove(worst)
        dropped.append(headers[worst].replace("\n", " "))


def _fitted(headers, rows, align, cols, width, wrap) -> str:
    hs = [headers[i] for i in cols]
    al = "".join(align[i] for i in cols)
    body = [[r[i] for i in cols] for r in rows]
    text = table(hs, body, al)
    if _width(text) <= width:
        return text
    limits = {j: wrap[i] for j, i in enumerate(cols) if i in wrap}
    if not limits:
        return text
    # narrow the widest wrappable column, one character at a time, until the table fits; a column whose longest
    # unbreakable piece is reached stays at that width
    current = {j: _width("\n".join([hs[j], *(r[j] for r in body)])) for j in limits}
    stuck: set[int] = set()
    wrapped = [list(r) for r in body]
    while _width(text) > width:
        j = max((j for j in limits if current[j] > limits[j] and j not in stuck), key=lambda j: current[j],
                default=None)
        if j is None:
            break
        target = current[j] - 1
        cells = [_wrap(orig[j], target) for orig in body]
        actual = _width("\n".join([_wrap(hs[j], target), *cells]))
        if actual > target:
            stuck.add(j)
            continue
        current[j] = actual
        for r, c in zip(wrapped, cells):
            r[j] = c
        text = table([_wrap(h, current[k]) if k in current else h for k, h in enumerate(hs)], wrapped, al)
    return text


def dropped_note(dropped: Sequence[str], width: int = WIDTH) -> str:
    """``[left out to fit 100 columns: used by; --wide shows them]``, or "" when nothing was left out."""
    if not dropped:
        return ""
    return f"[left out to fit {width} columns: {', '.join(dropped)}; --wide shows them]"
