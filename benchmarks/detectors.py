"""Detectors side by side on the same deployments: passage recall, TPIR and FPIR, with paired tests against HOG.

For each bundle (the four synthetic suite deployments, day/night x sparse/dense, and the real Hamilton clip)
and each matcher spec, the bundle is replayed with fr-eval's defaults and scored.  Per bundle and matcher:

* face recall per frame (synthetic bundles, which know where every face is drawn): of the fully visible
  faces at the sampled moments, the share a detection overlaps (IoU above 0.3) -- the detector alone;
* passage recall: passages with at least one face track linked to them (``n_tracks > 0``), over all passages,
  and over the planted (watchlisted) passages -- a passage no track reaches can never alert (detector and
  tracker together);
* TPIR and FPIR at the bundle's threshold, with Clopper-Pearson intervals (the one counter, ``fr-eval score``),
  and TPIR at the threshold that holds FPIR to 10% (``fr-eval sweep --target-fpir 0.1``): a detector that
  finds more faces gives more chances of a false alert at a fixed threshold, so compare them at equal FPIR too;
* exact McNemar tests against the reference matcher (default ``dlib:upsample=1``, dlib's HOG upsampled once,
  which is also ``dlib``'s default on these 360p bundles) on the same passages: detected or not, and for
  planted passages, alerted or not (:func:`fr_eval.thresholds.compare.mcnemar`).

    make synth-suite                                   # the four LFW bundles (needs ../shared/data/lfw)
    .venv/bin/python benchmarks/detectors.py           # about 10 min on 2 cores
    .venv/bin/python benchmarks/detectors.py --matchers dlib:upsample=1,yunet+dlib,dlib-cnn+dlib --bundles hamilton

Runs go to runs/detectors/<matcher>/<bundle> (replayed only when missing; --fresh replays again).  Prints
Markdown tables for docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fr_eval.counting.counter import funnel, passage_outcomes  # noqa: E402
from fr_eval.counting.load import load_statistics  # noqa: E402
from fr_eval.counting.methods import compute  # noqa: E402
from fr_eval.counting.rates import format_rate  # noqa: E402
from fr_eval.replay.pipeline import ExecOptions, ReplayOptions, replay  # noqa: E402
from fr_eval.thresholds.compare import mcnemar  # noqa: E402
from fr_eval.thresholds.targets import threshold_for_target  # noqa: E402

SUITE = ("day-sparse", "night-sparse", "day-dense", "night-dense")


def bundle_path(name: str) -> Path:
    return ROOT / "datasets" / "hamilton" if name == "hamilton" else ROOT / "datasets/synthetic/build" / name


def parse(spec: str) -> tuple[str, dict[str, str]]:
    name, _, opts = spec.partition(":")
    return name, dict(o.split("=", 1) for o in opts.split(";") if o)


def run_one(bundle: str, spec: str, fresh: bool, workers: int) -> tuple[Path, float | None]:
    name, options = parse(spec)
    out = ROOT / "runs" / "detectors" / spec.replace(":", "_").replace(";", "_").replace("=", "") / bundle
    took = None
    if fresh or not (out / "manifest.json").is_file():
        t = time.perf_counter()
        replay(bundle_path(bundle), out, ReplayOptions(matcher=name, matcher_options=options),
               ExecOptions(workers=workers, overwrite=True, progress=False))
        took = time.perf_counter() - t
    return out, took


def face_recall(bundle: str, run: Path) -> tuple[int, int] | None:
    """Fully visible truth faces at sampled moments, and how many a detection overlaps (IoU > 0.3)."""
    import pandas as pd

    from fr_eval.counting.linking import iou
    from fr_eval.store.runs import read_table

    boxes = bundle_path(bundle) / "truth_boxes.csv"
    if not boxes.is_file() or bundle == "hamilton":
        return None
    truth = pd.read_csv(boxes)
    truth = truth[truth["visible"] >= 0.99]
    det = read_table(run, "detections")
    fps = json.loads((run / "manifest.json").read_text())["parameters"]["fps"]
    truth = truth[np.isclose(truth["t"] * fps, np.round(truth["t"] * fps))]
    by_t = {round(t, 3): g[["x0", "y0", "x1", "y1"]].to_numpy(float) for t, g in det.groupby(det["t"].round(3))}
    hit = 0
    for r in truth.itertuples():
        d = by_t.get(round(r.t, 3))
        if d is not None and (iou(d, np.array([[r.x0, r.y0, r.x1, r.y1]] * len(d), float)) > 0.3).any():
            hit += 1
    return hit, len(truth)


def per_passage(stats) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per passage (in passage_id order): id, detected, planted, raised a correct alert (the counter's rule)."""
    p = stats.passages.assign(_o=passage_outcomes(stats)["alerted_correct"].to_numpy())
    p = p.sort_values("passage_id").reset_index(drop=True)
    detected = (p["n_tracks"].fillna(0) > 0).to_numpy()
    return (p["passage_id"].to_numpy(), detected, p["watchlisted"].astype(bool).to_numpy(),
            p["_o"].astype(bool).to_numpy())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundles", default=",".join(SUITE + ("hamilton",)))
    ap.add_argument("--matchers", default="dlib:upsample=1,yunet+dlib")
    ap.add_argument("--reference", default="dlib:upsample=1")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--fresh", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    specs = args.matchers.split(",")
    if args.reference not in specs:
        specs.insert(0, args.reference)
    rows, out = [], {}
    print("| bundle | matcher | faces found per frame | passages detected | planted passages detected | TPIR | FPIR | "
          "TPIR at FPIR <= 10% (threshold) | "
          "McNemar vs reference: detected (ref only / this only, p) | alerted plants (ref only / this only, p) | "
          "replay s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for bundle in args.bundles.split(","):
        ref = None
        for spec in specs:
            run, took = run_one(bundle, spec, args.fresh, args.workers)
            stats = load_statistics(run)
            ids, det, planted, hits = per_passage(stats)
            f = funnel(stats)
            tpir, fpir = compute("tpir", f), compute("fpir", f)
            if spec == args.reference:
                ref = (ids, det, planted, hits)
            cells = ["–", "–"]
            if ref is not None and spec != args.reference and list(ref[0]) == list(ids):
                t1 = mcnemar(ref[1], det, "detected")
                t2 = mcnemar(ref[3][ref[2]], hits[planted], "alerted plants")
                cells = [f"{t1.a_only} / {t1.b_only}, p = {t1.p_value:.3g}",
                         f"{t2.a_only} / {t2.b_only}, p = {t2.p_value:.3g}"]
            n, k = len(det), int(det.sum())
            npl, kpl = int(planted.sum()), int((det & planted).sum())
            manifest = json.loads((run / "manifest.json").read_text())
            wall = manifest.get("summary", {}).get("wall_s")
            fr = face_recall(bundle, run)
            choice = threshold_for_target(stats, target_fpir=0.1)
            at10 = (f"{format_rate(choice.rates['tpir'], unit=False)} ({choice.threshold:.3f})"
                    if choice.threshold is not None else f"none ({choice.reason})")
            row = {"bundle": bundle, "matcher": spec, "face_recall": fr, "detected": [k, n],
                   "planted_detected": [kpl, npl], "tpir": tpir.to_dict(), "fpir": fpir.to_dict(), "at_fpir_10": at10, "tests": cells, "wall_s": wall}
            rows.append(row)
            frc = f"{fr[0]}/{fr[1]} = {fr[0] / fr[1]:.1%}" if fr and fr[1] else "–"
            print(f"| {bundle} | {spec} | {frc} | {k}/{n} = {k / n:.1%} | {kpl}/{npl} = {kpl / max(npl, 1):.1%} | "
                  f"{format_rate(tpir, unit=False)} | {format_rate(fpir, unit=False)} | {at10} | "
                  f"{cells[0]} | {cells[1]} | {wall} |")
    out["rows"] = rows
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
