"""A force's deployment record: one validated :class:`~fr_eval.counting.funnel.Funnel` per deployment.

A record is either a CSV with one row per deployment (format in docs/formats.md, "Deployment record") or a
folder of counts files (``*.yaml``, one deployment each).  Every row goes through
:func:`fr_eval.counting.funnel.counts_from_dict`, so a row obeys exactly the rules a counts file obeys (whole
non-negative counts, stages that add up); this module adds only what a table of many deployments needs:
column names, dates, unique ids, and messages that name the file and the line an editor shows.

>>> rec = load_record("datasets/published/record/lfr-deployments.csv")     # doctest: +SKIP
>>> len(rec), rec.deployments[0].funnel.faces_processed                      # doctest: +SKIP
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import math
import re
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from fr_eval.counting.counts_file import counts_from_dict, load_counts
from fr_eval.counting.funnel import COUNT_KEYS, NUMBER_KEYS, Funnel
from fr_eval.errors import InputError

#: the record's own columns (besides the counts-file keys), with their meaning (docs/formats.md quotes these)
META_COLUMNS: dict[str, str] = {
    "deployment_id": "unique id of the deployment: letters, digits, '.', '_' and '-' (required)",
    "force": "the police force that deployed, as it names itself",
    "date": "day of the deployment, YYYY-MM-DD; empty when no day was published (then left out of date "
            "filters and time series)",
    "place": "where the cameras were",
    "threshold": "the operated alert threshold, in the matcher's similarity scale",
    "source": "where the figures were published (citation)",
    "source_url": "address of the source",
    "notes": "free text: anything the source says that the counts do not",
}
#: every column a record may have, in the order the published record uses
COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(
    ["deployment_id", "force", "date", "place", "threshold", *COUNT_KEYS, *NUMBER_KEYS, "source", "source_url",
     "notes"]))
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Deployment:
    """One deployment of a record: its counts (a validated Funnel) and what the record says about it."""

    id: str
    funnel: Funnel
    force: str = ""
    date: dt.date | None = None
    place: str = ""
    threshold: float | None = None
    source: str = ""
    source_url: str = ""
    notes: str = ""
    #: "FILE: line N" (CSV) or the counts file's path: where the row came from, for messages
    where: str = ""

    @property
    def year(self) -> str | None:
        return None if self.date is None else f"{self.date.year}"

    @property
    def month(self) -> str | None:
        return None if self.date is None else f"{self.date.year}-{self.date.month:02d}"

    @cached_property
    def summable(self) -> Funnel:
        """The funnel with every derivable count written in, for summing over deployments.

        A sum keeps only the counts known in every part (:meth:`Funnel.__add__`); deriving before summing equals
        deriving after, as every derivation is a sum or a difference.  The watchlist size is left out: it is a
        size, not a count of events (``Funnel.__add__`` keeps equal sizes but adds different ones, so a sum of
        sizes would depend on the order of summing).  The empty id keeps ``a+b+...`` ids short.
        """
        counts: dict[str, Any] = {k: self.funnel.get(k) for k in COUNT_KEYS}
        counts["watchlist_size"] = None
        return replace(self.funnel, id="", **counts)

    def meta(self) -> dict:
        """The record's columns other than the counts (for JSON)."""
        return {"id": self.id, "force": self.force, "date": None if self.date is None else self.date.isoformat(),
                "place": self.place, "threshold": self.threshold, "source": self.source,
                "source_url": self.source_url, "notes": self.notes, "where": self.where}


@dataclass(frozen=True)
class Record:
    """The deployments of a record, in file order, with the SHA-256 of what was read."""

    path: str
    deployments: tuple[Deployment, ...]
    sha256: str
    kind: str = "csv"          # "csv" or "counts-folder"

    def __len__(self) -> int:
        return len(self.deployments)

    def by_id(self) -> dict[str, Deployment]:
        return {d.id: d for d in self.deployments}


def load_record(path: str | Path) -> Record:
    """Read and validate a deployment record: a CSV file, or a folder of counts files (``*.yaml``).

    Raises
    ------
    InputError
        One line naming the file, the line (CSV, 1-based as an editor shows it) and the fix: unknown
        columns (with the nearest known name), counts that are not whole numbers, dates not in the form
        YYYY-MM-DD, a duplicate deployment_id, or stages that do not add up (the counts file's rules).
    """
    path = Path(path)
    if path.is_dir():
        return _load_folder(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file or folder",
                         hint="give a deployment record (CSV) or a folder of counts files (*.yaml)")
    return _load_csv(path)


def _load_csv(path: Path) -> Record:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", where=str(path),
                         hint="save the table as CSV in UTF-8") from None
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError("empty file", where=str(path), hint="the first line names the columns") from None
    except csv.Error as exc:
        raise InputError(f"line 1: not valid CSV: {exc}", where=str(path)) from None
    _check_header(header, path)
    deployments: list[Deployment] = []
    first_line: dict[str, int] = {}
    end = reader.line_num
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(f"line {start}: not valid CSV: {exc}", where=str(path),
                             hint="check the quotes on this line") from None
        end = reader.line_num
        if not any(c.strip() for c in row):
            continue                      # a blank line
        where = f"{path}: line {start}"
        if len(row) != len(header):
            raise InputError(f"{len(row)} fields, the header has {len(header)}", where=where,
                             hint="quote fields that contain commas")
        values = {h: c.strip() for h, c in zip(header, row, strict=True)}
        d = _deployment(values, where)
        if d.id in first_line:
            raise InputError(f"duplicate deployment_id {d.id!r} (first on line {first_line[d.id]})", where=where,
                             hint="every deployment needs its own id; add a suffix such as -2")
        first_line[d.id] = start
        deployments.append(d)
    if not deployments:
        raise InputError("no deployments: the file has a header but no rows", where=str(path))
    return Record(str(path), tuple(deployments), hashlib.sha256(data).hexdigest(), "csv")


def _check_header(header: list[str], path: Path) -> None:
    seen = set()
    for i, name in enumerate(header, start=1):
        if not name:
            raise InputError(f"line 1: column {i} has no name", where=str(path))
        if name in seen:
            raise InputError(f"line 1: column {name!r} appears twice", where=str(path))
        seen.add(name)
        if name not in COLUMNS:
            close = difflib.get_close_matches(name.lower(), COLUMNS, n=1, cutoff=0.75)
            hint = (f"did you mean {close[0]!r}?" if close
                    else "see 'Deployment record' in docs/formats.md for the columns")
            raise InputError(f"line 1: unknown column {name!r}", where=str(path), hint=hint)
    if "deployment_id" not in seen:
        raise InputError("line 1: no deployment_id column", where=str(path),
                         hint="every row needs a unique deployment_id")


def _deployment(values: dict[str, str], where: str) -> Deployment:
    did = values.get("deployment_id", "")
    if not did:
        raise InputError("deployment_id is empty", where=where, hint="every row needs a unique deployment_id")
    where = f"{where} ({did})"
    raw: dict = {"id": did}
    for key in list(COUNT_KEYS) + list(NUMBER_KEYS):
        if values.get(key):
            raw[key] = _number(values[key], key, where)
    date_text = values.get("date", "")
    day = _date(date_text, where) if date_text else None
    if date_text:
        raw["date"] = date_text
    for key in ("place", "notes"):
        if values.get(key):
            raw[key] = values[key]
    if values.get("source") or values.get("source_url"):
        raw["sources"] = [{"citation": values.get("source") or values["source_url"],
                           "url": values.get("source_url", "")}]
    funnel = counts_from_dict(raw, where=where)      # the counts file's rules: one owner
    return Deployment(did, funnel, force=values.get("force", ""), date=day, place=values.get("place", ""),
                      threshold=funnel.threshold, source=values.get("source", ""),
                      source_url=values.get("source_url", ""), notes=values.get("notes", ""), where=where)


def _number(text: str, column: str, where: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        hint = ("write whole numbers without separators, e.g. 1234" if column in COUNT_KEYS
                else "write a number, e.g. 0.6")
        raise InputError(f"{column} {text!r} is not a number", where=where, hint=hint) from None
    if not math.isfinite(value):
        raise InputError(f"{column} {text!r} is not a finite number", where=where)
    return value      # counts_from_dict refuses a count that is not whole


def _date(text: str, where: str) -> dt.date:
    hint = "write the day as YYYY-MM-DD, e.g. 2024-01-10; leave it empty when no day was published"
    if not _DATE_RE.match(text):
        raise InputError(f"date {text!r} is not in the form YYYY-MM-DD", where=where, hint=hint)
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"date {text!r} is not a real day ({exc})", where=where, hint=hint) from None


def _load_folder(path: Path) -> Record:
    files = sorted(list(path.glob("*.yaml")) + list(path.glob("*.yml")))
    if not files:
        raise InputError(f"{path}: no counts files (*.yaml) in this folder",
                         hint="give a deployment record (CSV) or a folder of counts files")
    h = hashlib.sha256()
    deployments: list[Deployment] = []
    first: dict[str, str] = {}
    for f in files:
        funnel = load_counts(f)
        h.update(f"{f.name}\0".encode() + f.read_bytes() + b"\0")
        if funnel.id in first:
            raise InputError(f"duplicate id {funnel.id!r} (also in {first[funnel.id]})", where=str(f),
                             hint="every deployment needs its own id")
        first[funnel.id] = f.name
        day = None
        if _DATE_RE.match(funnel.date):
            day = _date(funnel.date, str(f))
        src = funnel.sources[0] if funnel.sources else {}
        deployments.append(Deployment(funnel.id, funnel, date=day, place=funnel.place, threshold=funnel.threshold,
                                      source=str(src.get("citation", "")), source_url=str(src.get("url", "")),
                                      notes=funnel.notes, where=str(f)))
    return Record(str(path), tuple(deployments), h.hexdigest(), "counts-folder")
