"""The face source of a synthetic deployment: real photos, one folder (or CSV group) per identity.

Two layouts are accepted:

* a folder of identity folders (``DIR/<person>/<photo>.jpg``), as Labeled Faces
  in the Wild ships (``images_deepfunneled/``);
* a CSV with columns ``person_id``, ``image`` (relative to ``--faces-root``,
  default the CSV's folder) and optional demographic columns.

Every photo that takes part is read and its face located with dlib's HOG
detector, so that truth boxes in the rendered footage are where the face is,
at the scale the matcher's own detector draws it.  Photos in which the
detector finds no face are not used (a custody photo in which no face can be
found would not be enrolled either); an unreadable photo is an error.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from fr_eval.errors import InputError
from fr_eval.inputs.bundle import BUILTIN_DEMOGRAPHICS

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_id(name: str) -> str:
    """A bundle-safe id (letters, digits, '.', '_' and '-') for a person's name."""
    out = _SAFE.sub("-", name).strip("-._") or "person"
    return out if out[0].isalnum() else f"p{out}"


@dataclass
class FaceSource:
    """Identities and their photos (sorted, so a seed always picks the same)."""

    root: Path
    photos: dict[str, list[Path]]
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    label_source: str | None = None
    license: Path | None = None      # a faces CSV's licence (``<csv>.LICENSE``), copied into every bundle

    @property
    def identities(self) -> list[str]:
        return sorted(self.photos)

    def label(self, person: str, column: str) -> str:
        return self.labels.get(person, {}).get(column, "")

    @property
    def demographic_columns(self) -> list[str]:
        cols = {c for v in self.labels.values() for c, x in v.items() if x}
        return [c for c in BUILTIN_DEMOGRAPHICS if c in cols]

    def photo(self, person: str, name: str) -> Path:
        for p in self.photos.get(person, []):
            if p.name == name:
                return p
        raise InputError(f"{self.root}: identity {person!r} has no photo {name!r}",
                         hint="the recipe was made from a different face set; check --faces")


def load_face_source(path: str | Path, *, root: str | Path | None = None,
                     labels: str | Path | None = None) -> FaceSource:
    """Read a face source (folder of identity folders, or CSV) and optional per-identity labels."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such faces folder or CSV",
                         hint="give a folder holding one folder of photos per identity (e.g. "
                              "../shared/data/lfw/images_deepfunneled)")
    photos: dict[str, list[Path]] = {}
    inline: dict[str, dict[str, str]] = {}
    if path.is_dir():
        for d in sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")):
            files = sorted(f for f in d.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES and f.is_file())
            if files:
                photos[d.name] = files
        if not photos:
            raise InputError(f"{path}: no identity folders with photos in it",
                             hint="the faces folder needs one sub-folder of photos per identity")
    else:
        base = Path(root) if root else path.parent
        try:
            with open(path, newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise InputError(f"{path}: not a readable CSV ({exc})") from None
        if not rows or not {"person_id", "image"} <= set(rows[0]):
            raise InputError(f"{path}: a faces CSV needs columns person_id and image")
        for i, r in enumerate(rows, start=2):
            person = (r.get("person_id") or "").strip()
            if not person:
                raise InputError(f"{path}: line {i}: person_id is empty")
            photos.setdefault(person, []).append(base / r["image"].strip())
            inline.setdefault(person, {}).update(
                {c: (r.get(c) or "").strip() for c in BUILTIN_DEMOGRAPHICS if c in r})
        photos = {k: sorted(v) for k, v in photos.items()}
    lic = path.with_suffix(".LICENSE") if path.is_file() else None
    src = FaceSource(root=path, photos=photos, labels=inline, label_source=str(path) if inline else None,
                     license=lic if lic is not None and lic.is_file() else None)
    if labels:
        src.labels = _read_labels(Path(labels))
        src.label_source = str(labels)
    ids: dict[str, str] = {}
    for person in src.photos:
        sid = safe_id(person)
        if sid in ids:
            raise InputError(f"{path}: identities {ids[sid]!r} and {person!r} both map to id {sid!r}",
                             hint="rename one of the identity folders")
        ids[sid] = person
    return src


def _read_labels(path: Path) -> dict[str, dict[str, str]]:
    """Per-identity labels: a TSV or CSV whose first column is the identity, with e.g. a ``gender`` column."""
    if not path.is_file():
        raise InputError(f"{path}: no such labels file")
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if not text:
        raise InputError(f"{path}: the labels file is empty")
    delim = "\t" if "\t" in text[0] else ","
    reader = csv.DictReader(text, delimiter=delim)
    first = reader.fieldnames[0] if reader.fieldnames else None
    cols = [c for c in (reader.fieldnames or []) if c in BUILTIN_DEMOGRAPHICS]
    if not cols:
        raise InputError(f"{path}: no demographic column", hint=f"expected one of {', '.join(BUILTIN_DEMOGRAPHICS)}")
    return {r[first]: {c: (r.get(c) or "").strip() for c in cols} for r in reader}


# -- photos -----------------------------------------------------------------------------

@dataclass(frozen=True)
class FacePhoto:
    """A photo and the box of the face in it (dlib HOG, pixel coordinates)."""

    path: Path
    image: np.ndarray          # RGB uint8
    box: tuple[int, int, int, int]


def read_rgb(path: Path) -> np.ndarray:
    """An RGB uint8 array, or a one-line InputError naming the file."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise InputError(f"{path}: cannot read image ({type(exc).__name__})",
                         hint="replace or remove the file from the faces folder") from None


@lru_cache(maxsize=1)
def _detector():
    from fr_eval.replay.matchers.dlib_matcher import DlibMatcher

    return DlibMatcher(upsample="auto")


@lru_cache(maxsize=4096)
def locate_face(path: Path) -> FacePhoto | None:
    """The photo with its main face (largest, nearest the centre), or None when no face is found."""
    image = read_rgb(path)
    dets = _detector().detect(image)
    if not dets:
        return None
    h, w = image.shape[:2]

    def weight(d):
        cx, cy = (d.x0 + d.x1) / 2 / w - 0.5, (d.y0 + d.y1) / 2 / h - 0.5
        return (d.x1 - d.x0) * (d.y1 - d.y0) * (1.0 - min(0.9, 2 * (cx * cx + cy * cy) ** 0.5))

    best = max(dets, key=weight)
    return FacePhoto(path=path, image=image, box=best.box)


def enrolment_crop(photo: FacePhoto, max_side: int = 320) -> np.ndarray:
    """A custody-style head-and-shoulders crop around the face (one face only, as enrolment requires)."""
    x0, y0, x1, y1 = photo.box
    w, h = x1 - x0, y1 - y0
    h_img, w_img = photo.image.shape[:2]
    cx0, cy0 = max(0, int(x0 - 0.6 * w)), max(0, int(y0 - 0.8 * h))
    cx1, cy1 = min(w_img, int(x1 + 0.6 * w)), min(h_img, int(y1 + 0.6 * h))
    crop = photo.image[cy0:cy1, cx0:cx1]
    scale = max_side / max(crop.shape[:2])
    if scale < 1:
        import cv2

        crop = cv2.resize(crop, (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))),
                          interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(crop)


def enrolment_jpeg(photo: FacePhoto) -> bytes:
    """The enrolment crop as the JPEG written into the bundle's watchlist."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(enrolment_crop(photo)).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def enrolable(photo: FacePhoto) -> bool:
    """Exactly one face in the enrolment JPEG, as `fr-eval replay`'s enrolment will decode and detect it."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(enrolment_jpeg(photo))) as im:
        return len(_detector().detect(np.asarray(im.convert("RGB")))) == 1
