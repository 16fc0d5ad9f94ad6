"""Report speed: a 1-hour, 2-camera deployment -> the PDF (and HTML) audit report.

Builds, untimed, a run folder by hand (tests/runfactory.py; no matcher) at realistic volumes for a busy
street: a new person every ``--every`` seconds on each camera for ``--hours`` hours, about 1.3 tracks per
passage, 10 candidates per track, a 2% watchlisted share, a few false alerts, every alert adjudicated, and
real footage: one H.264 video per camera of the full length (640x360, 10 fps, a keyframe every 2 s) so the
alert gallery seeks, decodes, crops and blurs real frames and hashes the real files.  Then times
``fr_eval.report.write_report`` (PDF, then HTML) and prints a Markdown table for docs/performance.md.

    .venv/bin/python benchmarks/report.py              # 1 hour, 2 cameras
    .venv/bin/python benchmarks/report.py --hours 0.25 # quicker
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

W, H, FPS = 640, 360, 10


def write_video(path: Path, seconds: float, seed: int = 0) -> None:
    """A real H.264 file: textured background, a face-sized patch drifting across it."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    bg = (rng.random((H // 8, W // 8, 3)) * 120 + 60).astype(np.uint8).repeat(8, 0).repeat(8, 1)
    patch = (rng.random((12, 12, 3)) * 255).astype(np.uint8).repeat(8, 0).repeat(8, 1)
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=FPS)
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        s.options = {"preset": "ultrafast", "g": str(2 * FPS), "crf": "28"}
        for i in range(int(seconds * FPS)):
            frame = bg.copy()
            x = int((i * 3) % (W - 96))
            frame[100:196, x:x + 96] = patch
            for packet in s.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                c.mux(packet)
        for packet in s.encode():
            c.mux(packet)


def build(root: Path, hours: float, every: float, n_cameras: int, watchlist: int, seed: int) -> dict:
    from runfactory import make_run

    rng = np.random.default_rng(seed)
    duration = hours * 3600
    bundle = root / "bundle"
    write_video(bundle / "footage" / "cam0.mp4", duration, seed)
    for c in range(1, n_cameras):
        shutil.copyfile(bundle / "footage" / "cam0.mp4", bundle / "footage" / f"cam{c}.mp4")
    (bundle / "watchlist").mkdir(parents=True, exist_ok=True)
    from PIL import Image

    subjects = [f"S{i:05d}" for i in range(watchlist)]
    wl_rows = []
    for i, s in enumerate(subjects):
        if i < 200:  # photos for the subjects that can alert; the rest share one file name pattern
            Image.fromarray((rng.random((120, 100, 3)) * 255).astype(np.uint8)).save(bundle / "watchlist" / f"{s}.jpg")
        wl_rows.append({"subject_id": s, "image": f"watchlist/{s}.jpg",
                        "perceived_gender": "man" if i % 2 else "woman"})
    alerting = subjects[:200]
    passages, tracks, adjudication = [], [], []
    per_cam = int(duration / every)
    for c in range(n_cameras):
        cam = f"cam{c}"
        starts = np.sort(rng.uniform(0, duration - 10, per_cam))
        for i, t0 in enumerate(starts):
            pid = f"{cam}-p{i}"
            watch = rng.random() < 0.02
            sid = str(alerting[rng.integers(len(alerting))]) if watch else ""
            length = float(rng.uniform(3, 8))
            passages.append({"passage_id": pid, "camera": cam, "t_start": round(float(t0), 3),
                             "t_end": round(float(t0) + length, 3), "subject_id": sid, "person_id": f"person-{pid}",
                             "plant": bool(watch and rng.random() < 0.5),
                             "perceived_gender": "man" if rng.random() < 0.5 else "woman"})
            pieces = 2 if rng.random() < 0.3 else 1
            edges = np.linspace(t0 + 0.2, t0 + length - 0.2, pieces + 1)
            for k in range(pieces):
                scores = {str(s): float(rng.uniform(0.1, 0.45)) for s in rng.choice(alerting, 10, replace=False)}
                if watch:
                    scores[sid] = float(rng.uniform(0.3, 0.75))
                elif rng.random() < 0.004:
                    scores[str(alerting[rng.integers(len(alerting))])] = float(rng.uniform(0.5, 0.6))
                x = int(rng.integers(0, W - 100))
                tracks.append({"track_id": f"{pid}-t{k}", "camera": cam, "t_start": float(edges[k]),
                               "t_end": float(edges[k + 1]), "scores": scores,
                               "n_detections": int(rng.integers(5, 40)), "box": (x, 100, x + 70, 180),
                               "footage": None, "face_px": 70.0})
    threshold = 0.5
    for t in tracks:
        for s, v in t["scores"].items():
            if v >= threshold:
                r = rng.random()
                adjudication.append({"alert_id": f"{t['track_id']}:{s}",
                                     "operator_decision": "rejected" if r < 0.3 else "credible",
                                     "engagement": "not_attempted" if r < 0.3 else "lost" if r < 0.4 else "stopped",
                                     "verification": "correct" if r > 0.7 else "incorrect" if r >= 0.4 else "unverified",
                                     "outcome": "arrest" if r > 0.9 else ""})
    make_run(root, passages=passages, tracks=tracks, watchlist=wl_rows, threshold=threshold,
             adjudication=adjudication, demographics=["perceived_gender"], duration_s=duration,
             deployment_id="bench-1h", matcher="scores")
    return {"passages": len(passages), "tracks": len(tracks), "candidates": sum(min(10, len(t["scores"]))
                                                                               for t in tracks),
            "alerts": len(adjudication)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--every", type=float, default=1.5, help="seconds between people on each camera")
    ap.add_argument("--cameras", type=int, default=2)
    ap.add_argument("--watchlist", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", type=Path, default=None, help="keep the run folder and reports here")
    args = ap.parse_args(argv)
    from fr_eval.report import write_report

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="fr-eval-report-bench-"))
    try:
        t0 = time.perf_counter()
        sizes = build(work / "run", args.hours, args.every, args.cameras, args.watchlist, args.seed)
        build_s = time.perf_counter() - t0
        video_mb = sum(p.stat().st_size for p in (work / "run" / "bundle" / "footage").iterdir()) / 1e6
        t0 = time.perf_counter()
        write_report(work / "run", work / "report.pdf", command="benchmarks/report.py")
        pdf_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_report(work / "run", work / "report.html", command="benchmarks/report.py")
        html_s = time.perf_counter() - t0
        import pypdf

        pages = len(pypdf.PdfReader(str(work / "report.pdf")).pages)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{args.hours:g} h x {args.cameras} cameras: {sizes['passages']:,} passages, {sizes['tracks']:,} tracks, "
              f"{sizes['candidates']:,} candidates, {sizes['alerts']:,} alerts; footage {video_mb:.0f} MB "
              f"({W}x{H}, {FPS} fps); build (untimed) {build_s:.0f} s")
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}\n")
        print("| step | seconds |\n|---|---|")
        print(f"| `write_report` PDF ({pages} pages, {(work / 'report.pdf').stat().st_size / 1e6:.1f} MB) | {pdf_s:.1f} |")
        print(f"| `write_report` HTML ({(work / 'report.html').stat().st_size / 1e6:.1f} MB) | {html_s:.1f} |")
        print(f"| peak resident memory (whole process, building included) | {peak:.0f} MB |")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
