"""Model weights: pinned, located, verified -- never used unverified.

Every weight file fr-eval can use is pinned here by name, size, SHA-256, licence and source.  A file is looked
for, in order:

1. the path given with the component's ``weights=PATH`` option;
2. the folder named by ``FR_EVAL_WEIGHTS`` (a local copy for a site without internet);
3. the copy shipped inside fr-eval (``fr_eval/replay/matchers/weights/``: YuNet, 232,589 bytes, MIT);
4. fr-eval's cache (``FR_EVAL_CACHE``, default ``~/.cache/fr-eval``) ``/weights/``;
5. downloaded on first use from the pinned URL into that cache with ``pooch``, which checks the SHA-256
   before the file is kept -- unless ``FR_EVAL_OFFLINE=1`` (set by ``make test`` and ``make demo``).

Whatever the source, the file's SHA-256 is checked against the pin before it is loaded, and a file that does
not match is refused with a one-line error naming it.  The hash goes into the manifest and the signature
(:meth:`fr_eval.replay.matchers.plugins.Component.model_files`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fr_eval.errors import InputError, RunFailed
from fr_eval.store.hashing import sha256_file

SHIPPED = Path(__file__).with_name("weights")


@dataclass(frozen=True)
class Pinned:
    filename: str
    sha256: str
    size: int
    url: str
    licence: str
    source: str


PINNED: dict[str, Pinned] = {
    "yunet": Pinned(
        "face_detection_yunet_2023mar.onnx",
        "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4", 232_589,
        "https://github.com/opencv/opencv_zoo/raw/main/models/face_detection_yunet/face_detection_yunet_2023mar.onnx",
        "MIT (Shiqi Yu; fr_eval/replay/matchers/weights/LICENSE-yunet)",
        "OpenCV Zoo, models/face_detection_yunet"),
    "sface": Pinned(
        "face_recognition_sface_2021dec.onnx",
        "0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79", 38_696_353,
        "https://github.com/opencv/opencv_zoo/raw/main/models/face_recognition_sface/face_recognition_sface_2021dec.onnx",
        "Apache-2.0", "OpenCV Zoo, models/face_recognition_sface"),
}


def cache_dir() -> Path:
    return Path(os.environ.get("FR_EVAL_CACHE") or Path.home() / ".cache" / "fr-eval")


def offline() -> bool:
    return os.environ.get("FR_EVAL_OFFLINE", "").strip().lower() in ("1", "true", "yes")


def check(path: Path, pin: Pinned) -> Path:
    """``path`` if it is the pinned file; a one-line refusal otherwise."""
    if not path.is_file():
        raise InputError(f"{path}: no such weights file", hint=f"it should be {pin.filename} ({pin.size:,} bytes)")
    digest = sha256_file(path)
    if digest != pin.sha256:
        raise InputError(f"{path}: SHA-256 {digest[:12]}… is not the pinned {pin.sha256[:12]}… of {pin.filename}",
                         hint=f"use the original file from {pin.source} ({pin.size:,} bytes)")
    return path


def locate(key: str, explicit: str | Path | None = None) -> Path:
    """The verified path of the pinned weights ``key`` (see the module's search order)."""
    pin = PINNED[key]
    if explicit:
        return check(Path(explicit).expanduser(), pin)
    local = os.environ.get("FR_EVAL_WEIGHTS")
    if local and (Path(local) / pin.filename).is_file():
        return check(Path(local) / pin.filename, pin)
    for folder in (SHIPPED, cache_dir() / "weights"):
        if (folder / pin.filename).is_file():
            return check(folder / pin.filename, pin)
    if offline():
        raise RunFailed(f"{pin.filename} is not here and FR_EVAL_OFFLINE is set",
                        hint=f"put a copy in the folder named by FR_EVAL_WEIGHTS (SHA-256 {pin.sha256[:12]}…), "
                             f"or pass weights=PATH")
    return _download(pin)


def _download(pin: Pinned) -> Path:
    try:
        import pooch
    except ImportError:  # pragma: no cover - pooch is a dependency
        raise RunFailed("downloading weights needs the pooch package", hint="pip install pooch") from None
    folder = cache_dir() / "weights"
    try:
        got = pooch.retrieve(pin.url, known_hash=f"sha256:{pin.sha256}", fname=pin.filename, path=folder,
                             progressbar=False)
    except ValueError as exc:   # pooch: the downloaded file's hash is not the pinned one (it deletes it)
        raise RunFailed(f"{pin.url}: downloaded file is not the pinned {pin.filename} ({exc})") from None
    except Exception:
        raise RunFailed(f"cannot download {pin.filename} from {pin.url} (no connection, or refused)",
                        hint=f"copy the file (SHA-256 {pin.sha256[:12]}…) into a folder and set FR_EVAL_WEIGHTS "
                             f"to it") from None
    return check(Path(got), pin)
