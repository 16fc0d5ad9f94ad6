"""Several deployments side by side: every method each one's counts allow, in one table.

:func:`side_by_side` reconciles each source on its own, exactly as ``fr-eval reconcile FILE`` does
(:func:`fr_eval.counting.reconcile.reconcile`), and lines the results up: a row per counting method, a column
per deployment.  It computes nothing else, so every cell is the number the single-source output prints (a
test checks it).  Who uses a method is the method's (:meth:`fr_eval.counting.methods.Method.parties`); the
figures parties published about particular deployments are listed apart, keyed by method, each saying which
deployment it describes (:meth:`~fr_eval.counting.methods.Method.published`), so "wrong on 7 of 8 alerts"
is never printed beside the figures of another deployment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fr_eval.counting.claims import tally
from fr_eval.counting.methods import METHODS, result_dict
from fr_eval.counting.rates import Rate, Result
from fr_eval.counting.reconcile import Reconciliation, reconcile


@dataclass
class SideBySide:
    """Reconciliations of several deployments, in the order given."""

    reconciliations: list[Reconciliation]
    sources: list[str]

    @property
    def columns(self) -> list[str]:
        """One label per deployment: its id (with ``#2``, ``#3`` when the same id comes again)."""
        seen: dict[str, int] = {}
        out = []
        for rec in self.reconciliations:
            seen[rec.id] = seen.get(rec.id, 0) + 1
            out.append(rec.id if seen[rec.id] == 1 else f"{rec.id}#{seen[rec.id]}")
        return out

    def methods(self) -> list[str]:
        """The methods at least one deployment's counts allow, in the registry's order."""
        return [m for m in METHODS if any(_available(rec.rate(m)) for rec in self.reconciliations)]

    def unavailable(self) -> list[str]:
        """The methods no deployment's counts allow."""
        shown = set(self.methods())
        return [m for m in METHODS if m not in shown]

    def cell(self, method_id: str, column: int) -> Result:
        return self.reconciliations[column].rate(method_id)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: the deployments, then a row per method with each deployment's result (the same
        dict as ``fr-eval reconcile FILE --json`` gives under ``methods``), then the claims per deployment."""
        cols = self.columns
        return {
            "deployments": [{"column": c, "id": rec.id, "title": rec.title, "kind": rec.kind, "source": s,
                             "signature": rec.signature.short()}
                            for c, rec, s in zip(cols, self.reconciliations, self.sources)],
            "methods": [{"id": m, "label": METHODS[m].label, "unit": METHODS[m].unit,
                         "used_by": METHODS[m].parties(), "published_elsewhere": METHODS[m].published(),
                         "by_deployment": {c: result_dict(rec.rate(m)) | {"signature": rec.signature.for_method(m)}
                                           for c, rec in zip(cols, self.reconciliations)}}
                        for m in self.methods()],
            "not_computable_anywhere": self.unavailable(),
            "claims": {c: {"checks": [x.to_dict() for x in rec.claims],
                           "tally": {"published": tally(rec.claims, "published"),
                                     "derived": tally(rec.claims, "derived")}}
                       for c, rec in zip(cols, self.reconciliations)},
        }


def _available(r: Result) -> bool:
    return isinstance(r, Rate) and r.denominator > 0


def side_by_side(sources: Sequence[str | Path], *, ci: str = "clopper-pearson", plants_only: bool = False,
                 cluster_by: str = "subject", seed: int = 0, strict: bool = False) -> SideBySide:
    """Reconcile each source (a counts file or a run folder) and line them up."""
    recs = [reconcile(s, ci=ci, plants_only=plants_only, cluster_by=cluster_by, seed=seed, strict=strict)
            for s in sources]
    return SideBySide(recs, [str(s) for s in sources])
