"""The opencv-lbph matcher on real photos, and the LFW protocol's fold logic."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from fr_eval.footage import load_image
from fr_eval.matchers.registry import load_matcher

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


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
    # a fold's own scores never choose its threshold: flipping its labels changes only its accuracy
    same2 = same.copy()
    same2[folds == 0] = ~same2[folds == 0]
    accs2, ths2 = fold_accuracies(folds, scores, same2)
    assert accs2[0] <= 0.05 and np.allclose(ths2[1:], ths2[1:])


def test_lfw_protocol_reads_ten_folds(lfw_dir):
    from lfw_pairs import read_pairs

    pairs = read_pairs(lfw_dir / "pairs.txt")
    assert len(pairs) == 6000 and sum(p[3] for p in pairs) == 3000
    assert all((lfw_dir / "images_deepfunneled" / p[1]).is_file() for p in pairs[:20])
