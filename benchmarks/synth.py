"""Generation speed of `fr-eval synth`: frames rendered and encoded per second.

    .venv/bin/python benchmarks/synth.py [--duration 30]

Needs ../shared/data/lfw.  Renders day/sparse and night/dense at 640x360 and
1280x720 into a temporary folder and prints a Markdown table for
docs/performance.md.  The first bundle's time includes locating faces in the
photos of its cast (dlib HOG), measured separately; the rate is frames over
the time to render, encode and write the bundle.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fr_eval.inputs import shared_data  # noqa: E402
from fr_eval.synth import SynthSpec, synthesize  # noqa: E402
from fr_eval.synth.faces import load_face_source  # noqa: E402
from fr_eval.synth.scene import choose_cast  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=float, default=30.0)
    args = ap.parse_args()
    if shared_data.lfw_faces() is None:
        sys.exit("LFW is not at ../shared/data/lfw (set FR_EVAL_SHARED)")
    print("| lighting / crowd | frame size | frames | passages | face location (s) | render + encode (s) | frames/s "
          "(render + encode) |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for (lighting, crowd) in (("day", "sparse"), ("night", "dense")):
            for (w, h) in ((640, 360), (1280, 720)):
                spec = SynthSpec(lighting=lighting, crowd=crowd, duration=args.duration, width=w, height=h,
                                 watchlist_size=50, plants=6, passes=2, seed=101)
                from fr_eval.synth.faces import locate_face

                locate_face.cache_clear()
                t = time.perf_counter()
                choose_cast(spec, load_face_source(shared_data.lfw_faces()))   # face location, cached
                t_faces = time.perf_counter() - t
                r = synthesize(spec, out=Path(tmp) / f"{lighting}-{crowd}-{h}")
                total = r.seconds          # faces already located (cached): render + encode + writing
                rate = r.frames / total
                print(f"| {lighting} / {crowd} | {w}x{h} | {r.frames} | {r.passages} | {t_faces:.1f} | "
                      f"{total:.1f} | {rate:.1f} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
