"""A force's whole record in one call: per deployment, pooled, alike or not, over time and by setting.

:func:`summarise_record` is what ``fr-eval record`` and the record report call; it gathers every number from
:mod:`fr_eval.counting.pooling`, :mod:`fr_eval.counting.homogeneity`, :mod:`fr_eval.counting.funnel_plot` and
:mod:`fr_eval.counting.totals` into one :class:`RecordSummary`, which renders as text, JSON, PDF or HTML without
counting anything again.

>>> s = summarise_record("datasets/published/record/lfr-deployments.csv",
...                      Selection(forces=("Metropolitan Police Service",)))          # doctest: +SKIP
>>> s.pooled[0].result.format()                                           # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fr_eval import __version__
from fr_eval.counting.funnel_plot import FunnelPlot, funnel_plot
from fr_eval.counting.homogeneity import Homogeneity, TwoGroupTest, homogeneity, two_group_test
from fr_eval.counting.methods import METHODS, result_dict
from fr_eval.counting.pooling import (
    GROUPINGS,
    Group,
    Grouping,
    Pooled,
    Selection,
    Sums,
    available_methods,
    count_sums,
    date_span,
    groups,
    per_deployment,
    pool,
    select,
)
from fr_eval.counting.rates import Rate, Unavailable
from fr_eval.counting.record_file import Deployment, Record, load_record
from fr_eval.counting.totals import TotalsCheck, compare_totals, load_totals
from fr_eval.errors import InputError

#: a monthly time series when the dated deployments span at most this many months, else yearly
MONTHLY_UP_TO = 84


@dataclass
class SettingChange:
    """One method before and after a change of threshold setting, with the test of the difference."""

    method: str
    before: Group
    after: Group
    before_rate: Pooled
    after_rate: Pooled
    test: TwoGroupTest | None
    #: the two settings' date ranges overlap (rows at the old setting after the first at the new one)
    overlap: bool = False
    #: deployments at the new setting dated before the last at the old one, and the reverse (by id)
    early: tuple[str, ...] = ()
    late: tuple[str, ...] = ()

    def overlap_text(self) -> list[str]:
        """The overlap in words, naming the rows on the smaller side (the likelier misdated ones)."""
        early = (f"{len(self.early)} at {self.after.key} dated before the last at {self.before.key} "
                 f"({self.before.last})")
        late = f"{len(self.late)} at {self.before.key} dated after the first at {self.after.key} ({self.after.first})"
        if len(self.early) <= len(self.late):
            return [f"{early}: {', '.join(self.early)}", late]
        return [early, f"{late}: {', '.join(self.late)}"]

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "before": self.before.key, "after": self.after.key,
                "before_dates": [_iso(self.before.first), _iso(self.before.last)],
                "after_dates": [_iso(self.after.first), _iso(self.after.last)],
                "before_result": result_dict(self.before_rate.result),
                "after_result": result_dict(self.after_rate.result),
                "before_deployments": self.before_rate.deployments, "after_deployments": self.after_rate.deployments,
                "test": None if self.test is None else self.test.to_dict(), "overlap": self.overlap,
                "early": list(self.early), "late": list(self.late)}


@dataclass
class RecordSummary:
    record: Record
    selection: Selection
    deployments: tuple[Deployment, ...]
    undated: tuple[str, ...]
    methods: list[str]
    #: methods tested and plotted (a complement of another listed method gives the same test: left out)
    tested: list[str]
    per_deployment: dict[str, list[Rate | Unavailable]]
    pooled: list[Pooled]
    counts: dict[str, dict[str, Any]]
    homogeneity: list[Homogeneity]
    funnel_plots: list[FunnelPlot]
    grouping: Grouping | None
    timeline: Grouping | None
    settings: list[SettingChange]
    totals: list[TotalsCheck] = field(default_factory=list)
    seed: int = 0
    command: str = ""

    @property
    def span(self) -> tuple[dt.date | None, dt.date | None]:
        return date_span(self.deployments)

    def pooled_for(self, method: str) -> Pooled:
        return next(p for p in self.pooled if p.method == method)

    def to_dict(self) -> dict[str, Any]:
        first, last = self.span
        return {
            "schema": "fr-eval/record-summary/1", "fr_eval_version": __version__, "command": self.command,
            "record": {"path": self.record.path, "sha256": self.record.sha256, "kind": self.record.kind,
                       "deployments": len(self.record)},
            "selection": self.selection.to_dict(), "selected": len(self.deployments),
            "dates": [_iso(first), _iso(last)], "undated_left_out": list(self.undated),
            "methods": self.methods, "tested": self.tested,
            "deployments": [dict(d.meta(), counts=d.funnel.counts(),
                                 results=[result_dict(r) for r in self.per_deployment[d.id]])
                            for d in self.deployments],
            "pooled": [p.to_dict() for p in self.pooled], "counts": self.counts,
            "homogeneity": [h.to_dict() for h in self.homogeneity],
            "funnel_plots": [f.to_dict() for f in self.funnel_plots],
            "grouping": None if self.grouping is None else self.grouping.to_dict(),
            "timeline": None if self.timeline is None else self.timeline.to_dict(),
            "settings": [s.to_dict() for s in self.settings],
            "published_totals": [t.to_dict() for t in self.totals], "seed": self.seed,
        }


def summarise_record(source: str | Path | Record, selection: Selection | None = None, *, by: str | None = None,
                     methods: Sequence[str] | None = None, ci: str = "clopper-pearson", seed: int = 0,
                     replicates: int | None = None, totals: str | Path | None = None,
                     command: str = "") -> RecordSummary:
    """Everything ``fr-eval record`` shows, for the deployments of ``source`` that ``selection`` keeps.

    Parameters
    ----------
    source : a record CSV, a folder of counts files, or a loaded :class:`Record`.
    selection : filters (force, year, dates, place, threshold, excluded ids).
    by : pool per ``year``, ``month``, ``force`` or ``threshold`` as well as overall.
    methods : counting method ids (default: every method some selected deployment has the counts for).
    seed, replicates : for Monte Carlo p-values of the homogeneity tests (seeded: reproducible).
    totals : a published-totals file to compare with the record's rows.
    """
    record = source if isinstance(source, Record) else load_record(source)
    selection = selection or Selection()
    chosen = select(record, selection)
    ds = chosen.deployments
    if by is not None and by not in GROUPINGS:
        raise InputError(f"cannot group by {by!r}", hint=f"one of {', '.join(GROUPINGS)}")
    if methods:
        unknown = [m for m in methods if m not in METHODS]
        if unknown:
            raise InputError(f"unknown counting method {unknown[0]!r}", hint=f"one of {', '.join(METHODS)}")
        methods = list(dict.fromkeys(methods))
    else:
        methods = available_methods(ds)
        if not methods:
            raise InputError("no counting method can be computed from any selected deployment",
                             hint="a record needs e.g. false_alerts and faces_processed, or true_alerts and alerts")
    tested = [m for m in methods if METHODS[m].complement_of not in methods]
    # every grouping below is a union of cells of one month, setting and force: each deployment is summed once
    sums = Sums(lambda d: (d.month, d.threshold, d.force))
    pooled = pool(ds, methods, ci=ci, sums=sums)
    hom, plots = [], []
    kw = {} if replicates is None else {"replicates": replicates}
    for p in pooled:
        if p.method not in tested or not p.contributions:
            continue
        m = METHODS[p.method]
        ids = [c.id for c in p.contributions]
        ks = [c.numerator for c in p.contributions]
        ns = [c.denominator for c in p.contributions]
        h = homogeneity(m.id, m.kind, ids, ks, ns, seed=seed, **kw)
        f = funnel_plot(m.id, m.kind, m.unit, ids, ks, ns)
        if h is not None:
            hom.append(h)
        if f is not None:
            plots.append(f)
    grouping = groups(ds, by, methods, ci=ci, sums=sums) if by else None
    timeline = _timeline(ds, by, methods, grouping, ci, sums)
    settings = _settings(ds, tested, ci, sums) if any(d.threshold is not None for d in ds) else []
    checks = compare_totals(record, load_totals(totals)) if totals else []
    return RecordSummary(record, selection, ds, chosen.undated, methods, tested, per_deployment(ds, methods, ci=ci),
                         pooled, count_sums(ds), hom, plots, grouping, timeline, settings, checks, seed, command)


def _timeline(ds, by, methods, grouping, ci, sums) -> Grouping | None:
    if by in ("year", "month"):
        return grouping
    first, last = date_span(ds)
    if first is None or last is None:
        return None
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    return groups(ds, "month" if months <= MONTHLY_UP_TO else "year", methods, ci=ci, sums=sums)


def _settings(ds, methods, ci, sums) -> list[SettingChange]:
    """Consecutive threshold settings (in the order of their median date), each method before and after; with
    three settings or more, the first against the last as well."""
    by_setting = groups(ds, "threshold", methods, ci=ci, sums=sums).groups
    dates = {d.id: d.date for d in ds}
    pairs = list(zip(by_setting, by_setting[1:], strict=False))
    if len(by_setting) > 2:
        pairs.append((by_setting[0], by_setting[-1]))
    out = []
    for before, after in pairs:
        overlap = bool(before.last and after.first and before.last > after.first)
        early = tuple(i for i in after.deployments if overlap and dates[i] and dates[i] < before.last)
        late = tuple(i for i in before.deployments if overlap and dates[i] and dates[i] > after.first)
        for pb, pa in zip(before.pooled, after.pooled, strict=True):
            test = None
            if isinstance(pb.result, Rate) and isinstance(pa.result, Rate):
                rb, ra = pb.result, pa.result
                test = two_group_test(METHODS[pb.method].kind, rb.numerator, rb.denominator, ra.numerator,
                                      ra.denominator)
            out.append(SettingChange(pb.method, before, after, pb, pa, test, overlap, early, late))
    return out


def _iso(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()
