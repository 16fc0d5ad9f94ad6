"""The audit report: PDF and HTML from a counts file and from run folders; text, fonts, redaction."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import EXAMPLES, ROOT
from fr_eval.cli import main
from fr_eval.report import write_report
from fr_eval.report.model import SECTIONS, build_model
from runfactory import make_run, track

pypdf = pytest.importorskip("pypdf")
ESSEX = ROOT / "datasets" / "published" / "essex-2019.yaml"
MET = ROOT / "datasets" / "published" / "met-oxford-circus-2020-02-27.yaml"
STANDARD_14 = {"Helvetica", "Times-Roman", "Courier", "Symbol", "ZapfDingbats"}

OBAMA_BOX = (60, 50, 160, 150)
BYSTANDER_BOX = (300, 50, 400, 150)


def pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(str(path))
    return "\n".join(p.extract_text() for p in reader.pages)


def flat(text: str) -> str:
    """Text with line breaks and hyphenless wraps joined (pypdf splits table cells over lines), without the page
    footers (a paragraph may run over a page break)."""
    text = re.sub(r"fr-eval \S+ audit report: \S+\s*\n\s*page \d+ of \d+", "", text)
    return re.sub(r"\s+", "", text)


def fonts_of(path: Path) -> list[tuple[str, bool]]:
    """(base font, embedded) for every font resource of every page."""
    out = []
    for page in pypdf.PdfReader(str(path)).pages:
        res = page["/Resources"]
        for font in (res.get("/Font") or {}).values():
            font = font.get_object()
            desc = font.get("/FontDescriptor")
            if desc is None and "/DescendantFonts" in font:
                desc = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            desc = desc.get_object() if desc is not None else {}
            embedded = any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            out.append((str(font.get("/BaseFont")), embedded))
    return out


# -- a counts file ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def essex_pdf(tmp_path_factory):
    out = tmp_path_factory.mktemp("essex") / "essex.pdf"
    write_report(ESSEX, out, command="fr-eval report essex-2019.yaml -o essex.pdf")
    return out


def test_counts_report_has_headlines_sections_and_hash(essex_pdf):
    text = pdf_text(essex_pdf)
    f = flat(text)
    for n, title in enumerate(SECTIONS, 1):
        assert flat(f"{n} {title}") in f, title
    # the three parties' numbers on the same 42 alerts, with their intervals
    assert flat("8/42 = 19.0%") in f and flat("8.6%-34.1%") in f
    assert flat("34/42 = 81.0%") in f and flat("8/22 = 36.4%") in f
    assert flat("Of 42 alerts, 8 were confirmed correct after a stop.") in f
    assert flat("verified_precision|fr-eval:") in f and flat("|in:essex-2019#") in f
    # the counts file's SHA-256 in the provenance section
    digest = hashlib.sha256(ESSEX.read_bytes()).hexdigest()
    assert digest in f
    # sections the counts cannot support say so in a line
    assert flat("No DET curve, sweep or alerts per hour") in f
    assert flat("No alert gallery") in f
    # the generated explanation, claims and the command that reproduces it
    assert flat("the true share of correct alerts lies between 19.0%") in f
    assert flat("reproduced") in f and flat("fr-eval report essex-2019.yaml -o essex.pdf") in f
    assert flat("Of 4 published claims: 2 reproduced, 2 not checkable.") in f
    assert flat("Of 2 figures derived from the published counts: 2 reproduced.") in f
    # the funnel every method divided, as given (and derived)
    assert flat("operator_rejected 16 alerts the operators rejected at once") in f
    reader = pypdf.PdfReader(str(essex_pdf))
    n = len(reader.pages)
    assert f"page 1 of {n}" in text and f"page {n} of {n}" in text
    assert len(reader.outline) >= 6  # bookmarks per section


def test_every_font_is_embedded_and_none_is_standard_14(essex_pdf):
    fonts = fonts_of(essex_pdf)
    assert fonts
    for name, embedded in fonts:
        assert embedded, name
        assert not any(name.lstrip("/").split("+")[-1].startswith(s) for s in STANDARD_14), name


def test_table_of_contents_points_at_the_right_pages(essex_pdf):
    reader = pypdf.PdfReader(str(essex_pdf))
    toc_page = reader.pages[1].extract_text()
    for page_no, page in enumerate(reader.pages, 1):
        t = page.extract_text()
        m = re.search(r"^\s*(\d) (Findings in detail|Reconciliation|Thresholds)\b", t, re.M)
        if m and page_no > 2:
            line = re.search(rf"{m.group(1)} {m.group(2)}[\s.]*?(\d+)\s*$", toc_page, re.M | re.S)
            assert line is not None and int(line.group(1)) == page_no, (m.group(0), page_no)


def test_met_counts_report_one_in_and_base_rate(tmp_path):
    out = write_report(MET, tmp_path / "met.pdf")
    f = flat(pdf_text(out))
    assert flat("7/8,600 = 0.081%") in f and flat("(1 in 1,230)") in f
    assert flat("7/8 = 87.5%") in f


def test_html_report_is_self_contained(tmp_path):
    out = write_report(ESSEX, tmp_path / "essex.html")
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "8/42 = 19.0%" in html and "data:image/png;base64," in html
    assert not re.search(r"""(src|href)=["']https?://""", html)  # nothing fetched
    from html import escape

    for title in SECTIONS:
        assert escape(title) in html


def test_failed_render_keeps_the_previous_report(tmp_path, monkeypatch):
    out = tmp_path / "r.pdf"
    write_report(ESSEX, out)
    before = out.read_bytes()

    def boom(*a, **k):
        raise RuntimeError("disk full")

    import fr_eval.report.pdf as pdf_mod

    monkeypatch.setattr(pdf_mod.figures, "waterfall_png", boom)
    with pytest.raises(RuntimeError):
        write_report(ESSEX, out)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.pdf"]


def test_cli_report_and_bad_input(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["report", str(ESSEX), "-o", str(tmp_path / "x.html"), "--quiet"])
    assert e.value.code == 0 and (tmp_path / "x.html").is_file()
    with pytest.raises(SystemExit) as e:
        main(["report", str(tmp_path / "nope.yaml"), "-o", str(tmp_path / "y.pdf")])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such file" in err[0]
    bad = tmp_path / "bad.yaml"
    bad.write_text("alerts: 4\nverified_correct: 9\n")
    with pytest.raises(SystemExit) as e:
        main(["report", str(bad), "-o", str(tmp_path / "z.pdf")])
    assert e.value.code == 2 and not (tmp_path / "z.pdf").exists()


# -- a run folder with real footage ------------------------------------------------------------

def _photo_patch(name: str, size: int) -> np.ndarray:
    from PIL import Image

    with Image.open(EXAMPLES / name) as im:
        im = im.convert("RGB")
        s = min(im.size)
        im = im.crop(((im.width - s) // 2, (im.height - s) // 2, (im.width + s) // 2, (im.height + s) // 2))
        return np.asarray(im.resize((size, size), Image.LANCZOS))


def _write_video(path: Path, seconds: float = 10.0, fps: int = 5) -> None:
    """Obama's photo at OBAMA_BOX for t < 4 s, Biden's (a bystander here) at BYSTANDER_BOX for t >= 5 s."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    bg = (rng.random((27, 48, 3)) * 60 + 100).astype(np.uint8).repeat(10, 0).repeat(10, 1)
    obama, biden = _photo_patch("obama.jpg", 100), _photo_patch("biden.jpg", 100)
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height, s.pix_fmt = 480, 270, "yuv420p"
        s.options = {"crf": "12", "g": "10"}
        for i in range(int(seconds * fps)):
            frame = bg.copy()
            t = i / fps
            if t < 4:
                x0, y0, x1, y1 = OBAMA_BOX
                frame[y0:y1, x0:x1] = obama
            if t >= 5:
                x0, y0, x1, y1 = BYSTANDER_BOX
                frame[y0:y1, x0:x1] = biden
            for packet in s.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                c.mux(packet)
        for packet in s.encode():
            c.mux(packet)


@pytest.fixture(scope="module")
def footage_run(tmp_path_factory):
    if not (EXAMPLES / "obama.jpg").is_file():
        pytest.skip("example photos absent")
    base = tmp_path_factory.mktemp("run")
    root = base / "run"
    bundle = base / "source"          # the bundle the run was replayed from (footage and photos stay there)
    _write_video(bundle / "footage" / "cam1.mp4")
    (bundle / "watchlist").mkdir(parents=True)
    shutil.copyfile(EXAMPLES / "obama.jpg", bundle / "watchlist" / "obama.jpg")
    shutil.copyfile(EXAMPLES / "train_rose_leslie_img1.jpg", bundle / "watchlist" / "leslie.jpg")
    passages = [
        {"passage_id": "p1", "camera": "cam1", "t_start": 0, "t_end": 3.8, "subject_id": "obama",
         "person_id": "obama", "plant": True, "perceived_gender": "man"},
        {"passage_id": "p2", "camera": "cam1", "t_start": 5, "t_end": 9.8, "subject_id": "", "person_id": "walker",
         "plant": False, "perceived_gender": "man"},
        {"passage_id": "p3", "camera": "cam2", "t_start": 1, "t_end": 3, "subject_id": "leslie",
         "person_id": "leslie", "plant": True, "perceived_gender": "woman"},
        {"passage_id": "p4", "camera": "cam2", "t_start": 5, "t_end": 7, "subject_id": "", "person_id": "p4",
         "plant": False, "perceived_gender": "woman"},
    ]
    tracks = [
        track("t1", "cam1", 0.2, 3.8, {"obama": 0.81, "leslie": 0.2}, box=OBAMA_BOX, n_detections=18),
        track("t2", "cam1", 5.2, 9.8, {"obama": 0.62, "leslie": 0.3}, box=BYSTANDER_BOX, n_detections=22),
        track("t3", "cam2", 1.2, 2.8, {"leslie": 0.44, "obama": 0.1}, n_detections=8),
        track("t4", "cam2", 5.2, 6.8, {"leslie": 0.31, "obama": 0.2}, n_detections=8),
    ]
    make_run(root, passages=passages, tracks=tracks,
             watchlist=[{"subject_id": "obama", "image": "watchlist/obama.jpg", "perceived_gender": "man"},
                        {"subject_id": "leslie", "image": "watchlist/leslie.jpg", "perceived_gender": "woman"}],
             threshold=0.5, demographics=["perceived_gender"], duration_s=10.0, media_root=bundle,
             adjudication=[{"alert_id": "t1:obama", "operator_decision": "credible", "engagement": "stopped",
                            "verification": "correct", "outcome": "arrest"},
                           {"alert_id": "t2:obama", "operator_decision": "credible", "engagement": "stopped",
                            "verification": "incorrect", "outcome": "words of advice"}])
    return root


def _original_crop(run: Path, box) -> np.ndarray:
    from fr_eval.report.gallery import crop_face, frames_at

    t = 2.0 if box == OBAMA_BOX else 7.5   # the tracks' best_t (middle of the track)
    frame = frames_at(run.parent / "source" / "footage" / "cam1.mp4", [t])[t]
    return crop_face(frame, box)


def _embedded_images(pdf: Path) -> list[np.ndarray]:
    out = []
    for page in pypdf.PdfReader(str(pdf)).pages:
        for im in page.images:
            out.append(np.asarray(im.image.convert("L"), dtype=float))
    return out


def _detail_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of the high-frequency content (Laplacian) of two grey images at the same size."""
    from PIL import Image

    h, w = a.shape
    b = np.asarray(Image.fromarray(b.astype(np.uint8)).resize((w, h), Image.BILINEAR), dtype=float)

    def lap(x):
        return 4 * x[1:-1, 1:-1] - x[:-2, 1:-1] - x[2:, 1:-1] - x[1:-1, :-2] - x[1:-1, 2:]

    la, lb = lap(a).ravel(), lap(b).ravel()
    la, lb = la - la.mean(), lb - lb.mean()
    denom = np.sqrt((la ** 2).sum() * (lb ** 2).sum())
    return float((la * lb).sum() / denom) if denom else 0.0


def _best_match(images, crop) -> float:
    grey = np.asarray(crop, dtype=float) @ np.array([0.299, 0.587, 0.114])
    return max((_detail_similarity(grey, im) for im in images), default=0.0)


@pytest.fixture(scope="module")
def run_pdfs(footage_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("pdfs")
    redacted = write_report(footage_run, out / "redacted.pdf")
    plain = write_report(footage_run, out / "plain.pdf", redact=False)
    return redacted, plain


@pytest.mark.slow
def test_run_report_text(footage_run, run_pdfs):
    redacted, _ = run_pdfs
    text = pdf_text(redacted)
    f = flat(text)
    for n, title in enumerate(SECTIONS, 1):
        assert flat(f"{n} {title}") in f, title
    stats_model = build_model(footage_run, gallery=False)
    # the headline figures the counting modules give, as printed
    tpir = next(h for h in stats_model.headlines if h.method_id == "tpir").rate
    assert (tpir.numerator, tpir.denominator) == (1, 2)   # obama alerted, leslie (0.44) did not
    assert flat("1/2 = 50.0%") in f
    prec = next(h for h in stats_model.headlines if h.method_id == "precision").rate
    assert (prec.numerator, prec.denominator) == (1, 2) and flat("verified_precision|fr-eval:") in f
    # hashes: model files, footage and watchlist images
    manifest = stats_model.provenance
    source = footage_run.parent / "source"
    footage_sha = hashlib.sha256((source / "footage" / "cam1.mp4").read_bytes()).hexdigest()
    wl_sha = hashlib.sha256((source / "watchlist" / "obama.jpg").read_bytes()).hexdigest()
    assert footage_sha in f and wl_sha in f and ("ab" * 32) in f
    assert manifest and flat("fr-eval replay") in f
    # thresholds: DET and sweep from the candidate scores; groups with the annotators' note
    assert flat("DET: missed watchlisted passages") in f and flat("0.5 (operated)") in f
    assert flat("annotators' perceptions") in f and flat("woman") in f
    assert flat("supports no conclusion") in f
    # gallery: both alerts, the missing camera-2 footage named instead of failing
    assert flat("t1:obama") in f and flat("t2:obama") in f
    assert flat("face blurred") in f


@pytest.mark.slow
def test_no_unblurred_bystander_crop_when_redacted(footage_run, run_pdfs):
    redacted, plain = run_pdfs
    bystander = _original_crop(footage_run, BYSTANDER_BOX)
    watchlisted = _original_crop(footage_run, OBAMA_BOX)
    red_imgs, plain_imgs = _embedded_images(redacted), _embedded_images(plain)
    # the measure finds a crop when it is there: the watchlisted face is shown in both, the bystander without
    # redaction
    assert _best_match(red_imgs, watchlisted) > 0.8
    assert _best_match(plain_imgs, bystander) > 0.8
    # ... and with redaction nothing embedded resembles the bystander's face in its detail
    assert _best_match(red_imgs, bystander) < 0.3


@pytest.mark.slow
def test_missing_footage_is_said_not_fatal(footage_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(footage_run, run)
    source = tmp_path / "source"
    shutil.copytree(footage_run.parent / "source", source)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["bundle"]["path"] = str(source)   # the original bundle folder, now without its footage
    (run / "manifest.json").write_text(json.dumps(manifest))
    (source / "footage" / "cam1.mp4").unlink()
    model = build_model(run)
    assert any("not available" in n for n in model.gallery_notes)
    assert all(g.crop_jpeg is None for g in model.gallery)
    # footage that differs from the replayed one is refused for crops
    shutil.copyfile(EXAMPLES / "short_hamilton_clip.mp4", source / "footage" / "cam1.mp4")
    model = build_model(run)
    assert any("differs from the file replayed" in n for n in model.gallery_notes)
    assert all(g.crop_jpeg is None for g in model.gallery)


@pytest.mark.slow
def test_a_manifest_naming_footage_outside_its_bundle_is_never_decoded(footage_run, tmp_path):
    """`report` decoded a video outside any bundle and embedded unblurred crops of it (hostile manifest)."""
    run = tmp_path / "run"
    shutil.copytree(footage_run, run)
    outside = tmp_path / "elsewhere.mp4"
    shutil.copyfile(footage_run.parent / "source" / "footage" / "cam1.mp4", outside)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["bundle"]["path"] = str(footage_run.parent / "source")
    for rel in ("../../elsewhere.mp4", str(outside)):
        manifest["footage"][0]["path"] = rel
        manifest["inputs"]["files"][rel] = hashlib.sha256(outside.read_bytes()).hexdigest()
        (run / "manifest.json").write_text(json.dumps(manifest))
        model = build_model(run)
        assert all(g.crop_jpeg is None for g in model.gallery), rel
        assert any("bundle" in n or "absolute" in n for n in model.gallery_notes), model.gallery_notes


@pytest.mark.slow
def test_run_report_html_redacts_too(footage_run, tmp_path):
    import base64

    from PIL import Image

    out = write_report(footage_run, tmp_path / "r.html")
    html = out.read_text()
    imgs = [np.asarray(Image.open(io.BytesIO(base64.b64decode(m))).convert("L"), dtype=float)
            for m in re.findall(r"data:image/jpeg;base64,([A-Za-z0-9+/=]+)", html)]
    assert imgs
    assert _best_match(imgs, _original_crop(footage_run, BYSTANDER_BOX)) < 0.3
    assert _best_match(imgs, _original_crop(footage_run, OBAMA_BOX)) > 0.8


def test_run_without_truth_or_alerts_says_what_it_cannot_show(tmp_path):
    run = make_run(tmp_path / "bare", passages=None, tracks=[track("t1", "cam1", 0, 2, {"S1": 0.2})],
                   faces_processed=1000)
    model = build_model(run, gallery=False)
    lines = " ".join(" ".join(v) for v in model.unsupported.values())
    assert "No DET curve" in lines and "per-group rates need truth" in lines
    assert "No base-rate figure" in lines
    assert any("raised no alert" in n for n in model.gallery_notes)
    out = write_report(run, tmp_path / "bare.pdf")
    f = flat(pdf_text(out))
    for n, title in enumerate(SECTIONS, 1):
        assert flat(f"{n} {title}") in f, title
    # without truth or adjudication no alert is known right or wrong: no method, and the report says why
    assert flat("No counting method can be computed from this input.") in f
    assert flat("No counting method can be computed: the bundle has no truth.csv") in f
