"""Making a run folder safely: the lock, the work folder, the manifest, the bundle copy, the seal, the swap.

* **Lock.**  A replay holds an exclusive ``flock`` on ``.OUT.fr-eval.lock`` beside ``--out`` for its whole
  life; a second replay into the same folder refuses with one line.  The kernel drops the lock when the
  process dies, however it dies, so a killed replay never leaves a stale lock.
* **Work folder.**  The run is built in ``OUT.partial/`` and renamed to ``OUT`` only when complete and sealed;
  ``--overwrite`` replaces only a folder fr-eval made (:mod:`fr_eval.store.ownership`).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import platform
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fr_eval import __version__
from fr_eval.errors import InputError
from fr_eval.inputs.bundle import Bundle
from fr_eval.store.atomic import write_bytes
from fr_eval.store.hashing import sha256_file
from fr_eval.store.runs import MANIFEST, SCHEMA


class OutLock:
    """An exclusive lock on the output folder's name, held while a replay writes it."""

    def __init__(self, out: Path):
        self.path = out.with_name(f".{out.name}.fr-eval.lock")
        self.fd: int | None = None

    def __enter__(self) -> OutLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise InputError(f"{self.path.parent}: cannot write the run there ({exc.strerror or exc})",
                             hint="choose an --out folder you can write to") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            finally:
                os.close(fd)
            raise InputError(f"{self.path.with_name(self.path.name[1:-len('.fr-eval.lock')])}: another replay is "
                             f"writing this folder ({holder})",
                             hint="wait for it to finish, or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {platform.node()}".encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            try:
                os.unlink(self.path)          # ours: we hold the lock
            except FileNotFoundError:
                pass
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def prepare_folders(out: Path, work: Path, *, overwrite: bool, resume: bool, bundle_root: Path) -> None:
    """Refuse what would lose data; clear an interrupted replay's work folder only when it is fr-eval's own."""
    from fr_eval.store.ownership import check_replaceable, kind_of, remove_own_folder

    protect = [bundle_root]
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder", hint="choose another --out")
    if out.is_dir() and any(out.iterdir()):
        if overwrite:
            check_replaceable(out, "run", protect=protect)
        elif (out / MANIFEST).is_file():
            raise InputError(f"{out}: already holds a replay run", hint="use --overwrite to replace it")
        else:
            raise InputError(f"{out}: folder is not empty and is not a run", hint="choose an empty or new --out folder")
    if work.exists() or work.is_symlink():
        if resume:
            if kind_of(work) != "run" or work.is_symlink():
                raise InputError(f"{work}: is not an interrupted replay of fr-eval's",
                                 hint="move it away, or choose another --out")
        elif overwrite:
            remove_own_folder(work, "run", protect=protect)
        else:
            raise InputError(f"{work}: an interrupted replay is there",
                             hint="finish it with --resume, or start again with --overwrite")
    elif resume and (out / MANIFEST).is_file():
        raise InputError(f"{out}: the replay already finished; nothing to resume")


def swap_into_place(work: Path, out: Path, bundle_root: Path) -> None:
    from fr_eval.store.ownership import replace_folder

    replace_folder(work, out, "run", protect=[bundle_root])


def copy_metadata(bundle: Bundle, dest: Path) -> None:
    """Keep deployment.yaml and the CSVs with the run (small; no images or footage); private, like the rest."""
    for rel, src in bundle.metadata_files().items():
        write_bytes(dest / rel, Path(src).read_bytes())


def hash_inputs(bundle: Bundle, include_media: bool = True, extra: dict[str, Path] | None = None) -> dict[str, Any]:
    """SHA-256 of every input file, keyed by its path in the bundle."""
    from fr_eval.replay.footage import footage_digest

    files = {rel: sha256_file(p) for rel, p in bundle.metadata_files().items()}
    if include_media:
        for _, sub in bundle.watchlist.iterrows():
            files[sub["image"]] = sha256_file(bundle.image_path(sub["subject_id"]))
        for f in bundle.footage:
            files[f.rel] = footage_digest(f.path)
    for name, path in (extra or {}).items():
        files[name] = sha256_file(path)
    return {"bundle_id": bundle.id, "files": dict(sorted(files.items()))}


def new_manifest(bundle: Bundle, matcher, numbers: dict, inputs: dict, command: str | None) -> dict[str, Any]:
    info = matcher.info()
    adj = bundle.raw.get("adjudication")
    return {
        "schema": SCHEMA,
        "complete": False,
        "fr_eval_version": __version__,
        "created": now(),
        "command": command,
        "source_kind": "scores" if matcher.imports_scores else "footage",
        "bundle": {"id": bundle.id, "title": bundle.title, "place": bundle.place, "path": str(bundle.root.resolve()),
                   "lighting": bundle.lighting, "crowd": bundle.crowd, "start_time": bundle.start_time.isoformat(),
                   "operated_threshold": bundle.threshold, "operated_matcher": bundle.matcher},
        "matcher": asdict(info),
        "parameters": jsonable(numbers),
        "inputs": inputs,
        "adjudication": ({"kind": "file", "path": adj, "sha256": inputs["files"].get(adj)} if adj else
                         {"kind": "none"}),
        "retention": {"embeddings": "all tracks" if numbers["keep_embeddings"] else "alerted tracks only",
                      "policy": "embeddings of tracks that raised no alert are not written"
                      + ("" if not numbers["keep_embeddings"] else " (overridden by --keep-embeddings)")},
        "environment": {"python": sys.version.split()[0], "platform": platform.platform(),
                        "numpy": np.__version__, "pandas": pd.__version__},
        "footage": [],
    }


def jsonable(d):
    return json.loads(json.dumps(d, default=str))


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
