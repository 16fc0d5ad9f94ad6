"""Lay a :class:`~fr_eval.report.model.ReportModel` out as a PDF with reportlab platypus.

Title page, table of contents (two passes: ``multiBuild``), "page N of M" on
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
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

from fr_eval import __version__
from fr_eval.report import figures
from fr_eval.report.format import cell, fraction, interval, number, one_in, stage_share
from fr_eval.report.model import SECTIONS, ReportModel
from fr_eval.store.atomic import atomic_path

FONT, BOLD, ITALIC, MONO = "FrEvalSans", "FrEvalSans-Bold", "FrEvalSans-Oblique", "FrEvalMono"
PAGE_W, PAGE_H = A4
MARGIN = 18 * mm
WIDTH = PAGE_W - 2 * MARGIN
GRID = colors.HexColor("#c8c8c8")
HEAD_BG = colors.HexColor("#e8eef6")


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
        "title": ParagraphStyle("title", base, fontName=BOLD, fontSize=22, leading=27, spaceAfter=10),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=12, leading=16, textColor=colors.HexColor("#333333")),
        "h1": ParagraphStyle("h1", base, fontName=BOLD, fontSize=15, leading=19, spaceBefore=4, spaceAfter=8),
        "h2": ParagraphStyle("h2", base, fontName=BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4),
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


def render_pdf(model: ReportModel, out: str | Path) -> Path:
    """Write the PDF report atomically (temporary file, then rename)."""
    register_fonts()
    out = Path(out)
    story = _story(model, _styles())
    with atomic_path(out, suffix=".pdf") as tmp:
        doc = _Doc(str(tmp), model)
        doc.multiBuild(story, canvasmaker=_canvas_maker(model))
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
    story = _title_page(model, st)
    for number_, (title, build) in enumerate(zip(SECTIONS, (_summary, _reconciliation, _thresholds, _groups,
                                                            _gallery, _method)), start=1):
        story.append(PageBreak() if number_ in (1, 6) else CondPageBreak(60 * mm))
        story.append(Paragraph(f"{number_} {escape(title)}", st["h1"]))
        story.extend(_unsupported(model, title, st))
        story.extend(build(model, st))
    return story


def _title_page(model: ReportModel, st) -> list:
    out = [Spacer(1, 30 * mm), _p("Live facial recognition accuracy audit", st["subtitle"]),
           _p(model.title, st["title"]), Spacer(1, 4 * mm)]
    rows = [["Input", model.source], ["Kind", "replay run" if model.kind == "run" else "counts file"],
            ["Generated", model.generated + f" by fr-eval {__version__}"],
            ["Signature", model.signature],
            ["Faces in the gallery", "bystanders blurred" if model.redact else "NOT redacted (--no-redact)"]]
    out.append(_table(rows, [35 * mm, WIDTH - 35 * mm], st, header=False, mono_cols=()))
    out.append(Spacer(1, 8 * mm))
    out.append(_p("Every figure in this report is a count divided by a count, stated with its unit (per face, "
                  "per passage, per alert, per stop) and a 95% interval. Different parties divide different counts "
                  "of the same deployment; section 2 reconciles them.", st["body"]))
    toc = TableOfContents()
    toc.levelStyles = [st["toc1"], st["toc2"]]
    toc.tableStyle = TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                 ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)])
    out += [PageBreak(), _p("Contents", st["toch"]), toc]
    return out


def _summary(model: ReportModel, st) -> list:
    out = [Paragraph("Deployment", st["h2"])]
    out.append(_table([[k, v] for k, v in model.facts], [40 * mm, WIDTH - 40 * mm], st, header=False))
    out.append(Paragraph("Every party's number, side by side", st["h2"]))
    out.append(_p("Each row is one counting method on the same counts. The signature under each row names the "
                  "method and everything that produced the figure; two figures are comparable only when their "
                  "signatures agree apart from the method.", st["body"]))
    rows = [["Method", "Known as", "Counts = value", "95% interval", "Unit", "In words"]]
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
    claims = [p for p in model.reconciliation.explanation if p.startswith("Claims:")]
    if claims:
        out.append(Spacer(1, 4))
        out.append(_p(claims[0] + " (Section 2 recomputes each.)", st["body"]))
    missing = [h for h in model.headlines if not h.available]
    if missing:
        out.append(Spacer(1, 4))
        out.append(_p("Not computable from this input: " + "; ".join(f"{h.method_id} ({h.missing})" for h in missing)
                      + ".", st["small"]))
    return out


def _reconciliation(model: ReportModel, st) -> list:
    rec = model.reconciliation
    alerts = rec.funnel.get("alerts")
    out = [Paragraph("Alert waterfall", st["h2"])]
    out += _figure(figures.waterfall_png(rec.waterfall), WIDTH * 0.9,
                   "What happened to the alerts: each bar is the alerts that reached a stage; hatched, those lost "
                   "on the way and why.", st)
    rows = [["Stage", "Count", "Share of alerts", "Lost on the way"]]
    for s in rec.waterfall:
        lost = ", ".join(f"{v} {k}" for k, v in s.dropped_as.items() if v) or (str(s.dropped) if s.dropped else "")
        rows.append([s.label, "not known" if s.count is None else f"{s.count:,}", stage_share(s.count, alerts), lost])
    out.append(_table(rows, [50 * mm, 20 * mm, 25 * mm, WIDTH - 95 * mm], st))
    out.append(Paragraph("Base rate", st["h2"]))
    br = rec.base_rate
    if br is not None:
        point = (br.prevalence, br.precision.value) if br.prevalence and br.prevalence > 0 else None
        out += _figure(figures.base_rate_png(model.base_rate_curves, point, br.prevalence_range,
                                             f"this deployment: {br.precision.numerator}/{br.precision.denominator} "
                                             f"({br.precision_from})"),
                       WIDTH * 0.9,
                       f"Precision a system with hit rate {br.tpir:.0%} ({br.tpir_from}) and false-alert rate "
                       f"{br.false_alert_rate:.3g} per face ({br.far_from}) gives, against the share of passers-by "
                       "on the watchlist; the red point is the prevalence at which it gives this deployment's "
                       "observed precision (bar: its 95% interval).", st)
    out.append(Paragraph("Why the numbers differ", st["h2"]))
    for para in rec.explanation:
        out.append(_p(para, st["body"]))
    if rec.claims:
        out.append(Paragraph("Published claims, recomputed", st["h2"]))
        rows = [["Claim (by)", "Reported", "Method", "Recomputed [95% interval]", "Status", "Why"]]
        for c in rec.claims:
            rows.append([(c.text or c.id) + (f" ({c.by})" if c.by else ""), c.reported, c.method,
                         cell(c.computed) if c.computed is not None else "-", c.status.replace("_", " "), c.reason])
        out.append(_table(rows, [44 * mm, 16 * mm, 27 * mm, 28 * mm, 22 * mm, WIDTH - 137 * mm], st,
                          mono_cols=(2,)))
    return out


def _thresholds(model: ReportModel, st) -> list:
    out = []
    if model.det is not None:
        out += _figure(figures.det_png(model.det["points"], model.det["operated"]), WIDTH * 0.62,
                       "DET: missed watchlisted passages (FNIR) against non-watchlist passages that alerted (FPIR) "
                       "as the threshold moves; red: the operated threshold.", st)
    if model.sweep:
        out += _figure(figures.alerts_per_hour_png(model.sweep, model.footage_hours), WIDTH * 0.62,
                       "Alerts per hour of footage at each threshold; red: the operated threshold.", st)
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
    out = [Paragraph("Counting methods", st["h2"]),
           _p("Quoted from fr-eval's method registry (fr_eval/counting/methods.py), the one place each is defined.",
              st["small"])]
    for m in model.methods:
        text = (f"<b>{escape(m.label)}</b> (<font name='{MONO}'>{escape(m.id)}</font>, per {escape(m.unit)}). "
                f"{escape(m.definition)} <i>Numerator:</i> {escape(m.numerator)}. <i>Denominator:</i> "
                f"{escape(m.denominator)}." + (f" <i>Used by:</i> {escape(m.used_by)}." if m.used_by else "")
                + (f" <i>Source:</i> {escape(m.source)}" if m.source else ""))
        out.append(Paragraph(text, st["small"]))
        out.append(Spacer(1, 3))
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
    return out

