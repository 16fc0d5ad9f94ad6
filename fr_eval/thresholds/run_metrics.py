"""The score-list metrics of a run: its passages as verification comparisons or identification searches.

A run keeps, per truth passage, its best score against its own subject (``mated_score``), the rank of
that subject in the candidate list (``mated_rank``) and its best score against anyone (``any_score``),
all from the stored candidates (:mod:`fr_eval.counting.statistics`).  These are exactly what the
metrics count:

* :func:`passage_comparisons` -- watchlisted passages are genuine comparisons scored by ``mated_score``,
  the others impostor comparisons scored by ``any_score``; a passage never scored is a failure to
  acquire.  For a run imported from a verification list this gives back the list's comparisons (each
  passage is one comparison); for any run it is the per-passage DET curve (FNIR against FPIR), which
  :func:`fr_eval.thresholds.sweep.det_table` reads;
* :func:`passage_searches` -- watchlisted passages are mated searches (mate score and rank), the others
  non-mated searches scored by their best candidate; a passage with no candidate failed to acquire.

At any threshold these counts equal the counter's: FNMR (or FNIR at any rank) = 1 - TPIR and FMR (or
FPIR) = FPIR, failures counted (tests/test_scorelist_runs.py checks it).
"""

from __future__ import annotations

import numpy as np

from fr_eval.counting.statistics import RunStatistics
from fr_eval.errors import InputError
from fr_eval.thresholds.identification import OpenSet
from fr_eval.thresholds.verification import FTA_CONVENTIONS, Comparisons, _factorize


def _classes(stats: RunStatistics) -> tuple[np.ndarray, np.ndarray]:
    """(positive, negative) masks over ``stats.passages``: watchlisted (planted, with ``plants_only``) or not."""
    if not stats.has_truth:
        raise InputError(f"{stats.deployment}: the run has no truth", hint="metrics count mated and non-mated "
                                                                           "passages; add truth to the bundle")
    p = stats.passages
    w = p["watchlisted"].to_numpy(bool)
    pos = w & p["plant"].to_numpy(bool) if stats.plants_only else w
    return pos, ~w


def passage_comparisons(stats: RunStatistics, *, fta: str = "count", cluster_by: str | None = None) -> Comparisons:
    """The run's passages as verification comparisons (``cluster_by="person"`` keeps person_id for the
    cluster bootstrap)."""
    pos, neg = _classes(stats)
    p = stats.passages
    scores = np.r_[p["mated_score"].to_numpy(np.float64)[pos], p["any_score"].to_numpy(np.float64)[neg]]
    genuine = np.r_[np.ones(int(pos.sum()), bool), np.zeros(int(neg.sum()), bool)]
    labels = None
    if cluster_by is not None:
        labels = _cluster_labels(stats, cluster_by)
        labels = np.r_[labels[pos], labels[neg]]
    return Comparisons.from_arrays(scores, genuine, fta=fta, labels=labels, cluster_by=cluster_by,
                                   where=str(stats.deployment))


def passage_searches(stats: RunStatistics, *, fta: str = "count", cluster_by: str | None = None) -> OpenSet:
    """The run's passages as open-set identification searches (mate rank as the run's candidate list has it)."""
    if fta not in FTA_CONVENTIONS:
        raise InputError(f"unknown FTA convention {fta!r}", hint="count or exclude")
    pos, neg = _classes(stats)
    p = stats.passages
    any_score = p["any_score"].to_numpy(np.float64)
    acquired = ~np.isnan(any_score)
    mate_score = p["mated_score"].to_numpy(np.float64)
    mate_rank = np.nan_to_num(p["mated_rank"].to_numpy(np.float64), nan=0.0).astype(np.int64)
    mated_ok, non_ok = pos & acquired, neg & acquired
    if not pos.any() and not neg.any():
        raise InputError(f"{stats.deployment}: no passages", hint="identification rates need truth passages")
    best = any_score[non_ok]
    order = np.argsort(best, kind="stable")
    clusters, m = None, 0
    if cluster_by is not None:
        codes, uniq = _factorize(_cluster_labels(stats, cluster_by))
        clusters = {"mated": codes[mated_ok], "nonmated": codes[non_ok][order],
                    "fta_mated": codes[pos & ~acquired], "fta_nonmated": codes[neg & ~acquired]}
        m = len(uniq)
    ranks = mate_rank[mated_ok]
    return OpenSet(mate_score[mated_ok], ranks, best[order], int((pos & ~acquired).sum()),
                   int((neg & ~acquired).sum()), fta, int(_max_rank(stats)), cluster_by, clusters, m)


def _max_rank(stats: RunStatistics) -> int:
    c = stats.candidates
    return int(c["rank"].max()) if len(c) else 1


def _cluster_labels(stats: RunStatistics, by: str) -> np.ndarray:
    col = {"person": "person_id", "subject": "person_id"}.get(by)
    if col is None:
        raise InputError(f"cannot cluster passages by {by!r}", hint="cluster by person")
    return stats.passages[col].astype(str).to_numpy(dtype=object)


__all__ = ["passage_comparisons", "passage_searches"]
