"""Lay a :class:`~fr_eval.report.model.ReportModel` out as one self-contained HTML file.

Inline CSS, figures and gallery images as base64 data URIs, no scripts and
nothing fetched from the network: the file can be mailed or archived as is.
The same sections and numbers as the PDF (both read the same model): the answer
first, then the contents; every figure has a caption and alt text saying what it
shows; the reviewer's statement is the HTML markdown-it-py makes of it (raw HTML off).
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from fr_eval import __version__
from fr_eval.report import figures
from fr_eval.report.format import cell, fraction, interval, number, one_in, stage_share
from fr_eval.report.model import (
    APPENDIX,
    FINDINGS_INTRO,
    SECTIONS,
    ReportModel,
    aph_caption,
    base_rate_caption,
    derived_line,
    det_caption,
    waterfall_caption,
    whatif_text,
)
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
nav ol{line-height:1.8}.flag{border:2px solid #D55E00;background:#fdeee4;padding:.4em .8em;color:#7a1f00}
tr.v-reproduced td:nth-child(4){background:#e3f2e1}tr.v-contradicted td:nth-child(4){background:#fbe0dc}
tr.v-rounding_inconsistent td:nth-child(4){background:#fff3d6}.review{border-left:4px solid #0072B2;padding-left:1em}
#findings li{margin:.3em 0}
"""


def render_html(model: ReportModel, out: str | Path) -> Path:
    """Write the HTML report atomically."""
    return write_text(out, html_text(model))


def html_text(model: ReportModel) -> str:
    e = escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>fr-eval audit report: {e(model.title)}</title>", f"<style>{CSS}</style></head><body>",
             "<header><p>Live facial recognition accuracy audit</p>", f"<h1>{e(model.title)}</h1>",
             _kv([("Input", model.source), ("Kind", "replay run" if model.kind == "run" else "counts file"),
                  ("Generated", f"{model.generated} by fr-eval {__version__}"), ("Signature", model.signature),
                  ("Faces in the gallery", "bystanders blurred" if model.redact else "NOT redacted (--no-redact)")]),
             "</header>", _answer(model),
             '<nav><h2 id="contents">Contents</h2><ol>'
             + "".join(f'<li><a href="#s{i}">{e(t)}</a></li>' for i, t in enumerate(SECTIONS, 1)) + "</ol></nav>"]
    builders = (_detail, _review, _reconciliation, _thresholds, _groups, _gallery, _method)
    for i, (title, build) in enumerate(zip(SECTIONS, builders), 1):
        parts.append(f'<section><h2 id="s{i}">{i} {e(title)}</h2>')
        parts += [f'<p class="note">{e(n)}</p>' for n in model.unsupported.get(title, [])]
        parts.append(build(model))
        parts.append("</section>")
    parts.append(f"<hr><p>fr-eval {__version__} audit report: {e(model.id)}</p></body></html>")
    return "\n".join(parts)


def _answer(model: ReportModel) -> str:
    """The answer, first: each party's figure, the claims' verdicts, the waterfall (page 1 of the PDF)."""
    rec = model.reconciliation
    out = ['<section id="findings"><h2>Findings</h2>']
    if model.simulated:
        out.append('<div class="flag"><b>SIMULATED INPUTS</b>' + "".join(f"<p>{escape(x)}</p>" for x in model.simulated)
                   + "</div>")
    if model.findings:
        out.append(f"<p>{escape(FINDINGS_INTRO)}</p><ul>")
        out += [f"<li><b>{escape(f.label)}</b> ({escape(f.parties)}, per {escape(f.unit)}): {escape(f.sentence)}: "
                f"<b>{escape(f.value)}</b>.</li>" for f in model.findings]
        out.append("</ul>")
    else:
        out.append(f"<p>{escape(rec.explanation[0] if rec.explanation else 'No counting method can be computed.')}</p>")
    if model.score_metrics_summary:
        out.append(f"<p>{escape(model.score_metrics_summary)}</p>")
    published = [c for c in rec.claims if c.kind == "published"]
    derived = [c for c in rec.claims if c.kind == "derived"]
    if published:
        out.append("<h3>Published claims, checked against these counts</h3>")
        out.append(_table(["Claim", "By", "Reported", "Verdict", "Recomputed [95% interval]"],
                          [[c.text or c.id, c.by or "-", c.reported, c.status.replace("_", " "),
                            cell(c.computed) if c.computed is not None else c.reason] for c in published],
                          [f"v-{c.status}" for c in published]))
    if derived:
        out.append(f"<p><small>{escape(derived_line(derived))}</small></p>")
    if not rec.claims:
        out.append("<p><small>This input states no published claim to check.</small></p>")
    flag = model.flag("adjudication")
    out.append(_figure(figures.waterfall_png(rec.waterfall, model.waterfall_marks, flag), waterfall_caption(model),
                       alt=_waterfall_alt(model)))
    out.append("<p><small>" + escape(f"Reviewer: {model.review.byline()} (section 2)." if model.review is not None
                                     else "No reviewer statement was supplied (section 2).") + "</small></p>")
    out.append("</section>")
    return "\n".join(out)


def _waterfall_alt(model: ReportModel) -> str:
    rec = model.reconciliation
    stages = "; ".join(f"{s.label}: {'not known' if s.count is None else f'{s.count:,}'}" for s in rec.waterfall)
    marks = " ".join(line for _, _, lines in model.waterfall_marks for line in lines)
    return f"Bar chart of the alert waterfall. {stages}. {marks}".strip()


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


def _figure(png: bytes | None, caption: str, alt: str = "") -> str:
    """A figure with its caption and alt text (the figure's numbers in words; the caption when none given)."""
    if png is None:
        return ""
    return f"<figure>{_img(png, 'image/png', alt or caption)}<figcaption>{escape(caption)}</figcaption></figure>"


def _detail(model: ReportModel) -> str:
    out = ["<h3>Deployment</h3>", _kv(model.facts), "<h3>Every method these counts support</h3>",
           "<p>Each row is one counting method on the same counts; the grey line under it is its signature. Methods "
           "these counts cannot support are in the appendix.</p>",
           '<table><tr><th>Method</th><th>Used by</th><th>Counts = value</th><th>95% interval</th><th>Unit</th>'
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
    if model.methods:
        out.append("<h3>Definitions</h3>")
        for m in model.methods:
            out.append(f"<p><b>{escape(m.label)}</b> (<code>{escape(m.id)}</code>, per {escape(m.unit)}). "
                       f"{escape(m.definition)} <i>Numerator:</i> {escape(m.numerator)}. <i>Denominator:</i> "
                       f"{escape(m.denominator)}." + (f" <i>Used by:</i> {escape(m.used_by)}." if m.used_by else "")
                       + "</p>")
    return "\n".join(out)


def _review(model: ReportModel) -> str:
    r = model.review
    if r is None:
        return ('<p class="note">No reviewer statement was supplied. A reviewer adds one with <code>fr-eval report '
                "SOURCE -o REPORT --review FILE</code> (Markdown or YAML, docs/formats.md); its SHA-256 then goes "
                "into the provenance.</p>")
    return (f"<p><small>By {escape(r.byline())}. Rendered as written; SHA-256 <code>{escape(r.sha256)}</code> (also "
            f'in the provenance).</small></p><div class="review">{r.html()}</div>')


def _reconciliation(model: ReportModel) -> str:
    rec = model.reconciliation
    alerts = rec.funnel.get("alerts")
    out = ["<h3>Alert waterfall</h3>",
           _table(["Stage", "Count", "Share of alerts", "Lost on the way"],
                  [[s.label, "not known" if s.count is None else f"{s.count:,}", stage_share(s.count, alerts),
                    ", ".join(f"{v} {k}" for k, v in s.dropped_as.items() if v)] for s in rec.waterfall]),
           "<h3>Why the numbers differ</h3>"]
    out += [f"<p>{escape(p)}</p>" for p in rec.explanation if not p.startswith("Base rate:")]
    for kind, title in (("published", "Published claims, recomputed"),
                        ("derived", "Derived figures (fr-eval's arithmetic on the published counts, not claims)")):
        checks = [c for c in rec.claims if c.kind == kind]
        if checks:
            out.append(f"<h3>{escape(title)}</h3>")
            out.append(_table(["Claim (by)", "Reported", "Method", "Recomputed [95% interval]", "Status", "Why"],
                              [[(c.text or c.id) + (f" ({c.by})" if c.by else ""), c.reported, c.method,
                                cell(c.computed) if c.computed is not None else "-", c.status.replace("_", " "),
                                c.reason] for c in checks]))
    out.append("<h3>Base rate" + (" (a what-if)" if model.base_rate_whatif else "") + "</h3>")
    out += [f"<p>{escape(p)}</p>" for p in rec.explanation if p.startswith("Base rate:")]
    br = rec.base_rate
    if br is not None and model.base_rate_curves:
        whatif = whatif_text(br, rec.claims) if model.base_rate_whatif else ""
        flag = model.flag("adjudication" if br.precision_from == "verified_precision" else "truth")
        caption = base_rate_caption(br, model, flag, whatif)
        out.append(_figure(figures.base_rate_png(model.base_rate_curves, (br.prevalence, br.precision.value),
                                                 br.prevalence_range,
                                                 f"this deployment: precision {br.precision.numerator}/"
                                                 f"{br.precision.denominator} ({br.precision_from}, measured)",
                                                 whatif=whatif, flag=flag), caption,
                           alt="Line chart: " + caption))
    elif model.base_rate_note and model.base_rate_note not in model.unsupported.get("Reconciliation", []):
        out.append(f'<p class="note">{escape(model.base_rate_note)}</p>')
    return "\n".join(out)


def _thresholds(model: ReportModel) -> str:
    out = []
    if model.det is not None:
        flag = model.flag("truth")
        cap = det_caption(model) + (f" {flag}." if flag else "")
        out.append(_figure(figures.det_png(model.det["points"], model.det["operated"], flag), cap,
                           alt="Step chart: " + cap))
    if model.sweep:
        flag = model.flag("footage")
        cap = aph_caption(model) + (f" {flag}." if flag else "")
        out.append(_figure(figures.alerts_per_hour_png(model.sweep, model.footage_hours, flag), cap,
                           alt="Line chart: " + cap + " Values: " + "; ".join(
                               f"threshold {r.threshold:g}: {r.alerts:,} alerts" for r in model.sweep)))
        out.append(_table(["Threshold", "Alerts", "Alerts per hour", "tpir", "fpir", "false_alert_rate", "precision"],
                          [[f"{r.threshold:g}" + (" (operated)" if r.operated else ""), f"{r.alerts:,}",
                            number(r.alerts_per_hour), cell(r.rates["tpir"]), cell(r.rates["fpir"]),
                            cell(r.rates["false_alert_rate"]), cell(r.rates["precision"])] for r in model.sweep],
                          ["operated" if r.operated else "" for r in model.sweep]))
        out.append(f"<p><small>{escape(model.sweep_note)}</small></p>")
    if model.score_metrics:
        out.append("<h3>The field's standard metrics of the score list</h3>")
        out += [f"<p><small>{escape(line)}</small></p>" for line in model.score_metrics_head]
        out.append(_table(["Metric", "Result", "Threshold"], [list(r) for r in model.score_metrics]))
        out += [f"<p><small>{escape(n)}</small></p>" for n in model.score_metrics_notes]
        out.append("<p><small>Definitions and the other tools' conventions: docs/metrics.md.</small></p>")
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
    if model.gallery and model.flag("footage"):
        out.insert(0, f'<p class="flag">{escape(model.flag("footage"))}: these faces are rendered, not people who '
                      "passed a camera.</p>")
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


def _appendix(model: ReportModel) -> str:
    head = f'<h3 id="appendix">{escape(APPENDIX)}</h3>'
    if not model.needs:
        return head + "<p><small>None: every counting method fr-eval knows is supported by these counts.</small></p>"
    return (head + "<p><small>fr-eval's other counting methods, which these counts cannot support (docs/methods.md "
            "defines each).</small></p>" + _table(["Method", "Unit", "The counts it would need"],
                                          [[f"{n.label} ({n.id})", n.unit, n.needs] for n in model.needs]))


def _method(model: ReportModel) -> str:
    out: list[str] = []
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
    out.append(_appendix(model))
    return "\n".join(out)
