"""The record report: a RecordSummary laid out as PDF (reportlab) or one self-contained HTML file.

:func:`record_sections` turns the summary into sections of paragraphs, tables and figures (with captions saying
what each shows and from which counts); :func:`render_pdf` and
:func:`fr_eval.report.record_html.render_html` only lay them out.  Fonts are the embedded DejaVu family
(:func:`fr_eval.report.pdf.register_fonts`); files are written whole or not at all
(:func:`fr_eval.store.atomic.atomic_path`).

>>> write_record_report(summarise_record("datasets/published/record/lfr-deployments.csv"), "reports/record.pdf")
... # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from fr_eval import __version__
from fr_eval.counting.funnel_plot import LEVELS
from fr_eval.counting.methods import METHODS
from fr_eval.errors import InputError
from fr_eval.report import record_figures
from fr_eval.report.record_text import chance_text, homogeneity_p, one_in_text, p_text, rate_text


@dataclass
class Block:
    kind: str                                  # "p", "note", "table", "figure"
    text: str = ""
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    image: bytes | None = None


@dataclass
class Section:
    title: str
    blocks: list[Block]
    landscape: bool = False


def write_record_report(summary, out: str | Path, *, fmt: str | None = None) -> Path:
    """Write the record report of ``summary`` to ``out`` (.pdf or .html), atomically."""
    out = Path(out)
    fmt = fmt or ("html" if out.suffix.lower() in (".html", ".htm") else "pdf")
    if fmt not in ("pdf", "html"):
        raise InputError(f"unknown report format {fmt!r}", hint="pdf or html")
    if out.is_dir():
        raise InputError(f"{out}: is a folder", hint="give the report's file name, e.g. reports/record.pdf")
    title, facts, sections = title_facts(summary), facts_table(summary), record_sections(summary)
    if fmt == "pdf":
        return render_pdf(title, facts, sections, out)
    from fr_eval.report.record_html import render_html

    return render_html(title, facts, sections, out)


def title_facts(s) -> str:
    forces = sorted({d.force for d in s.deployments if d.force})
    return "Deployment record: " + ("; ".join(forces) if len(forces) <= 2 else f"{len(forces)} forces")


def facts_table(s) -> list[list[str]]:
    first, last = s.span
    return [["Record", s.record.path], ["SHA-256", s.record.sha256],
            ["Selection", f"{s.selection.describe()}: {len(s.deployments)} of {len(s.record)} deployments"],
            ["Dates", f"{first} to {last}" if first else "no dates"],
            ["Generated", f"{dt.date.today().isoformat()} by fr-eval {__version__}"],
            ["Command", s.command or "(called from Python)"]]


def _counts_used(method: str) -> str:
    first, *others = [" and ".join(alt) for alt in METHODS[method].requires]
    return first + "".join(f" (or {o})" for o in others)


def record_sections(s) -> list[Section]:
    return [_pooled(s), _alike(s), _over_time(s), _deployments(s), _method(s)]


def _pooled(s) -> Section:
    n = len(s.deployments)
    blocks = [Block("p", f"{n} deployments. Each rate below is the sum of the numerators over the sum of the "
                         "denominators of the deployments that have both counts (never an average of rates), with "
                         "its exact 95% interval; deployments lacking a count the method needs are named.")]
    rows = [[p.method, f"{p.deployments} of {n}", rate_text(p.result) + (f" ({one_in_text(p.result)})"
                                                                        if one_in_text(p.result) else ""),
             ", ".join(i for i, _ in p.lacking) or "-"] for p in s.pooled]
    blocks.append(Block("table", headers=["Method", "Deployments", "Pooled counts = value [95% CI] per unit",
                                          "Lacking a count it needs"], rows=rows, weights=[2.2, 1.4, 4.6, 3.2]))
    rows = [[k, f"{v['sum']:,}", str(v["deployments"]), ", ".join(v["lacking"]) or "-"] for k, v in s.counts.items()]
    blocks.append(Block("table", headers=["Count", "Sum", "Deployments with it", "Deployments without it"],
                        rows=rows, weights=[2.2, 1.6, 1.6, 6]))
    if s.undated:
        blocks.append(Block("note", f"Left out for want of a date ({len(s.undated)}): {', '.join(s.undated)}."))
    for c in s.totals:
        t = c.total
        blocks.append(Block("p", f"Published total {t.id} ({t.by}; {t.source}), window {t.date_from} to "
                                 f"{t.date_to}: {c.status.replace('_', ' ').upper()}. "
                                 + " ".join(n[0].upper() + n[1:] + "." for n in c.notes)
                                 + (f" Window: {t.window_note}" if t.window_note else "")))
        rows = [[k, f"{v['published']:,}", f"{v['rows']:,}", "-" if v["share"] is None else f"{v['share']:.1%}"]
                for k, v in c.counts.items()]
        blocks.append(Block("table", headers=["Count", "Published", "Record rows", "Rows / published"], rows=rows,
                            weights=[3, 2, 2, 2]))
    return Section("Pooled over the selection", blocks)


def _alike(s) -> Section:
    blocks = [Block("p", "Is one rate shared by every deployment? If so, the deployments differ only by chance "
                         "and the dispersion X2/df is near 1. The p-value is that of the test named in each row.")]
    rows = [[h.method, str(h.deployments), f"{h.events:,} / {h.exposure:,}",
             "-" if h.statistic is None else f"{h.statistic:.1f} ({h.df})",
             "-" if h.dispersion is None else f"{h.dispersion:.2f}", homogeneity_p(h), h.test]
            for h in s.homogeneity]
    if rows:
        blocks.append(Block("table", headers=["Method", "Deployments", "Events / exposure", "Pearson X2 (df)",
                                              "X2/df", "p", "Test"], rows=rows,
                            weights=[2, 1.6, 2.1, 1.6, 1, 1.2, 5]))
    for f in s.funnel_plots:
        png = record_figures.funnel_figure([f])
        m = METHODS[f.method]
        mult, wording = record_figures.display_scale(f.kind, f.target, f.unit)
        dist = "Poisson" if f.kind == "rate" else "binomial"
        caption = (f"Funnel plot of {f.method} ({m.label}): each deployment's {m.numerator} divided by its "
                   f"{m.denominator} ({wording}; circles, triangles and squares), against its {m.denominator} on a "
                   f"log scale. Solid line: the pooled rate {f.numerator:,}/{f.denominator:,} over the "
                   f"{len(f.points)} deployments that have these counts; dashed and dotted: exact {dist} 95% and "
                   "99.8% control limits around it (Spiegelhalter 2005). Triangles lie outside the 95% limits, "
                   "squares outside the 99.8% limits; they are listed below with their counts, numbered as in the "
                   "figure. Counts: "
                   f"{_counts_used(f.method)} from {s.record.path}.")
        blocks.append(Block("figure", caption, image=png))
        idx = s.methods.index(f.method)
        dates = {d.id: d for d in s.deployments}
        rows = [[str(i), p.id, str(dates[p.id].date or "-"), dates[p.id].place or "-",
                 rate_text(s.per_deployment[p.id][idx]), f"{p.side} {p.outside}",
                 p_text(p.p_above if p.side == "above" else p.p_below)] for i, p in enumerate(f.flagged, start=1)]
        n99 = sum(1 for p in f.flagged if p.outside == "99.8%")
        blocks.append(Block("p", f"{f.method}: {len(f.flagged)} of {len(f.points)} deployments lie outside the 95% "
                                 f"limits, {n99} outside the 99.8% limits ({chance_text(len(f.points))}). Tail p: "
                                 "the exact probability of a count at least (or at most) this large if the "
                                 "deployment had the pooled rate."))
        if rows:
            blocks.append(Block("table", headers=["No.", "Deployment", "Date", "Place", "Counts = value [95% CI]",
                                                  "Outside limits", "Tail p"], rows=rows,
                                weights=[0.6, 3.6, 1.6, 2.4, 4.2, 1.6, 1]))
        else:
            blocks.append(Block("p", f"{f.method}: no deployment lies outside the 95% limits."))
    if not s.funnel_plots:
        blocks.append(Block("note", "Fewer than two deployments have a method's counts: nothing to compare."))
    return Section("Are the deployments alike?", blocks)


def _over_time(s) -> Section:
    blocks = []
    tl = s.timeline
    if tl is not None:
        png = record_figures.timeline_figure(tl, s.tested, s.deployments)
        caption = (f"Pooled per {tl.by}: for each {tl.by}, the counts of its deployments summed "
                   f"({', '.join(f'{m}: {_counts_used(m)}' for m in s.tested)}), with exact 95% intervals (bars); "
                   f"a {tl.by} with no deployment having the counts is absent; a caret at the top marks a bar that "
                   f"runs off the scale (its numbers are in the table). Bottom strip: each deployment's "
                   f"threshold setting (one tick per deployment). Counts from {s.record.path}.")
        if png is not None:
            blocks.append(Block("figure", caption, image=png))
        rows = [[g.key, str(len(g.deployments)), p.method, rate_text(p.result)] for g in tl.groups for p in g.pooled
                if p.method in s.tested]
        blocks.append(Block("table", headers=[tl.by.capitalize(), "Deployments", "Method",
                                              "Pooled counts = value [95% CI] per unit"], rows=rows,
                            weights=[1.4, 1.4, 2.2, 6]))
        if tl.unassigned:
            blocks.append(Block("note", f"No date ({len(tl.unassigned)}): {', '.join(tl.unassigned)}."))
    if s.grouping is not None and s.grouping is not tl:
        g = s.grouping
        rows = [[grp.key, str(len(grp.deployments)), p.method, rate_text(p.result)] for grp in g.groups
                for p in grp.pooled]
        blocks.append(Block("table", headers=[g.by.capitalize(), "Deployments", "Method",
                                              "Pooled counts = value [95% CI] per unit"], rows=rows,
                            weights=[2.6, 1.4, 2.2, 6]))
    if s.settings:
        blocks.append(Block("p", "Before and after each change of threshold setting (settings in the order they "
                                 "were used): exact conditional Poisson test for rates per face (binomial test of "
                                 "k1 given k1 + k2 with p = n1 / (n1 + n2)), Fisher's exact test for shares."))
        rows = []
        for c in s.settings:
            ratio = "-" if c.test is None or c.test.ratio is None else f"{c.test.ratio_name} {c.test.ratio:.3g}"
            rows.append([f"{c.before.key} -> {c.after.key}", c.method, rate_text(c.before_rate.result),
                         rate_text(c.after_rate.result), ratio, "-" if c.test is None else p_text(c.test.p_value)])
        blocks.append(Block("table", headers=["Setting", "Method", "Before", "After", "Ratio", "p"], rows=rows,
                            weights=[1.4, 2, 4, 4, 1.8, 1]))
        for c in {(c.before.key, c.after.key): c for c in s.settings if c.overlap}.values():
            blocks.append(Block("note", f"{c.before.key} -> {c.after.key}: the settings' dates overlap: "
                                        + "; ".join(c.overlap_text()) + "."))
    return Section("Over time and by setting", blocks or [Block("note", "No dated deployment.")])


def _deployments(s) -> Section:
    counts = [k for k in ("faces_processed", "alerts", "true_alerts", "false_alerts", "arrests")
              if any(getattr(d.funnel, k) is not None for d in s.deployments)]
    idx = [s.methods.index(m) for m in s.tested]
    rows = []
    for d in s.deployments:
        res = s.per_deployment[d.id]
        rows.append([d.id, str(d.date or "-"), d.place or "-", "-" if d.threshold is None else f"{d.threshold:g}"]
                    + ["-" if getattr(d.funnel, k) is None else f"{getattr(d.funnel, k):,}" for k in counts]
                    + [rate_text(res[i]) for i in idx])
    short = {"faces_processed": "Faces", "alerts": "Alerts", "true_alerts": "True", "false_alerts": "False",
             "arrests": "Arrests"}
    return Section("Every deployment", [
        Block("p", "As recorded (given counts only; '-' where the source gave none), with each tested method on "
                   "the deployment's own counts."),
        Block("table", headers=["Deployment", "Date", "Place", "Thr."] + [short[k] for k in counts] + s.tested,
              rows=rows, weights=[4.2, 1.7, 3.2, 0.8] + [1.1] * len(counts) + [4.6] * len(s.tested))],
        landscape=True)


def _method(s) -> Section:
    levels = ", ".join(f"{k} (tail {v:g} each side)" for k, v in LEVELS.items())
    texts = [
        "Pooling: a method is computed once on the sum of the counts of the deployments that have them; the "
        "interval is the one a single deployment gets (exact Clopper-Pearson for shares, exact Poisson/Garwood for "
        "rates per unit).",
        "Are the deployments alike: for rates per unit, the counts given their total are multinomial with "
        "probabilities proportional to the exposures; Pearson's chi-square against that, with an exact binomial "
        "test for two deployments and a seeded Monte Carlo of the exact conditional distribution when an expected "
        f"count is under 5 (seed {s.seed}). For shares of alerts: Fisher's exact test (two), the 2 x G chi-square, "
        "or a permutation test of it when an expected count is under 5.",
        f"Funnel plots: control limits {levels} are exact binomial or Poisson quantiles around the pooled rate, "
        "interpolated between whole counts as in Spiegelhalter, 'Funnel plots for comparing institutional "
        "performance', Statistics in Medicine 24 (2005) 1185-1202; a deployment is outside a limit exactly when its "
        "one-sided tail probability is below the limit's tail area (listed as 'tail p'). The limits take the "
        "pooled rate as known and do not allow for over-dispersion.",
    ]
    sources: dict[tuple[str, str], int] = {}
    for d in s.deployments:
        key = (d.source.split(", p.")[0], d.source_url)
        sources[key] = sources.get(key, 0) + 1
    rows = [[src or "-", url or "-", str(n)] for (src, url), n in sorted(sources.items(), key=lambda x: -x[1])]
    return Section("Method and sources", [Block("p", t) for t in texts] + [
        Block("table", headers=["Source", "Address", "Deployments"], rows=rows, weights=[5, 6, 1.6])])


# -- PDF layout ------------------------------------------------------------------------------------------------

def render_pdf(title: str, facts, sections: list[Section], out: Path) -> Path:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        BaseDocTemplate,
        Frame,
        Image,
        KeepTogether,
        NextPageTemplate,
        PageBreak,
        PageTemplate,
        Paragraph,
        Spacer,
        Table,
        TableStyle,
    )

    from fr_eval.report.pdf import BOLD, FONT, ITALIC, MARGIN, register_fonts
    from fr_eval.store.atomic import atomic_path

    register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12.5, spaceAfter=5)
    st = {"body": body, "h1": ParagraphStyle("h1", body, fontName=BOLD, fontSize=14, leading=18, spaceAfter=8),
          "title": ParagraphStyle("title", body, fontName=BOLD, fontSize=18, leading=23, spaceAfter=8),
          "cell": ParagraphStyle("cell", body, fontSize=6.8, leading=8.4, spaceAfter=0),
          "head": ParagraphStyle("head", body, fontName=BOLD, fontSize=6.8, leading=8.4, spaceAfter=0),
          "note": ParagraphStyle("note", body, fontName=ITALIC, textColor=colors.HexColor("#6b3d00")),
          "caption": ParagraphStyle("caption", body, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#333333"))}

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.drawString(MARGIN, MARGIN / 2, f"fr-eval {__version__} record report: {title}")
        canvas.drawRightString(doc.pagesize[0] - MARGIN, MARGIN / 2, f"page {doc.page}")
        canvas.restoreState()

    def table(headers, rows, weights, width):
        scale = width / sum(weights)
        data = [[Paragraph(escape(h), st["head"]) for h in headers]]
        data += [[Paragraph(escape(str(c)), st["cell"]) for c in r] for r in rows]
        t = Table(data, colWidths=[w * scale for w in weights], repeatRows=1)
        t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT),
                               ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#c8c8c8")),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 2),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 2), ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]))
        return t

    def figure(png, caption, width):
        from PIL import Image as PILImage

        with PILImage.open(io.BytesIO(png)) as im:
            w, h = im.size
        height = min(width * h / w, 200 * mm)
        return KeepTogether([Image(io.BytesIO(png), width=height * w / h, height=height),
                             Paragraph(escape(caption), st["caption"]), Spacer(1, 6)])

    portrait, wide = A4, landscape(A4)
    widths = {"portrait": portrait[0] - 2 * MARGIN, "landscape": wide[0] - 2 * MARGIN}
    story = [Paragraph(escape(title), st["title"]), table(["Item", "Value"], facts, [1, 5], widths["portrait"]),
             Spacer(1, 8)]
    orientation = "portrait"
    for number, sec in enumerate(sections, start=1):
        want = "landscape" if sec.landscape else "portrait"
        if number > 1 or want != orientation:
            story += [NextPageTemplate(want), PageBreak()] if want != orientation else [PageBreak()]
        orientation = want
        width = widths[want]
        story.append(Paragraph(f"{number} {escape(sec.title)}", st["h1"]))
        for b in sec.blocks:
            if b.kind == "table":
                story += [table(b.headers, b.rows, b.weights, width), Spacer(1, 6)]
            elif b.kind == "figure" and b.image is not None:
                story.append(figure(b.image, b.text, width))
            elif b.kind in ("p", "note"):
                story.append(Paragraph(escape(b.text), st["note" if b.kind == "note" else "body"]))
    with atomic_path(out, suffix=".pdf") as tmp:
        doc = BaseDocTemplate(str(tmp), pagesize=portrait, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                              bottomMargin=MARGIN, title=title, author=f"fr-eval {__version__}",
                              creator=f"fr-eval {__version__}", subject="LFR deployment record")
        doc.addPageTemplates([
            PageTemplate("portrait", [Frame(MARGIN, MARGIN, widths["portrait"], portrait[1] - 2 * MARGIN)],
                         onPage=footer, pagesize=portrait),
            PageTemplate("landscape", [Frame(MARGIN, MARGIN, widths["landscape"], wide[1] - 2 * MARGIN)],
                         onPage=footer, pagesize=wide)])
        doc.build(story, canvasmaker=_canvas_class(FONT))
    return out


def _canvas_class(font: str):
    from reportlab.pdfgen import canvas

    class EmbeddedFontCanvas(canvas.Canvas):
        """Starts every page in the embedded font, so that no standard-14 font is referenced."""

        def __init__(self, *args, **kwargs):
            kwargs["initialFontName"] = font
            super().__init__(*args, **kwargs)

    return EmbeddedFontCanvas
