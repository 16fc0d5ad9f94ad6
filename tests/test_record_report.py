"""The record report renders: PDF text holds the pooled figures, HTML holds the figures with alt text."""

from __future__ import annotations

import re

import pytest
from cliutil import run_cli
from pypdf import PdfReader
from recordutil import write_record

from fr_eval.counting.record_summary import summarise_record
from fr_eval.report.record_report import write_record_report
from fr_eval.report.record_text import rate_text


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    return summarise_record(write_record(tmp_path_factory.mktemp("rec")), by="force")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_pdf_report_holds_the_pooled_figures(summary, tmp_path):
    out = write_record_report(summary, tmp_path / "record.pdf")
    reader = PdfReader(str(out))
    text = _flat(" ".join(page.extract_text() for page in reader.pages))
    for p in summary.pooled:
        assert _flat(rate_text(p.result)) in text, p.method
    for heading in ("Pooled over the selection", "Are the deployments alike?", "Over time and by setting",
                    "Every deployment", "Method and sources", "Spiegelhalter"):
        assert heading in text
    for d in summary.deployments:
        assert d.id in text
    fonts = set()
    for page in reader.pages:
        for f in (page.get("/Resources") or {}).get("/Font", {}).values():
            fonts.add(str(f.get_object().get("/BaseFont")))
    assert fonts and not any(name.strip("/") in ("Helvetica", "Times-Roman", "Courier") for name in fonts), fonts
    assert any(page.mediabox.width > page.mediabox.height for page in reader.pages)   # the wide table: landscape


def test_html_report_is_self_contained_with_alt_text(summary, tmp_path):
    out = write_record_report(summary, tmp_path / "record.html")
    html = out.read_text()
    imgs = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,', html)
    assert len(imgs) == len(summary.funnel_plots) + 1                  # funnel plots and the time series
    assert all("Counts" in alt or "Counts from" in alt for alt in imgs)
    assert any(alt.startswith("Funnel plot of false_alert_rate") for alt in imgs)
    assert "<script" not in html and "http://" not in html.split("<body>")[0]
    for p in summary.pooled:
        assert rate_text(p.result) in html


def test_report_through_the_cli_and_a_failure_leaves_no_file(tmp_path, capsys, monkeypatch):
    rec = write_record(tmp_path)
    out = tmp_path / "r.pdf"
    code, _, err = run_cli(["record", str(rec), "--report", str(out)], capsys)
    assert code == 0 and out.read_bytes().startswith(b"%PDF") and f"wrote {out}" in err
    from fr_eval.report import record_figures

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(record_figures, "timeline_figure", boom)
    failed = tmp_path / "failed.html"
    code, _, err = run_cli(["record", str(rec), "--report", str(failed)], capsys)
    assert code == 1 and "disk full" in err
    assert not failed.exists() and not list(tmp_path.glob(".failed*"))
    folder = tmp_path / "adir.pdf"
    folder.mkdir()
    code, _, err = run_cli(["record", str(rec), "--report", str(folder)], capsys)
    assert code == 2 and "is a folder" in err
