"""Build small but real deployment bundles for tests (real photos, real video, real detector).

Only the MIT-licensed photos from ../shared/data/face_recognition_examples are
used, never LFW.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import yaml
from PIL import Image


def write_bundle(root: Path, *, footage: list[dict], watchlist: list[dict], truth: list[dict] | None = None,
                 adjudication: list[dict] | None = None, threshold: float = 0.5, **extra) -> Path:
    import pandas as pd

    root.mkdir(parents=True, exist_ok=True)
    # the tests written for dlib's HOG name it; a bundle that names no matcher gets fr-eval's default (yunet+dlib)
    spec = {"id": extra.pop("id", "test-bundle"), "place": "test bench", "start_time": "2020-02-27T10:00:00Z",
            "conditions": {"lighting": "day", "crowd": "sparse"}, "threshold": threshold,
            "matcher": extra.pop("matcher", "dlib"),
            "watchlist": "watchlist.csv", "footage": footage, **extra}
    pd.DataFrame(watchlist).to_csv(root / "watchlist.csv", index=False)
    if truth is not None:
        pd.DataFrame(truth).to_csv(root / "truth.csv", index=False)
        spec["truth"] = "truth.csv"
    if adjudication is not None:
        pd.DataFrame(adjudication).to_csv(root / "adjudication.csv", index=False)
        spec["adjudication"] = "adjudication.csv"
    (root / "deployment.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return root


def face_crop(path: Path, size: int = 110) -> Image.Image:
    """The photo's single face, with margin, scaled to ``size`` px high (found by dlib)."""
    import face_recognition

    img = face_recognition.load_image_file(str(path))
    top, right, bottom, left = face_recognition.face_locations(img)[0]
    h = bottom - top
    m = int(h * 0.7)
    crop = Image.fromarray(img).crop((max(0, left - m), max(0, top - m), right + m, bottom + m))
    scale = size / crop.height
    return crop.resize((max(1, int(crop.width * scale)), size))


def walking_frames(folder: Path, faces: list[tuple[Image.Image, int, int]], *, n: int = 12,
                   size: tuple[int, int] = (480, 270), seed: int = 0) -> list[list[tuple[int, int, int, int]]]:
    """Render ``n`` frames in which each face walks left to right during [start, end) frames.

    ``faces`` holds (face image, first frame, last frame).  Returns, per frame,
    the pasted boxes.  Background: smooth noise, so the detector sees only the faces.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    bg = (rng.random((size[1] // 10, size[0] // 10, 3)) * 80 + 90).astype(np.uint8)
    bg = Image.fromarray(bg).resize(size, Image.BILINEAR)
    boxes = []
    for i in range(n):
        frame = bg.copy()
        fb = []
        for k, (face, first, last) in enumerate(faces):
            if first <= i < last:
                frac = (i - first) / max(1, last - first - 1)
                x = int(10 + frac * (size[0] - face.width - 20))
                y = int(20 + k * 5)
                frame.paste(face, (x, y))
                fb.append((x, y, x + face.width, y + face.height))
        frame.save(folder / f"frame_{i:04d}.png")
        boxes.append(fb)
    return boxes


def copy_photo(src: Path, dest_dir: Path) -> str:
    dest_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest_dir / src.name)
    return f"{dest_dir.name}/{src.name}"
