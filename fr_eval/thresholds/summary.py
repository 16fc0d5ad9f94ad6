"""Every standard metric of one score list at once: what ``fr-eval metrics`` prints, as one object.

:func:`summarize` reads nothing and prints nothing: it takes a :class:`~fr_eval.inputs.scorelists.ScoreList`
and returns a :class:`Summary` of typed results (:mod:`fr_eval.thresholds.metrics`,
:mod:`fr_eval.thresholds.identification`); :meth:`Summary.to_dict` is the JSON form and
:func:`fr_eval.report.metrics_text.metrics_text` the table, so a notebook gets exactly what the command
line shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fr_eval.counting.statistics import RunStatistics
from fr_eval.errors import InputError
from fr_eval.inputs.scorelists import ScoreList, searches_from
from fr_eval.thresholds import identification as ident
from fr_eval.thresholds import metrics as m

DEFAULT_FMR_TARGETS = (1e-2, 1e-3)
DEFAULT_FNMR_TARGETS = (1e-2, 1e-1)
DEFAULT_FPIR_TARGETS = (1e-2, 1e-3)
MAX_RANKS_SHOWN = 10


@dataclass
class Summary:
    """The metrics of one score list (verification, identification or both), with provenance."""

    source: dict[str, Any]
    fta: str
    ci: str
    seed: int
    n_boot: int
    eer: m.GridThreshold | None = None
    rocch: m.ROCCH | None = None
    auc: m.AUC | None = None
    fnmr_at_fmr: list[m.OperatingPoint] = field(default_factory=list)
    fmr_at_fnmr: list[m.OperatingPoint] = field(default_factory=list)
    verification_fta: m.FTA | None = None
    fnir_at_fpir: list[ident.IdentificationPoint] = field(default_factory=list)
    dir: list[ident.RankCurve] = field(default_factory=list)
    cmc: ident.RankCurve | None = None
    search_fta: ident.SearchFTA | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        def d(x):
            return None if x is None else x.to_dict()

        out: dict[str, Any] = {"schema": "fr-eval/metrics/1", "source": self.source,
                               "convention": "accept iff score >= threshold", "fta_convention": self.fta,
                               "ci": self.ci, "seed": self.seed, "n_boot": self.n_boot, "notes": self.notes}
        if self.eer is not None:
            out["verification"] = {"fta": d(self.verification_fta), "eer": d(self.eer), "rocch_eer": d(self.rocch),
                                   "auc": d(self.auc), "fnmr_at_fmr": [p.to_dict() for p in self.fnmr_at_fmr],
                                   "fmr_at_fnmr": [p.to_dict() for p in self.fmr_at_fnmr]}
        if self.cmc is not None:
            out["identification"] = {"fta": d(self.search_fta),
                                     "fnir_at_fpir": [p.to_dict() for p in self.fnir_at_fpir],
                                     "dir": [c.to_dict() for c in self.dir], "cmc": d(self.cmc)}
        return out


def summarize(sl: ScoreList, *, fta: str = "count", ci: str = "clopper-pearson", seed: int = 0,
              n_boot: int = m.N_BOOT, fmr_targets: Sequence[float] = DEFAULT_FMR_TARGETS,
              fnmr_targets: Sequence[float] = DEFAULT_FNMR_TARGETS,
              fpir_targets: Sequence[float] = DEFAULT_FPIR_TARGETS, identification: bool | None = None) -> Summary:
    """Verification metrics for comparison lists; identification metrics for open-set lists (or when asked).

    ``identification=None`` means: only for ``openset`` lists.  ``ci="bootstrap"`` clusters comparisons by
    subject (else probe) and searches by the probe's true subject (else probe).
    """
    _check(fta, ci)
    out = Summary(sl.describe(), fta, ci, seed, n_boot)
    want_ident = sl.format == "openset" if identification is None else identification
    cs = os_ = None
    if sl.format != "openset":
        cluster = None
        if ci == "bootstrap":
            cluster = "subject" if sl.subject is not None else "probe" if sl.probe is not None else None
            if cluster is None:
                raise InputError(f"{sl.paths[0]}: --ci bootstrap needs to know who is who",
                                 hint="the score list names no subject or probe; use --ci clopper-pearson")
        cs = m.Comparisons.from_scorelist(sl, fta=fta, cluster_by=cluster)
    if want_ident:
        searches = searches_from(sl)
        cluster = None
        if ci == "bootstrap":
            cluster = "true_subject" if searches.true_subject is not None else "probe"
        os_ = ident.OpenSet.from_searches(searches, fta=fta, cluster_by=cluster)
    _fill(out, cs, os_, sl.paths[0], fmr_targets, fnmr_targets, fpir_targets)
    return out


def summarize_run(stats: RunStatistics, *, fta: str = "count", ci: str = "clopper-pearson", seed: int = 0,
                  n_boot: int = m.N_BOOT, fmr_targets: Sequence[float] = DEFAULT_FMR_TARGETS,
                  fnmr_targets: Sequence[float] = DEFAULT_FNMR_TARGETS,
                  fpir_targets: Sequence[float] = DEFAULT_FPIR_TARGETS) -> Summary:
    """The same metrics for a run imported from a score list (``fr-eval scores import``), from its passages
    (:mod:`fr_eval.thresholds.run_metrics`): verification metrics for a comparison list, identification
    metrics for an open-set list.  ``ci="bootstrap"`` resamples people (the passages' person_id)."""
    from fr_eval.thresholds.run_metrics import passage_comparisons, passage_searches

    _check(fta, ci)
    man = stats.manifest or {}
    if man.get("source_kind") != "scorelist":
        raise InputError(f"{stats.deployment}: the score-list metrics are for runs imported from a score list",
                         hint="fr-eval scores import FILE --out RUN; for a replay run use sweep and targets")
    src = dict(man.get("scorelist") or {})
    src["run"] = str(stats.deployment)
    out = Summary(src, fta, ci, seed, n_boot)
    cluster = "person" if ci == "bootstrap" else None
    if src.get("kind") == "identification":
        _fill(out, None, passage_searches(stats, fta=fta, cluster_by=cluster), str(stats.deployment), fmr_targets,
              fnmr_targets, fpir_targets)
    else:
        _fill(out, passage_comparisons(stats, fta=fta, cluster_by=cluster), None, str(stats.deployment),
              fmr_targets, fnmr_targets, fpir_targets)
    return out


def _check(fta: str, ci: str) -> None:
    if fta not in m.FTA_CONVENTIONS:
        raise InputError(f"unknown FTA convention {fta!r}", hint="count or exclude")
    if ci not in m.CI_CHOICES:
        raise InputError(f"unknown interval method {ci!r}", hint=" or ".join(m.CI_CHOICES))


def _fill(out: Summary, cs: m.Comparisons | None, os_: ident.OpenSet | None, where: str,
          fmr_targets: Sequence[float], fnmr_targets: Sequence[float], fpir_targets: Sequence[float]) -> None:
    ci, seed, n_boot = out.ci, out.seed, out.n_boot
    if cs is not None:
        out.verification_fta = cs.fta()
        out.eer = m.eer(cs, ci=ci, seed=seed, n_boot=n_boot)
        out.rocch = m.rocch_eer(cs, ci=ci, seed=seed, n_boot=n_boot)
        out.auc = m.auc(cs, ci=ci, seed=seed, n_boot=n_boot)
        out.fnmr_at_fmr = [m.fnmr_at_fmr(cs, t, ci=ci, seed=seed, n_boot=n_boot) for t in fmr_targets]
        out.fmr_at_fnmr = [m.fmr_at_fnmr(cs, t, ci=ci, seed=seed, n_boot=n_boot) for t in fnmr_targets]
    if os_ is not None:
        out.search_fta = os_.fta()
        if not len(os_.nonmated_best):
            out.notes.append("no scored non-mated search: FPIR and FNIR @ FPIR are not defined (a closed-set list)")
        elif os_.n_mated:
            out.fnir_at_fpir = [ident.fnir_at_fpir(os_, t, ci=ci, seed=seed, n_boot=n_boot)
                                for t in fpir_targets]
            out.dir = [ident.dir_at_ranks(os_, p.threshold, ci=ci, seed=seed, n_boot=n_boot)
                       for p in out.fnir_at_fpir]
        if not os_.n_mated:
            raise InputError(f"{where}: no mated search", hint="identification rates need searches whose "
                                                              "subject is enrolled")
        out.cmc = ident.cmc(os_, ci=ci, seed=seed, n_boot=n_boot)


def default_threshold(sl: ScoreList) -> float:
    """The threshold a run imported from ``sl`` operates at when none is given: the EER threshold (bob.measure's
    rule, :func:`fr_eval.thresholds.curves.eer`) of its comparisons, or of its searches scored by the mate's
    score (mated; a mate not returned is never accepted) and the best candidate's (non-mated)."""
    try:
        if sl.format == "openset":
            scores, mated = _search_scores(sl)
            cs = m.Comparisons.from_arrays(scores, mated, fta="count", where=sl.paths[0])
        else:
            cs = m.Comparisons.from_scorelist(sl, fta="count")
    except InputError as exc:
        raise InputError(f"cannot choose a default threshold (the EER's): {exc.message}",
                         where=exc.where, hint="give one with --threshold") from None
    return m.eer(cs, n_boot=0).threshold


def _search_scores(sl: ScoreList) -> tuple[np.ndarray, np.ndarray]:
    s = searches_from(sl)
    owner = np.repeat(np.arange(len(s)), np.diff(s.start))
    mate = np.full(len(s), np.nan)
    mate[owner[s.mate]] = s.score[s.mate]
    best = np.full(len(s), -np.inf)
    np.maximum.at(best, owner, np.nan_to_num(s.score, nan=-np.inf))
    best[np.isinf(best)] = np.nan
    return np.where(s.mated, mate, best), s.mated.copy()


__all__ = ["DEFAULT_FMR_TARGETS", "DEFAULT_FNMR_TARGETS", "DEFAULT_FPIR_TARGETS", "Summary", "default_threshold",
           "summarize", "summarize_run"]
