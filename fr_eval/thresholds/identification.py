"""Identification metrics: open-set (FNIR, FPIR, DIR, as NIST FRTE 1:N reports them) and closed-set (CMC).

A *search* is one probe compared against the enrolled gallery, returning ranked candidates with
scores (:class:`fr_eval.inputs.scorelists.Searches`).  A search is *mated* when the probe's own subject
is enrolled.  With the threshold convention of the whole package (a candidate alerts when
``score >= threshold``), NIST FRTE 1:N (NISTIR 8271, section 3) defines:

* **FNIR(N, R, T)** = mated searches whose mate is *not* returned at rank <= R with score >= T, over
  mated searches;
* **FPIR(N, T)** = non-mated searches returning any candidate with score >= T, over non-mated searches;
* **DIR(R, T)**, the detection and identification rate, = 1 - FNIR(N, R, T) (its numerator: mated
  searches whose mate is at rank <= R with score >= T);
* the **CMC** (closed set) is DIR with no threshold: the share of mated searches whose mate is at
  rank <= k, for k = 1..K.

Ranks are as the file gives them, or derived from scores with bob.measure's tie rule (a non-mate
scoring exactly the mate's score ranks ahead of it; :class:`~fr_eval.inputs.scorelists.Searches`).
Searches that failed to acquire (no score at all) are counted as misses (mated) and as searches with
no false alarm (non-mated) with ``fta="count"``, or left out with ``"exclude"``; the result says
which.  Every rate is a :class:`~fr_eval.counting.rates.Rate` counted per ``search``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from fr_eval.counting.rates import Rate
from fr_eval.errors import InputError
from fr_eval.inputs.scorelists import Searches
from fr_eval.replay import alert_rule
from fr_eval.thresholds.verification import (
    CI_CHOICES,
    FTA_CONVENTIONS,
    N_BOOT,
        _check_target,
    _factorize,
    _num,
    lowest_threshold_at_most,
    proportion,
)


@dataclass(frozen=True)
class SearchFTA:
    """Searches that failed to acquire, by kind, and the convention the rates used."""

    mated: int
    nonmated: int
    mated_total: int
    nonmated_total: int
    convention: str
    rate: Rate

    def to_dict(self) -> dict[str, Any]:
        return {"mated": self.mated, "nonmated": self.nonmated, "mated_total": self.mated_total,
                "nonmated_total": self.nonmated_total, "convention": self.convention, "rate": self.rate.to_dict()}


@dataclass(frozen=True)
class IdentificationRates:
    """FNIR at rank <= ``rank`` (None: any returned rank) and FPIR, at one threshold."""

    threshold: float
    rank: int | None
    fnir: Rate
    fpir: Rate
    fta: SearchFTA

    def to_dict(self) -> dict[str, Any]:
        return {"threshold": _num(self.threshold), "rank": self.rank, "fnir": self.fnir.to_dict(),
                "fpir": self.fpir.to_dict(), "fta": self.fta.to_dict()}


@dataclass(frozen=True)
class IdentificationPoint:
    """FNIR at the threshold whose FPIR is at most a target (bob.measure's ``far_threshold`` rule).

    ``fnir`` is at any returned rank (the alert rule: any candidate at or above the threshold),
    ``fnir_rank1`` at rank 1.  ``beyond_scores`` and ``note`` as in
    :class:`~fr_eval.thresholds.verification.OperatingPoint`.
    """

    target: str
    target_value: float
    threshold: float
    fpir: Rate
    fnir: Rate
    fnir_rank1: Rate
    fta: SearchFTA
    beyond_scores: bool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "target_value": self.target_value, "threshold": _num(self.threshold),
                "beyond_scores": self.beyond_scores, "note": self.note, "fpir": self.fpir.to_dict(),
                "fnir": self.fnir.to_dict(), "fnir_rank1": self.fnir_rank1.to_dict(), "fta": self.fta.to_dict()}


@dataclass(frozen=True)
class RankCurve:
    """Identification rate at ranks 1..K: DIR(k, T) at a threshold, or the CMC (no threshold)."""

    name: str                    # "dir" or "cmc"
    threshold: float | None
    points: tuple[Rate, ...]
    fta: SearchFTA

    @property
    def values(self) -> np.ndarray:
        return np.array([p.value for p in self.points])

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "threshold": _num(self.threshold), "fta": self.fta.to_dict(),
                "points": [dict(rank=k + 1, **p.to_dict()) for k, p in enumerate(self.points)]}


@dataclass(frozen=True, eq=False)
class OpenSet:
    """Searches reduced to what identification metrics count.

    ``mate_score``/``mate_rank`` per acquired mated search (NaN / 0 when the mate was not returned);
    ``nonmated_best`` the highest candidate score of each acquired non-mated search, ascending.
    """

    mate_score: np.ndarray
    mate_rank: np.ndarray
    nonmated_best: np.ndarray
    fta_mated: int
    fta_nonmated: int
    fta_convention: str
    max_rank: int
    cluster_by: str | None = None
    clusters: dict[str, np.ndarray] | None = None
    n_clusters: int = 0

    @classmethod
    def from_searches(cls, s: Searches, *, fta: str = "count", cluster_by: str | None = None) -> OpenSet:
        if fta not in FTA_CONVENTIONS:
            raise InputError(f"unknown FTA convention {fta!r}", hint="count or exclude")
        n = len(s)
        owner = np.repeat(np.arange(n), np.diff(s.start))
        mate_score = np.full(n, np.nan)
        mate_rank = np.zeros(n, dtype=np.int64)
        mate_score[owner[s.mate]] = s.score[s.mate]
        mate_rank[owner[s.mate]] = s.rank[s.mate]
        best = np.full(n, -np.inf)
        np.maximum.at(best, owner, s.score)
        mated_ok, non_ok = s.mated & ~s.fta, ~s.mated & ~s.fta
        if not s.mated.any() and not (~s.mated).any():
            raise InputError("no searches", hint="an identification list needs at least one search")
        labels = None
        if cluster_by is not None:
            labels = {"probe": s.probe, "true_subject": s.true_subject}.get(cluster_by)
            if labels is None:
                raise InputError(f"cannot cluster searches by {cluster_by!r}: the list has no such labels",
                                 hint="cluster by probe or true_subject, or use --ci clopper-pearson")
        clusters, m = None, 0
        if labels is not None:
            codes, uniq = _factorize(labels)
            order = np.argsort(best[non_ok], kind="stable")
            clusters = {"mated": codes[mated_ok], "nonmated": codes[non_ok][order],
                        "fta_mated": codes[s.mated & s.fta], "fta_nonmated": codes[~s.mated & s.fta]}
            m = len(uniq)
        k = int(np.diff(s.start).max(initial=0))
        return cls(mate_score[mated_ok], mate_rank[mated_ok], np.sort(best[non_ok]),
                   int((s.mated & s.fta).sum()), int((~s.mated & s.fta).sum()), fta, k, cluster_by, clusters, m)

    @property
    def counted(self) -> bool:
        return self.fta_convention == "count"

    @property
    def n_mated(self) -> int:
        return len(self.mate_score) + (self.fta_mated if self.counted else 0)

    @property
    def n_nonmated(self) -> int:
        return len(self.nonmated_best) + (self.fta_nonmated if self.counted else 0)

    def hits(self, threshold: float, rank: int | None) -> np.ndarray:
        """Acquired mated searches whose mate is returned at rank <= ``rank`` with score >= ``threshold``."""
        ok = self.mate_rank > 0
        if rank is not None:
            ok &= self.mate_rank <= rank
        return ok & alert_rule.reaches(self.mate_score, threshold)

    def false_alarms(self, threshold: float) -> int:
        return int(alert_rule.count_reaching(self.nonmated_best, threshold))

    def fta(self) -> SearchFTA:
        mt, nt = len(self.mate_score) + self.fta_mated, len(self.nonmated_best) + self.fta_nonmated
        rate = proportion("fta", self.fta_mated + self.fta_nonmated, mt + nt, "search")
        return SearchFTA(self.fta_mated, self.fta_nonmated, mt, nt, self.fta_convention, rate)

    def _clusters(self, kind: str, numerator: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-cluster (numerator, denominator): ``numerator`` flags acquired searches of that kind."""
        assert self.clusters is not None
        m = self.n_clusters
        codes, failed = self.clusters[kind], self.clusters["fta_" + kind]
        num = np.bincount(codes[numerator], minlength=m)
        den = np.bincount(codes, minlength=m)
        if self.counted:
            den = den + np.bincount(failed, minlength=m)
        return num, den


def identification_rates(os: OpenSet, threshold: float, *, rank: int | None = None, ci: str = "clopper-pearson",
                         seed: int = 0, n_boot: int = N_BOOT) -> IdentificationRates:
    """FNIR(N, R, T) and FPIR(N, T) at ``threshold`` (NIST FRTE 1:N), R = ``rank`` or any returned rank."""
    t = float(threshold)
    if math.isnan(t):
        raise InputError("the threshold is not a number", hint="give a number in the matcher's score scale")
    return IdentificationRates(t, rank, fnir(os, t, rank=rank, ci=ci, seed=seed, n_boot=n_boot),
                               fpir(os, t, ci=ci, seed=seed, n_boot=n_boot), os.fta())


def fnir(os: OpenSet, threshold: float, *, rank: int | None = None, ci: str = "clopper-pearson", seed: int = 0,
         n_boot: int = N_BOOT) -> Rate:
    """Mated searches whose mate is not at rank <= R with score >= T (failed searches counted as misses)."""
    hit = os.hits(threshold, rank)
    misses = os.n_mated - int(hit.sum())
    name = "fnir" if rank is None else f"fnir@rank{rank}"
    clusters = None
    if _bootstrap(ci, os):
        assert os.clusters is not None
        num, den = os._clusters("mated", ~hit)
        clusters = (num + (den - np.bincount(os.clusters["mated"], minlength=os.n_clusters)), den)
    return proportion(name, misses, os.n_mated, "search", clusters=clusters, seed=seed, n_boot=n_boot)


def fpir(os: OpenSet, threshold: float, *, ci: str = "clopper-pearson", seed: int = 0,
         n_boot: int = N_BOOT) -> Rate:
    """Non-mated searches with any candidate scoring >= T, over non-mated searches (NIST FRTE 1:N)."""
    k = os.false_alarms(threshold)
    clusters = None
    if _bootstrap(ci, os):
        flag = np.zeros(len(os.nonmated_best), dtype=bool)
        flag[len(flag) - k:] = True
        clusters = os._clusters("nonmated", flag)
    return proportion("fpir", k, os.n_nonmated, "search", clusters=clusters, seed=seed, n_boot=n_boot)


def fnir_at_fpir(os: OpenSet, target: float, *, ci: str = "clopper-pearson", seed: int = 0,
                 n_boot: int = N_BOOT) -> IdentificationPoint:
    """FNIR at the lowest threshold whose FPIR is at most ``target`` (NIST's FNIR @ FPIR).

    The candidates are the non-mated searches' highest scores; the rule is
    :func:`~fr_eval.thresholds.verification.lowest_threshold_at_most`, the same as FNMR @ FMR: the achieved
    FPIR never exceeds the target, ties are not split, and when no stored score meets it the
    threshold is just above the highest non-mated score (``np.nextafter``), said in ``note``.
    """
    _check_target(target, "fpir")
    if not len(os.nonmated_best):
        raise InputError("FNIR at an FPIR target needs non-mated searches with scores",
                         hint="the list has no scored non-mated search (mated false for some probe)")
    if not os.n_mated:
        raise InputError("FNIR needs mated searches", hint="the list has no mated search (mated true for some probe)")
    t, beyond = lowest_threshold_at_most(os.nonmated_best, os.n_nonmated, target)
    fp = fpir(os, t, ci=ci, seed=seed, n_boot=n_boot)
    note = ""
    if beyond:
        note = (f"no stored non-mated score gives FPIR <= {target:g}: threshold just above the highest "
                f"non-mated score (np.nextafter), FPIR {fp.numerator}/{fp.denominator}")
    return IdentificationPoint(f"fpir <= {target:g}", float(target), t, fp,
                               fnir(os, t, ci=ci, seed=seed, n_boot=n_boot),
                               fnir(os, t, rank=1, ci=ci, seed=seed, n_boot=n_boot), os.fta(), beyond, note)


def dir_at_ranks(os: OpenSet, threshold: float, *, max_rank: int | None = None, ci: str = "clopper-pearson",
                 seed: int = 0, n_boot: int = N_BOOT) -> RankCurve:
    """DIR(k, T) = 1 - FNIR(N, k, T) for k = 1..``max_rank`` (default: the longest candidate list)."""
    return _rank_curve(os, "dir", float(threshold), max_rank, ci, seed, n_boot)


def cmc(os: OpenSet, *, max_rank: int | None = None, ci: str = "clopper-pearson", seed: int = 0,
        n_boot: int = N_BOOT) -> RankCurve:
    """Cumulative match characteristic: mated searches whose mate is at rank <= k, k = 1..K (closed set).

    bob.measure's ``cmc`` (rank of the mate = 1 + non-mates scoring >= it); over mated searches only
    (bob refuses probes without a mate; its ``recognition_rate`` without a threshold counts them as
    errors).  The value at rank 1 is the rank-1 identification (recognition) rate.
    """
    return _rank_curve(os, "cmc", None, max_rank, ci, seed, n_boot)


def _rank_curve(os: OpenSet, name: str, threshold: float | None, max_rank: int | None, ci: str, seed: int,
                n_boot: int) -> RankCurve:
    if not os.n_mated:
        raise InputError(f"{name.upper()} needs mated searches", hint="the list has no mated search")
    k_max = max_rank or max(os.max_rank, 1)
    t = -np.inf if threshold is None else threshold
    points = []
    for k in range(1, k_max + 1):
        hit = os.hits(t, k)
        clusters = os._clusters("mated", hit) if _bootstrap(ci, os) else None
        points.append(proportion(f"{name}@{k}", int(hit.sum()), os.n_mated, "search", clusters=clusters,
                                    seed=seed, n_boot=n_boot))
    return RankCurve(name, threshold, tuple(points), os.fta())


def _bootstrap(ci: str, os: OpenSet) -> bool:
    if ci not in CI_CHOICES:
        raise InputError(f"unknown interval method {ci!r}", hint=" or ".join(CI_CHOICES))
    if ci == "bootstrap" and os.clusters is None:
        raise InputError("a cluster bootstrap needs to know who is who",
                         hint="cluster searches by probe or true_subject, or use --ci clopper-pearson")
    return ci == "bootstrap"


__all__ = ["IdentificationPoint", "IdentificationRates", "OpenSet", "RankCurve", "SearchFTA", "cmc",
           "dir_at_ranks", "fnir", "fnir_at_fpir", "fpir", "identification_rates"]
