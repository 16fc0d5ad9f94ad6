"""Plain-text tables for the terminal: rendering only, no counting.

Everything here formats results computed elsewhere (:mod:`fr_eval.counting.methods`,
:mod:`fr_eval.counting.reconcile`, :mod:`fr_eval.counting.score`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from fr_eval.counting.methods import METHODS
from fr_eval.counting.rates import Bounds, Rate, Result, Unavailable, fraction, interval_text, one_in, percent

HEADLINE = ("tpir", "fpir", "false_alert_rate", "precision", "verified_precision")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None) -> str:
    """A fixed-width table; ``align`` is a string of ``l``/``r`` per column."""
    align = align or "l" * len(headers)
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(headers)]

    def line(cells):
        return "  ".join(str(c).rjust(w) if a == "r" else str(c).ljust(w)
                         for c, w, a in zip(cells, widths, align)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def methods_table(results: Sequence[Result]) -> str:
    """One row per method: id, counts, value, 95% interval, 1 in N, unit, known as; then what is missing."""
    rows, missing = [], []
    for r in results:
        if isinstance(r, Unavailable):
            missing.append(f"  {r.id}: {r.reason}")
            continue
        if isinstance(r, Bounds) and r.high is not None:
            frac = f"{fraction(r.numerator, r.denominator)} to {fraction(r.high.numerator, r.high.denominator)}"
            value = f"{percent(r.value)} to {percent(r.high.value)}"
        else:
            frac, value = fraction(r.numerator, r.denominator), percent(r.value)
        ci = interval_text(r.ci95) or "-"
        said = one_in(r.value) if r.numerator and r.extra.get("said_as") == "one_in" else ""
        m = METHODS.get(r.id)
        used = (m.known_as[0].party + (f" {m.known_as[0].figure}" if m.known_as[0].figure else "")) \
            if m and m.known_as else ""
        rows.append([r.id, frac, value, ci, said, r.unit, used])
    text = table(["method", "counts", "value", f"95% CI ({_ci_name(results)})", "1 in N", "unit", "known as"],
                 rows, "lrrrrll") if rows else "(no method can be computed from these counts)"
    if missing:
        text += "\n\nnot computable from these counts:\n" + "\n".join(missing)
    return text


def _ci_name(results) -> str:
    for r in results:
        if isinstance(r, Rate):
            return r.ci_method
    return ""


def waterfall_table(stages, alerts: int | None) -> str:
    rows = []
    for s in stages:
        share = "-" if s.count is None or not alerts else percent(s.count / alerts)
        lost = ", ".join(f"{v} {k}" for k, v in s.dropped_as.items() if v) if s.dropped_as else ""
        if s.dropped and not lost:
            lost = str(s.dropped)
        rows.append([s.label, "?" if s.count is None else str(s.count), share, lost])
    return table(["stage", "count", "of alerts", "lost on the way"], rows, "lrrl")


def claims_table(checks) -> str:
    rows = []
    for c in checks:
        comp = "-" if c.computed is None else f"{fraction(c.computed.numerator, c.computed.denominator)} = " \
                                               f"{percent(c.computed.value)}"
        ci = "-" if c.computed is None else (interval_text(c.computed.ci95) or "-")
        rows.append([c.id, c.kind, c.reported, c.method, comp, ci, c.status])
    return table(["claim", "kind", "reported", "method", "computed", "95% CI", "status"], rows, "lllllll")


def base_rate_text(br) -> str:
    if br is None:
        return "(needs a hit rate, a false-alert rate and an observed precision)"
    far = (one_in(br.false_alert_rate) if br.false_alert_rate else
           "0 (no false alert observed: every prevalence gives 100% expected precision)")
    lines = [f"hit rate {percent(br.tpir)} [{br.tpir_from}], false-alert rate {far} "
             f"[{br.far_from}], observed precision {percent(br.precision.value)} [{br.precision_from} "
             f"{br.precision.numerator}/{br.precision.denominator}]",
             f"implied prevalence: {one_in(br.prevalence)} passers-by on the watchlist"
             if br.prevalence and br.prevalence > 0 else "implied prevalence: -"]
    g = {(row["prevalence"], row["watchlist_factor"]): row["expected_precision"] for row in br.grid}
    prevs = sorted({p for p, _ in g})
    factors = sorted({f for _, f in g})
    headers = ["prevalence"] + [
        (f"watchlist {int(round(br.watchlist_size * f)):,}" if br.watchlist_size else f"watchlist x{f:g}")
        for f in factors]
    rows = []
    for p in prevs:
        row = [one_in(p)]
        for f in factors:
            row.append(percent(g[(p, f)]) if (p, f) in g else "-")
        rows.append(row)
    lines.append("expected precision (false-alert rate scaled with watchlist size):")
    lines.append(table(headers, rows, "l" + "r" * len(factors)))
    return "\n".join(lines)


def signature_lines(results: Sequence[Result], signature) -> str:
    """``method|signature = k/n = v% [lo, hi] per unit`` for the headline methods available."""
    out = []
    for r in results:
        if isinstance(r, Rate) and r.id in HEADLINE and r.denominator:
            out.append(f"{signature.for_method(r.id)} = {r.format()}")
    return "\n".join(out)


def wrap(paragraphs: Sequence[str], width: int = 100) -> str:
    return "\n\n".join(textwrap.fill(p, width) for p in paragraphs)


def reconciliation_text(rec) -> str:
    """The whole reconciliation as text (what ``fr-eval reconcile`` prints)."""
    alerts = rec.funnel.get("alerts")
    parts = [f"{rec.title} ({rec.kind} {rec.id})", "",
             "COUNTING METHODS", methods_table(rec.methods), "",
             "ALERT WATERFALL", waterfall_table(rec.waterfall, alerts), ""]
    if rec.claims:
        parts += ["CLAIMS", claims_table(rec.claims), ""]
    parts += ["BASE RATE", base_rate_text(rec.base_rate), "", "WHY THE NUMBERS DIFFER", wrap(rec.explanation), ""]
    if rec.linking:
        parts += ["LINKING", wrap([rec.linking]), ""]
    sig = signature_lines(rec.methods, rec.signature)
    parts += ["SIGNATURES", sig or f"signature {rec.signature.short()}"]
    return "\n".join(parts)


def scores_text(scores) -> str:
    parts = []
    for key, results in scores.per_deployment.items():
        sigs = scores.signatures[key]
        parts += [f"DEPLOYMENT {key}", methods_table(results), ""]
        for line in scores.linking.get(key, []):
            parts += [wrap([line]), ""]
        parts += [signature_lines(results, sigs[0]) or f"signature {sigs[0].short()}"]
        parts += [f"signature {s.short()}" for s in sigs[1:]] + [""]
    if scores.overall is not None:
        parts += [f"OVERALL ({len(scores.per_deployment)} deployments; intervals: cluster bootstrap by deployment)",
                  methods_table(scores.overall), ""]
    return "\n".join(parts).rstrip() + "\n"
