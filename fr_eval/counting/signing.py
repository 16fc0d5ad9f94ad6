"""The signature of counts taken from a run or a counts file, with the counting settings that were used."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fr_eval.counting.funnel import Funnel
from fr_eval.counting.methods import N_BOOT
from fr_eval.signature import Signature, for_counts, for_run, short_hash

if TYPE_CHECKING:
    from fr_eval.counting.statistics import RunStatistics


def signature_for(source: RunStatistics | Funnel, *, threshold: float | None = None, ci: str = "clopper-pearson",
                  seed: int = 0, cluster_by: str | None = "subject") -> Signature:
    """The signature of figures computed from ``source`` at ``threshold`` (default: the operated one)."""
    if not isinstance(source, Funnel):      # RunStatistics (not imported here: it brings pandas)
        return for_run(source.manifest or {}, threshold=source.threshold if threshold is None else threshold,
                       ci=ci, seed=seed, n_boot=N_BOOT, cluster_by=cluster_by, plants_only=source.plants_only,
                       adjudication=source.adjudication_source)
    sha = source.source_sha256 or short_hash(source.counts(), [c.__dict__ for c in source.claims])
    return for_counts(source.id, sha, ci=ci, seed=seed, n_boot=N_BOOT,
                      threshold=source.threshold if threshold is None else threshold)
