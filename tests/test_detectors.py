"""Detectors and embedders as plug-ins: composition, options, pinned weights, and the numbers they give."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from fr_eval.errors import InputError, RunFailed
from fr_eval.replay.footage import load_image
from fr_eval.replay.matchers import weights
from fr_eval.replay.matchers.registry import DETECTORS, load_component, load_matcher, matcher_spec


@pytest.fixture
def photo(examples_dir):
    return load_image(examples_dir / "obama.jpg")


@pytest.fixture
def group(examples_dir):
    return load_image(examples_dir / "two_people.jpg")


def test_yunet_finds_faces_with_landmarks_inside_their_boxes(photo, group):
    yunet = load_component(DETECTORS, "yunet")
    assert len(yunet.detect(photo)) == 1
    faces = yunet.detect(group)
    assert len(faces) == 2
    for d in faces:
        xs, ys = d.landmarks[0::2], d.landmarks[1::2]
        assert len(d.landmarks) == 10 and 0 < d.score <= 1
        assert all(d.x0 <= x <= d.x1 for x in xs) and all(d.y0 <= y <= d.y1 for y in ys)
    assert yunet.detect(group) == faces              # deterministic


def test_yunet_finds_small_faces_hog_misses(photo):
    """A face of about 30 px: YuNet finds it at the frame's own size, dlib's HOG (upsample 0) does not."""
    import cv2

    d = load_component(DETECTORS, "yunet").detect(photo)[0]
    s = 32 / (d.y1 - d.y0)
    small = cv2.resize(photo, (round(photo.shape[1] * s), round(photo.shape[0] * s)), interpolation=cv2.INTER_AREA)
    frame = np.full((360, 640, 3), 90, np.uint8)
    frame[100:100 + small.shape[0], 200:200 + small.shape[1]] = small[:260, :440]
    assert len(load_component(DETECTORS, "yunet").detect(frame)) == 1
    assert load_component(DETECTORS, "hog", upsample=0).detect(frame) == []
    # an HD frame is detected at half size (scale=auto): a 48 px face there is 24 px, still found, and the box
    # comes back in the frame's own pixels
    hd = cv2.resize(frame, (1280, 720), interpolation=cv2.INTER_LINEAR)
    hd_small = np.full_like(hd, 90)
    hd_small[200:200 + 3 * small.shape[0] // 2, 400:400 + 3 * small.shape[1] // 2] = cv2.resize(
        small, (3 * small.shape[1] // 2, 3 * small.shape[0] // 2))[:520, :880]
    yunet = load_component(DETECTORS, "yunet")
    assert yunet.scale_for(720) == 0.5 and yunet.scale_for(360) == 1.0
    found = yunet.detect(hd_small)
    assert len(found) == 1 and 380 <= found[0].x0 <= 480 and 180 <= found[0].y0 <= 260


def test_dlib_matcher_is_hog_plus_dlib_in_every_number(photo, group):
    a, b = load_matcher("dlib"), load_matcher("hog+dlib")
    assert a.detect(group) == b.detect(group)
    ea, eb = a.embed(group, a.detect(group)), b.embed(group, b.detect(group))
    assert np.array_equal(ea, eb)
    assert np.array_equal(a.compare(ea, ea), b.compare(eb, eb))
    # the old matcher keeps its flat settings, so earlier runs keep their signatures
    assert a.parameters() == {"upsample": "auto", "jitters": 0}
    assert b.parameters()["detector"]["name"] == "hog" and b.parameters()["embedder"]["name"] == "dlib"


def test_yunet_box_is_mapped_for_dlib_and_the_map_is_in_the_signature(group):
    m, raw = load_matcher("yunet+dlib"), load_matcher("yunet+dlib", box_map="none")
    assert m.parameters()["embedder"]["box_map"] and raw.parameters()["embedder"]["box_map"] == "none"
    dets = m.detect(group)
    assert not np.array_equal(m.embed(group, dets), raw.embed(group, dets))
    assert m.info().model_files["face_detection_yunet_2023mar.onnx"] == weights.PINNED["yunet"].sha256


def test_options_go_to_the_half_that_declares_them():
    m = load_matcher("yunet+dlib", score_threshold="0.8", jitters="1")
    assert m.detector.options["score_threshold"] == 0.8 and m.embedder.options["jitters"] == 1
    m = load_matcher("hog+dlib", **{"detector.upsample": "1"})
    assert m.detector.options["upsample"] == 1
    with pytest.raises(InputError, match="unknown option 'bogus'"):
        load_matcher("yunet+dlib", bogus="1")
    with pytest.raises(InputError, match="prefix must be"):
        load_matcher("yunet+dlib", **{"other.upsample": "1"})
    with pytest.raises(InputError, match="score_threshold must be from"):
        load_matcher("yunet+dlib", score_threshold="2")
    with pytest.raises(InputError, match="unknown detector 'nope'"):
        load_matcher("nope+dlib")
    with pytest.raises(InputError, match="DETECTOR\\+EMBEDDER"):
        load_matcher("yunet+")


def test_spec_from_detector_and_embedder_options():
    assert matcher_spec(None, "yunet", None, "dlib") == "yunet+dlib"
    assert matcher_spec(None, None, "dlib", "yunet+dlib") == "yunet+dlib"
    assert matcher_spec(None, None, None, "dlib") == "dlib"
    with pytest.raises(InputError, match="not both"):
        matcher_spec("dlib", "yunet", None, "dlib")
    with pytest.raises(InputError, match="no detector/embedder halves"):
        matcher_spec(None, "yunet", None, "opencv-lbph")


def test_an_embedder_that_needs_landmarks_is_refused_with_a_detector_without():
    from fr_eval.replay.matchers.composed import ComposedMatcher
    from fr_eval.replay.matchers.dlib_embedder import DlibEmbedder

    class NeedsLandmarks(DlibEmbedder):
        name = "needs-lm"
        needs_landmarks = True

    with pytest.raises(InputError, match="needs landmarks"):
        ComposedMatcher(load_component(DETECTORS, "hog"), NeedsLandmarks())
    ComposedMatcher(load_component(DETECTORS, "yunet"), NeedsLandmarks())


# -- weights ------------------------------------------------------------------------------------------

def test_weights_are_checked_against_the_pinned_hash(tmp_path):
    good = weights.locate("yunet")
    assert weights.check(good, weights.PINNED["yunet"]) == good
    bad = tmp_path / "face_detection_yunet_2023mar.onnx"
    data = bytearray(good.read_bytes())
    data[1000] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(InputError, match="is not the pinned") as e:
        load_component(DETECTORS, "yunet", weights=str(bad))
    assert "\n" not in e.value.one_line()


def test_a_local_copy_named_by_the_environment_is_used_and_checked(tmp_path, monkeypatch):
    shutil.copy(weights.locate("yunet"), tmp_path / "face_detection_yunet_2023mar.onnx")
    monkeypatch.setenv("FR_EVAL_WEIGHTS", str(tmp_path))
    assert weights.locate("yunet") == tmp_path / "face_detection_yunet_2023mar.onnx"
    (tmp_path / "face_detection_yunet_2023mar.onnx").write_bytes(b"not a model")
    with pytest.raises(InputError, match="is not the pinned"):
        weights.locate("yunet")


def test_offline_without_a_copy_is_a_one_line_error_and_downloads_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(weights, "SHIPPED", tmp_path / "none")
    monkeypatch.setenv("FR_EVAL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("FR_EVAL_OFFLINE", "1")
    monkeypatch.delenv("FR_EVAL_WEIGHTS", raising=False)
    monkeypatch.setattr(weights, "_download", lambda pin: pytest.fail("downloaded"))
    with pytest.raises(RunFailed, match="FR_EVAL_OFFLINE") as e:
        weights.locate("sface")
    assert "FR_EVAL_WEIGHTS" in e.value.one_line()


@pytest.fixture
def local_server(tmp_path):
    """An HTTP server on the loopback address serving ``tmp_path/served`` (no traffic leaves the machine)."""
    import functools
    import http.server
    import threading

    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None          # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_download_is_kept_only_when_its_hash_is_the_pinned_one(tmp_path, monkeypatch, local_server):
    pytest.importorskip("pooch")
    folder, base = local_server
    good = weights.locate("yunet")
    shutil.copy(good, folder / "yunet.onnx")
    (folder / "tampered.onnx").write_bytes(good.read_bytes()[:-1] + b"x")
    monkeypatch.setenv("FR_EVAL_CACHE", str(tmp_path / "cache"))
    pin = weights.PINNED["yunet"]
    with pytest.raises(RunFailed, match="not the pinned"):
        weights._download(weights.Pinned(pin.filename, pin.sha256, pin.size, f"{base}/tampered.onnx", "MIT", "t"))
    assert not (tmp_path / "cache" / "weights" / pin.filename).exists()
    got = weights._download(weights.Pinned(pin.filename, pin.sha256, pin.size, f"{base}/yunet.onnx", "MIT", "t"))
    assert got == tmp_path / "cache" / "weights" / pin.filename and weights.check(got, pin) == got


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_yunet_replay_numbers_do_not_depend_on_chunks_or_workers(tmp_path):
    """Landmarks travel through the chunks: one worker with one chunk and two workers with 3-second chunks give
    the same tables, and YuNet finds the performer at the piano the default HOG misses on this clip."""
    from pathlib import Path

    from fr_eval.replay.pipeline import ExecOptions, ReplayOptions, replay
    from fr_eval.store.runs import TABLES, read_table

    bundle = Path(__file__).resolve().parents[1] / "datasets" / "hamilton"
    runs = []
    for workers, chunk in ((1, 60.0), (2, 3.0)):
        out = tmp_path / f"run-{workers}"
        replay(bundle, out, ReplayOptions(detector="yunet", fps=3),
               ExecOptions(workers=workers, chunk_s=chunk, progress=False))
        runs.append(out)
    for name in TABLES:
        a, b = read_table(runs[0], name), read_table(runs[1], name)
        assert a.reset_index(drop=True).equals(b.reset_index(drop=True)), name
    assert {"miranda", "lacamoire"} <= set(read_table(runs[0], "alerts")["subject_id"])


def test_a_bundle_that_names_no_matcher_gets_yunet_plus_dlib(tmp_path):
    import yaml

    from bundlefactory import write_bundle
    from fr_eval.inputs.bundle import DEFAULT_MATCHER, load_bundle

    root = write_bundle(tmp_path / "b", footage=[{"path": "footage/c.mp4", "camera": "c"}],
                        watchlist=[{"subject_id": "s", "image": "watchlist/s.jpg"}])
    spec = yaml.safe_load((root / "deployment.yaml").read_text())
    del spec["matcher"]
    (root / "deployment.yaml").write_text(yaml.safe_dump(spec))
    assert DEFAULT_MATCHER == "yunet+dlib"
    assert load_bundle(root, check_media=False).matcher == "yunet+dlib"
