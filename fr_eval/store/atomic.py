"""Write files so that a failure never leaves a half-written result.

Everything fr-eval writes (Parquet parts, manifests, reports, bundles) goes through these helpers: write to
a temporary file in the same directory, flush and fsync it, then ``os.replace`` it over the target.  A
reader sees either the old complete file or the new complete file, never a torn one.

A process killed while writing (``kill -9``) cannot remove its temporary file.  Temporary files are named
``.TARGET.fr-eval-PID-RANDOM.tmp``, so the next write to the same target recognises them as fr-eval's own
(the name) and as abandoned (their process is gone), and removes them; nothing else is ever removed.
Files are created private to the user (mode 0600), like everything else in a run folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fr_eval.errors import InputError


def _temp_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"^\.{re.escape(name)}\.fr-eval-(\d+)-[A-Za-z0-9_]+\.tmp$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_abandoned_temps(target: Path) -> list[Path]:
    """Remove temporary files beside ``target`` that a dead fr-eval process left; return what was removed."""
    pattern = _temp_pattern(target.name)
    removed: list[Path] = []
    try:
        siblings = list(target.parent.iterdir())
    except OSError:
        return removed
    for p in siblings:
        m = pattern.match(p.name)
        if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))) and p.is_file() \
                and not p.is_symlink():
            with contextlib.suppress(OSError):
                p.unlink()
                removed.append(p)
    return removed


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success.

    On any exception the temporary file is removed and ``target`` is untouched.  A target in a place that
    cannot be written (a missing permission, a read-only or virtual file system) is one line naming it.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_abandoned_temps(target)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.fr-eval-{os.getpid()}-", suffix=".tmp",
                                   dir=target.parent)
    except OSError as exc:
        raise InputError(f"{target}: cannot be written there ({exc.strerror or exc})",
                         hint="choose a path in a folder you can write to") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp_path, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
            raise InputError(f"{target}: cannot be written ({exc.strerror or exc})",
                             hint="check the path, the free space and the permissions") from None
        raise


def write_bytes(target: str | os.PathLike, data: bytes) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text(target: str | os.PathLike, text: str) -> Path:
    return write_bytes(target, text.encode("utf-8"))


def write_json(target: str | os.PathLike, obj: Any) -> Path:
    return write_text(target, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def write_parquet(target: str | os.PathLike, table) -> Path:
    """Write a pyarrow Table (or pandas DataFrame) atomically as Parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not isinstance(table, pa.Table):
        table = pa.Table.from_pandas(table, preserve_index=False)
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return Path(target)


def _json_default(obj: Any):
    import numpy as np

    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"cannot serialise {type(obj).__name__} to JSON")
