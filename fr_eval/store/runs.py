"""The run folder: where a replay records everything, and how it is read back.

Layout (see docs/formats.md)::

    RUN/manifest.json
    RUN/enrolment.parquet
    RUN/{detections,tracks,candidates,alerts}/part-*.parquet

Tables are folders of Parquet parts read as one pyarrow dataset, so a reader
never needs the whole run in memory (``read_table(..., columns=, filter=)``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

from fr_eval.store.atomic import write_json, write_parquet
from fr_eval.errors import InputError

TABLES = ("detections", "tracks", "candidates", "alerts")
MANIFEST = "manifest.json"


def open_run(path: str | Path, *, require_complete: bool = True) -> Path:
    """Check that ``path`` is a run folder and return it as a Path."""
    run = Path(path)
    if not (run / MANIFEST).is_file():
        raise InputError(f"{run}: not a replay run (no {MANIFEST})",
                         hint="give the --out folder of `fr-eval replay`")
    if require_complete and not read_manifest(run).get("complete"):
        raise InputError(f"{run}: the replay did not finish",
                         hint="finish it with `fr-eval replay BUNDLE --out RUN --resume`")
    return run


def read_manifest(run: str | Path) -> dict[str, Any]:
    path = Path(run) / MANIFEST
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: missing", hint="is this a replay run folder?") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None


def write_manifest(run: str | Path, manifest: dict[str, Any]) -> None:
    write_json(Path(run) / MANIFEST, manifest)


def table_dataset(run: str | Path, name: str) -> ds.Dataset | None:
    """The pyarrow dataset of one table, or None when the run has no part of it."""
    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}")
    folder = Path(run) / name
    parts = sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []
    if not parts:
        return None
    return ds.dataset([str(p) for p in parts], format="parquet")


def read_table(run: str | Path, name: str, columns: list[str] | None = None, filter=None) -> pd.DataFrame:
    """Read a table of a run as a DataFrame (empty, with the schema's columns, when it has no rows)."""
    dataset = table_dataset(run, name)
    if dataset is None:
        from fr_eval.store.tables import SCHEMAS
        schema = SCHEMAS[name]
        table = schema.empty_table()
        if columns:
            table = table.select(columns)
        return table.to_pandas()
    return dataset.to_table(columns=columns, filter=filter).to_pandas()


def write_part(run: str | Path, name: str, part: str, table: pa.Table | pd.DataFrame) -> Path:
    """Write one part of a table atomically."""
    from fr_eval.store.tables import conform

    return write_parquet(Path(run) / name / f"part-{part}.parquet", conform(name, table))


def read_enrolment(run: str | Path) -> pd.DataFrame:
    return pd.read_parquet(Path(run) / "enrolment.parquet")
