"""Footage: decode recorded video (or a folder of frames) at a chosen sampling rate.

Sampling is defined on a global time grid ``k / fps`` seconds from the start of
the footage, and the frame chosen for a grid point is the first decoded frame
at or after it.  The choice depends only on the frames' timestamps, never on
where decoding started, so a footage split into time chunks (decoded by
different workers after a seek) yields exactly the frames a single pass would.
"""

from __future__ import annotations

import hashlib
import math
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from fr_eval.errors import InputError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
#: Images above this many pixels are refused (decompression-bomb guard): 8K UHD is 33 Mpx.
MAX_IMAGE_PIXELS = 50_000_000


@dataclass
class FootageInfo:
    """What probing a recording tells (recorded in the manifest)."""

    duration_s: float
    fps: float
    width: int
    height: int
    frames: int | None
    codec: str
    kind: str  # "video" or "frames"


@dataclass
class DecodeReport:
    """How decoding went: frames read and where (if anywhere) the file broke."""

    frames_decoded: int = 0
    frames_sampled: int = 0
    broke_at_s: float | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class SampledFrame:
    index: int        # frame index in the source
    t: float          # seconds from the footage start
    image: np.ndarray  # RGB uint8 (H, W, 3)


# -- images ----------------------------------------------------------------------

def load_image(path: str | Path, where: str | None = None) -> np.ndarray:
    """Read an image as RGB uint8, refusing unreadable files and decompression bombs."""
    from PIL import Image

    where = where or str(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                w, h = im.size
                if w * h > MAX_IMAGE_PIXELS:
                    raise InputError(f"{where}: image of {w}x{h} pixels is too large (limit "
                                     f"{MAX_IMAGE_PIXELS // 1_000_000} Mpx; possible decompression bomb)",
                                     hint="downscale the image")
                im.load()
                return np.asarray(im.convert("RGB"))
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{where}: image is too large (possible decompression bomb)",
                         hint="downscale the image") from None
    except FileNotFoundError:
        raise InputError(f"{where}: file does not exist") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise InputError(f"{where}: not a readable image ({exc})") from None


def _natural_key(name: str):
    return [int(tok) if tok.isdigit() else tok.lower() for tok in re.split(r"(\d+)", name)]


def frame_files(folder: Path) -> list[Path]:
    """The images of a frame folder in natural order; anything else is an error."""
    files = sorted((p for p in folder.iterdir() if not p.name.startswith(".")), key=lambda p: _natural_key(p.name))
    others = [p for p in files if p.is_dir() or p.suffix.lower() not in IMAGE_SUFFIXES]
    if others:
        raise InputError(f"{others[0]}: not an image in frame folder {folder}",
                         hint=f"a frame folder holds only images ({', '.join(IMAGE_SUFFIXES)})")
    if not files:
        raise InputError(f"{folder}: frame folder is empty")
    return files


def footage_digest(path: Path) -> str:
    """SHA-256 of a video file; of a frame folder, the hash of every frame's name and SHA-256 in order."""
    from fr_eval.store.hashing import sha256_file

    if path.is_dir():
        h = hashlib.sha256()
        for p in frame_files(path):
            h.update(p.name.encode() + b"\0" + sha256_file(p).encode())
        return h.hexdigest()
    return sha256_file(path)


# -- probing ---------------------------------------------------------------------

def probe(path: Path, fps: float | None = None) -> FootageInfo:
    """Duration, frame rate and size of a video file or frame folder."""
    if path.is_dir():
        files = frame_files(path)
        rate = fps or 25.0
        first = load_image(files[0])
        return FootageInfo(len(files) / rate, rate, first.shape[1], first.shape[0], len(files), "images", "frames")
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise InputError(f"{path}: has no video stream")
            stream = container.streams.video[0]
            rate = float(stream.average_rate or stream.guessed_rate or 25)
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            else:
                duration = math.nan
            frames = stream.frames or None
            return FootageInfo(duration, rate, stream.codec_context.width, stream.codec_context.height, frames,
                               stream.codec_context.name, "video")
    except InputError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot be opened as video ({_av_message(exc)})",
                         hint="is the file complete? re-export it as MP4/MKV") from None


def _av_message(exc: Exception) -> str:
    text = str(exc).split(":", 1)[0] if isinstance(exc, OSError) else str(exc)
    return " ".join(text.split())[:160]


# -- sampling --------------------------------------------------------------------

class _GridSampler:
    """Pick, for each grid time k/fps in [t0, t1), the first frame at or after it."""

    def __init__(self, fps: float, t0: float, t1: float, src_fps: float):
        self.step = 1.0 / fps
        self.eps = 0.25 / max(src_fps, 1.0)  # timestamp jitter tolerance: a quarter of a source frame
        self.k = max(0, math.ceil(t0 / self.step - 1e-9))
        self.t1 = t1

    def take(self, t: float) -> bool:
        """True when the frame at time ``t`` is the sample for the next grid point(s)."""
        took = False
        while self.k * self.step < self.t1 and t >= self.k * self.step - self.eps:
            took = True
            self.k += 1
        return took

    @property
    def done(self) -> bool:
        return self.k * self.step >= self.t1


def sample_frames(path: Path, *, fps: float, t0: float = 0.0, t1: float = math.inf,
                  folder_fps: float | None = None, report: DecodeReport | None = None,
                  threads: int = 0) -> Iterator[SampledFrame]:
    """Yield the sampled frames of ``path`` whose grid time lies in ``[t0, t1)``.

    A corrupt or truncated stream stops the iteration at the break; what
    decoded before it is kept and ``report`` says where it broke.
    """
    report = report if report is not None else DecodeReport()
    if path.is_dir():
        yield from _sample_folder(path, fps, t0, t1, folder_fps or 25.0, report)
        return
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot be opened as video ({_av_message(exc)})",
                         hint="is the file complete? re-export it as MP4/MKV") from None
    with container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO" if threads != 1 else "SLICE"
        if threads:
            stream.codec_context.thread_count = threads
        tb = stream.time_base or Fraction(1, 90_000)
        start_pts = stream.start_time or 0
        src_fps = float(stream.average_rate or stream.guessed_rate or 25)
        sampler = _GridSampler(fps, t0, t1, src_fps)
        if t0 > 0:
            # seek to the keyframe at or before t0 (a little earlier for safety), then decode forward
            target = start_pts + int(max(0.0, t0 - 1.0) / tb)
            container.seek(target, stream=stream, backward=True, any_frame=False)
        last_t = None
        try:
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                t = float((frame.pts - start_pts) * tb)
                last_t = t
                report.frames_decoded += 1
                if t < t0 - sampler.eps:
                    continue
                if sampler.take(t):
                    report.frames_sampled += 1
                    yield SampledFrame(int(round(t * src_fps)), t, frame.to_ndarray(format="rgb24"))
                if sampler.done:
                    break
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            report.broke_at_s = last_t if last_t is not None else t0
            report.error = _av_message(exc)


def _sample_folder(folder, fps, t0, t1, folder_fps, report) -> Iterator[SampledFrame]:
    files = frame_files(folder)
    sampler = _GridSampler(fps, t0, t1, folder_fps)
    first = max(0, int(math.floor(t0 * folder_fps)) - 1)
    for i in range(first, len(files)):
        t = i / folder_fps
        if t < t0 - sampler.eps:
            continue
        if sampler.take(t):
            report.frames_decoded += 1
            report.frames_sampled += 1
            yield SampledFrame(i, t, load_image(files[i], f"{files[i]}"))
        if sampler.done:
            break
