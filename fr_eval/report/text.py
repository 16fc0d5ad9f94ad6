"""Plain-text tables for the terminal: rendering only, no counting.

Everything here formats results computed elsewhere (:mod:`fr_eval.counting.methods`,
:mod:`fr_eval.counting.reconcile`, :mod:`fr_eval.counting.score`).
"""

from __future__ import annotations

import math
import textwrap
from typing import Sequence

from fr_eval import __version__
from fr_eval.counting.methods import METHODS, Unavailable
from fr_eval.counting.rates import Rate, pct

HEADLINE = ("tpir", "fpir", "false_alert_rate", "precision", "verified_precision")


def one_in(r: Rate) -> str:
    if not r.numerator:
        return "-"
    n = r.denominator / r.numerator
    return f"1 in {n:,.0f}" if n >= 10 else f"1 in {n:.2f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None) -> str:
    """A fixed-width table; ``align`` is a string of ``l``/``r`` per column."""
    align = align or "l" * len(headers)
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(headers)]

    def line(cells):
        return "  ".join(str(c).rjust(w) if a == "r" else str(c).ljust(w)
                         for c, w, a in zip(cells, widths, align)).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def methods_table(results: Sequence[Rate | Unavailable]) -> str:
    """One row per method: id, counts, value, 95% interval, 1 in N, unit, used by; then what is missing."""
    rows, missing = [], []
    for r in results:
        if isinstance(r, Unavailable):
            missing.append(f"  {r.id}: {r.reason}")
            continue
        if r.id == "precision_bounds":
            lo, hi = r.extra["bounds"]
            frac = f"{r.numerator}/{r.denominator} to {r.extra['upper_numerator']}/{r.denominator}"
            value = f"{pct(lo)}-{pct(hi)}"
        else:
            frac, value = f"{r.numerator}/{r.denominator}", pct(r.value)
        lo, hi = r.ci95
        ci = "-" if math.isnan(lo) else f"{pct(lo)}-{pct(hi)}"
        said = one_in(r) if r.extra.get("said_as") == "one_in" else ""
        used = METHODS[r.id].known_as[0].party + (f" {METHODS[r.id].known_as[0].figure}"
                                                  if METHODS[r.id].known_as[0].figure else "") \
            if METHODS.get(r.id) and METHODS[r.id].known_as else ""
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
        share = "-" if s.count is None or not alerts else pct(s.count / alerts)
        lost = ", ".join(f"{v} {k}" for k, v in s.dropped_as.items() if v) if s.dropped_as else ""
        if s.dropped and not lost:
            lost = str(s.dropped)
        rows.append([s.label, "?" if s.count is None else str(s.count), share, lost])
    return table(["stage", "count", "of alerts", "lost on the way"], rows, "lrrl")


def claims_table(checks) -> str:
    rows = []
    for c in checks:
        comp = "-" if c.computed is None else f"{c.computed.numerator}/{c.computed.denominator} = {pct(c.computed.value)}"
        ci = "-" if c.computed is None or math.isnan(c.computed.ci95[0]) else \
            f"{pct(c.computed.ci95[0])}-{pct(c.computed.ci95[1])}"
        rows.append([c.id, c.reported, c.method, comp, ci, c.status])
    return table(["claim", "reported", "method", "computed", "95% CI", "status"], rows, "llllll")


def base_rate_text(br) -> str:
    if br is None:
        return "(needs a hit rate, a false-alert rate and an observed precision)"
    far = (f"1 in {1 / br.false_alert_rate:,.0f}" if br.false_alert_rate else
           "0 (no false alert observed: every prevalence gives 100% expected precision)")
    lines = [f"hit rate {pct(br.tpir)} [{br.tpir_from}], false-alert rate {far} "
             f"[{br.far_from}], observed precision {pct(br.precision.value)} [{br.precision_from} "
             f"{br.precision.numerator}/{br.precision.denominator}]",
             f"implied prevalence: 1 in {1 / br.prevalence:,.0f} passers-by on the watchlist"
             if br.prevalence and br.prevalence > 0 else "implied prevalence: -"]
    g = br.grid
    prevs = sorted(set(g["prevalence"]))
    factors = sorted(set(g["watchlist_factor"]))
    headers = ["prevalence"] + [
        (f"watchlist {int(round(br.watchlist_size * f)):,}" if br.watchlist_size else f"watchlist x{f:g}")
        for f in factors]
    rows = []
    for p in prevs:
        row = [f"1 in {1 / p:,.0f}"]
        for f in factors:
            v = g[(g["prevalence"] == p) & (g["watchlist_factor"] == f)]["expected_precision"]
            row.append(pct(float(v.iloc[0])) if len(v) else "-")
        rows.append(row)
    lines.append("expected precision (false-alert rate scaled with watchlist size):")
    lines.append(table(headers, rows, "l" + "r" * len(factors)))
    return "\n".join(lines)


def signature_lines(results: Sequence[Rate | Unavailable], signature: str, *, counts_id: str | None = None) -> str:
    """``method|signature = k/n = v% [lo, hi]`` for the headline methods available."""
    out = []
    for r in results:
        if isinstance(r, Rate) and r.id in HEADLINE and r.denominator:
            sig = f"{r.id}|{signature}" if counts_id is None else f"{r.id}|counts:{counts_id}|fr-eval:{__version__}"
            out.append(f"{sig} = {r.format()}")
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
    sig = signature_lines(rec.methods, rec.signature, counts_id=rec.id if rec.kind == "counts" else None)
    if sig:
        parts += ["SIGNATURES", sig]
    return "\n".join(parts)


def scores_text(scores) -> str:
    parts = []
    for key, results in scores.per_deployment.items():
        parts += [f"DEPLOYMENT {key}", methods_table(results), "", signature_lines(results, scores.signatures[key]), ""]
    if scores.overall is not None:
        parts += [f"OVERALL ({len(scores.per_deployment)} deployments; intervals: cluster bootstrap by deployment)",
                  methods_table(scores.overall), ""]
    return "\n".join(parts).rstrip() + "\n"
