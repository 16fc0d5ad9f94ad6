"""Lay a :class:`~fr_eval.report.model.ReportModel` out as one self-contained HTML file.

Inline CSS, figures and gallery images as base64 data URIs, no scripts and
nothing fetched from the network: the file can be mailed or archived as is.
The same sections and numbers as the PDF (both read the same model).
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from fr_eval import __version__
from fr_eval.report import figures
from fr_eval.report.format import cell, fraction, interval, number, one_in, stage_share
from fr_eval.report.model import SECTIONS, ReportModel
from fr_eval.store.atomic import write_text

CSS = """
body{font-family:"DejaVu Sans",Verdana,sans-serif;font-size:14px;line-height:1.45;max-width:62em;margin:2em auto;
padding:0 1em;color:#222}
h1{font-size:1.9em}h2{border-bottom:2px solid #1f5fa8;padding-bottom:.2em;margin-top:2em}h3{margin-top:1.4em}
table{border-collapse:collapse;margin:.6em 0;font-size:12px;width:100%}
th,td{border:1px solid #c8c8c8;padding:3px 5px;vertical-align:top;text-align:left}th{background:#e8eef6}
tr.sig td{background:#f6f6f6;font-family:"DejaVu Sans Mono",monospace;font-size:11px}
tr.operated td{background:#fff3d6}code,.mono{font-family:"DejaVu Sans Mono",monospace;font-size:11px;
word-break:break-all}.note{font-style:italic;color:#6b3d00}figure{margin:1em 0;text-align:center}
figure img{max-width:100%}figcaption{font-size:12px;color:#444}.gallery img{height:120px}
nav ol{line-height:1.8}
"""


def render_html(model: ReportModel, out: str | Path) -> Path:
    """Write the HTML report atomically."""
    return write_text(out, html_text(model))


def html_text(model: ReportModel) -> str:
    e = escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>fr-eval audit report: {e(model.title)}</title>", f"<style>{CSS}</style></head><body>",
             "<p>Live facial recognition accuracy audit</p>", f"<h1>{e(model.title)}</h1>",
             _kv([("Input", model.source), ("Kind", "replay run" if model.kind == "run" else "counts file"),
                  ("Generated", f"{model.generated} by fr-eval {__version__}"), ("Signature", model.signature),
                  ("Faces in the gallery", "bystanders blurred" if model.redact else "NOT redacted (--no-redact)")]),
             "<nav><h3>Contents</h3><ol>"
             + "".join(f'<li><a href="#s{i}">{e(t)}</a></li>' for i, t in enumerate(SECTIONS, 1)) + "</ol></nav>"]
    builders = (_summary, _reconciliation, _thresholds, _groups, _gallery, _method)
    for i, (title, build) in enumerate(zip(SECTIONS, builders), 1):
        parts.append(f'<h2 id="s{i}">{i} {e(title)}</h2>')
        parts += [f'<p class="note">{e(n)}</p>' for n in model.unsupported.get(title, [])]
        parts.append(build(model))
    parts.append(f"<hr><p>fr-eval {__version__} audit report: {e(model.id)}</p></body></html>")
    return "\n".join(parts)


def _kv(rows) -> str:
    return "<table>" + "".join(f"<tr><th>{escape(k)}</th><td>{escape(str(v))}</td></tr>" for k, v in rows) + "</table>"


def _table(header, rows, row_classes=None) -> str:
    out = ["<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>"]
    for i, r in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{escape(str(c))}</td>" for c in r) + "</tr>")
    return "".join(out) + "</table>"


def _img(data: bytes | None, mime: str, alt: str) -> str:
    if data is None:
        return ""
    return f'<img alt="{escape(alt)}" src="data:{mime};base64,{base64.b64encode(data).decode()}">'


def _figure(png: bytes | None, caption: str) -> str:
    if png is None:
        return ""
    return f"<figure>{_img(png, 'image/png', caption)}<figcaption>{escape(caption)}</figcaption></figure>"


def _summary(model: ReportModel) -> str:
    out = ["<h3>Deployment</h3>", _kv(model.facts), "<h3>Every party's number, side by side</h3>",
           "<p>Each row is one counting method on the same counts; the grey line under it is its signature.</p>",
           '<table><tr><th>Method</th><th>Known as</th><th>Counts = value</th><th>95% interval</th><th>Unit</th>'
           "<th>In words</th></tr>"]
    for h in model.headlines:
        if not h.available:
            continue
        r = h.rate
        assert r is not None
        said = one_in(r) if r.extra.get("said_as") == "one_in" else ""
        out.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in (
            f"{h.label} ({h.method_id})", h.used_by or "-", fraction(r) + (f" ({said})" if said else ""),
            interval(r), h.unit, h.plain)) + "</tr>")
        out.append(f'<tr class="sig"><td colspan="6">{escape(h.signature + " = " + r.format())}</td></tr>')
    out.append("</table>")
    claims = [p for p in model.reconciliation.explanation if p.startswith("Claims:")]
    if claims:
        out.append(f"<p>{escape(claims[0])} (Section 2 recomputes each.)</p>")
    missing = [h for h in model.headlines if not h.available]
    if missing:
        out.append("<p><small>Not computable from this input: "
                   + escape("; ".join(f"{h.method_id} ({h.missing})" for h in missing)) + ".</small></p>")
    return "\n".join(out)


def _reconciliation(model: ReportModel) -> str:
    rec = model.reconciliation
    alerts = rec.funnel.get("alerts")
    out = ["<h3>Alert waterfall</h3>",
           _figure(figures.waterfall_png(rec.waterfall), "What happened to the alerts, stage by stage."),
           _table(["Stage", "Count", "Share of alerts", "Lost on the way"],
                  [[s.label, "not known" if s.count is None else f"{s.count:,}", stage_share(s.count, alerts),
                    ", ".join(f"{v} {k}" for k, v in s.dropped_as.items() if v)] for s in rec.waterfall]),
           "<h3>Base rate</h3>"]
    br = rec.base_rate
    if br is not None:
        point = (br.prevalence, br.precision.value) if br.prevalence and br.prevalence > 0 else None
        out.append(_figure(figures.base_rate_png(model.base_rate_curves, point, br.prevalence_range,
                                                 f"this deployment ({br.precision_from})"),
                           f"Precision against the share of passers-by on the watchlist, for hit rate {br.tpir:.0%} "
                           f"({br.tpir_from}) and false-alert rate {br.false_alert_rate:.3g} ({br.far_from})."))
    out.append("<h3>Why the numbers differ</h3>")
    out += [f"<p>{escape(p)}</p>" for p in rec.explanation]
    if rec.claims:
        out.append("<h3>Published claims, recomputed</h3>")
        out.append(_table(["Claim (by)", "Reported", "Method", "Recomputed [95% interval]", "Status", "Why"],
                          [[(c.text or c.id) + (f" ({c.by})" if c.by else ""), c.reported, c.method,
                            cell(c.computed) if c.computed is not None else "-", c.status.replace("_", " "),
                            c.reason] for c in rec.claims]))
    return "\n".join(out)


def _thresholds(model: ReportModel) -> str:
    out = []
    if model.det is not None:
        out.append(_figure(figures.det_png(model.det["points"], model.det["operated"]),
                           "DET: FNIR against FPIR per passage as the threshold moves; red: operated threshold."))
    if model.sweep:
        out.append(_figure(figures.alerts_per_hour_png(model.sweep, model.footage_hours),
                           "Alerts per hour of footage at each threshold."))
        out.append(_table(["Threshold", "Alerts", "Alerts per hour", "tpir", "fpir", "false_alert_rate", "precision"],
                          [[f"{r.threshold:g}" + (" (operated)" if r.operated else ""), f"{r.alerts:,}",
                            number(r.alerts_per_hour), cell(r.rates["tpir"]), cell(r.rates["fpir"]),
                            cell(r.rates["false_alert_rate"]), cell(r.rates["precision"])] for r in model.sweep],
                          ["operated" if r.operated else "" for r in model.sweep]))
        out.append(f"<p><small>{escape(model.sweep_note)}</small></p>")
    return "\n".join(out)


def _groups(model: ReportModel) -> str:
    out = [f"<p>{escape(n)}</p>" for n in model.group_notes]
    if model.groups:
        out.append(_table(["Breakdown", "Group", "tpir [95%]", "fpir [95%]", "precision [95%]", "Difference",
                           "Warnings"],
                          [[g.dimension, g.group, cell(g.rates["tpir"]), cell(g.rates["fpir"]),
                            cell(g.rates["precision"]), g.flag or "none shown", "; ".join(g.warnings) or "-"]
                           for g in model.groups]))
    return "\n".join(out)


def _gallery(model: ReportModel) -> str:
    out = [f"<p>{escape(n)}</p>" for n in model.gallery_notes]
    if model.gallery:
        out.append('<table class="gallery"><tr><th>Watchlist photo</th><th>Best face of the track</th>'
                   "<th>Alert</th></tr>")
        for g in model.gallery:
            text = (f"<b>{escape(g.alert_id)}</b><br>named subject: {escape(g.subject_id)}<br>similarity "
                    f"{g.similarity:.3f} (threshold {model.threshold:g})<br>camera {escape(g.camera)}"
                    + (f", alert at t = {g.t:.1f} s" if g.t is not None else "")
                    + (f" ({escape(g.wall_time)})" if g.wall_time else "")
                    + (f"<br>face shown: t = {g.best_t:.1f} s" if g.best_t is not None else "")
                    + f"<br>truth: {escape(g.truth)}<br>adjudication: {escape(g.adjudication)}"
                    + (f"<br><i>{escape(g.note)}</i>" if g.note else ""))
            out.append(f"<tr><td>{_img(g.watchlist_jpeg, 'image/jpeg', 'watchlist photo') or 'no photo'}</td>"
                       f"<td>{_img(g.crop_jpeg, 'image/jpeg', 'face crop') or 'no frame: footage not available'}</td>"
                       f"<td>{text}</td></tr>")
        out.append("</table>")
    return "\n".join(out)


def _method(model: ReportModel) -> str:
    out = ["<h3>Counting methods</h3>", "<p><small>Quoted from fr-eval's method registry "
           "(fr_eval/counting/methods.py).</small></p>"]
    for m in model.methods:
        out.append(f"<p><b>{escape(m.label)}</b> (<code>{escape(m.id)}</code>, per {escape(m.unit)}). "
                   f"{escape(m.definition)} <i>Numerator:</i> {escape(m.numerator)}. <i>Denominator:</i> "
                   f"{escape(m.denominator)}." + (f" <i>Used by:</i> {escape(m.used_by)}." if m.used_by else "")
                   + (f" <i>Source:</i> {escape(m.source)}" if m.source else "") + "</p>")
    if model.counts:
        out += ["<h3>The counts</h3>", _table(["Count", "Value", "Meaning"], model.counts)]
    out += ["<h3>Provenance</h3>", _table(["Item", "Value"], model.provenance),
            "<h3>SHA-256 of the inputs</h3>", _table(["File", "SHA-256"], model.input_hashes)]
    if model.parameters:
        out += ["<h3>Parameters</h3>", _table(["Parameter", "Value"], model.parameters)]
    out.append("<h3>Reproduce</h3>")
    labels = ["Replay (re-creates the run's tables):", "This report:"] if len(model.commands) > 1 else ["This report:"]
    for label, cmd in zip(labels, model.commands):
        out.append(f"<p>{escape(label)}<br><code>{escape(cmd)}</code></p>")
    if model.sources:
        out.append("<h3>Sources</h3><ul>" + "".join(
            f"<li>{escape(s.get('citation', ''))} {escape(s.get('url', ''))}</li>" for s in model.sources) + "</ul>")
    return "\n".join(out)
