"""Many deployments: every method per deployment, and pooled over a selection by summing counts.

Pooling never averages rates.  A method is pooled over the deployments that have its counts: their funnels are
summed (:meth:`fr_eval.counting.funnel.Funnel.total`) and the method computed once on the sum
(:func:`fr_eval.counting.methods.compute`), so the pooled rate is ``sum(numerators) / sum(denominators)`` with the
same exact interval as one deployment's.  The result says how many deployments it covers, what each contributed,
and which deployments lacked a count the method needs (by id).

>>> from fr_eval.counting.record_file import load_record                          # doctest: +SKIP
>>> rec = load_record("datasets/published/record/lfr-deployments.csv")       # doctest: +SKIP
>>> sel = Selection(forces=("Metropolitan Police Service",), date_from=date(2024, 9, 1))   # doctest: +SKIP
>>> pool(select(rec, sel).deployments, ["false_alert_rate"])[0].result.format()   # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fr_eval.counting.funnel import COUNT_KEYS, Funnel
from fr_eval.counting.methods import METHODS, compute, result_dict
from fr_eval.counting.rates import Rate, Unavailable
from fr_eval.counting.record_file import Deployment, Record
from fr_eval.errors import InputError

GROUPINGS = ("year", "month", "force", "threshold")



@dataclass(frozen=True)
class Selection:
    """Which deployments to pool.  Empty fields do not filter; dates are inclusive.

    ``forces`` match case-insensitively and exactly; ``place`` is a case-insensitive substring; ``thresholds``
    match to 1e-9.  A deployment with no date is left out whenever a date filter (``years``, ``date_from``,
    ``date_to``) is given, and listed as such.
    """

    forces: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    place: str = ""
    thresholds: tuple[float, ...] = ()
    exclude: tuple[str, ...] = ()

    @property
    def dated(self) -> bool:
        return bool(self.years) or self.date_from is not None or self.date_to is not None

    def describe(self) -> str:
        parts = []
        if self.forces:
            parts.append("force " + " or ".join(self.forces))
        if self.years:
            parts.append("year " + " or ".join(str(y) for y in self.years))
        if self.date_from or self.date_to:
            parts.append(f"dates {self.date_from or '...'} to {self.date_to or '...'}")
        if self.place:
            parts.append(f"place containing {self.place!r}")
        if self.thresholds:
            parts.append("threshold " + " or ".join(f"{t:g}" for t in self.thresholds))
        if self.exclude:
            parts.append("excluding " + ", ".join(self.exclude))
        return "; ".join(parts) or "every deployment"

    def to_dict(self) -> dict[str, Any]:
        return {"forces": list(self.forces), "years": list(self.years),
                "from": self.date_from.isoformat() if self.date_from else None,
                "to": self.date_to.isoformat() if self.date_to else None, "place": self.place or None,
                "thresholds": list(self.thresholds), "exclude": list(self.exclude), "text": self.describe()}


@dataclass(frozen=True)
class Chosen:
    """The deployments a selection keeps, and those it left out for want of a date (by id)."""

    deployments: tuple[Deployment, ...]
    undated: tuple[str, ...] = ()


def select(record: Record, selection: Selection = Selection()) -> Chosen:
    """The deployments of ``record`` that ``selection`` keeps, in record order.

    Raises InputError when a named force, an excluded id, or the selection as a whole matches nothing.
    """
    ds = list(record.deployments)
    known_forces = sorted({d.force for d in ds if d.force})
    for f in selection.forces:
        if not any(d.force.lower() == f.lower() for d in ds):
            raise InputError(f"no deployment of force {f!r} in {record.path}",
                             hint=f"forces in the record: {'; '.join(known_forces) or 'none named'}")
    ids = {d.id for d in ds}
    for x in selection.exclude:
        if x not in ids:
            raise InputError(f"--exclude {x!r}: no such deployment_id in {record.path}")
    forces = {f.lower() for f in selection.forces}
    out, undated = [], []
    for d in ds:
        if forces and d.force.lower() not in forces:
            continue
        if selection.place and selection.place.lower() not in d.place.lower():
            continue
        if selection.thresholds and (d.threshold is None
                                     or not any(abs(d.threshold - t) < 1e-9 for t in selection.thresholds)):
            continue
        if d.id in selection.exclude:
            continue
        if selection.dated:
            if d.date is None:
                undated.append(d.id)
                continue
            if selection.years and d.date.year not in selection.years:
                continue
            if selection.date_from and d.date < selection.date_from:
                continue
            if selection.date_to and d.date > selection.date_to:
                continue
        out.append(d)
    if not out:
        raise InputError(f"the selection ({selection.describe()}) holds no deployment of {record.path}",
                         hint="widen the filters")
    return Chosen(tuple(out), tuple(undated))


@dataclass(frozen=True)
class Contribution:
    """What one deployment added to a pooled rate."""

    id: str
    numerator: int
    denominator: int


@dataclass
class Pooled:
    """One method pooled over the deployments that have its counts."""

    method: str
    result: Rate | Unavailable
    contributions: tuple[Contribution, ...] = ()
    #: (deployment id, the counts it lacks) for every selected deployment the method could not use
    lacking: tuple[tuple[str, tuple[str, ...]], ...] = ()
    note: str = ""

    @property
    def deployments(self) -> int:
        return len(self.contributions)

    def to_dict(self) -> dict[str, Any]:
        m = METHODS[self.method]
        return {"method": self.method, "label": m.label, "unit": m.unit, "kind": m.kind,
                "deployments": self.deployments, "result": result_dict(self.result),
                "contributions": [{"id": c.id, "numerator": c.numerator, "denominator": c.denominator}
                                  for c in self.contributions],
                "lacking": [{"id": i, "missing": list(miss)} for i, miss in self.lacking], "note": self.note}


def pool_method(method: str, deployments: Sequence[Deployment], *, ci: str = "clopper-pearson",
                name: str = "pooled", sums: Sums | None = None) -> Pooled:
    """``method`` on the summed counts of the deployments that have them (:meth:`Funnel.total` of their
    :attr:`~fr_eval.counting.record_file.Deployment.summable` funnels)."""
    m = METHODS[method]
    sums = sums or Sums()
    have: list[Deployment] = []
    lacking: list[tuple[str, tuple[str, ...]]] = []
    found: list[Contribution] = []
    for d in deployments:
        miss, counts = sums.method_counts(m, d)
        if miss is None and counts is not None:
            have.append(d)
            found.append(Contribution(d.id, *counts))
        else:
            lacking.append((d.id, miss or ()))
    contributions = tuple(found)
    if not have:
        missing = lacking[0][1] if lacking else m.requires[0]
        return Pooled(method, Unavailable(m.id, missing, m.label, m.requires), (), tuple(lacking),
                      "no selected deployment has the counts this method needs")
    total = sums.total(have, name)
    result = compute(m, total, ci=ci)
    k, n = sum(c.numerator for c in contributions), sum(c.denominator for c in contributions)
    note = ""
    if isinstance(result, Unavailable) or (result.numerator, result.denominator) != (k, n):
        # e.g. tpir from watchlisted_* in some deployments and plant_* in others: the sum mixes two counts
        result = Unavailable(m.id, ("the same counts in every deployment",), m.label, m.requires)
        note = "the deployments count this method from different counts; pool a selection that counts alike"
    return Pooled(method, result, contributions, tuple(lacking), note)


class Sums:
    """:meth:`Funnel.total` of sets of deployments, built from cached totals of cells.

    A cell is the deployments of a set that share ``cell_of(d)`` (e.g. month, threshold and force).  Pooling a record
    overall, per month and per setting then adds each deployment's funnel once, not once per grouping: the total of
    a set is the total of its cells' totals, which is exact because a sum keeps a count only when every part knows
    it, and keeps a watchlist size only when every part has the same one, whichever way the parts are bracketed.
    A cell total is reused only for exactly the same deployments of that cell.
    """

    def __init__(self, cell_of: Callable[[Deployment], Hashable] | None = None):
        self.cell_of = cell_of or (lambda d: None)
        self._cells: dict[tuple, Funnel] = {}
        self._counts: dict[tuple[str, str], tuple] = {}

    def method_counts(self, m, d: Deployment) -> tuple[tuple[str, ...] | None, tuple[int, int] | None]:
        """``(missing, (numerator, denominator))`` of method ``m`` on deployment ``d`` (one is None), computed
        once per deployment from its counts with derived ones written in."""
        key = (m.id, d.id)
        out = self._counts.get(key)
        if out is None:
            miss = m.missing(d.summable)
            out = self._counts[key] = (None, m.counts(d.summable)) if miss is None else (tuple(miss), None)
        return out

    def total(self, deployments: Sequence[Deployment], name: str = "pooled") -> Funnel:
        cells: dict[Hashable, list[Deployment]] = {}
        for d in deployments:
            cells.setdefault(self.cell_of(d), []).append(d)
        parts = []
        for cell, ds in cells.items():
            key = (cell, tuple(d.id for d in ds))
            part = self._cells.get(key)
            if part is None:
                part = self._cells[key] = Funnel.total((d.summable for d in ds), id="")
            parts.append(part)
        return Funnel.total(parts, id=name)


def pool(deployments: Sequence[Deployment], methods: Iterable[str], *, ci: str = "clopper-pearson",
         name: str = "pooled", sums: Sums | None = None) -> list[Pooled]:
    """Every method in ``methods`` pooled over ``deployments`` (see :func:`pool_method`); methods needing the same
    deployments share one sum."""
    sums = sums or Sums()
    return [pool_method(m, deployments, ci=ci, name=name, sums=sums) for m in methods]


def per_deployment(deployments: Sequence[Deployment], methods: Sequence[str], *,
                   ci: str = "clopper-pearson") -> dict[str, list[Rate | Unavailable]]:
    """Every method on every deployment: ``{deployment id: [result per method]}``.

    Results are :func:`~fr_eval.counting.methods.compute`'s; deployments with the same counts for a method share
    one computation (the interval depends on the counts only).
    """
    cache: dict[tuple, Rate | Unavailable] = {}
    out = {}
    for d in deployments:
        row = []
        for mid in methods:
            m = METHODS[mid]
            key = (mid, tuple(d.funnel.get(k) for alt in m.requires for k in alt))
            r = cache.get(key)
            if r is None:
                r = cache[key] = compute(m, d.funnel, ci=ci)
            row.append(r)
        out[d.id] = row
    return out


def available_methods(deployments: Sequence[Deployment]) -> list[str]:
    """The methods (in METHODS order) that at least one deployment has the counts for."""
    kinds: dict[Any, Deployment] = {}
    for d in deployments:        # one deployment per distinct set of known counts decides for all like it
        kinds.setdefault(_known_keys(d), d)
    return [mid for mid, m in METHODS.items() if any(m.missing(d.funnel) is None for d in kinds.values())]


def _known_keys(d: Deployment) -> frozenset[str]:
    f = d.summable
    return frozenset(k for k in COUNT_KEYS if getattr(f, k) is not None)


def count_sums(deployments: Sequence[Deployment]) -> dict[str, dict[str, Any]]:
    """Each count (given or derived) summed over the deployments that have it: ``{key: {sum, deployments,
    lacking}}``, for every count at least one deployment has, in COUNT_KEYS order (watchlist sizes are not
    summed: a size is not a count of events; see :attr:`Deployment.summable`)."""
    out = {}
    present = {k for d in deployments for k in _known_keys(d)}
    for key in COUNT_KEYS:
        if key not in present:
            continue
        values = [(d.id, getattr(d.summable, key)) for d in deployments]
        have = [v for _, v in values if v is not None]
        if have:
            out[key] = {"sum": sum(have), "deployments": len(have),
                        "lacking": [i for i, v in values if v is None]}
    return out


@dataclass
class Group:
    """The deployments sharing one value of a grouping (a year, a month, a force, a threshold), pooled."""

    by: str
    key: str
    deployments: tuple[str, ...]
    pooled: list[Pooled]
    first: date | None = None
    last: date | None = None
    median: date | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"by": self.by, "key": self.key, "deployments": len(self.deployments), "ids": list(self.deployments),
                "first": _iso(self.first), "last": _iso(self.last), "pooled": [p.to_dict() for p in self.pooled]}


@dataclass
class Grouping:
    by: str
    groups: list[Group]
    #: deployments with no value for the grouping (no date, no threshold), by id
    unassigned: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {"by": self.by, "groups": [g.to_dict() for g in self.groups], "unassigned": list(self.unassigned)}


def group_key(d: Deployment, by: str) -> str | None:
    if by == "year":
        return d.year
    if by == "month":
        return d.month
    if by == "force":
        return d.force or None
    if by == "threshold":
        return None if d.threshold is None else f"{d.threshold:g}"
    raise InputError(f"cannot group by {by!r}", hint=f"one of {', '.join(GROUPINGS)}")


def groups(deployments: Sequence[Deployment], by: str, methods: Sequence[str], *,
           ci: str = "clopper-pearson", sums: Sums | None = None) -> Grouping:
    """Pool each group of ``by``.  Years and months are in time order, forces alphabetical, threshold settings
    in the order of their median date (the order in which they were used)."""
    members: dict[str, list[Deployment]] = {}
    unassigned = []
    for d in deployments:
        k = group_key(d, by)
        if k is None:
            unassigned.append(d.id)
        else:
            members.setdefault(k, []).append(d)
    out = []
    for k, ds in members.items():
        dates = sorted(d.date for d in ds if d.date is not None)
        out.append(Group(by, k, tuple(d.id for d in ds), pool(ds, methods, ci=ci, name=f"{by}:{k}", sums=sums),
                         dates[0] if dates else None, dates[-1] if dates else None, median_date(dates)))
    if by == "threshold":
        out.sort(key=lambda g: (g.median or date.max, float(g.key)))
    else:
        out.sort(key=lambda g: g.key)
    return Grouping(by, out, tuple(unassigned))


def date_span(deployments: Sequence[Deployment]) -> tuple[date | None, date | None]:
    dates = [d.date for d in deployments if d.date is not None]
    return (min(dates), max(dates)) if dates else (None, None)


def median_date(dates: Sequence[date]) -> date | None:
    if not dates:
        return None
    return date.fromordinal(int(statistics.median_low([d.toordinal() for d in dates])))


def _iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()
