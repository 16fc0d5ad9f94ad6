"""The opencv-lbph matcher on real photos, and the LFW protocol's fold logic."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from fr_eval.replay.footage import load_image
from fr_eval.replay.matchers.registry import load_matcher

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


pytestmark = pytest.mark.slow   # real matchers, footage or rendering: not in the core suite

@pytest.fixture(scope="module")
def lbph():
    return load_matcher("opencv-lbph")


def test_portrait_has_one_face_and_deterministic_embedding(lbph, examples_dir):
    img = load_image(examples_dir / "obama2.jpg")
    dets = lbph.detect(img)
    assert len(dets) == 1 and dets[0].height > 100
    a, b = lbph.embed(img, dets), lbph.embed(img, dets)
    assert a.shape == (1, 64 * 256) and a.dtype == np.float32 and np.array_equal(a, b)
    assert lbph.compare(a, b)[0, 0] == pytest.approx(1.0)


def test_detections_do_not_depend_on_opencv_threads(examples_dir):
    """Replay workers run OpenCV on one thread (Matcher.set_threads); the boxes must be those of a threaded run."""
    img = load_image(examples_dir / "test_obama_and_biden.jpg")
    threaded = load_matcher("opencv-lbph").detect(img)
    single = load_matcher("opencv-lbph")
    single.set_threads(1)
    try:
        assert single.detect(img) == threaded and len(threaded) >= 2
    finally:
        import cv2
        cv2.setNumThreads(-1)   # back to OpenCV's default for the rest of the session


def test_similarity_in_range_and_identical_crop_scores_highest(lbph, examples_dir):
    names = ["obama.jpg", "biden.jpg", "train_rose_leslie_img1.jpg", "lin-manuel-miranda.png"]
    emb = []
    for n in names:
        img = load_image(examples_dir / n)
        emb.append(lbph.embed(img, lbph.detect(img)[:1])[0])
    sims = lbph.compare(np.vstack(emb), np.vstack(emb))
    lo, hi = lbph.similarity_range
    assert ((sims > lo) & (sims <= hi)).all()
    assert (np.diag(sims) == sims.max(axis=1)).all()
    assert lbph.info().model_files["haarcascade_frontalface_default.xml"]


def test_fold_thresholds_are_chosen_on_the_other_folds():
    from lfw_pairs import fold_accuracies

    rng = np.random.default_rng(0)
    folds = np.repeat(np.arange(10), 20)
    same = np.tile([True] * 10 + [False] * 10, 10)
    scores = np.where(same, rng.normal(0.7, 0.05, 200), rng.normal(0.4, 0.05, 200))
    accs, ths = fold_accuracies(folds, scores, same)
    assert len(accs) == 10 and (accs >= 0.95).all() and ((ths > 0.45) & (ths < 0.65)).all()
    # a fold's own labels never choose its threshold: flipping them leaves its threshold and ruins its accuracy
    same2 = same.copy()
    same2[folds == 0] = ~same2[folds == 0]
    accs2, ths2 = fold_accuracies(folds, scores, same2)
    assert ths2[0] == ths[0] and accs2[0] <= 0.05


def test_lfw_protocol_reads_ten_folds(lfw_dir):
    from lfw_pairs import read_pairs

    pairs = read_pairs(lfw_dir / "pairs.txt")
    assert len(pairs) == 6000 and sum(p[3] for p in pairs) == 3000
    assert all((lfw_dir / "images_deepfunneled" / p[1]).is_file() for p in pairs[:20])
