"""The run folder: where a replay records everything, sealed, and how it is read back.

Layout (docs/formats.md, "Run folder")::

    RUN/manifest.json                     versions, parameters, inputs, coverage, the sealed list of parts
    RUN/enrolment.parquet
    RUN/{detections,tracks,candidates,alerts}/part-*.parquet
    RUN/bundle/                           a copy of the bundle's metadata files (deployment.yaml, CSVs)

**Sealed.**  When a run is complete its manifest lists every file of the folder (``parts``: path, bytes,
rows for tables, SHA-256).  Every reader checks them (:func:`open_run`: no part missing, none extra, every
size as recorded; :func:`read_table`: every byte read is hashed and compared before it is parsed) and
refuses a run that does not match, with one line naming the part: a damaged run is refused, never scored.
``fr-eval verify RUN`` (:func:`verify_run`) checks every part on demand.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fr_eval.errors import InputError
from fr_eval.store.atomic import write_json, write_parquet
from fr_eval.store.hashing import sha256_file

TABLES = ("detections", "tracks", "candidates", "alerts")
MANIFEST = "manifest.json"
SCHEMA = "fr-eval/run/2"
OLD_SCHEMAS = ("fr-eval/run/1",)
#: files of a run folder that are not sealed parts
UNSEALED = (MANIFEST, ".lock")


# -- reading -------------------------------------------------------------------------------------

def read_manifest(run: str | Path) -> dict[str, Any]:
    """The manifest as a dict, checked for the shape readers rely on (like a bundle's deployment.yaml)."""
    path = Path(run) / MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{Path(run)}: not a replay run (no {MANIFEST})",
                         hint="give the --out folder of `fr-eval replay`") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        m = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        msg = getattr(exc, "msg", "not UTF-8")
        raise InputError(f"{path}: not valid JSON ({msg})", hint="the run is damaged; replay it again") from None
    check_manifest(m, str(path))
    return m


#: the shape readers rely on: key -> (expected type(s), required, nested shape); the manifest is the one file of a
#: run that is not sealed, so it is checked like a bundle's deployment.yaml
_NUM = (int, float)
_OPT_NUM = (int, float, type(None))
_OPT_STR = (str, type(None))
MANIFEST_SHAPE: dict[str, tuple[Any, bool, Any]] = {
    "schema": (str, True, None),
    "complete": (bool, True, None),
    "fr_eval_version": (str, False, None),
    "created": (str, False, None),
    "command": (_OPT_STR, False, None),
    "source_kind": (str, False, None),
    "signature": (str, False, None),
    "bundle": (dict, True, {"id": (str, True, None), "path": (str, True, None), "title": (_OPT_STR, False, None),
                            "place": (_OPT_STR, False, None), "start_time": (_OPT_STR, False, None)}),
    "matcher": (dict, True, {"name": (str, True, None), "version": (str, True, None),
                             "package": (str, False, None), "description": (str, False, None),
                             "model_files": (dict, False, "str->str"), "parameters": (dict, False, None),
                             "similarity_range": (list, False, "2 numbers"),
                             "default_threshold": (_NUM, False, None)}),
    "parameters": (dict, True, {"threshold": (_NUM, True, None), "fps": (_OPT_NUM, False, None),
                                "top_k": (int, False, None), "matcher": (str, False, None),
                                "tracker": (dict, False, None), "matcher_options": (dict, False, None),
                                "keep_embeddings": (bool, False, None)}),
    "inputs": (dict, True, {"files": (dict, True, "str->str"), "bundle_id": (str, False, None)}),
    "adjudication": (dict, False, {"kind": (str, True, None), "sha256": (_OPT_STR, False, None),
                                   "seed": ((int, type(None)), False, None)}),
    "footage": (list, True, {"path": (str, True, None), "camera": (str, True, None),
                             "duration_s": (_OPT_NUM, False, None), "start_time": (_OPT_STR, False, None),
                             "fps": (_OPT_NUM, False, None)}),
    "coverage": (list, False, {"footage": (str, True, None), "camera": (str, True, None),
                               "duration_s": (_NUM, True, None), "decoded_s": (_NUM, True, None),
                               "intervals": (list, True, "pairs"), "gaps": (list, True, "pairs")}),
    "parts": (dict, False, None),
    "decode_problems": (list, False, None),
    "summary": (dict, False, None),
}


def _check_shape(value: Any, shape: dict, where: str) -> None:
    for key, (kind, required, inner) in shape.items():
        if key not in value:
            if required:
                raise InputError(f"{where}: key {key!r} is missing", hint="the run is damaged; replay it again")
            continue
        v = value[key]
        if not isinstance(v, kind) or (isinstance(v, bool) and kind in (_NUM, _OPT_NUM, int)):
            name = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise InputError(f"{where}: key {key!r} must be a {name}, got {v!r:.60}",
                             hint="the run is damaged; replay it again")
        if isinstance(v, float) and not math.isfinite(v):
            raise InputError(f"{where}: key {key!r} must be a finite number, got {v!r}")
        if isinstance(inner, dict):
            items = v if isinstance(v, list) else [v]
            for i, item in enumerate(items):
                w = f"{where}: {key}[{i}]" if isinstance(v, list) else f"{where}: {key}"
                if not isinstance(item, dict):
                    raise InputError(f"{w} must be a mapping, got {item!r:.60}")
                _check_shape(item, inner, w)
        elif inner == "str->str" and not all(isinstance(a, str) and isinstance(b, str) for a, b in v.items()):
            raise InputError(f"{where}: key {key!r} must map names to SHA-256 texts")
        elif inner == "2 numbers" and not (len(v) == 2 and all(isinstance(x, _NUM) and not isinstance(x, bool)
                                                                and math.isfinite(x) for x in v)):
            raise InputError(f"{where}: key {key!r} must be two numbers")
        elif inner == "pairs" and not all(isinstance(p, list) and len(p) == 2 and all(
                isinstance(x, _NUM) and not isinstance(x, bool) and math.isfinite(x) for x in p) for p in v):
            raise InputError(f"{where}: key {key!r} must be a list of [start, end] seconds")


def check_manifest(m: Any, where: str) -> None:
    """Refuse a manifest whose shape is not a run's (a list, a missing key, a value of the wrong type)."""
    if not isinstance(m, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(m).__name__}",
                         hint="the run is damaged; replay it again")
    schema = m.get("schema")
    if schema in OLD_SCHEMAS:
        raise InputError(f"{where}: written by fr-eval {m.get('fr_eval_version', '0.1')} ({schema}), which did not "
                         "seal its parts", hint="replay the bundle again with this version")
    if schema != SCHEMA:
        raise InputError(f"{where}: schema {schema!r} is not {SCHEMA!r}", hint="is this an fr-eval run folder?")
    _check_shape(m, MANIFEST_SHAPE, where)
    parts = m.get("parts")
    if m["complete"] and not isinstance(parts, dict):
        raise InputError(f"{where}: a complete run must list its parts", hint="the run is damaged; replay it again")
    for name, rec in (parts or {}).items():
        ok = isinstance(rec, dict) and isinstance(rec.get("sha256"), str) and isinstance(rec.get("bytes"), int) \
            and not isinstance(rec.get("bytes"), bool) and isinstance(rec.get("rows", 0), int)
        if not ok:
            raise InputError(f"{where}: parts[{name!r}] must hold sha256, bytes and rows")
        if not name or Path(name).is_absolute() or ".." in Path(name).parts:
            raise InputError(f"{where}: part {name!r} is not a path inside the run")


def open_run(path: str | Path, *, require_complete: bool = True) -> dict[str, Any]:
    """Check that ``path`` is a complete, sealed run whose files are exactly its parts; return the manifest.

    Checks names and sizes of every part (cheap); :func:`read_table` and :func:`read_bundle_file` check
    each part's SHA-256 as they read it.
    """
    run = Path(path)
    if not run.exists():
        raise InputError(f"{run}: no such run folder", hint="give the --out folder of `fr-eval replay`")
    if not run.is_dir():
        raise InputError(f"{run}: not a folder", hint="give the --out folder of `fr-eval replay`")
    m = read_manifest(run)
    if require_complete and not m.get("complete"):
        raise InputError(f"{run}: the replay did not finish",
                         hint="finish it with `fr-eval replay BUNDLE --out RUN --resume`")
    if m.get("complete"):
        problems = seal_problems(run, m["parts"], hash_parts=False)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise InputError(f"{run}: {problems[0]}{more}",
                             hint="the run was changed after it was written; run `fr-eval verify` for the list, and "
                                  "replay it again")
    m["_path"] = str(run)
    return m


def files_of(run: Path) -> list[str]:
    """Every file below ``run`` (relative POSIX paths) except the unsealed ones."""
    out = []
    for p in sorted(run.rglob("*")):
        rel = p.relative_to(run).as_posix()
        if p.is_dir() and not p.is_symlink():
            continue
        if rel in UNSEALED:
            continue
        out.append(rel)
    return out


def seal_problems(run: Path, parts: dict[str, dict], *, hash_parts: bool) -> list[str]:
    """What differs between the folder and its sealed parts: missing, extra, links, size, (hash)."""
    problems = []
    present = set(files_of(run))
    for name in sorted(parts):
        if name not in present:
            problems.append(f"part {name} is missing")
    for name in sorted(present - set(parts)):
        problems.append(f"{name} is not a part of this run (extra file)")
    for name in sorted(present & set(parts)):
        p = run / name
        if p.is_symlink() or not p.is_file():
            problems.append(f"part {name} is not a regular file")
            continue
        rec = parts[name]
        size = p.stat().st_size
        if size != rec["bytes"]:
            problems.append(f"part {name} has {size:,} bytes, the manifest says {rec['bytes']:,}")
        elif hash_parts and sha256_file(p) != rec["sha256"]:
            problems.append(f"part {name} changed since the run was written (SHA-256 differs)")
    return problems


def _verified_bytes(run: Path, name: str, manifest: dict) -> bytes:
    rec = (manifest.get("parts") or {}).get(name)
    path = run / name
    if rec is None:
        raise InputError(f"{run}: {name} is not a part of this run")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{run}: part {name} cannot be read ({exc.strerror})") from None
    if hashlib.sha256(data).hexdigest() != rec["sha256"]:
        raise InputError(f"{run}: part {name} changed since the run was written (SHA-256 differs)",
                         hint="the run is damaged or was edited; replay it again")
    return data


def table_parts(manifest: dict, name: str) -> list[str]:
    """The sealed parts of table ``name``, in order."""
    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}")
    return sorted(p for p in (manifest.get("parts") or {}) if p.startswith(f"{name}/part-"))


def read_table(run: str | Path, name: str, columns: list[str] | None = None, *,
               manifest: dict | None = None) -> pd.DataFrame:
    """Read a table of a sealed run as a DataFrame (empty, with the schema's columns, when it has no rows).

    Every part is hashed as it is read and compared with the manifest before it is parsed.
    """
    from fr_eval.store.tables import SCHEMAS

    run = Path(run)
    manifest = manifest if manifest is not None else open_run(run)
    schema = SCHEMAS[name]
    frames = []
    for part in table_parts(manifest, name):
        data = _verified_bytes(run, part, manifest)
        try:
            table = pq.read_table(pa.BufferReader(data), columns=columns)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{run}: part {part} is not a readable Parquet file ({str(exc).splitlines()[0][:120]})",
                             hint="the run is damaged; replay it again") from None
        rows = manifest["parts"][part].get("rows")
        if rows is not None and table.num_rows != rows:
            raise InputError(f"{run}: part {part} has {table.num_rows} rows, the manifest says {rows}")
        frames.append(table)
    if not frames:
        empty = schema.empty_table()
        return (empty.select(columns) if columns else empty).to_pandas()
    try:
        table = pa.concat_tables(frames)
        if columns is None:
            table = table.cast(schema)
    except (pa.ArrowException, ValueError) as exc:
        raise InputError(f"{run}: table {name} does not have the columns of its schema ({exc})",
                         hint="the run is damaged; replay it again") from None
    return table.to_pandas()


def verify_parts(run: str | Path, manifest: dict, prefix: str) -> None:
    """Hash every part whose path starts with ``prefix`` (e.g. ``bundle/``) and refuse one that changed."""
    run = Path(run)
    for name in sorted(p for p in (manifest.get("parts") or {}) if p.startswith(prefix)):
        _verified_bytes(run, name, manifest)


def read_bundle_file(run: str | Path, rel: str, manifest: dict) -> bytes:
    """A file of the run's bundle copy (``bundle/...``), checked against the seal."""
    return _verified_bytes(Path(run), f"bundle/{rel}", manifest)


def read_enrolment(run: str | Path, manifest: dict | None = None) -> pd.DataFrame:
    run = Path(run)
    manifest = manifest if manifest is not None else open_run(run)
    data = _verified_bytes(run, "enrolment.parquet", manifest)
    return pq.read_table(pa.BufferReader(data)).to_pandas()


# -- writing -------------------------------------------------------------------------------------

def write_manifest(run: str | Path, manifest: dict[str, Any]) -> None:
    write_json(Path(run) / MANIFEST, {k: v for k, v in manifest.items() if not k.startswith("_")})


def write_part(run: str | Path, name: str, part: str, table: pa.Table | pd.DataFrame) -> Path:
    """Write one part of a table atomically (sealed later by :func:`seal`)."""
    from fr_eval.store.tables import conform

    return write_parquet(Path(run) / name / f"part-{part}.parquet", conform(name, table))


def seal(run: str | Path, manifest: dict[str, Any], *, skip: Iterable[str] = ()) -> dict[str, Any]:
    """List every file of ``run`` in ``manifest["parts"]`` (bytes, SHA-256, rows of tables); return it."""
    run = Path(run)
    parts: dict[str, dict] = {}
    for rel in files_of(run):
        if any(rel == s or rel.startswith(s.rstrip("/") + "/") for s in skip):
            continue
        p = run / rel
        rec: dict[str, Any] = {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
        if rel.endswith(".parquet"):
            rec["rows"] = pq.ParquetFile(p).metadata.num_rows
        parts[rel] = rec
    manifest["parts"] = parts
    return manifest


def verify_run(path: str | Path) -> list[str]:
    """Every problem of a run folder (empty: the run is whole): seal, hashes, readability, rows."""
    run = Path(path)
    m = read_manifest(run)
    if not m.get("complete"):
        return ["the replay did not finish (manifest complete: false)"]
    problems = seal_problems(run, m["parts"], hash_parts=True)
    if problems:
        return problems
    m["_path"] = str(run)
    for name in TABLES:
        try:
            read_table(run, name, manifest=m)
        except InputError as exc:
            problems.append(exc.message)
    return problems


def table_rows(run: str | Path, name: str, manifest: dict) -> int:
    """Rows of a table, from the sealed manifest (no part is read)."""
    return sum(int(manifest["parts"][p].get("rows") or 0) for p in table_parts(manifest, name))

