"""LFW verification accuracy of each built-in matcher, through the matcher interface.

The standard protocol (View 2, ``pairs.txt``): 10 folds of 300 matched and 300
mismatched pairs.  For each fold, the similarity threshold that maximises
accuracy on the other nine folds is applied to it; the figure is the mean
accuracy over the ten folds ± its standard deviation.  dlib's model is
published at 99.38% on this protocol (face_recognition's README, dlib's blog).

Each image goes through ``detect`` (the face nearest the image centre when
there are several; a fixed central box when there is none, counted as a
fallback), ``embed`` and ``compare``: the same path a replay uses.

    .venv/bin/python benchmarks/lfw_pairs.py                      # dlib and opencv-lbph
    .venv/bin/python benchmarks/lfw_pairs.py --matchers opencv-lbph --limit-pairs 600

Needs ../shared/data/lfw (or FR_EVAL_SHARED).  Prints a Markdown table for docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LFW = Path(os.environ.get("FR_EVAL_SHARED", ROOT.parent / "shared")) / "data" / "lfw"
CENTRAL_BOX = (62, 62, 188, 188)  # the deep-funnelled face sits roughly here in a 250x250 image


def read_pairs(path: Path) -> list[tuple[int, str, str, bool]]:
    """(fold, image a, image b, same person) for every pair of pairs.txt."""
    lines = path.read_text().split("\n")
    n_folds, n = (int(x) for x in lines[0].split())
    out = []
    i = 1
    for fold in range(n_folds):
        for same in (True, False):
            for _ in range(n):
                parts = lines[i].split("\t")
                i += 1
                if same:
                    name, a, b = parts
                    out.append((fold, _img(name, a), _img(name, b), True))
                else:
                    na, a, nb, b = parts
                    out.append((fold, _img(na, a), _img(nb, b), False))
    return out


def _img(name: str, num: str) -> str:
    return f"{name}/{name}_{int(num):04d}.jpg"


def embed_images(matcher, images: list[str], quiet: bool) -> tuple[dict[str, np.ndarray], int, float]:
    from tqdm import tqdm

    from fr_eval.footage import load_image
    from fr_eval.matchers.base import Detection

    out, fallbacks = {}, 0
    started = time.perf_counter()
    for rel in tqdm(images, desc=matcher.name, disable=quiet or not sys.stderr.isatty()):
        img = load_image(LFW / "images_deepfunneled" / rel)
        dets = matcher.detect(img)
        if dets:
            cy, cx = img.shape[0] / 2, img.shape[1] / 2
            det = min(dets, key=lambda d: ((d.x0 + d.x1) / 2 - cx) ** 2 + ((d.y0 + d.y1) / 2 - cy) ** 2)
        else:
            fallbacks += 1
            det = Detection(*CENTRAL_BOX)
        out[rel] = matcher.embed(img, [det])[0]
    return out, fallbacks, time.perf_counter() - started


def fold_accuracies(folds: np.ndarray, scores: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy on each fold at the threshold that is best on the other folds (and those thresholds)."""
    accs, thresholds = [], []
    for f in np.unique(folds):
        train, test = folds != f, folds == f
        cand = np.unique(scores[train])
        # accuracy of "same if score >= t" for every candidate t, by sorting once
        order = np.argsort(scores[train])
        s, y = scores[train][order], same[train][order]
        pos_below = np.concatenate([[0], np.cumsum(y)])   # positives strictly below index i
        neg_below = np.concatenate([[0], np.cumsum(~y)])
        idx = np.searchsorted(s, cand, side="left")
        correct = (y.sum() - pos_below[idx]) + neg_below[idx]
        t = cand[int(np.argmax(correct))]
        thresholds.append(t)
        accs.append(np.mean((scores[test] >= t) == same[test]))
    return np.array(accs), np.array(thresholds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--matchers", default="dlib,opencv-lbph")
    ap.add_argument("--limit-pairs", type=int, default=0, help="use only the first N pairs of each fold (quick run)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    if not (LFW / "pairs.txt").is_file():
        sys.exit(f"LFW is not at {LFW}: see ../shared/README.md")
    from fr_eval.matchers.registry import load_matcher

    pairs = read_pairs(LFW / "pairs.txt")
    if args.limit_pairs:
        kept, count = [], {}
        for p in pairs:
            key = (p[0], p[3])
            if count.get(key, 0) < args.limit_pairs // 2:
                kept.append(p)
                count[key] = count.get(key, 0) + 1
        pairs = kept
    images = sorted({p[1] for p in pairs} | {p[2] for p in pairs})
    folds = np.array([p[0] for p in pairs])
    same = np.array([p[3] for p in pairs])
    print(f"LFW View 2: {len(pairs)} pairs in {len(np.unique(folds))} folds, {len(images)} distinct images; "
          f"{os.cpu_count()} cores")
    print("| matcher | accuracy (mean ± sd over 10 folds) | published | threshold (median of folds) | images/s | "
          "detection fallbacks |")
    print("|---|---|---|---|---|---|")
    for name in args.matchers.split(","):
        matcher = load_matcher(name)
        emb, fallbacks, secs = embed_images(matcher, images, args.quiet)
        scores = np.array([float(matcher.compare(emb[a][None], emb[b][None])[0, 0]) for _, a, b, _ in pairs])
        accs, ths = fold_accuracies(folds, scores, same)
        published = "99.38%" if name == "dlib" else "–"
        print(f"| {name} ({matcher.version()}) | {accs.mean():.2%} ± {accs.std(ddof=1):.2%} | {published} | "
              f"{np.median(ths):.3f} | {len(images) / secs:.1f} | {fallbacks} of {len(images)} |", flush=True)


if __name__ == "__main__":
    main()
