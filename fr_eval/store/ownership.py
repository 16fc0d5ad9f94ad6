"""What fr-eval may delete: only folders it made, and only whole.

``--overwrite`` (replay, synth) and the clean-up of work folders go through
:func:`remove_own_folder`.  A folder is fr-eval's own when

* it is a real folder (not a symbolic link) holding no symbolic link;
* it carries the marker of its kind: a run's ``manifest.json`` with
  ``"schema": "fr-eval/run/1"``, a synthetic bundle's ``recipe.yaml`` with
  ``schema: fr-eval/synth-recipe/1``;
* every file and folder in it is one fr-eval writes for that kind
  (:data:`RUN_LAYOUT`, :data:`SYNTH_LAYOUT`): a single file of anyone else's,
  a thesis beside the tables, makes the folder not fr-eval's to delete;
* it is not, and does not contain, a folder the caller protects (the input
  bundle of a replay).

Deletion renames the folder to a unique hidden name beside it first, checks
it again there, then removes it: nothing else can be deleted by a name clash
(the pattern of pytest's ``garbage-<uuid>`` folders and cookiecutter's
"delete only what it created").
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml

from fr_eval.errors import InputError

RUN_SCHEMAS = ("fr-eval/run/1", "fr-eval/run/2")
SYNTH_SCHEMA = "fr-eval/synth-recipe/1"

#: paths (relative, POSIX, glob patterns) an fr-eval run folder may hold
RUN_LAYOUT = (
    "manifest.json", "enrolment.parquet", ".lock",
    "bundle", "bundle/*.yaml", "bundle/*.yml", "bundle/*.csv", "bundle/**/*.csv",
    "detections", "tracks", "candidates", "alerts", "coverage",
    "detections/part-*.parquet", "tracks/part-*.parquet", "candidates/part-*.parquet",
    "alerts/part-*.parquet", "coverage/part-*.parquet",
    "chunks", "chunks/*",
    # temporary files of fr_eval.store.atomic, left by a killed process
    ".*.tmp", "*/.*.tmp", "*/*/.*.tmp",
)
#: paths an fr-eval synthetic bundle may hold (watchlist images are the ones its watchlist.csv names)
SYNTH_LAYOUT = (
    "deployment.yaml", "recipe.yaml", "README.md", "LICENSE", "watchlist.csv", "truth.csv", "truth_boxes.csv",
    "footage", "footage/scene.mp4", "watchlist", ".*.tmp", "*/.*.tmp",
)
KINDS = {"run": "a replay run", "synthetic": "a synthetic bundle"}


def kind_of(folder: Path) -> str | None:
    """``run`` or ``synthetic`` when ``folder`` carries that kind's marker, else None."""
    manifest = folder / "manifest.json"
    if manifest.is_file() and not manifest.is_symlink():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = None
        if isinstance(data, dict) and data.get("schema") in RUN_SCHEMAS:
            return "run"
    recipe = folder / "recipe.yaml"
    if recipe.is_file() and not recipe.is_symlink():
        try:
            data = yaml.safe_load(recipe.read_text(encoding="utf-8")[:1_000_000])
        except (OSError, ValueError, yaml.YAMLError):
            data = None
        if isinstance(data, dict) and data.get("schema") == SYNTH_SCHEMA:
            return "synthetic"
    return None


def foreign_entries(folder: Path, kind: str) -> list[str]:
    """Entries of ``folder`` that fr-eval does not write for ``kind`` (relative paths, sorted).

    A complete, sealed run names its own files: anything it does not list is foreign, even a file whose name
    looks like a part.  An unfinished run and a synthetic bundle are checked against their layout.
    """
    if kind == "run":
        sealed = _sealed_parts(folder)
        if sealed is not None:
            out = []
            for path in sorted(folder.rglob("*")):
                rel = path.relative_to(folder).as_posix()
                if path.is_symlink():
                    out.append(rel + " (a symbolic link)")
                elif path.is_file() and rel not in sealed and rel not in ("manifest.json", ".lock"):
                    out.append(rel)
            return out
    layout = RUN_LAYOUT if kind == "run" else SYNTH_LAYOUT
    allowed_extra: set[str] = set()
    if kind == "synthetic":
        allowed_extra = {f"watchlist/{name}" for name in _synth_watchlist_images(folder)}
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out.append(rel + " (a symbolic link)")
            continue
        if rel in allowed_extra or any(fnmatch.fnmatchcase(rel, pat) for pat in layout):
            continue
        out.append(rel)
    return out


def _sealed_parts(folder: Path) -> set[str] | None:
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and data.get("complete") and isinstance(data.get("parts"), dict):
        return set(data["parts"])
    return None


def _synth_watchlist_images(folder: Path) -> Iterable[str]:
    csv = folder / "watchlist.csv"
    if not csv.is_file():
        return []
    import csv as _csv

    with open(csv, newline="", encoding="utf-8") as fh:
        rows = list(_csv.DictReader(fh))
    return [Path(r.get("image") or "").name for r in rows if (r.get("image") or "").startswith("watchlist/")]


def check_replaceable(folder: Path, kind: str, *, protect: Sequence[Path] = (), allow_incomplete: bool = True,
                      what: str = "--overwrite") -> None:
    """Refuse (:class:`InputError`) unless ``folder`` is fr-eval's own ``kind`` folder and protects nothing.

    ``allow_incomplete``: a run folder without ``"complete": true`` (an interrupted replay's work folder) counts.
    """
    folder = Path(folder)
    if folder.is_symlink():
        raise InputError(f"{folder}: is a symbolic link; {what} does not follow links",
                         hint="give the real folder, or another --out")
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder", hint="give another --out")
    real = folder.resolve()
    for p in protect:
        pr = Path(p).resolve()
        if real == pr or _inside(pr, real):
            raise InputError(f"{folder}: holds the input bundle {p}; {what} would delete it",
                             hint="write the run to a folder outside the bundle, e.g. --out runs/NAME")
    found = kind_of(folder)
    if found is None:
        entries = sorted(q.name for q in folder.iterdir())
        if not entries:
            return  # an empty folder: nothing to lose
        sample = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
        raise InputError(f"{folder}: is not {KINDS[kind]} made by fr-eval (it holds {sample}); "
                         f"{what} replaces only folders fr-eval made", hint="choose an empty or new folder")
    if found != kind:
        raise InputError(f"{folder}: is {KINDS[found]}, not {KINDS[kind]}; {what} will not replace it",
                         hint="choose another folder")
    foreign = foreign_entries(folder, kind)
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise InputError(f"{folder}: holds {foreign[0]}{more}, which fr-eval did not write; {what} will not "
                         "delete it", hint="move your own files out of the folder first, or choose another folder")


def _inside(child: Path, parent: Path) -> bool:
    try:
        child.relative_to(parent)
        return True
    except ValueError:
        return False


def remove_own_folder(folder: Path, kind: str, *, protect: Sequence[Path] = ()) -> None:
    """Delete ``folder`` after :func:`check_replaceable`; it is first renamed aside and checked again there."""
    folder = Path(folder)
    check_replaceable(folder, kind, protect=protect)
    trash = folder.with_name(f".{folder.name}.fr-eval-trash-{uuid.uuid4().hex[:12]}")
    os.rename(folder, trash)
    try:
        check_replaceable(trash, kind, protect=protect)
    except InputError:
        os.rename(trash, folder)   # something appeared meanwhile: put it back untouched
        raise
    shutil.rmtree(trash)


def replace_folder(work: Path, out: Path, kind: str, *, protect: Sequence[Path] = ()) -> None:
    """Put the finished ``work`` folder at ``out``; an existing ``out`` must be fr-eval's own ``kind``.

    The old folder stays at ``out`` until the new one is complete; it is then renamed aside, checked again
    there (if anything foreign appeared meanwhile it is put back and the swap refused), replaced by ``work``
    and deleted.
    """
    if not out.exists() and not out.is_symlink():
        os.rename(work, out)
        return
    check_replaceable(out, kind, protect=protect)
    trash = out.with_name(f".{out.name}.fr-eval-trash-{uuid.uuid4().hex[:12]}")
    os.rename(out, trash)
    try:
        check_replaceable(trash, kind, protect=protect)
    except InputError:
        os.rename(trash, out)
        raise
    os.rename(work, out)
    shutil.rmtree(trash)
