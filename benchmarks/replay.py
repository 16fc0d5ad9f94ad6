"""Replay speed: fr-eval's default replay against the naive loop, per matcher.

The naive loop is face_recognition's own video example: decode every frame,
detect every face, embed every face, compare with the watchlist.  fr-eval
samples 5 frames per second, tracks faces and embeds only each track's best
faces.  Both run on the same footage and the same watchlist; the benchmark
checks that they raise alerts for the same subjects at overlapping times.

Footage: the shared Hamilton clip (640x360, 9.2 s) played ``--repeat`` times
in a row (default 4, so 36.7 s: long enough that start-up costs do not
dominate), at its own size and upscaled to 1280x720 (written to
benchmarks/out/, not committed).  Both methods are timed from start to end,
enrolment of the watchlist included.

    .venv/bin/python benchmarks/replay.py --naive-from benchmarks/naive-2026-12-01.json   # 720p and 1080p
    .venv/bin/python benchmarks/replay.py --sizes 720 --matchers dlib,yunet+dlib

Matchers are specs as ``fr-eval replay -m`` takes them (``dlib``, ``yunet+dlib``, ``dlib-cnn+dlib``), options
after a colon (``dlib:upsample=1``).  Chunks are fr-eval's default (chosen from the footage and the workers)
unless ``--chunk-seconds`` is given.

Results are printed as a Markdown table; copy them into docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
OUT = ROOT / "benchmarks" / "out"
SHARED = Path(os.environ.get("FR_EVAL_SHARED", ROOT.parent / "shared")) / "data" / "face_recognition_examples"


def make_bundle(height: int, repeat: int) -> Path:
    """A bundle around the Hamilton clip played ``repeat`` times, at the given frame height."""
    import av

    from bundlefactory import copy_photo, write_bundle

    root = OUT / f"hamilton-{height}p-x{repeat}"
    if (root / "deployment.yaml").is_file():
        return root
    shutil.rmtree(root, ignore_errors=True)
    (root / "footage").mkdir(parents=True)
    clip = root / "footage" / "clip.mp4"
    width = height * 16 // 9
    with av.open(str(SHARED / "short_hamilton_clip.mp4")) as inp:
        rate = inp.streams.video[0].average_rate
    with av.open(str(clip), "w") as out:
        s = out.add_stream("libx264", rate=rate)
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        s.options = {"crf": "18"}
        n = 0
        for _ in range(repeat):
            with av.open(str(SHARED / "short_hamilton_clip.mp4")) as inp:
                src = inp.streams.video[0]
                for frame in inp.decode(src):
                    f = frame.reformat(width=width, height=height, format="yuv420p", interpolation="BICUBIC")
                    f.pts, f.time_base = n, 1 / rate
                    n += 1
                    for p in s.encode(f):
                        out.mux(p)
        for p in s.encode():
            out.mux(p)
    wl = [{"subject_id": sid, "image": copy_photo(SHARED / f, root / "watchlist")} for sid, f in
          [("miranda", "lin-manuel-miranda.png"), ("lacamoire", "alex-lacamoire.png"), ("obama", "obama.jpg"),
           ("biden", "biden.jpg"), ("harington", "train_kit_harington_john1.jpeg"),
           ("leslie", "train_rose_leslie_img1.jpg")]]
    write_bundle(root, footage=[{"path": "footage/clip.mp4", "camera": "cam"}], watchlist=wl, id=f"hamilton-{height}p")
    return root


def naive_loop(bundle: Path, tolerance: float = 0.6) -> dict:
    """face_recognition's video example: every frame, every face, embedded and compared."""
    import av
    import face_recognition
    import pandas as pd

    started = time.perf_counter()
    wl = pd.read_csv(bundle / "watchlist.csv")
    known = [face_recognition.face_encodings(face_recognition.load_image_file(str(bundle / p)))[0] for p in wl["image"]]
    frames = faces = 0
    hits: dict[str, list[float]] = {}
    with av.open(str(bundle / "footage" / "clip.mp4")) as c:
        stream = c.streams.video[0]
        for frame in c.decode(stream):
            t = float(frame.pts * stream.time_base)
            rgb = frame.to_ndarray(format="rgb24")
            locs = face_recognition.face_locations(rgb, number_of_times_to_upsample=1)
            encs = face_recognition.face_encodings(rgb, locs)
            frames += 1
            faces += len(encs)
            for e in encs:
                d = face_recognition.face_distance(known, e)
                for sid in wl["subject_id"][d <= tolerance]:
                    hits.setdefault(sid, []).append(t)
            duration = t
    duration += 1 / float(stream.average_rate)
    wall = time.perf_counter() - started
    return {"frames": frames, "faces": faces, "wall_s": wall, "duration_s": duration,
            "alerted": {k: (min(v), max(v)) for k, v in hits.items()}}


def parse_matcher(spec: str) -> tuple[str, dict[str, str]]:
    """``dlib`` or ``dlib:upsample=1;jitters=0`` -> (name, options)."""
    name, _, opts = spec.partition(":")
    return name, dict(o.split("=", 1) for o in opts.split(";") if o)


def uses_dlib_embedder(matcher: str) -> bool:
    """The naive loop is dlib's embedder at distance 0.6: its alerts are comparable with these matchers'."""
    return matcher == "dlib" or matcher.endswith("+dlib")


def fr_eval_replay(bundle: Path, matcher: str, options: dict[str, str], workers: int, chunk_s: float) -> dict:
    from fr_eval.replay.pipeline import ExecOptions, ReplayOptions, replay
    from fr_eval.store.runs import read_table

    tag = "".join(f"-{k}{v}" for k, v in sorted(options.items()))
    out = OUT / f"run-{bundle.name}-{matcher}{tag}-{workers}"
    threshold = 0.5 if uses_dlib_embedder(matcher) else None
    res = replay(bundle, out, ReplayOptions(matcher=matcher, matcher_options=options, threshold=threshold),
                 ExecOptions(workers=workers, overwrite=True, progress=False, chunk_s=chunk_s))
    s = res.summary
    alerts = read_table(out, "alerts")
    tracks = read_table(out, "tracks").set_index("track_id")
    alerted = {}
    for a in alerts.itertuples():
        tr = tracks.loc[a.track_id]
        lo, hi = alerted.get(a.subject_id, (np.inf, -np.inf))
        alerted[a.subject_id] = (min(lo, tr.t_start), max(hi, tr.t_end))
    stats = res.manifest["chunks"].get("stats", [])
    return {**s, "alerted": alerted, "detect_s": sum(c.get("detect_s", 0) for c in stats),
            "chunk_s": res.manifest["chunks"].get("seconds")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="720,1080")
    ap.add_argument("--matchers", default="dlib,dlib:upsample=1,yunet+dlib",
                    help="comma-separated; options after a colon, e.g. dlib:upsample=1 (the naive loop's detector "
                         "setting, for HD footage)")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--repeat", type=int, default=4, help="play the clip this many times in a row")
    ap.add_argument("--chunk-seconds", type=float, default=None,
                    help="replay chunk length (default: fr-eval's, chosen from the footage and the workers)")
    ap.add_argument("--no-naive", action="store_true")
    ap.add_argument("--naive-from", type=Path, default=None,
                    help="reuse the naive-loop rows of an earlier replay.json (same footage, same machine): the naive "
                         "loop does not depend on fr-eval and takes minutes")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    earlier_rows = json.loads(args.naive_from.read_text()) if args.naive_from else []
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}")
    for size in [int(s) for s in args.sizes.split(",")]:
        bundle = make_bundle(size, args.repeat)
        naive = None
        earlier = [r for r in earlier_rows if r["footage"] == f"{size}p" and r["method"].startswith("naive")]
        if earlier:
            naive = dict(earlier[0], method=earlier[0]["method"] + " (earlier measurement)")
            rows.append(naive)
        elif not args.no_naive:
            naive = naive_loop(bundle)
            rows.append({"footage": f"{size}p", "method": "naive loop (face_recognition example, every frame)",
                         "workers": 1, "frames": naive["frames"], "faces": naive["faces"],
                         "wall_s": naive["wall_s"], "fps": naive["frames"] / naive["wall_s"],
                         "faces_s": naive["faces"] / naive["wall_s"], "rtf": naive["wall_s"] / naive["duration_s"],
                         "alerted": naive["alerted"]})
        for spec in args.matchers.split(","):
            name, options = parse_matcher(spec)
            for w in [int(x) for x in args.workers.split(",")]:
                r = fr_eval_replay(bundle, name, options, w, args.chunk_seconds)
                shown = name + "".join(f" --matcher-option {k}={v}" for k, v in sorted(options.items()))
                chunks = f"{args.chunk_seconds:g} s chunks" if args.chunk_seconds else "default chunks"
                rows.append({"footage": f"{size}p",
                             "method": f"fr-eval replay --matcher {shown} (5 fps, tracks, {chunks})",
                             "workers": w, "frames": r["frames"], "faces": r["faces"], "wall_s": r["wall_s"],
                             "fps": r["frames"] / r["wall_s"], "faces_s": r["faces"] / r["wall_s"],
                             "rtf": r["realtime_factor"], "alerted": r["alerted"],
                             "speedup_vs_naive": (naive["wall_s"] / r["wall_s"]) if naive else None,
                             "same_subjects": (sorted(r["alerted"]) == sorted(naive["alerted"]))
                             if naive and uses_dlib_embedder(name) else None,
                             "detect_s": r.get("detect_s"), "chunk_s": r.get("chunk_s")})
    print("\n| footage | method | workers | frames | faces | wall s | frames/s | faces/s | real-time factor | "
          "speed-up vs naive | same subjects as naive | subjects alerted (time span) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        alerted = ", ".join(f"{k} {v[0]:.1f}–{v[1]:.1f} s" for k, v in sorted(r["alerted"].items())) or "none"
        sp = f"{r['speedup_vs_naive']:.1f}x" if r.get("speedup_vs_naive") else "–"
        print(f"| {r['footage']} | {r['method']} | {r['workers']} | {r['frames']} | {r['faces']} | {r['wall_s']:.1f} | "
              f"{r['fps']:.1f} | {r['faces_s']:.1f} | {r['rtf']:.2f} | {sp} | "
              f"{ {True: 'yes', False: 'no', None: '–'}[r.get('same_subjects')] } | {alerted} |")
    (OUT / "replay.json").write_text(json.dumps(rows, indent=2, default=str))


if __name__ == "__main__":
    main()
