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
    .venv/bin/python benchmarks/lfw_pairs.py --matchers dlib --matcher-option jitters=10

Embeddings are cached in benchmarks/out/ (one file per matcher and settings),
so the diagnostics can be re-run without embedding 7,701 images again
(``--no-cache`` to recompute).  Besides the protocol's figure the table gives
the accuracy at the matcher's documented default threshold (no training: the
figure dlib's own examples quote, "when using a distance threshold of 0.6"),
and the accuracy on the pairs in which the detector found both faces.

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
#: what the model's authors state on this protocol (dlib's python_examples/face_recognition.py): 99.13% without
#: jittering, 99.3% with 10 jitters, 99.38% with 100
PUBLISHED = {("dlib", 0): "99.13% (no jitter; 99.38% with 100 jitters)", ("dlib", 10): "99.3%",
             ("dlib", 100): "99.38%"}


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


def cached_embeddings(matcher, images: list[str], quiet: bool, use_cache: bool, processes: int = 1):
    """``embed_images``, read from / written to a cache file keyed by the matcher and its settings."""
    import hashlib
    import json

    key = json.dumps({"m": matcher.name, "v": matcher.version(), "p": matcher.parameters(), "n": len(images),
                      "first": images[:3]}, sort_keys=True, default=str)
    path = ROOT / "benchmarks" / "out" / f"lfw-{matcher.name}-{hashlib.sha256(key.encode()).hexdigest()[:10]}.npz"
    if use_cache and path.is_file():
        z = np.load(path, allow_pickle=False)
        if list(z["images"]) == images:
            emb = dict(zip(images, z["emb"]))
            return emb, set(z["fallback"].tolist()), float(z["secs"]), True
    emb, fallback, secs = embed_images(matcher, images, quiet, processes)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, images=np.array(images), emb=np.stack([emb[i] for i in images]),
             fallback=np.array(sorted(fallback), dtype=str), secs=secs)
    tmp.replace(path)
    return emb, fallback, secs, False


def _embed_one(matcher, rel: str) -> tuple[np.ndarray, bool]:
    """(embedding, fell back to the central box) of one LFW image, through detect and embed."""
    from fr_eval.replay.footage import load_image
    from fr_eval.replay.matchers.base import Detection

    img = load_image(LFW / "images_deepfunneled" / rel)
    dets = matcher.detect(img)
    if dets:
        cy, cx = img.shape[0] / 2, img.shape[1] / 2
        det = min(dets, key=lambda d: ((d.x0 + d.x1) / 2 - cx) ** 2 + ((d.y0 + d.y1) / 2 - cy) ** 2)
        return matcher.embed(img, [det])[0], False
    return matcher.embed(img, [Detection(*CENTRAL_BOX)])[0], True


_PROC: dict = {}


def _proc_init(name: str, options: dict) -> None:
    from fr_eval.replay.matchers.registry import load_matcher

    _PROC["m"] = load_matcher(name, **options)
    _PROC["m"].set_threads(1)


def _proc_embed(rel: str) -> tuple[str, np.ndarray, bool]:
    return (rel, *_embed_one(_PROC["m"], rel))


def embed_images(matcher, images: list[str], quiet: bool, processes: int = 1
                 ) -> tuple[dict[str, np.ndarray], set[str], float]:
    """Embed every image, in this process or in ``processes`` worker processes (same results either way)."""
    import multiprocessing as mp

    from tqdm import tqdm

    out, fallbacks = {}, set()
    started = time.perf_counter()
    bar = tqdm(total=len(images), desc=matcher.name, disable=quiet or not sys.stderr.isatty())
    if processes > 1:
        with mp.get_context("spawn").Pool(processes, _proc_init, (matcher.name, matcher.options)) as pool:
            for rel, vec, fell in pool.imap(_proc_embed, images, chunksize=16):
                out[rel] = vec
                if fell:
                    fallbacks.add(rel)
                bar.update()
    else:
        for rel in images:
            out[rel], fell = _embed_one(matcher, rel)
            if fell:
                fallbacks.add(rel)
            bar.update()
    bar.close()
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
    ap.add_argument("--matcher-option", action="append", default=[], metavar="KEY=VALUE",
                    help="matcher setting, e.g. jitters=10 (applies to every matcher named)")
    ap.add_argument("--no-cache", action="store_true", help="embed again even when a cached file exists")
    ap.add_argument("--processes", type=int, default=1, help="embed in this many worker processes (images/s is "
                    "then the throughput of all of them)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    options = dict(o.split("=", 1) for o in args.matcher_option)
    if not (LFW / "pairs.txt").is_file():
        sys.exit(f"LFW is not at {LFW}: see ../shared/README.md")
    from fr_eval.replay.matchers.registry import load_matcher

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
    print("| matcher | settings | accuracy (mean ± sd over 10 folds) | published | threshold (median of folds) | "
          "accuracy at the default threshold | accuracy, pairs with both faces detected | images/s | "
          "detection fallbacks |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.matchers.split(","):
        matcher = load_matcher(name, **options)
        emb, fallbacks, secs, cached = cached_embeddings(matcher, images, args.quiet, not args.no_cache,
                                                         args.processes)
        scores = np.array([float(matcher.compare(emb[a][None], emb[b][None])[0, 0]) for _, a, b, _ in pairs])
        accs, ths = fold_accuracies(folds, scores, same)
        at_default = np.mean((scores >= matcher.default_threshold) == same)
        both = np.array([a not in fallbacks and b not in fallbacks for _, a, b, _ in pairs])
        accs_both, _ = fold_accuracies(folds[both], scores[both], same[both])
        published = PUBLISHED.get((name, int(matcher.parameters().get("jitters", 0) or 0)), "–")
        settings = ", ".join(f"{k}={v}" for k, v in sorted(matcher.parameters().items())) or "defaults"
        speed = f"{len(images) / secs:.1f}" + (" (cached)" if cached else "")
        print(f"| {name} ({matcher.version()}) | {settings} | {accs.mean():.2%} ± {accs.std(ddof=1):.2%} | "
              f"{published} | {np.median(ths):.3f} | {at_default:.2%} (at {matcher.default_threshold:g}) | "
              f"{accs_both.mean():.2%} ± {accs_both.std(ddof=1):.2%} ({both.sum()} pairs) | {speed} | "
              f"{len(fallbacks)} of {len(images)} |", flush=True)
        wrong = (scores >= np.median(ths)) != same
        print(f"  {name}: {wrong.sum()} pairs wrong at the median threshold; {(wrong & ~both).sum()} "
              f"of them involve an image with no detected face", flush=True)


if __name__ == "__main__":
    main()
