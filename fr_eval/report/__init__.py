"""The audit report: gather every number once, then lay it out as PDF or HTML.

* :mod:`fr_eval.report.model` -- :func:`build_model` collects what the report shows from a run folder or
  a counts file into a plain :class:`~fr_eval.report.model.ReportModel`; it is the only place the report
  gets numbers, and it gets them from the counting modules (methods, reconcile, outcomes).
* :mod:`fr_eval.report.gallery` -- the alert gallery: frame crops, watchlist images, redaction.
* :mod:`fr_eval.report.review` -- the reviewer's statement (Markdown or YAML), parsed once for both layouts.
* :mod:`fr_eval.report.figures` -- report figures drawn with matplotlib (PNG bytes).
* :mod:`fr_eval.report.pdf` and :mod:`fr_eval.report.html` -- layout only.

Example::

    from fr_eval.report import write_report
    write_report("datasets/published/essex-2019.yaml", "reports/essex.pdf")
"""

from __future__ import annotations

from pathlib import Path

FORMATS = ("pdf", "html")


def write_report(source: str | Path, out: str | Path, *, fmt: str | None = None, redact: bool = True,
                 command: str | None = None, review: str | Path | None = None) -> Path:
    """Render the audit report of ``source`` (a run folder or a counts file) to ``out``.

    Parameters
    ----------
    source : a replay run folder or a counts file (``.yaml``).
    out : the file to write (written to a temporary file, then renamed over ``out``).
    fmt : ``pdf`` or ``html`` (default: from the suffix of ``out``, else ``pdf``).
    redact : blur the faces of people not on the watchlist in the alert gallery.
    command : the command line that produced the report, as the caller gives it (printed in the provenance).
    review : the reviewer's statement (:mod:`fr_eval.report.review`), or None (the report says none was supplied).

    Returns
    -------
    Path
        ``out``.
    """
    from fr_eval.errors import InputError
    from fr_eval.report.model import build_model

    out = Path(out)
    if fmt is None:
        fmt = "html" if out.suffix.lower() in (".html", ".htm") else "pdf"
    if fmt not in FORMATS:
        raise InputError(f"unknown report format {fmt!r}", hint=f"one of {', '.join(FORMATS)}")
    if out.exists() and out.is_dir():
        raise InputError(f"{out}: is a folder", hint="give the report's file name, e.g. reports/audit.pdf")
    model = build_model(source, redact=redact, command=command, review=review)
    if fmt == "pdf":
        from fr_eval.report.pdf import render_pdf

        render_pdf(model, out)
    else:
        from fr_eval.report.html import render_html

        render_html(model, out)
    return out
