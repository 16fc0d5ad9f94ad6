"""Every bad input named by the replay issue: one clear line, exit 2, no run folder that looks complete."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

from bundlefactory import copy_photo, write_bundle
from fr_eval.cli import main


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    err = capsys.readouterr().err.strip()
    return exc.value.code, err


@pytest.fixture
def bundle(tmp_path, examples_dir):
    root = tmp_path / "b"
    wl = [{"subject_id": "obama", "image": copy_photo(examples_dir / "obama.jpg", root / "watchlist")}]
    frames = root / "footage" / "cam1"
    frames.mkdir(parents=True)
    for i in range(3):
        Image.fromarray(np.full((60, 80, 3), 120 + i, np.uint8)).save(frames / f"{i:03d}.png")
    write_bundle(root, footage=[{"path": "footage/cam1", "camera": "cam1", "fps": 5}], watchlist=wl)
    return root


def edit_yaml(root: Path, **changes):
    spec = yaml.safe_load((root / "deployment.yaml").read_text())
    spec.update(changes)
    (root / "deployment.yaml").write_text(yaml.safe_dump(spec))


def assert_clean_failure(code, err, out: Path, *needles):
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    for n in needles:
        assert n in err, err
    assert not (out / "manifest.json").exists()


def test_valid_bundle_replays(bundle, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["replay", str(bundle), "--out", str(tmp_path / "run"), "-q", "--workers", "1"])
    assert exc.value.code == 0
    assert "0 alerts" in capsys.readouterr().out


@pytest.mark.parametrize("mutate,needles", [
    (lambda r: (r / "deployment.yaml").unlink(), ["deployment.yaml", "missing"]),
    (lambda r: (r / "deployment.yaml").write_text("id: [unclosed"), ["not valid YAML"]),
    (lambda r: edit_yaml(r, colour="blue"), ["unknown key 'colour'"]),
    (lambda r: edit_yaml(r, threshold="high"), ["threshold", "expected a number"]),
    (lambda r: edit_yaml(r, conditions={"lighting": "dusk", "crowd": "sparse"}), ["lighting", "'dusk'"]),
    (lambda r: edit_yaml(r, watchlist="../watchlist.csv"), ["leaves the bundle"]),
    (lambda r: edit_yaml(r, watchlist="/etc/passwd"), ["absolute"]),
    (lambda r: (r / "watchlist.csv").unlink(), ["watchlist.csv", "does not exist"]),
    (lambda r: (r / "watchlist.csv").write_text("subject_id,image,shoe_size\nobama,watchlist/obama.jpg,9\n"),
     ["unknown column 'shoe_size'"]),
    (lambda r: (r / "watchlist.csv").write_text("subject_id,image\nobama,watchlist/obama.jpg\nobama,watchlist/obama.jpg\n"),
     ["duplicate subject_id 'obama'"]),
    (lambda r: (r / "watchlist.csv").write_text("subject_id,image\nobama,watchlist/nobody.jpg\n"),
     ["line 2", "does not exist"]),
    (lambda r: (r / "footage" / "cam1" / "notes.txt").write_text("hello"), ["notes.txt", "not an image"]),
    (lambda r: edit_yaml(r, footage=[{"path": "footage/none.mp4", "camera": "cam1"}]), ["does not exist"]),
    (lambda r: edit_yaml(r, footage=[{"path": "footage/cam1", "camera": "cam1", "lens": 50}]), ["unknown key 'lens'"]),
])
def test_bad_bundle(bundle, tmp_path, capsys, mutate, needles):
    mutate(bundle)
    out = tmp_path / "run"
    code, err = run_cli(["replay", str(bundle), "--out", str(out), "-q", "--workers", "1"], capsys)
    assert_clean_failure(code, err, out, *needles)


def test_truth_with_wrong_types_and_overlaps(bundle, tmp_path, capsys):
    edit_yaml(bundle, truth="truth.csv")
    head = "passage_id,camera,t_start,t_end,subject_id,person_id,plant\n"
    cases = [("p1,cam1,soon,2,,a,false\n", "t_start 'soon' is not a finite number"),
             ("p1,cam1,0,2,,a,maybe\n", "plant 'maybe' is not true or false"),
             ("p1,cam9,0,2,,a,false\n", "camera 'cam9'"),
             ("p1,cam1,0,2,,a,false\np2,cam1,1,3,,a,false\n", "overlap in time"),
             ("p1,cam1,0,2,nobody,a,false\n", "not on the watchlist")]
    for rows, needle in cases:
        (bundle / "truth.csv").write_text(head + rows)
        code, err = run_cli(["validate", str(bundle)], capsys)
        assert code == 2 and needle in err and len(err.splitlines()) == 1, err


def test_adjudication_checks(bundle, tmp_path, capsys):
    edit_yaml(bundle, adjudication="adj.csv")
    (bundle / "adj.csv").write_text("alert_id,operator_decision,engagement,verification,outcome\n"
                                    "a1,rejected,stopped,unverified,\n")
    code, err = run_cli(["validate", str(bundle)], capsys)
    assert code == 2 and "rejected cannot be engaged" in err
    (bundle / "adj.csv").write_text("alert_id,operator_decision,engagement,verification\na1,credible,lost,correct\n")
    code, err = run_cli(["validate", str(bundle)], capsys)
    assert code == 2 and "only a stopped person can be verified" in err


def test_enrolment_errors_name_each_subject(bundle, tmp_path, capsys, examples_dir):
    shutil.copyfile(examples_dir / "two_people.jpg", bundle / "watchlist" / "two.jpg")
    Image.fromarray(np.full((200, 200, 3), 90, np.uint8)).save(bundle / "watchlist" / "blank.png")
    (bundle / "watchlist" / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    (bundle / "watchlist.csv").write_text("subject_id,image\nobama,watchlist/obama.jpg\npair,watchlist/two.jpg\n"
                                          "blank,watchlist/blank.png\nbroken,watchlist/broken.jpg\n")
    out = tmp_path / "run"
    code, err = run_cli(["replay", str(bundle), "--out", str(out), "-q", "--workers", "1"], capsys)
    assert_clean_failure(code, err, out, "cannot enrol", "pair", "2 faces", "blank", "no face", "broken")
    assert not out.exists()


def test_decompression_bomb_is_refused(bundle, tmp_path, capsys):
    Image.new("1", (9000, 9000)).save(bundle / "watchlist" / "bomb.png")
    assert (bundle / "watchlist" / "bomb.png").stat().st_size < 200_000
    (bundle / "watchlist.csv").write_text("subject_id,image\nbomb,watchlist/bomb.png\n")
    out = tmp_path / "run"
    code, err = run_cli(["replay", str(bundle), "--out", str(out), "-q", "--workers", "1"], capsys)
    assert_clean_failure(code, err, out, "bomb", "too large")


def test_corrupt_video_is_one_line(bundle, tmp_path, capsys):
    (bundle / "footage" / "junk.mp4").write_bytes(np.random.default_rng(0).bytes(50_000))
    edit_yaml(bundle, footage=[{"path": "footage/junk.mp4", "camera": "cam1"}])
    out = tmp_path / "run"
    code, err = run_cli(["replay", str(bundle), "--out", str(out), "-q", "--workers", "1"], capsys)
    assert_clean_failure(code, err, out, "junk.mp4", "cannot be opened as video")


def test_truncated_video_keeps_what_decodes(bundle, tmp_path, capsys, examples_dir):
    """A clip cut short mid-stream: the frames before the break are replayed and the break is reported."""
    import av

    src = tmp_path / "whole.mkv"
    with av.open(str(examples_dir / "short_hamilton_clip.mp4")) as inp, av.open(str(src), "w") as out:
        s = out.add_stream("mpeg4", rate=30)
        s.width, s.height, s.pix_fmt = 320, 180, "yuv420p"
        for i, frame in enumerate(inp.decode(video=0)):
            if i >= 150:
                break
            for p in s.encode(frame.reformat(width=320, height=180, format="yuv420p")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    data = src.read_bytes()
    (bundle / "footage" / "cut.mkv").write_bytes(data[: len(data) // 2])
    edit_yaml(bundle, footage=[{"path": "footage/cut.mkv", "camera": "cam1"}])
    run = tmp_path / "run"
    with pytest.raises(SystemExit) as exc:
        main(["replay", str(bundle), "--out", str(run), "-q", "--workers", "1", "--json"])
    assert exc.value.code == 0
    import json

    summary = json.loads(capsys.readouterr().out)["summary"]
    assert 5 <= summary["frames"] < 30  # about half of 5 s at 5 fps
    assert summary["decode_problems"] == 1
    from fr_eval.store.runs import read_manifest

    problem = read_manifest(run)["decode_problems"][0]
    assert problem["footage"] == "footage/cut.mkv" and 0 < problem["broke_at_s"] < 5


def test_unknown_matcher_and_bad_options(bundle, tmp_path, capsys):
    code, err = run_cli(["replay", str(bundle), "--out", str(tmp_path / "r"), "--matcher", "nope"], capsys)
    assert code == 2 and "unknown matcher 'nope'" in err
    code, err = run_cli(["replay", str(bundle), "--out", str(tmp_path / "r"), "--fps", "0"], capsys)
    assert code == 2 and "--fps" in err
    code, err = run_cli(["replay", str(bundle)], capsys)
    assert code == 2 and "--out" in err
