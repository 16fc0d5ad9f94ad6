"""The alert gallery: per alert, the watchlist photo beside the best face of the track that raised it.

The face crop is decoded from the footage named in the run's manifest at the
track's ``best_t`` and cut at ``best_x0..best_y1`` with a margin.  Faces of
people **not** shown by the truth to be the named watchlist subject (false
alerts, and any alert without truth linking its track to that subject) are
made unrecognisable -- pixelated to a few blocks, then blurred -- before the
image is kept anywhere, unless ``redact=False``.  The original pixels never
reach the report.

When footage is missing or differs from the footage that was replayed (its
SHA-256 does not match the manifest), the gallery says so instead of failing.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from fr_eval.errors import InputError

#: at most this many alerts get images (the rest are listed in the note)
MAX_ITEMS = 200
#: crop margin around the face box, as a share of its size
MARGIN = 0.5
#: shown height of crops and watchlist photos, pixels
HEIGHT = 160
#: a redacted face is reduced to at most this many blocks across before blurring
PIXEL_BLOCKS = 6


def redact_image(img: np.ndarray) -> np.ndarray:
    """Make a face unrecognisable: pixelate to :data:`PIXEL_BLOCKS` blocks across, then Gaussian-blur.

    The result keeps the crop's size and rough colour, nothing that identifies a person.
    """
    from PIL import Image, ImageFilter

    im = Image.fromarray(img)
    w, h = im.size
    bw = max(1, min(PIXEL_BLOCKS, w))
    bh = max(1, round(bw * h / max(w, 1)))
    small = im.resize((bw, bh), Image.Resampling.BOX)
    big = small.resize((w, h), Image.Resampling.NEAREST)
    return np.asarray(big.filter(ImageFilter.GaussianBlur(radius=max(2.0, w / (2 * bw)))))


def crop_face(frame: np.ndarray, box: tuple[float, float, float, float], margin: float = MARGIN) -> np.ndarray:
    """The face box with ``margin`` of its size on every side, clipped to the frame."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    H, W = frame.shape[:2]
    a0, b0 = max(0, int(math.floor(x0 - margin * w))), max(0, int(math.floor(y0 - margin * h)))
    a1, b1 = min(W, int(math.ceil(x1 + margin * w))), min(H, int(math.ceil(y1 + margin * h)))
    if a1 <= a0 or b1 <= b0:
        raise ValueError("face box outside the frame")
    return np.ascontiguousarray(frame[b0:b1, a0:a1])


def jpeg(img: np.ndarray, height: int = HEIGHT) -> bytes:
    from PIL import Image

    im = Image.fromarray(img).convert("RGB")
    if im.height != height:
        im = im.resize((max(1, round(im.width * height / im.height)), height), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=88)
    return buf.getvalue()


# -- decoding -----------------------------------------------------------------------------------

def frames_at(path: Path, times: list[float], *, fps: float | None = None) -> dict[float, np.ndarray]:
    """The frame shown at each time of ``times`` (seconds from the footage start), decoded once per file.

    For a video: the first frame whose timestamp is at or after ``t`` (less a quarter frame of jitter).
    For a frame folder: frame ``round(t * fps)``.  Times past the end are left out.
    """
    from fr_eval.replay.footage import frame_files, load_image

    out: dict[float, np.ndarray] = {}
    if path.is_dir():
        files = frame_files(path)
        rate = fps or 25.0
        for t in times:
            i = int(round(t * rate))
            if 0 <= i < len(files):
                out[t] = load_image(files[i])
        return out
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        tb = stream.time_base or Fraction(1, 90_000)
        start = stream.start_time or 0
        eps = 0.25 / float(stream.average_rate or stream.guessed_rate or 25)
        for t in sorted(set(times)):
            container.seek(start + int(max(0.0, t - 1.0) / tb), stream=stream, backward=True, any_frame=False)
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                if float((frame.pts - start) * tb) >= t - eps:
                    out[t] = frame.to_ndarray(format="rgb24")
                    break
    return out


@dataclass
class GalleryItem:
    alert_id: str
    subject_id: str
    camera: str
    similarity: float
    t: float | None              # first embedded face at or above the threshold
    best_t: float | None         # the track's best face (the crop)
    wall_time: str
    truth: str
    adjudication: str
    on_watchlist: bool           # the track is truly the named subject (truth links it)
    redacted: bool
    watchlist_jpeg: bytes | None
    crop_jpeg: bytes | None
    note: str = ""



# -- the gallery -------------------------------------------------------------------------------

def gallery_items(run: Path, stats, *, redact: bool = True, decode: bool = True) -> tuple[list, list[str]]:
    """One :class:`~fr_eval.report.model.GalleryItem` per alert (highest similarity first), and notes."""
    notes: list[str] = []
    a = stats.alerts
    if not len(a):
        return [], ["The run raised no alert at the operated threshold: the gallery is empty."]
    manifest = stats.manifest or {}
    if manifest.get("source_kind") == "scorelist":
        return [], [f"A score list has no faces to show: its {len(a):,} alerts are counted in every table and "
                    "listed in the run's alerts table."]
    roots = [Path(p) for p in (manifest.get("bundle", {}).get("path"),) if isinstance(p, str) and p]
    tracks = stats.tracks.set_index("track_id")
    order = a.sort_values(["similarity", "alert_id"], ascending=[False, True]).reset_index(drop=True)
    if len(order) > MAX_ITEMS:
        notes.append(f"{len(order)} alerts: images for the {MAX_ITEMS} with the highest similarity; the others "
                     "are counted in every table but not pictured.")
        order = order.iloc[:MAX_ITEMS]
    crops: dict[str, np.ndarray] = {}
    if decode:
        crops = _decode_crops(order, tracks, manifest, roots, notes)
    else:
        notes.append("Footage not decoded for this report (images off).")
    wl_images = _watchlist_images(stats, roots, set(order["subject_id"]), notes) if decode else {}
    items = []
    for r in order.itertuples(index=False):
        correct = getattr(r, "correct", None)
        on_wl = bool(correct) if correct is not None and correct is not np.nan and not _isna(correct) else False
        crop = crops.get(r.alert_id)
        redacted = redact and not on_wl
        note = ""
        if crop is not None and redacted:
            crop = redact_image(crop)
            note = "face blurred: not shown by the truth to be the watchlisted person"
        items.append(GalleryItem(
            alert_id=str(r.alert_id), subject_id=str(r.subject_id), camera=str(r.camera),
            similarity=float(r.similarity), t=None if _isna(r.t) else float(r.t), best_t=_best_t(tracks, r),
            wall_time=_wall_time(manifest, tracks, r),
            truth=_truth_text(stats, r), adjudication=_adjudication_text(stats, r), on_watchlist=on_wl,
            redacted=redacted and crop is not None,
            watchlist_jpeg=wl_images.get(str(r.subject_id)), crop_jpeg=None if crop is None else jpeg(crop),
            note=note))
    if redact:
        n = sum(1 for i in items if i.redacted)
        if n:
            notes.append(f"{n} face crop(s) of people not shown to be the watchlisted person are blurred "
                         "(the report must not become a store of bystanders' faces); `--no-redact` shows them.")
    else:
        notes.append("Rendered with --no-redact: bystanders' faces are shown unblurred. Handle this report as "
                     "personal data.")
    return items, notes


def _isna(x: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _decode_crops(order, tracks, manifest, roots, notes) -> dict[str, np.ndarray]:

    footage = manifest.get("footage", [])
    files = manifest.get("inputs", {}).get("files", {})
    wanted: dict[int, list[tuple[str, float, tuple]]] = {}
    missing_track = 0
    for r in order.itertuples(index=False):
        if r.track_id not in tracks.index:
            missing_track += 1
            continue
        t = tracks.loc[r.track_id]
        if any(_isna(t.get(k)) for k in ("best_t", "best_x0", "best_y0", "best_x1", "best_y1", "footage")):
            missing_track += 1
            continue
        box = (float(t["best_x0"]), float(t["best_y0"]), float(t["best_x1"]), float(t["best_y1"]))
        wanted.setdefault(int(t["footage"]), []).append((str(r.alert_id), float(t["best_t"]), box))
    if missing_track:
        notes.append(f"{missing_track} alert(s) have no best face recorded in the tracks table: no crop.")
    crops: dict[str, np.ndarray] = {}
    for idx, want in sorted(wanted.items()):
        if idx >= len(footage):
            notes.append(f"Footage #{idx} is not listed in the manifest: {len(want)} crop(s) not shown.")
            continue
        entry = footage[idx]
        rel = str(entry.get("path", ""))
        path, why = _verified_input(rel, roots, files)
        if path is None:
            notes.append(f"Footage '{rel}': {why}: {len(want)} crop(s) not shown; the figures do not depend on it.")
            continue
        try:
            frames = frames_at(path, [t for _, t, _ in want], fps=entry.get("fps"))
        except Exception as exc:  # a broken file must not stop the report
            notes.append(f"Footage '{rel}' could not be decoded ({type(exc).__name__}: {str(exc)[:80]}): "
                         f"{len(want)} crop(s) not shown.")
            continue
        lost = 0
        for alert_id, t, box in want:
            frame = frames.get(t)
            if frame is None:
                lost += 1
                continue
            try:
                crops[alert_id] = crop_face(frame, box)
            except ValueError:
                lost += 1
        if lost:
            notes.append(f"Footage '{rel}': {lost} frame(s) could not be decoded at the track's best time: no crop.")
    return crops


def _verified_input(rel: str, roots: list[Path], files: dict[str, str]) -> tuple[Path | None, str]:
    """An input file of the run, found only inside the recorded bundle folder and only if its SHA-256 is the
    one the replay recorded (a manifest naming a file outside its bundle, or a changed file, is refused)."""
    from fr_eval.inputs.bundle import safe_path
    from fr_eval.replay.footage import footage_digest

    recorded = files.get(rel)
    if not rel or not recorded:
        return None, "not an input the replay recorded"
    for root in roots:
        try:
            path = safe_path(root, rel, "run manifest")
        except InputError as exc:
            return None, exc.message
        if path.exists():
            digest = footage_digest(path)
            if digest != recorded:
                return None, (f"differs from the file replayed (SHA-256 {digest[:12]}... is not "
                              f"{recorded[:12]}...)")
            return path, ""
    return None, f"not available (looked in {', '.join(str(r) for r in roots)})"


def _watchlist_images(stats, roots, subjects, notes) -> dict[str, bytes]:
    from fr_eval.replay.footage import load_image

    out: dict[str, bytes] = {}
    b = stats.bundle
    if b is None:
        return out
    wl = b.watchlist.set_index("subject_id")
    absent = []
    for s in sorted(subjects):
        if s not in wl.index:
            absent.append(s)
            continue
        rel = str(wl.loc[s, "image"])
        path, _ = _verified_input(rel, roots, (stats.manifest or {}).get("inputs", {}).get("files", {}))
        if path is None:
            absent.append(s)
            continue
        try:
            out[s] = jpeg(load_image(path))
        except Exception:
            absent.append(s)
    if absent:
        notes.append(f"Watchlist photo not available for {len(absent)} subject(s) ({', '.join(absent[:5])}"
                     f"{', ...' if len(absent) > 5 else ''}).")
    return out


def _best_t(tracks, r) -> float | None:
    if r.track_id not in tracks.index or _isna(tracks.loc[r.track_id].get("best_t")):
        return None
    return float(tracks.loc[r.track_id]["best_t"])


def _wall_time(manifest, tracks, r) -> str:
    """Footage start + the alert's ``t`` (ISO, to the second), or "" when either is unknown."""
    import datetime as dt

    if _isna(r.t) or r.track_id not in tracks.index or _isna(tracks.loc[r.track_id].get("footage")):
        return ""
    footage = manifest.get("footage", [])
    idx = int(tracks.loc[r.track_id]["footage"])
    start = footage[idx].get("start_time") if idx < len(footage) else None
    if not start:
        return ""
    try:
        when = dt.datetime.fromisoformat(str(start)) + dt.timedelta(seconds=float(r.t))
    except ValueError:
        return ""
    return when.replace(microsecond=0).isoformat()


def _truth_text(stats, r) -> str:
    if not stats.has_truth:
        return "no truth: who this was is unknown"
    pid = getattr(r, "passage_id", None)
    if pid is None or _isna(pid):
        return "the track matches no truth passage (an unannotated face)"
    ts = getattr(r, "truth_subject_id", None)
    if ts is not None and not _isna(ts) and str(ts) == str(r.subject_id):
        return f"passage {pid}: truly {r.subject_id}"
    if ts is None or _isna(ts):
        return f"passage {pid}: a person not on the watchlist"
    return f"passage {pid}: watchlisted subject {ts}, not {r.subject_id}"


def _adjudication_text(stats, r) -> str:
    if not stats.has_adjudication:
        return "no adjudication file"
    parts = []
    for col, label in (("operator_decision", "operator"), ("engagement", "engagement"),
                       ("verification", "verification"), ("outcome", "outcome")):
        v = getattr(r, col, None)
        if v is not None and not _isna(v) and str(v):
            parts.append(f"{label}: {v}")
    return "; ".join(parts) if parts else "no adjudication record"
