"""Plain-text output of ``reconcile``, ``score``, ``sweep`` and ``compare``: rendering only, no counting.

Everything here formats results computed elsewhere (:mod:`fr_eval.counting.methods`,
:mod:`fr_eval.counting.reconcile`, :mod:`fr_eval.counting.score`, :mod:`fr_eval.thresholds`) through the one
formatter (:mod:`fr_eval.counting.rates`), and lays tables out with the one fitter
(:func:`fr_eval.report.tables.fit`): at 100 columns nothing wraps; columns are wrapped or dropped by priority,
the drop is said, and ``wide=True`` shows every column on one line.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

from fr_eval.counting.methods import METHODS
from fr_eval.counting.rates import Bounds, Rate, Result, Unavailable, fraction, interval_text, one_in, percent
from fr_eval.report.tables import WIDTH, dropped_note, fit, keep, table

HEADLINE = ("tpir", "fpir", "false_alert_rate", "precision", "verified_precision")

__all__ = ["HEADLINE", "WIDTH", "table", "fit", "methods_table", "reconciliation_text", "scores_text", "sweep_text",
           "compare_text", "side_by_side_text", "wrap"]


def _fitted(headers, rows, priority, align, *, wide: bool, width: int, wrap: dict[int, int] | None = None) -> str:
    text, dropped = fit(headers, rows, priority, align, width=width, wide=wide, wrap=wrap)
    note = dropped_note(dropped, width)
    return text + (f"\n{note}" if note else "")


def value_cell(r: Result | None) -> str:
    """``8/42 = 19.0% [8.6%, 34.1%]`` with its pieces kept whole (the fitter may break between them)."""
    if r is None or isinstance(r, Unavailable):
        return "-"
    if not r.denominator:
        return keep(f"{fraction(r.numerator, 0)} undefined")
    if isinstance(r, Bounds) and r.high is not None:
        text = [keep(f"{fraction(r.numerator, r.denominator)} to {fraction(r.high.numerator, r.high.denominator)}"),
                keep(f"= {percent(r.value)} to {percent(r.high.value)}")]
    else:
        text = [keep(f"{fraction(r.numerator, r.denominator)} = {percent(r.value)}")]
    ci = interval_text(r.ci95)
    if ci:
        text.append(keep(ci))
    if r.numerator and (r.value < 0.01 or r.extra.get("said_as") == "one_in"):
        text.append(keep(f"({one_in(r.value)})"))
    return " ".join(text)


def methods_table(results: Sequence[Result], *, wide: bool = False, width: int = WIDTH) -> str:
    """One row per method: id, counts = value [95% CI] (1 in N), unit, who uses it; then what is missing."""
    rows, missing = [], []
    for r in results:
        if isinstance(r, Unavailable):
            missing.append(f"  {r.id}: {r.reason}")
            continue
        m = METHODS.get(r.id)
        rows.append([r.id, value_cell(r), r.unit, m.parties() if m else ""])
    text = (f"95% intervals: {_ci_name(results)}\n"
            + _fitted(["method", "counts = value [95% CI]", "unit", "used by"], rows, [0, 1, 2, 3], "llll",
                      wide=wide, width=width, wrap={3: 16, 1: 16})
            if rows else "(no method can be computed from these counts)")
    if missing:
        text += "\n\nnot computable from these counts:\n" + "\n".join(
            line for m in missing for line in _wrap_line(m, width, "      "))
    return text


def _wrap_line(text: str, width: int, indent: str = "  ") -> list[str]:
    return textwrap.wrap(text, width, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)


def _ci_name(results) -> str:
    for r in results:
        if isinstance(r, Rate):
            return r.ci_method
    return ""


def waterfall_table(stages, alerts: int | None, *, wide: bool = False, width: int = WIDTH) -> str:
    rows = []
    for s in stages:
        share = "-" if s.count is None or not alerts else percent(s.count / alerts)
        lost = ", ".join(f"{v} {k}" for k, v in s.dropped_as.items() if v) if s.dropped_as else ""
        if s.dropped and not lost:
            lost = str(s.dropped)
        rows.append([s.label, "?" if s.count is None else str(s.count), share, lost])
    return _fitted(["stage", "count", "of alerts", "lost on the way"], rows, [0, 1, 2, 3], "lrrl", wide=wide,
                   width=width, wrap={0: 16, 3: 20})


def claims_table(checks, *, wide: bool = False, width: int = WIDTH) -> str:
    rows = []
    for c in checks:
        rows.append([c.id, c.by or "-", c.reported, c.method,
                     "-" if c.computed is None else value_cell(c.computed), c.status])
    return _fitted(["claim", "by", "reported", "method", "recomputed [95% CI]", "status"], rows, [0, 4, 1, 2, 3, 0],
                   "llllll", wide=wide, width=width, wrap={1: 14, 4: 14})


def claims_sections(checks, *, wide: bool = False, width: int = WIDTH) -> list[str]:
    """Published claims and fr-eval's derived figures, as two tables (never one tally)."""
    parts = []
    for kind, title in (("published", "PUBLISHED CLAIMS (figures a party published, recomputed from the counts)"),
                        ("derived", "DERIVED FIGURES (arithmetic on the published counts, not anyone's claim)")):
        these = [c for c in checks if c.kind == kind]
        if these:
            parts += [title, claims_table(these, wide=wide, width=width), ""]
    return parts


def base_rate_text(br, *, wide: bool = False, width: int = WIDTH) -> str:
    if br is None:
        return "(needs a hit rate, a false-alert rate and an observed precision)"
    far = (one_in(br.false_alert_rate) if br.false_alert_rate else
           "0 (no false alert observed: every prevalence gives 100% expected precision)")
    lines = _wrap_line(f"hit rate {percent(br.tpir)} [{br.tpir_from}], false-alert rate {far} [{br.far_from}], "
                       f"observed precision {percent(br.precision.value)} [{br.precision_from} "
                       f"{br.precision.numerator}/{br.precision.denominator}]", width)
    lines.append(f"implied prevalence: {one_in(br.prevalence)} passers-by on the watchlist"
                 if br.prevalence and br.prevalence > 0 else "implied prevalence: -")
    g = {(row["prevalence"], row["watchlist_factor"]): row["expected_precision"] for row in br.grid}
    prevs = sorted({p for p, _ in g})
    factors = sorted({f for _, f in g})
    headers = ["prevalence"] + [
        (f"watchlist {int(round(br.watchlist_size * f)):,}" if br.watchlist_size else f"watchlist x{f:g}")
        for f in factors]
    rows = [[one_in(p)] + [percent(g[(p, f)]) if (p, f) in g else "-" for f in factors] for p in prevs]
    size = (f"the watchlist of {br.watchlist_size:,}" if br.watchlist_size else
            "the watchlist (its size is not stated; x1 is whatever size it had)")
    lines += _wrap_line(f"expected precision if the false-alert rate scales with the watchlist (columns: 0.1 to 10 "
                        f"times {size}):", width)
    lines.append(_fitted(headers, rows, [0] + [1] * len(factors), "l" + "r" * len(factors), wide=wide, width=width))
    return "\n".join(lines)


def base_rate_title(br) -> str:
    if br is None:
        return "BASE RATE"
    stated = [w for w, src in (("hit rate", br.tpir_from), ("false-alert rate", br.far_from))
              if src.startswith("claim")]
    if stated:
        return f"BASE RATE (what-if: the {' and the '.join(stated)} are stated claims, not measured here)"
    return "BASE RATE (from the rates measured on these counts)"


def break_signature(sig: str, width: int = WIDTH) -> str:
    """A signature on one line when it fits, else broken before a ``|`` (continuation lines indented)."""
    out, cur = [], ""
    for i, part in enumerate(sig.split("|")):
        piece = part if i == 0 else "|" + part
        if cur.strip() and len(cur) + len(piece) > width:
            out.append(cur)
            cur = "    " + piece
        else:
            cur += piece
    return "\n".join(out + [cur])


def signature_text(sig: str, value: str, width: int = WIDTH) -> str:
    """``method|signature = value`` on one line when it fits, else broken at ``|`` with the value under it."""
    line = f"{sig} = {value}"
    if len(line) <= width:
        return line
    return break_signature(sig, width) + f"\n    = {value}"


def signature_lines(results: Sequence[Result], signature, width: int = WIDTH) -> str:
    """``method|signature = k/n = v% [lo, hi] per unit`` for the headline methods available."""
    out = []
    for r in results:
        if isinstance(r, Rate) and r.id in HEADLINE and r.denominator:
            out.append(signature_text(signature.for_method(r.id), r.format(), width))
    return "\n".join(out)


def wrap(paragraphs: Sequence[str], width: int = WIDTH) -> str:
    return "\n\n".join(textwrap.fill(p, width, break_long_words=False, break_on_hyphens=False) for p in paragraphs)


def reconciliation_text(rec, *, wide: bool = False, width: int = WIDTH) -> str:
    """The whole reconciliation as text (what ``fr-eval reconcile FILE`` prints)."""
    alerts = rec.funnel.get("alerts")
    parts = [*_wrap_line(f"{rec.title} ({rec.kind} {rec.id})", width), "",
             "COUNTING METHODS", methods_table(rec.methods, wide=wide, width=width), "",
             "ALERT WATERFALL", waterfall_table(rec.waterfall, alerts, wide=wide, width=width), ""]
    parts += claims_sections(rec.claims, wide=wide, width=width)
    parts += [base_rate_title(rec.base_rate), base_rate_text(rec.base_rate, wide=wide, width=width), "",
              "WHY THE NUMBERS DIFFER", wrap(rec.explanation, width), ""]
    if rec.linking:
        parts += ["LINKING", wrap([rec.linking], width), ""]
    sig = signature_lines(rec.methods, rec.signature, width)
    parts += ["SIGNATURES", sig or break_signature(f"signature {rec.signature.short()}", width)]
    return "\n".join(parts)


def scores_text(scores, *, wide: bool = False, width: int = WIDTH) -> str:
    parts = []
    for key, results in scores.per_deployment.items():
        sigs = scores.signatures[key]
        parts += [f"DEPLOYMENT {key}", methods_table(results, wide=wide, width=width), ""]
        for line in scores.linking.get(key, []):
            parts += [wrap([line], width), ""]
        parts += [signature_lines(results, sigs[0], width) or break_signature(f"signature {sigs[0].short()}", width)]
        parts += [break_signature(f"signature {s.short()}", width) for s in sigs[1:]] + [""]
    if scores.overall is not None:
        parts += [f"OVERALL ({len(scores.per_deployment)} deployments; intervals: cluster bootstrap by deployment)",
                  methods_table(scores.overall, wide=wide, width=width), ""]
    return "\n".join(parts).rstrip() + "\n"


# -- several deployments -------------------------------------------------------------------------

def side_by_side_text(sbs, *, wide: bool = False, width: int = WIDTH) -> str:
    """A row per method, a column per deployment (``fr-eval reconcile A.yaml B.yaml ...``)."""
    cols = sbs.columns
    letters = [chr(ord("A") + i) if i < 26 else f"D{i + 1}" for i in range(len(cols))]
    out = ["DEPLOYMENTS"]
    for letter, c, rec, src in zip(letters, cols, sbs.reconciliations, sbs.sources):
        none = "" if any(isinstance(r, Rate) and r.denominator for r in rec.methods) else (
            "; no counting method: it gives no pair of counts that a method divides")
        out += _wrap_line(f"{letter}  {c}: {rec.title} ({rec.kind} {src}{none})", width, "     ")
    rows = []
    for m in sbs.methods():
        meth = METHODS[m]
        rows.append([f"{m}\n(per {meth.unit})"] + [value_cell(sbs.cell(m, i)) for i in range(len(cols))]
                    + [meth.parties()])
    headers = ["method"] + letters + ["used by"]
    prio = [0] + [1] * len(cols) + [2]
    wraps = {i: 13 for i in range(1, len(cols) + 1)} | {len(cols) + 1: 12}
    ci = sbs.reconciliations[0].ci_method if sbs.reconciliations else ""
    out += ["", f"COUNTING METHODS (counts = value [95% CI, {ci}]; - : these counts do not allow it)"]
    out.append(_fitted(headers, rows, prio, "l" * len(headers), wide=wide, width=width, wrap=wraps))
    missing = sbs.unavailable()
    if missing:
        out += ["", *_wrap_line("not computable from any of these counts: " + ", ".join(missing), width)]
    published = [(m, p) for m in sbs.methods() for p in METHODS[m].published()]
    if published:
        out += ["", "PUBLISHED ELSEWHERE WITH THESE METHODS (each about the deployment named, not about A, B, ...)"]
        for m, p in published:
            out += _wrap_line(f"{m}: {p}", width, "    ")
    out += ["", "CLAIMS (published / derived: reproduced, rounding inconsistent, contradicted, not checkable)"]
    from fr_eval.counting.claims import STATUSES, tally

    for letter, rec in zip(letters, sbs.reconciliations):
        bits = []
        for kind in ("published", "derived"):
            n = sum(1 for c in rec.claims if c.kind == kind)
            if n:
                t = tally(rec.claims, kind)
                bits.append(f"{n} {kind}: " + ", ".join(f"{t[s]} {s.replace('_', ' ')}" for s in STATUSES if t[s]))
        out += _wrap_line(f"{letter}  " + ("; ".join(bits) if bits else "no claims in this file"), width, "     ")
    out += ["", "SIGNATURES"]
    for letter, rec in zip(letters, sbs.reconciliations):
        out.append(break_signature(f"{letter}  {rec.signature.short()}", width))
    return "\n".join(out)


# -- thresholds ----------------------------------------------------------------------------------

def _short(r) -> str:
    return value_cell(r) if isinstance(r, Rate) else "-"


def sweep_text(res, ci: str, *, wide: bool = False, width: int = WIDTH) -> str:
    """``fr-eval sweep``: the methods at each threshold, the targets and the group breakdowns."""
    from fr_eval.signature import number

    rows = []
    for p in res.sweep.points:
        aph = "-" if p.alerts_per_hour is None else _event(p.alerts_per_hour)
        rows.append([number(p.threshold) + (" *" if p.operated else ""), _short(p.rates["tpir"]),
                     _short(p.rates["fpir"]), _short(p.rates["false_alert_rate"]), _short(p.rates["precision"]),
                     str(p.alerts), aph])
    out = [_fitted(["threshold", "tpir\n(per passage)", "fpir\n(per passage)", "false alerts\nper face",
                    "precision\n(per alert)", "alerts", "alerts/hour"], rows, [0, 1, 1, 4, 2, 0, 3], "lllllrl",
                   wide=wide, width=width, wrap={1: 12, 2: 12, 3: 12, 4: 12, 6: 10})]
    exact = res.sweep.exact_above
    out += _wrap_line("* operated threshold.  Thresholds are used exactly as printed; a score equal to the threshold "
                      f"alerts.  95% intervals: {ci} (per face and per hour: exact Poisson)"
                      + (f".  Alert counts are exact above {number(exact)} (top-k stored per track)."
                         if math.isfinite(exact) else "."), width)
    for c in res.targets:
        if c.threshold is None:
            out += _wrap_line(f"target {c.target} ({c.on}): {c.reason}", width)
            continue
        out += _wrap_line(f"target {c.target} ({'on the 95% bound' if c.on == 'ci' else 'point value'}): "
                          f"thresholds {c.interval.text() if c.interval else '-'} meet it; recommended "
                          f"{number(c.threshold)}: tpir {_short(c.rates['tpir'])}, fpir {_short(c.rates['fpir'])}",
                          width)
        out += _wrap_line(f"  why: {c.rule}" + (f"; bob.measure's point: {number(c.bob_threshold)}"
                                                if c.bob_threshold is not None else ""), width, "    ")
        if c.reason:
            out += _wrap_line(f"  note: {c.reason}", width, "    ")
    for g in res.groups:
        out += [""] + _wrap_line(f"{g.method} by {g.by} at threshold {number(g.threshold)}"
                                 + (f" ({g.note})" if g.note else ""), width)
        for name, r in g.rates.items():
            warn = f"  ! {g.warnings[name]}" if name in g.warnings else ""
            out += _wrap_line(f"  {name:<16} {_short(r)}{warn}", width, " " * 19)
        if g.test is not None:
            p = "-" if g.test.p_value is None else f"{g.test.p_value:.3g}"
            out.append(f"  {g.test.test}: p = {p}" + ("  SIGNIFICANT DIFFERENCE" if g.test.significant else ""))
    out.append(break_signature(f"signature  {res.sweep.signature.short()}", width))
    return "\n".join(out)


def _event(r) -> str:
    lo, hi = r.ci95
    return keep(f"{r.value:.3g}") + " " + keep(f"[{lo:.3g}, {hi:.3g}]")


def compare_text(result, *, wide: bool = False, width: int = WIDTH) -> str:
    """``fr-eval compare``: the methods of two runs side by side, the paired tests and what differs."""
    rows = []
    for r in result.rows:
        a, b = r["a"], r["b"] or {}
        diff = "-" if r["difference"] is None else _breakable(r["difference"]["text"])
        rows.append([r["id"], _from_dict(a), _from_dict(b), diff])
    out = [_fitted(["method", "A", "B", "B - A (Newcombe 95%)"], rows, [0, 1, 1, 2], "llll", wide=wide,
                   width=width, wrap={1: 14, 2: 14, 3: 12})]
    for t in result.tests:
        out.append(f"McNemar, {t.what}: A only {t.a_only}, B only {t.b_only}, p = {t.p_value:.3g}"
                   + ("  SIGNIFICANT" if t.significant else ""))
    for n in result.notes:
        out += _wrap_line(f"note: {n}", width, "      ")
    if result.differs:
        out += _wrap_line(f"what differs: {', '.join(result.differs)}", width, "    ")
    out.append(break_signature(f"A  {result.a}", width))
    out.append(break_signature(f"B  {result.b}", width))
    return "\n".join(out)


def _from_dict(d: dict) -> str:
    """A compared result's text (its JSON form carries the one formatter's ``text``), breakable at the interval."""
    if not d.get("available"):
        return "-"
    text = str(d.get("text", "-"))
    for unit in (" per passage", " per alert", " per face", " per stop", " per frame", " per subject"):
        text = text.removesuffix(unit)
    return _breakable(text)


def _breakable(text: str) -> str:
    """``value [interval]`` breakable only before the interval (and, for bounds, before ``= low to high``)."""
    head, sep, tail = text.partition(" [")
    counts, eq, value = head.partition(" = ")
    head = keep(counts) + " " + keep("= " + value) if eq and " to " in counts else keep(head)
    return head + (" " + keep("[" + tail) if sep else "")
