"""Enrolment: templates cached by photo and matcher hashes, and the same gallery wherever they were computed."""

from __future__ import annotations

import numpy as np
import pytest

from bundlefactory import copy_photo, write_bundle
from fr_eval.errors import InputError
from fr_eval.inputs.bundle import load_bundle
from fr_eval.replay import template_cache
from fr_eval.replay.enrolment import _enrol_one, enrol, enrol_photo
from fr_eval.replay.matchers.registry import load_matcher


class Counting:
    """A matcher that counts the faces it detects (to see what the cache saved)."""

    def __init__(self, inner):
        self.inner, self.detected = inner, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def detect(self, image):
        self.detected += 1
        return self.inner.detect(image)


@pytest.fixture
def bundle(examples_dir, tmp_path):
    root = tmp_path / "b"
    wl = [{"subject_id": s, "image": copy_photo(examples_dir / f, root / "watchlist")} for s, f in
          [("obama", "obama.jpg"), ("biden", "biden.jpg"), ("miranda", "lin-manuel-miranda.png")]]
    (root / "footage").mkdir(parents=True)
    (root / "footage" / "clip.mp4").write_bytes(b"")
    write_bundle(root, footage=[{"path": "footage/clip.mp4", "camera": "cam"}], watchlist=wl)
    return root


def test_a_second_enrolment_detects_nothing_and_gives_the_same_gallery(bundle, tmp_path, monkeypatch):
    monkeypatch.setenv("FR_EVAL_CACHE", str(tmp_path / "cache"))
    b = load_bundle(bundle, check_media=False)
    cold = Counting(load_matcher("yunet+dlib"))
    t1, g1 = enrol(b, cold)
    warm = Counting(load_matcher("yunet+dlib"))
    t2, g2 = enrol(b, warm)
    assert cold.detected == 3 and warm.detected == 0
    assert np.array_equal(g1, g2) and t1.equals(t2)
    # another matcher (other settings) has other templates: nothing is served across
    other = Counting(load_matcher("yunet+dlib", jitters="1"))
    enrol(b, other)
    assert other.detected == 3


def test_a_changed_photo_or_a_damaged_entry_is_enrolled_again(bundle, tmp_path, monkeypatch, examples_dir):
    monkeypatch.setenv("FR_EVAL_CACHE", str(tmp_path / "cache"))
    b = load_bundle(bundle, check_media=False)
    m = load_matcher("yunet+dlib")
    _, g1 = enrol(b, m)
    from fr_eval.replay.enrolment import RULE

    entries = sorted(template_cache.folder(template_cache.matcher_key(m, RULE)).glob("*.npz"))
    assert len(entries) == 3
    entries[0].write_bytes(b"damaged")
    counting = Counting(m)
    _, g2 = enrol(b, counting)
    assert counting.detected == 1 and np.array_equal(g1, g2)
    # the photo of obama replaced by another: its template is computed again, not taken from the cache
    (bundle / "watchlist" / "obama.jpg").write_bytes((examples_dir / "obama2.jpg").read_bytes())
    counting = Counting(m)
    _, g3 = enrol(load_bundle(bundle, check_media=False), counting)
    assert counting.detected == 1 and not np.array_equal(g1[0], g3[0]) and np.array_equal(g1[1:], g3[1:])


def test_cache_off_and_problems_still_reported(bundle, tmp_path, monkeypatch, examples_dir):
    monkeypatch.setenv("FR_EVAL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("FR_EVAL_TEMPLATE_CACHE", "0")
    b = load_bundle(bundle, check_media=False)
    enrol(b, load_matcher("yunet+dlib"))
    assert not (tmp_path / "cache" / "templates").exists()
    (bundle / "watchlist" / "biden.jpg").write_bytes((examples_dir / "two_people.jpg").read_bytes())
    with pytest.raises(InputError, match="subject biden .*: 2 faces found"):
        enrol(load_bundle(bundle, check_media=False), load_matcher("yunet+dlib"))


def test_worker_and_coordinator_enrol_the_same(bundle, tmp_path, monkeypatch):
    """What a worker process computes is what the coordinator computes (the mapper path of a large watchlist)."""
    from fr_eval.replay.executors import WorkerPool

    monkeypatch.setenv("FR_EVAL_TEMPLATE_CACHE", "0")
    b = load_bundle(bundle, check_media=False)
    m = load_matcher("yunet+dlib")
    _, local = enrol(b, m)
    pool = WorkerPool(2, "yunet+dlib", {})
    try:
        _, pooled = enrol(b, m, mapper=pool.map)
    finally:
        pool.close()
    assert np.array_equal(local, pooled)
    assert _enrol_one.__module__ == "fr_eval.replay.enrolment"
    assert enrol_photo(m, str(bundle / "nope.jpg"), "x").error


def test_the_central_face_is_the_subjects_and_a_guess_is_refused(examples_dir, tmp_path):
    """A photo with a second face at its edge enrols the central face (recorded with the number of faces
    found); two faces side by side, or a larger face off centre, stay refused."""
    from PIL import Image

    from fr_eval.replay.enrolment import DOMINANT, subject_face

    m = load_matcher("yunet+dlib")
    photo = Image.open(examples_dir / "obama.jpg").convert("RGB")
    big = m.detect(np.asarray(photo))[0]
    face = photo.crop(big.box)
    canvas = photo.copy()
    canvas.paste(face.resize((face.width * 3 // 5, face.height * 3 // 5)), (0, 5))
    path = tmp_path / "edge.jpg"
    canvas.save(path, quality=95)
    found = enrol_photo(m, str(path), "x")
    assert found.faces == 2 and found.template is not None
    assert max(abs(a - b) for a, b in zip(found.box, big.box)) <= 2     # JPEG re-encoding moves it a pixel
    assert np.allclose(found.template, enrol_photo(m, str(examples_dir / "obama.jpg"), "x").template, atol=0.05)
    assert enrol_photo(m, str(examples_dir / "two_people.jpg"), "x").template is None
    # the rule itself: a face on the centre line, none, two, and a much larger face off centre (the largest wins)
    from fr_eval.replay.matchers.base import Detection

    centre, edge = Detection(40, 10, 60, 30), Detection(0, 0, 10, 10)
    assert subject_face([centre, edge], 100, 100) is centre
    assert subject_face([edge, Detection(80, 80, 91, 91)], 100, 100) is None       # similar, both off centre
    assert subject_face([centre, Detection(45, 60, 66, 81)], 100, 100) is None       # two on the centre line
    huge = Detection(0, 0, 40, 39)
    assert 40 * 39 > DOMINANT * 400 and subject_face([centre, huge], 100, 100) is huge
    assert subject_face([Detection(0, 0, 20, 20), Detection(70, 0, 92, 22)], 100, 100) is None
