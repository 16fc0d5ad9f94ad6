"""The report a reviewer would sign: page 1 is the answer, the reviewer's own section, only what applies in the
body, no mostly-empty page, figures that cannot mislead, simulated inputs flagged."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess

import pytest

from cliutil import run_cli
from conftest import ROOT
from fr_eval.errors import InputError
from fr_eval.report import write_report
from fr_eval.report.model import build_model
from fr_eval.report.review import load_review
from runfactory import make_run, track

pypdf = pytest.importorskip("pypdf")
ESSEX = ROOT / "datasets" / "published" / "essex-2019.yaml"
REVIEW = ROOT / "docs" / "examples" / "review-essex-2019.md"


def page_texts(path) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text()) for p in pypdf.PdfReader(str(path)).pages]


@pytest.fixture(scope="module")
def essex(tmp_path_factory):
    import fr_eval.report.pdf as pdf

    out = tmp_path_factory.mktemp("answer") / "essex.pdf"
    write_report(ESSEX, out, review=REVIEW)
    return out, list(pdf.LAST_FILL)


def test_page_one_is_the_answer(essex):
    out, _ = essex
    first = page_texts(out)[0]
    # each party's figure as a sentence with its counts, value and interval (through the one formatter)
    assert "Of 42 alerts, 8 were confirmed correct after a stop: 19.0% [8.6%, 34.1%]" in first
    assert "Of 42 alerts, 34 were not confirmed correct" in first and "81.0% [65.9%, 91.4%]" in first
    assert "Of 22 people stopped, 8" in first and "36.4%" in first
    # the claims' verdicts, published apart from derived
    for verdict in ("reproduced", "not checkable"):
        assert verdict in first
    assert "Derived figures" in first and "not anyone's claim" in first
    assert "Figure 1" in first and "Contents" not in first
    assert "Reviewer: A. Reviewer" in first


def test_pdftotext_reads_the_findings_on_page_one(essex):
    out, _ = essex
    try:
        text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(out), "-"], capture_output=True, text=True,
                              check=True).stdout
    except FileNotFoundError:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    for needle in ("8", "42", "19", "34", "81", "reproduced", "not checkable"):
        assert needle in text


def test_no_page_is_mostly_empty(essex):
    out, fill = essex
    assert len(fill) == len(pypdf.PdfReader(str(out)).pages)
    assert all(f >= 0.5 for f in fill[:-1]), fill
    assert fill[-1] >= 0.15, fill


def test_body_holds_only_what_applies_and_the_rest_in_an_appendix(essex):
    out, _ = essex
    pages = page_texts(out)
    appendix = max(i for i, t in enumerate(pages) if "Appendix: methods" in t)    # the heading, not the contents
    body = " ".join(pages[:appendix])
    # definitions only of the methods the counts support
    assert "(verified_precision, per alert)" in body and "(tpir, per passage)" not in body
    tail = " ".join(pages[appendix:])
    assert "True positive identification rate (tpir)" in tail and "needs watchlisted_alerted" in tail


def test_review_in_pdf_and_html_with_its_sha256(essex, tmp_path):
    out, _ = essex
    digest = hashlib.sha256(REVIEW.read_bytes()).hexdigest()
    text = " ".join(page_texts(out))
    assert "2 Reviewer's statement" in text and "sample reviewer statement" in text
    assert "What was not checked" in text and "Whether the six deployments used the same threshold" in text
    prov = text[text.index("Provenance"):]
    assert digest in prov
    html = write_report(ESSEX, tmp_path / "r.html", review=REVIEW).read_text()
    assert "<strong>sample</strong>" in html and "<h2>Limitations</h2>" in html and digest in html
    assert "<ol>" in html and "<em>8 of 42 alerts</em>" in html
    bare = write_report(ESSEX, tmp_path / "bare.html").read_text()
    assert "No reviewer statement was supplied" in bare and digest not in bare


def test_yaml_review_and_no_markup_injection(tmp_path):
    y = tmp_path / "review.yaml"
    y.write_text("author: B. Person\naffiliation: Somewhere\ndate: 2025-01-02\nstatement: I checked *the counts*.\n"
                 "findings:\n  - The 19% is reproduced.\nlimitations: [No footage.]\nnot_checked:\n"
                 "  - '<script>alert(1)</script> the watchlist'\n")
    r = load_review(y)
    assert r.byline() == "B. Person, Somewhere, 2025-01-02"
    assert "<em>the counts</em>" in r.html() and "<script>" not in r.html() and "&lt;script&gt;" in r.html()
    assert all("<script>" not in m for _, _, m in r.pdf_blocks())
    assert [t for k, _, t in r.pdf_blocks() if k == "h"] == ["Findings", "Limitations", "What was not checked"]
    out = write_report(ESSEX, tmp_path / "y.pdf", review=y)
    assert "The 19% is reproduced." in " ".join(page_texts(out))


@pytest.mark.parametrize("name,content,needle", [
    ("r.md", "no front matter here\n", "front matter"),
    ("r.md", "---\naffiliation: X\n---\nA statement.\n", "no author"),
    ("r.md", "---\nauthor: A\nrole: judge\n---\nA statement.\n", "unknown key 'role'"),
    ("r.md", "---\nauthor: A\n---\n\n", "no statement"),
    ("r.md", "---\nauthor: A\nstatement\n", "not closed"),
    ("r.yaml", "author: A\nfindings: {a: 1}\n", "list of Markdown strings"),
    ("r.yaml", "- a list\n", "mapping"),
    ("r.txt", "author: A\n", "Markdown (.md) or YAML"),
    ("r.md", b"---\nauthor: \xff\n---\nx\n", "not UTF-8"),
])
def test_bad_review_files_are_one_line_exit_2(tmp_path, capsys, name, content, needle):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InputError):
        load_review(path)
    out = tmp_path / "never.pdf"
    code, _, err = run_cli(["report", str(ESSEX), "-o", str(out), "--review", str(path)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and needle in err, err
    assert not out.exists()


def test_missing_review_file_is_one_line(tmp_path, capsys):
    code, _, err = run_cli(["report", str(ESSEX), "-o", str(tmp_path / "x.pdf"), "--review",
                            str(tmp_path / "nope.md")], capsys)
    assert code == 2 and "no such review file" in err and len(err.strip().splitlines()) == 1


def test_base_rate_is_a_titled_what_if_from_the_stated_claims():
    model = build_model(ESSEX)
    assert model.base_rate_whatif and model.base_rate_curves
    labels = list(model.base_rate_curves)
    assert "watchlist as operated (size not stated)" in labels and not any("x1 (as operated)" in x for x in labels)


def test_no_base_rate_chart_where_it_cannot_apply(tmp_path):
    counts = tmp_path / "c.yaml"
    counts.write_text("schema: fr-eval/counts/1\nid: none-false\nfaces_processed: 5000\nalerts: 3\ntrue_alerts: 3\n"
                      "false_alerts: 0\nwatchlisted_passages: 4\nwatchlisted_alerted: 3\n")
    model = build_model(counts)
    assert model.base_rate_curves == {} and "no false alert was observed" in model.base_rate_note
    html = write_report(counts, tmp_path / "c.html").read_text()
    assert html.count("<img") == 0 and "no false alert was observed" in html


def test_every_html_image_has_alt_text_and_a_caption(tmp_path):
    html = write_report(ESSEX, tmp_path / "e.html").read_text()
    imgs = re.findall(r"<img [^>]*>", html)
    assert imgs
    for tag in imgs:
        alt = re.search(r'alt="([^"]*)"', tag)
        assert alt and len(alt.group(1)) > 30, tag[:80]
    assert html.count("<figcaption>") == len(imgs)
    assert "WHAT-IF" not in html or "what-if" in html.lower()


def _simulated_run(root):
    passages = [{"passage_id": "p1", "camera": "cam1", "t_start": 0, "t_end": 5, "subject_id": "S1",
                 "person_id": "alice", "plant": True},
                {"passage_id": "p2", "camera": "cam1", "t_start": 10, "t_end": 12, "subject_id": "",
                 "person_id": "bob", "plant": False}]
    run = make_run(root, passages=passages, tracks=[track("t1", "cam1", 1, 4, {"S1": 0.8}),
                                                    track("t2", "cam1", 10.5, 11, {"S2": 0.55})],
                   adjudication=[{"alert_id": "t1:S1", "operator_decision": "credible", "engagement": "stopped",
                                  "verification": "correct", "outcome": "arrest"}])
    m = json.loads((run / "manifest.json").read_text())
    m["adjudication"] = {"kind": "simulated", "model": {"name": "operator"}, "seed": 7,
                         "sha256": m["inputs"]["files"].get("adjudication.csv", "")}
    (run / "manifest.json").write_text(json.dumps(m))
    return run


def test_simulated_adjudication_is_flagged_on_page_one_and_beside_figures(tmp_path):
    run = _simulated_run(tmp_path / "sim")
    model = build_model(run, gallery=False)
    assert model.simulated_adjudication and "seed 7" in model.simulated_adjudication
    assert model.flag("adjudication") and not model.flag("truth")
    out = write_report(run, tmp_path / "sim.pdf")
    pages = page_texts(out)
    assert "SIMULATED INPUTS" in pages[0] and "SIMULATED adjudication" in pages[0]   # the waterfall's caption
    html = write_report(run, tmp_path / "sim.html").read_text()
    assert "SIMULATED INPUTS" in html and "SIMULATED adjudication" in html
    plain = make_run(tmp_path / "plain", passages=None, tracks=[track("t1", "cam1", 0, 2, {"S1": 0.9})])
    assert "SIMULATED" not in " ".join(page_texts(write_report(plain, tmp_path / "p.pdf")))


def test_a_bundle_declares_its_simulated_inputs(tmp_path):
    import shutil

    from fr_eval.inputs.bundle import load_bundle

    assert "adjudication" in load_bundle(ROOT / "datasets" / "hamilton", check_media=False).simulated
    bad = tmp_path / "b"
    shutil.copytree(ROOT / "datasets" / "hamilton", bad)
    spec = bad / "deployment.yaml"
    text = spec.read_text()
    for wrong, needle in (("simulated:\n  stops: made up\n", "unknown key 'stops'"),
                          ("simulated: [adjudication]\n", "one line saying how")):
        spec.write_text(re.sub(r"simulated:\n  adjudication: [^\n]*\n", wrong, text))
        with pytest.raises(InputError, match=re.escape(needle)):
            load_bundle(bad, check_media=False)
