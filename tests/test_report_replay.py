"""The report of a real replay: the dlib matcher on real photos walking across frames, then `fr-eval report`.

Obama is on the watchlist and walks past; so does a second person whom the truth records as *not* on the
watchlist, although the watchlist holds a photo of the same face (a lookalike, as far as the deployment knows).
The matcher alerts on both; the truth makes the second alert false, so that face must be blurred in the gallery.
"""

from __future__ import annotations

import hashlib

import pytest

from bundlefactory import copy_photo, face_crop, walking_frames, write_bundle
from fr_eval.cli import main
from fr_eval.replay.pipeline import ExecOptions, ReplayOptions, replay
from fr_eval.store.runs import read_manifest, read_table
from test_report import SECTIONS, _best_match, _embedded_images, flat, fonts_of, pdf_text

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    from conftest import EXAMPLES

    if not EXAMPLES.is_dir():
        pytest.skip("example photos absent")
    pytest.importorskip("face_recognition")
    root = tmp_path_factory.mktemp("walk")
    obama = face_crop(EXAMPLES / "obama2.jpg", 110)
    other = face_crop(EXAMPLES / "train_biden_biden2.jpg", 110)
    walking_frames(root / "footage" / "cam1", [(obama, 0, 7), (other, 4, 12)], n=12, size=(480, 300))
    wl = [{"subject_id": "obama", "image": copy_photo(EXAMPLES / "obama.jpg", root / "watchlist")},
          {"subject_id": "biden", "image": copy_photo(EXAMPLES / "biden.jpg", root / "watchlist")},
          {"subject_id": "leslie", "image": copy_photo(EXAMPLES / "train_rose_leslie_img1.jpg", root / "watchlist")}]
    truth = [{"passage_id": "p1", "camera": "cam1", "t_start": 0.0, "t_end": 1.2, "subject_id": "obama",
              "person_id": "obama", "plant": "true"},
             {"passage_id": "p2", "camera": "cam1", "t_start": 0.8, "t_end": 2.2, "subject_id": "",
              "person_id": "lookalike", "plant": "false"}]
    adjudication = [{"camera": "cam1", "t": 0.0, "subject_id": "obama", "operator_decision": "credible",
                     "engagement": "stopped", "verification": "correct", "outcome": "arrest"}]
    write_bundle(root, footage=[{"path": "footage/cam1", "camera": "cam1", "fps": 5}], watchlist=wl, truth=truth,
                 adjudication=adjudication, id="walk-report", title="Two walkers")
    run = replay(root, tmp_path_factory.mktemp("runs") / "run", ReplayOptions(),
                 ExecOptions(workers=1, progress=False)).run
    out = tmp_path_factory.mktemp("reports")
    with pytest.raises(SystemExit) as e:
        main(["report", str(run), "-o", str(out / "walk.pdf"), "--quiet"])
    assert e.value.code == 0
    return run, out / "walk.pdf"


def _crop_of(run, alert_subject):
    from fr_eval.report.gallery import crop_face, frames_at

    alerts = read_table(run, "alerts").set_index("subject_id")
    tracks = read_table(run, "tracks").set_index("track_id")
    t = tracks.loc[alerts.loc[alert_subject, "track_id"]]
    manifest = read_manifest(run)
    folder = __import__("pathlib").Path(manifest["bundle"]["path"]) / manifest["footage"][0]["path"]
    frame = frames_at(folder, [float(t["best_t"])], fps=manifest["footage"][0].get("fps"))[float(t["best_t"])]
    return crop_face(frame, (t["best_x0"], t["best_y0"], t["best_x1"], t["best_y1"]))


def test_replay_report_numbers_hashes_sections(replayed):
    run, pdf = replayed
    alerts = read_table(run, "alerts")
    assert sorted(alerts["subject_id"]) == ["biden", "obama"], "the walkers did not alert as the test assumes"
    f = flat(pdf_text(pdf))
    for n, title in enumerate(SECTIONS, 1):
        assert flat(f"{n} {title}") in f, title
    # headline numbers: 1 of 1 watchlisted passage alerted; 1 of 2 alerts correct; verified 1 of 2
    assert flat("Of 1 passages by watchlisted people, 1 raised a correct alert.") in f
    assert flat("1/2 = 50.0%") in f and flat("Of 2 alerts, 1 named the person actually present.") in f
    m = read_manifest(run)
    assert flat(m["signature"]) in f
    for name, digest in m["matcher"]["model_files"].items():
        assert digest in f, name
    assert m["inputs"]["files"]["footage/cam1"] in f and m["inputs"]["files"]["watchlist/obama.jpg"] in f
    assert flat(f"fr-eval report {run}") in f
    assert all(embedded for _, embedded in fonts_of(pdf))


def test_replay_report_blurs_the_lookalike_bystander(replayed, tmp_path):
    run, pdf = replayed
    images = _embedded_images(pdf)
    bystander, watchlisted = _crop_of(run, "biden"), _crop_of(run, "obama")
    assert _best_match(images, watchlisted) > 0.8
    assert _best_match(images, bystander) < 0.3
    with pytest.raises(SystemExit):
        main(["report", str(run), "-o", str(tmp_path / "plain.pdf"), "--no-redact", "--quiet"])
    assert _best_match(_embedded_images(tmp_path / "plain.pdf"), bystander) > 0.8
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() != hashlib.sha256((tmp_path / "plain.pdf").read_bytes()).hexdigest()
