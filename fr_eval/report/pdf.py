"""Lay a :class:`~fr_eval.report.model.ReportModel` out as a PDF with reportlab platypus.

Page 1 is the answer (each party's figure, the claims' verdicts, the waterfall);
the table of contents heads page 2 (two passes: ``multiBuild``); "page N of M" on
every page, PDF bookmarks per section, and only embedded TrueType fonts
(the DejaVu family that matplotlib ships), so the file renders the same
everywhere and no standard-14 font is referenced.  Layout only: every number
comes from the model.
"""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    Image,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from fr_eval import __version__
from fr_eval.counting.rates import one_in as one_in_text
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
from fr_eval.store.atomic import atomic_path

FONT, BOLD, ITALIC, MONO = "FrEvalSans", "FrEvalSans-Bold", "FrEvalSans-Oblique", "FrEvalMono"
PAGE_W, PAGE_H = A4
MARGIN = 18 * mm
WIDTH = PAGE_W - 2 * MARGIN
GRID = colors.HexColor("#c8c8c8")
HEAD_BG = colors.HexColor("#e8eef6")
VERMILLION = colors.HexColor("#D55E00")
FLAG_BG = colors.HexColor("#fdeee4")


def register_fonts() -> None:
    """Register matplotlib's DejaVu TTFs with reportlab (embedded as subsets in the PDF)."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    from fr_eval.report.mpl import pyplot

    ttf = Path(pyplot().matplotlib.get_data_path()) / "fonts" / "ttf"
    for name, file in ((FONT, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf"), (ITALIC, "DejaVuSans-Oblique.ttf"),
                       (FONT + "-BoldOblique", "DejaVuSans-BoldOblique.ttf"), (MONO, "DejaVuSansMono.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(ttf / file)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=ITALIC, boldItalic=FONT + "-BoldOblique")
    pdfmetrics.registerFontFamily(MONO, normal=MONO, bold=MONO, italic=MONO, boldItalic=MONO)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12.5, spaceAfter=4)
    return {
        "body": base,
        "title": ParagraphStyle("title", base, fontName=BOLD, fontSize=16, leading=20, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=10, leading=13, textColor=colors.HexColor("#333333")),
        "h1": ParagraphStyle("h1", base, fontName=BOLD, fontSize=15, leading=19, spaceBefore=4, spaceAfter=8,
                             keepWithNext=1),
        "h2": ParagraphStyle("h2", base, fontName=BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4,
                             keepWithNext=1),
        "small": ParagraphStyle("small", base, fontSize=7.5, leading=9.5, spaceAfter=0),
        "cell": ParagraphStyle("cell", base, fontSize=7.5, leading=9.5, spaceAfter=0),
        "cellb": ParagraphStyle("cellb", base, fontName=BOLD, fontSize=7.5, leading=9.5, spaceAfter=0),
        "mono": ParagraphStyle("mono", base, fontName=MONO, fontSize=6.5, leading=8.5, spaceAfter=0),
        "note": ParagraphStyle("note", base, fontName=ITALIC, textColor=colors.HexColor("#6b3d00")),
        "caption": ParagraphStyle("caption", base, fontSize=7.5, leading=9.5, alignment=TA_CENTER,
                                  textColor=colors.HexColor("#444444")),
        "toch": ParagraphStyle("toch", base, fontName=BOLD, fontSize=11, leading=14, spaceAfter=4),
        "toc1": ParagraphStyle("toc1", base, fontSize=11, leading=16, leftIndent=0),
        "toc2": ParagraphStyle("toc2", base, fontSize=9, leading=12, leftIndent=14),
        "finding": ParagraphStyle("finding", base, fontSize=9.5, leading=12.5, leftIndent=9, firstLineIndent=-7,
                                  spaceAfter=3),
        "h2p": ParagraphStyle("h2p", base, fontName=BOLD, fontSize=10.5, leading=13, spaceBefore=6, spaceAfter=3,
                              keepWithNext=1),
        "def": ParagraphStyle("def", base, fontSize=8.5, leading=11, spaceAfter=4),
        "rh": ParagraphStyle("rh", base, fontName=BOLD, fontSize=11, leading=14, spaceBefore=6, spaceAfter=3),
        "rh3": ParagraphStyle("rh3", base, fontName=BOLD, fontSize=9.5, leading=12, spaceBefore=4, spaceAfter=2),
        "flag": ParagraphStyle("flag", base, fontSize=9, leading=12, textColor=colors.HexColor("#7a1f00")),
        "flagline": ParagraphStyle("flagline", base, fontName=BOLD, textColor=colors.HexColor("#a33a00")),
    }


class _Doc(BaseDocTemplate):
    """Sends section headings to the table of contents and the PDF outline."""

    def __init__(self, filename, model: ReportModel, **kw):
        super().__init__(filename, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                         bottomMargin=MARGIN + 4 * mm, title=f"fr-eval audit report: {model.title}",
                         author=f"fr-eval {__version__}", subject="Accuracy audit of a live facial recognition "
                         "deployment", creator=f"fr-eval {__version__}", **kw)
        frame = Frame(MARGIN, MARGIN + 4 * mm, WIDTH, PAGE_H - 2 * MARGIN - 4 * mm, id="body")
        self.addPageTemplates([PageTemplate(id="page", frames=[frame])])
        self._n = 0

    def beforeDocument(self):
        self._n = 0  # bookmark keys must be the same on every pass, or the contents never settle
        self.fill: list[float] = []

    def handle_pageEnd(self):
        f = self.frame
        self.fill.append(round((f._y1 + f._height - f._y) / f._height, 3))   # share of the frame used
        super().handle_pageEnd()

    def afterFlowable(self, flowable):
        if isinstance(flowable, Paragraph) and flowable.style.name in ("h1", "h2"):
            level = 0 if flowable.style.name == "h1" else 1
            text = flowable.getPlainText()
            self._n += 1
            key = f"s{self._n}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(text, key, level=level, closed=level > 0)
            self.notify("TOCEntry", (level, text, self.page, key))


def _canvas_maker(model: ReportModel):
    footer_left = f"fr-eval {__version__} audit report: {model.id}"

    class NumberedCanvas(rl_canvas.Canvas):
        """Defers each page until the end so the footer can say "page N of M"."""

        def __init__(self, *args, **kwargs):
            kwargs["initialFontName"] = FONT  # never reference an unembedded standard-14 font
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(FONT, 7)
                self.setFillColor(colors.HexColor("#555555"))
                self.drawString(MARGIN, MARGIN - 2 * mm, footer_left)
                self.drawRightString(PAGE_W - MARGIN, MARGIN - 2 * mm, f"page {self._pageNumber} of {total}")
                super().showPage()
            super().save()

    return NumberedCanvas


#: the share of each page's frame the last :func:`render_pdf` filled (tests check that no page is mostly empty)
LAST_FILL: list[float] = []


def render_pdf(model: ReportModel, out: str | Path) -> Path:
    """Write the PDF report atomically (temporary file, then rename)."""
    register_fonts()
    out = Path(out)
    story = _story(model, _styles())
    with atomic_path(out, suffix=".pdf") as tmp:
        doc = _Doc(str(tmp), model)
        doc.multiBuild(story, canvasmaker=_canvas_maker(model))
    LAST_FILL[:] = doc.fill
    return out


# -- building blocks ---------------------------------------------------------------------------

def _p(text: str, style) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _table(rows, widths, st, *, header: bool = True, mono_cols: tuple[int, ...] = (), extra=()) -> Table:
    data = []
    for i, row in enumerate(rows):
        cells = []
        for j, c in enumerate(row):
            if isinstance(c, (Paragraph, Image, Table)):
                cells.append(c)
            else:
                style = st["cellb"] if header and i == 0 else st["mono"] if j in mono_cols else st["cell"]
                cells.append(_p(c, style))
        data.append(cells)
    t = Table(data, colWidths=widths, repeatRows=1 if header else 0)
    style = [("FONTNAME", (0, 0), (-1, -1), FONT), ("GRID", (0, 0), (-1, -1), 0.4, GRID),
             ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
             ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), HEAD_BG))
    t.setStyle(TableStyle(style + list(extra)))
    return t


def _figure(png: bytes | None, width: float, caption: str, st) -> list:
    if png is None:
        return []
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(png)) as im:
        w, h = im.size
    img = Image(io.BytesIO(png), width=width, height=width * h / w)
    return [KeepTogether([img, _p(caption, st["caption"]), Spacer(1, 6)])]


def _unsupported(model: ReportModel, section: str, st) -> list:
    return [_p(line, st["note"]) for line in model.unsupported.get(section, [])]


# -- the story ---------------------------------------------------------------------------------

def _story(model: ReportModel, st) -> list:
    story = _answer_page(model, st)
    # the contents follow the answer: on page 1 when it leaves room for them, else at the top of page 2
    story += [CondPageBreak(95 * mm), Spacer(1, 4 * mm), _p("Contents", st["toch"]), _toc(st), Spacer(1, 4 * mm)]
    builders = (_detail, _review, _reconciliation, _thresholds, _groups, _gallery, _method)
    for number_, (title, build) in enumerate(zip(SECTIONS, builders), start=1):
        story.append(CondPageBreak(45 * mm))
        story.append(Paragraph(f"{number_} {escape(title)}", st["h1"]))
        story.extend(_unsupported(model, title, st))
        story.extend(build(model, st))
    return story


def _toc(st) -> TableOfContents:
    toc = TableOfContents()
    toc.levelStyles = [st["toc1"], st["toc2"]]
    toc.tableStyle = TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                 ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)])
    return toc


def _flag_box(lines: list[str], st) -> Table:
    t = Table([[Paragraph("<b>SIMULATED INPUTS</b><br/>" + "<br/>".join(escape(x) for x in lines), st["flag"])]],
              colWidths=[WIDTH])
    t.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.2, VERMILLION), ("BACKGROUND", (0, 0), (-1, -1), FLAG_BG),
                           ("LEFTPADDING", (0, 0), (-1, -1), 5), ("TOPPADDING", (0, 0), (-1, -1), 4),
                           ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    return t


def _answer_page(model: ReportModel, st) -> list:
    """Page 1: the answer -- each party's figure on this data, the claims' verdicts and the waterfall."""
    rec = model.reconciliation
    facts = dict(model.facts)
    where = "; ".join(v for k, v in model.facts if k in ("Place", "Date", "Start time", "System") and
                      v and v != "not stated")
    out = [_p("Live facial recognition accuracy audit", st["subtitle"]), _p(model.title, st["title"])]
    out.append(_p(f"{where}. Input: {facts.get('Source', model.source)}." if where else
                  f"Input: {facts.get('Source', model.source)}.", st["small"]))
    out.append(Spacer(1, 2 * mm))
    if model.simulated:
        out += [_flag_box(model.simulated, st), Spacer(1, 2 * mm)]
    out.append(Paragraph("Findings", st["h1"]))
    if model.findings:
        out.append(_p(FINDINGS_INTRO, st["body"]))
        for f in model.findings:
            out.append(Paragraph(f"\u2022 <b>{escape(f.label)}</b> ({escape(f.parties)}, per {escape(f.unit)}): "
                                 f"{escape(f.sentence)}: <b>{escape(f.value)}</b>.", st["finding"]))
    else:
        out.append(_p(rec.explanation[0] if rec.explanation else "No counting method can be computed from this "
                      "input.", st["body"]))
    if model.score_metrics_summary:
        out.append(_p(model.score_metrics_summary, st["body"]))
    published = [c for c in rec.claims if c.kind == "published"]
    derived = [c for c in rec.claims if c.kind == "derived"]
    if published:
        out.append(Paragraph("Published claims, checked against these counts", st["h2p"]))
        rows = [["Claim", "By", "Reported", "Verdict", "Recomputed [95% interval]"]]
        for c in published:
            rows.append([c.text or c.id, c.by or "-", c.reported, c.status.replace("_", " "),
                         cell(c.computed) if c.computed is not None else
                         f"needs {', '.join(_needs(c.reason))}"])
        out.append(_table(rows, [60 * mm, 34 * mm, 16 * mm, 22 * mm, WIDTH - 132 * mm], st, extra=_verdict_colours(
            published)))
    if derived:
        out.append(_p(derived_line(derived), st["small"]))
    if not rec.claims:
        out.append(_p("This input states no published claim to check.", st["small"]))
    flag = model.flag("adjudication")
    out += _figure(figures.waterfall_png(rec.waterfall, model.waterfall_marks, flag), WIDTH * 0.8,
                   waterfall_caption(model), st)
    review = (f"Reviewer: {model.review.byline()} -- statement in section 2." if model.review is not None else
              "No reviewer statement was supplied (section 2).")
    out.append(_p(review, st["small"]))
    return out


def _needs(reason: str) -> list[str]:
    """The count keys a not-checkable claim's reason names."""
    words = reason.replace("(", " ").replace(")", " ").replace(",", " ").split()
    from fr_eval.counting.funnel import COUNT_KEYS

    keys = [w for w in words if w in COUNT_KEYS]
    return list(dict.fromkeys(keys)) or [reason]


def _verdict_colours(checks) -> list:
    out = []
    for i, c in enumerate(checks, start=1):
        colour = {"reproduced": "#e3f2e1", "contradicted": "#fbe0dc", "rounding_inconsistent": "#fff3d6"}.get(
            c.status, "#eeeeee")
        out.append(("BACKGROUND", (3, i), (3, i), colors.HexColor(colour)))
    return out


def _detail(model: ReportModel, st) -> list:
    out = [Paragraph("Deployment", st["h2"])]
    out.append(_table([[k, v] for k, v in model.facts], [40 * mm, WIDTH - 40 * mm], st, header=False))
    out.append(Paragraph("Every method these counts support", st["h2"]))
    out.append(_p("Each row is one counting method on the same counts. The signature under each row names the "
                  "method and everything that produced the figure; two figures are comparable only when their "
                  "signatures agree apart from the method. Methods these counts cannot support are listed, with "
                  "the counts they would need, in the appendix.", st["body"]))
    rows = [["Method", "Used by", "Counts = value", "95% interval", "Unit", "In words"]]
    spans: list[tuple] = []
    for h in model.headlines:
        if not h.available:
            continue
        r = h.rate
        assert r is not None
        said = one_in(r) if r.extra.get("said_as") == "one_in" else ""
        rows.append([f"{h.label} ({h.method_id})", h.used_by or "-", fraction(r) + (f" ({said})" if said else ""),
                     interval(r), h.unit, h.plain])
        rows.append([Paragraph(escape(h.signature + " = " + r.format()), st["mono"]), "", "", "", "", ""])
        spans.append(("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)))
        spans.append(("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), colors.HexColor("#f6f6f6")))
    if len(rows) > 1:
        out.append(_table(rows, [36 * mm, 29 * mm, 29 * mm, 23 * mm, 15 * mm, WIDTH - 132 * mm], st, extra=spans))
    else:
        out.append(_p("No counting method can be computed from this input.", st["note"]))
    if model.methods:
        out.append(Paragraph("Definitions", st["h2"]))
        out.append(_p("Quoted from fr-eval's method registry (fr_eval/counting/methods.py), the one place each is "
                      "defined.", st["small"]))
        for m in model.methods:
            out.append(Paragraph(
                f"<b>{escape(m.label)}</b> (<font name='{MONO}'>{escape(m.id)}</font>, per {escape(m.unit)}). "
                f"{escape(m.definition)} <i>Numerator:</i> {escape(m.numerator)}. <i>Denominator:</i> "
                f"{escape(m.denominator)}." + (f" <i>Used by:</i> {escape(m.used_by)}." if m.used_by else ""),
                st["def"]))
    return out


def _review(model: ReportModel, st) -> list:
    r = model.review
    if r is None:
        return [_p("No reviewer statement was supplied. A reviewer adds one with "
                   "fr-eval report SOURCE -o REPORT --review FILE (Markdown or YAML, docs/formats.md); its SHA-256 "
                   "then goes into the provenance.", st["note"])]
    out = [_p(f"By {r.byline()}. Rendered as written; SHA-256 {r.sha256} (also in the provenance).", st["small"]),
           Spacer(1, 2 * mm)]
    for kind, level, markup in r.pdf_blocks():
        if kind == "h":
            out.append(Paragraph(markup, st["rh"] if level <= 2 else st["rh3"]))
        elif kind == "li":
            out.append(Paragraph(markup, ParagraphStyle("li", st["body"], leftIndent=10 * level,
                                                        firstLineIndent=-7, spaceAfter=2)))
        elif kind == "quote":
            out.append(Paragraph(markup, ParagraphStyle("q", st["body"], leftIndent=12, textColor=colors.grey)))
        elif kind == "code":
            out.append(Paragraph(escape(markup).replace("\n", "<br/>"), st["mono"]))
        else:
            out.append(Paragraph(markup, st["body"]))
    return out


def _reconciliation(model: ReportModel, st) -> list:
    rec = model.reconciliation
    alerts = rec.funnel.get("alerts")
    out = [Paragraph("Alert waterfall", st["h2"])]
    rows = [["Stage", "Count", "Share of alerts", "Lost on the way"]]
    for s in rec.waterfall:
        lost = ", ".join(f"{v} {k}" for k, v in s.dropped_as.items() if v) or (str(s.dropped) if s.dropped else "")
        rows.append([s.label, "not known" if s.count is None else f"{s.count:,}", stage_share(s.count, alerts), lost])
    out.append(_table(rows, [50 * mm, 20 * mm, 25 * mm, WIDTH - 95 * mm], st))
    out.append(_p("Figure 1 on page 1 draws these counts." if any(s.count is not None for s in rec.waterfall[1:])
                  else "Only the alerts are known: there is no waterfall to draw.", st["small"]))
    out.append(Paragraph("Why the numbers differ", st["h2"]))
    for para in rec.explanation:
        if para.startswith("Base rate:"):
            continue
        out.append(_p(para, st["body"]))
    for kind, title in (("published", "Published claims, recomputed"),
                        ("derived", "Derived figures (fr-eval's arithmetic on the published counts, not claims)")):
        checks = [c for c in rec.claims if c.kind == kind]
        if not checks:
            continue
        out.append(Paragraph(title, st["h2"]))
        rows = [["Claim (by)", "Reported", "Method", "Recomputed [95% interval]", "Status", "Why"]]
        for c in checks:
            rows.append([(c.text or c.id) + (f" ({c.by})" if c.by else ""), c.reported, c.method,
                         cell(c.computed) if c.computed is not None else "-", c.status.replace("_", " "), c.reason])
        out.append(_table(rows, [44 * mm, 16 * mm, 27 * mm, 28 * mm, 22 * mm, WIDTH - 137 * mm], st,
                          mono_cols=(2,)))
    out.append(Paragraph("Base rate" + (" (a what-if)" if model.base_rate_whatif else ""), st["h2"]))
    out += [_p(p, st["body"]) for p in rec.explanation if p.startswith("Base rate:")]
    br = rec.base_rate
    if br is not None and model.base_rate_curves:
        whatif = whatif_text(br, rec.claims) if model.base_rate_whatif else ""
        flag = model.flag("adjudication" if br.precision_from == "verified_precision" else "truth")
        out += _figure(figures.base_rate_png(model.base_rate_curves, (br.prevalence, br.precision.value),
                                             br.prevalence_range,
                                             f"this deployment: precision {br.precision.numerator}/"
                                             f"{br.precision.denominator} ({br.precision_from}, measured)\nfits at "
                                             f"{one_in_text(br.prevalence)} passers-by",
                                             whatif=whatif, flag=flag),
                       WIDTH * 0.86, base_rate_caption(br, model, flag, whatif), st)
    elif model.base_rate_note and model.base_rate_note not in model.unsupported.get("Reconciliation", []):
        out.append(_p(model.base_rate_note, st["note"]))
    return out


def _thresholds(model: ReportModel, st) -> list:
    out = []
    if model.det is not None:
        flag = model.flag("truth")
        out += _figure(figures.det_png(model.det["points"], model.det["operated"], flag), WIDTH * 0.62,
                       det_caption(model) + (f" {flag}." if flag else ""), st)
    if model.sweep:
        flag = model.flag("footage")
        out += _figure(figures.alerts_per_hour_png(model.sweep, model.footage_hours, flag), WIDTH * 0.62,
                       aph_caption(model) + (f" {flag}." if flag else ""), st)
        rows = [["Threshold", "Alerts", "Alerts per hour", "tpir", "fpir", "false_alert_rate", "precision"]]
        bold = []
        for i, r in enumerate(model.sweep, start=1):
            rows.append([f"{r.threshold:g}" + (" (operated)" if r.operated else ""), f"{r.alerts:,}",
                         number(r.alerts_per_hour), cell(r.rates["tpir"]), cell(r.rates["fpir"]),
                         cell(r.rates["false_alert_rate"]), cell(r.rates["precision"])])
            if r.operated:
                bold.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor("#fff3d6")))
        out.append(Paragraph("Sweep", st["h2"]))
        out.append(_table(rows, [20 * mm, 13 * mm, 16 * mm] + [(WIDTH - 49 * mm) / 4] * 4, st, extra=bold))
        out.append(_p(model.sweep_note, st["small"]))
    if model.score_metrics:
        out.append(Paragraph("The field's standard metrics of the score list", st["h2"]))
        out += [_p(line, st["small"]) for line in model.score_metrics_head]
        rows = [["Metric", "Result", "Threshold"]] + [
            [("\u00a0\u00a0\u00a0" + r[0].lstrip()) if r[0].startswith("  ") else r[0], r[1], r[2]]
            for r in model.score_metrics]
        out.append(_table(rows, [42 * mm, WIDTH - 67 * mm, 25 * mm], st))
        out += [_p(n, st["small"]) for n in model.score_metrics_notes]
        out.append(_p("Definitions and the other tools' conventions: docs/metrics.md.", st["small"]))
    return out


def _groups(model: ReportModel, st) -> list:
    out = [_p(n, st["body"]) for n in model.group_notes]
    if model.groups:
        rows = [["Breakdown", "Group", "tpir [95%]", "fpir [95%]", "precision [95%]", "Difference", "Warnings"]]
        for g in model.groups:
            rows.append([g.dimension, g.group, cell(g.rates["tpir"]), cell(g.rates["fpir"]),
                         cell(g.rates["precision"]), g.flag or "none shown",
                         "; ".join(g.warnings) or "-"])
        out.append(_table(rows, [18 * mm, 18 * mm, 27 * mm, 27 * mm, 27 * mm, 26 * mm, WIDTH - 143 * mm], st))
        out.append(_p("Difference: within each grouping (camera, a demographic column), the groups' rates are "
                      "tested for a difference -- Fisher's exact test for two groups, Pearson's chi-square (or a "
                      "permutation test when counts are small) for more -- and the lowest and highest groups are "
                      "flagged when p < 0.05. No flag does not show that groups are equal. "
                      "Warnings mark intervals too wide to conclude anything.", st["small"]))
    return out


def _gallery(model: ReportModel, st) -> list:
    out = [_p(n, st["body"]) for n in model.gallery_notes]
    if model.gallery and model.flag("footage"):
        out.insert(0, _p(model.flag("footage") + ": these faces are rendered, not people who passed a camera.",
                         st["flagline"]))
    if not model.gallery:
        return out
    rows = [["Watchlist photo", "Best face of the track", "Alert"]]
    for g in model.gallery:
        wl = _img(g.watchlist_jpeg, 28 * mm) or _p("no photo", st["small"])
        crop = _img(g.crop_jpeg, 28 * mm) or _p("no frame: footage not available", st["small"])
        text = (f"<b>{escape(g.alert_id)}</b><br/>named subject: {escape(g.subject_id)}<br/>"
                f"similarity {g.similarity:.3f} (threshold {model.threshold:g})<br/>camera {escape(g.camera)}"
                + (f", alert at t = {g.t:.1f} s" if g.t is not None else "")
                + (f" ({escape(g.wall_time)})" if g.wall_time else "")
                + (f"<br/>face shown: t = {g.best_t:.1f} s" if g.best_t is not None else "")
                + f"<br/>truth: {escape(g.truth)}<br/>adjudication: {escape(g.adjudication)}"
                + (f"<br/><i>{escape(g.note)}</i>" if g.note else ""))
        rows.append([wl, crop, Paragraph(text, st["cell"])])
    out.append(_table(rows, [32 * mm, 32 * mm, WIDTH - 64 * mm], st))
    return out


def _img(data: bytes | None, height: float):
    if data is None:
        return None
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(data)) as im:
        w, h = im.size
    width = min(height * w / h, 30 * mm)
    return Image(io.BytesIO(data), width=width, height=width * h / w)


def _method(model: ReportModel, st) -> list:
    out: list = []
    if model.counts:
        out.append(Paragraph("The counts", st["h2"]))
        out.append(_table([["Count", "Value", "Meaning"]] + [list(c) for c in model.counts],
                          [45 * mm, 22 * mm, WIDTH - 67 * mm], st, mono_cols=(0,)))
    out.append(Paragraph("Provenance", st["h2"]))
    out.append(_table([["Item", "Value"]] + [[k, v] for k, v in model.provenance], [50 * mm, WIDTH - 50 * mm], st,
                      mono_cols=(1,)))
    out.append(Paragraph("SHA-256 of the inputs", st["h2"]))
    out.append(_table([["File", "SHA-256"]] + [[k, v] for k, v in model.input_hashes], [55 * mm, WIDTH - 55 * mm],
                      st, mono_cols=(1,)))
    if model.parameters:
        out.append(Paragraph("Parameters", st["h2"]))
        out.append(_table([["Parameter", "Value"]] + [[k, v] for k, v in model.parameters],
                          [50 * mm, WIDTH - 50 * mm], st, mono_cols=(1,)))
    out.append(Paragraph("Reproduce", st["h2"]))
    labels = (["Replay (re-creates the run's tables):", "This report:"] if len(model.commands) > 1
              else ["This report:"])
    for label, cmd in zip(labels, model.commands):
        out.append(_p(label, st["small"]))
        out.append(_p(cmd, st["mono"]))
        out.append(Spacer(1, 3))
    if model.sources:
        out.append(Paragraph("Sources", st["h2"]))
        for s in model.sources:
            out.append(_p(f"{s.get('citation', '')} {s.get('url', '')}".strip(), st["small"]))
    return out + _appendix(model, st)


def _appendix(model: ReportModel, st) -> list:
    out = [Paragraph(APPENDIX, st["h2"])]
    if not model.needs:
        return out + [_p("None: every counting method fr-eval knows is supported by these counts.", st["small"])]
    rows = [["Method", "Unit", "The counts it would need"]]
    rows += [[f"{n.label} ({n.id})", n.unit, n.needs] for n in model.needs]
    return out + [_p("fr-eval's other counting methods, which these counts cannot support (docs/methods.md defines "
                     "each).", st["small"]), _table(rows, [62 * mm, 16 * mm, WIDTH - 78 * mm], st)]

