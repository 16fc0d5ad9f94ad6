"""Published totals (a force's annual figures, an FOI answer) against the sum of a record's rows.

A totals file (YAML, docs/formats.md "Published totals") lists figures a party published for a period.  Each is
compared with the record's rows for the same force and dates, summed.  A total is ``reproduced`` only when the
record covers the whole window and every published count equals the sum; ``differs`` when the record covers the
window but a count does not agree; ``not_covered`` when the record's rows for that force stop before the window
ends (or start after it begins) -- then the sums say what the rows do cover, never that the total is confirmed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fr_eval.counting.funnel import COUNT_KEYS
from fr_eval.counting.pooling import Selection, count_sums, date_span, select
from fr_eval.counting.record_file import Record
from fr_eval.errors import InputError
from fr_eval.inputs.yamlfile import check_keys

SCHEMA_ID = "fr-eval/published-totals/1"
TOTAL_KEYS = {"id": True, "by": True, "source": True, "url": False, "text": False, "force": False, "from": True,
              "to": True, "window_note": False, "exclude": False, "exclude_note": False, "counts": True}
COUNTABLE = ("deployments", *COUNT_KEYS)


@dataclass(frozen=True)
class PublishedTotal:
    id: str
    by: str
    source: str
    date_from: dt.date
    date_to: dt.date
    counts: dict[str, int]
    force: str = ""
    url: str = ""
    text: str = ""
    window_note: str = ""
    exclude: tuple[str, ...] = ()
    exclude_note: str = ""


@dataclass
class TotalsCheck:
    total: PublishedTotal
    status: str                          # reproduced / differs / not_covered
    #: {count: {"published", "rows", "deployments_with", "lacking"}}
    counts: dict[str, dict[str, Any]]
    covered: tuple[dt.date | None, dt.date | None]
    rows: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        t = self.total
        return {"id": t.id, "by": t.by, "source": t.source, "url": t.url, "text": t.text, "force": t.force,
                "from": t.date_from.isoformat(), "to": t.date_to.isoformat(), "window_note": t.window_note,
                "exclude": list(t.exclude), "exclude_note": t.exclude_note, "status": self.status,
                "rows": self.rows, "record_covers": [None if d is None else d.isoformat() for d in self.covered],
                "counts": self.counts, "notes": self.notes}


def load_totals(path: str | Path) -> list[PublishedTotal]:
    """Read a published-totals file; one-line errors naming the file and entry."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such totals file")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", where=str(path)) from None
    if not isinstance(raw, dict) or raw.get("schema") != SCHEMA_ID or not isinstance(raw.get("totals"), list):
        raise InputError(f"expected schema: {SCHEMA_ID} and a list under 'totals'", where=str(path))
    out = []
    for i, item in enumerate(raw["totals"]):
        where = f"{path}: totals[{i}]"
        if not isinstance(item, dict):
            raise InputError("each total is a mapping", where=where)
        check_keys(item, TOTAL_KEYS, where)
        counts = item["counts"]
        if not isinstance(counts, dict) or not counts:
            raise InputError("counts must be a mapping such as {deployments: 13, faces_processed: 247764}",
                             where=where)
        for k, v in counts.items():
            if k not in COUNTABLE:
                raise InputError(f"counts: unknown count {k!r}", where=where, hint="deployments or a counts-file key")
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise InputError(f"counts: {k} must be a whole number >= 0, got {v!r}", where=where)
        dates = []
        for key in ("from", "to"):
            v = item[key]
            try:
                dates.append(v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)))
            except ValueError:
                raise InputError(f"{key} {v!r} is not a date YYYY-MM-DD", where=where) from None
        out.append(PublishedTotal(str(item["id"]), str(item["by"]), str(item["source"]), dates[0], dates[1],
                                  dict(counts), str(item.get("force") or ""), str(item.get("url") or ""),
                                  str(item.get("text") or ""), str(item.get("window_note") or ""),
                                  tuple(item.get("exclude") or ()), str(item.get("exclude_note") or "")))
    return out


def compare_totals(record: Record, totals: list[PublishedTotal]) -> list[TotalsCheck]:
    """Each published total against the record's rows of its force and window, summed."""
    return [_compare(record, t) for t in totals]


def _compare(record: Record, t: PublishedTotal) -> TotalsCheck:
    force_rows = [d for d in record.deployments if not t.force or d.force.lower() == t.force.lower()]
    first, last = date_span(force_rows)
    covered = first is not None and last is not None and first <= t.date_from and last >= t.date_to
    sel = Selection(forces=(t.force,) if t.force else (), date_from=t.date_from, date_to=t.date_to,
                    exclude=tuple(x for x in t.exclude if x in record.by_id()))
    try:
        rows = select(record, sel).deployments
    except InputError:
        rows = ()
    sums = count_sums(rows)
    counts: dict[str, dict[str, Any]] = {}
    agree = True
    for key, published in t.counts.items():
        if key == "deployments":
            value, lacking = len(rows), []
        else:
            s = sums.get(key, {"sum": 0, "lacking": [d.id for d in rows]})
            value, lacking = s["sum"], s["lacking"]
        counts[key] = {"published": published, "rows": value, "lacking": lacking,
                       "share": value / published if published else None}
        agree = agree and value == published and not lacking
    notes = []
    if not covered:
        notes.append(f"the record's rows{' for ' + t.force if t.force else ''} run from {first} to {last}; "
                     f"the window is {t.date_from} to {t.date_to}, so the rows cover only part of it")
    if t.exclude:
        notes.append(f"left out: {', '.join(t.exclude)}" + (f" ({t.exclude_note})" if t.exclude_note else ""))
    status = "not_covered" if not covered else "reproduced" if agree else "differs"
    return TotalsCheck(t, status, counts, (first, last), len(rows), notes)
