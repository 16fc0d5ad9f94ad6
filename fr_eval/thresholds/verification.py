"""Verification metrics of a score list (FMR, FNMR, targets, failures to acquire), each a typed result.

Convention, everywhere in fr-eval: a comparison is **accepted** (a search **alerts**) when
``score >= threshold``.  A genuine comparison below the threshold is a false non-match; an impostor
comparison at or above it is a false match.  This is ISO/IEC 19795-1's, bob.measure's (``farfrr``),
scikit-learn's (``det_curve``: "score >= thresholds[i]") and pyeer's rule; the tools differ only in
which thresholds they try and how they pick one for a target (docs/metrics.md compares them).

Every rate is a :class:`~fr_eval.counting.rates.Rate` (:func:`proportion`): numerator, denominator,
unit and a 95% interval, Clopper-Pearson by default (:func:`fr_eval.counting.intervals.clopper_pearson`),
or, with ``ci="bootstrap"``, a percentile bootstrap that resamples whole clusters (subjects, else
probes: comparisons sharing a person are not independent; :func:`fr_eval.counting.intervals.cluster_bootstrap`),
seeded, the seed in the result.
Quantities that are not proportions (EER, ROCCH-EER, AUC) get a seeded bootstrap interval that
recomputes the quantity on each replicate (comparisons resampled within each class, or clusters with
``ci="bootstrap"``).

Failures to acquire (missing scores) are never dropped silently.  ``fta="count"`` (the default)
follows ISO/IEC 19795-1's transaction-level rates: a genuine comparison that failed to acquire is a
false non-match at every threshold and stays in the denominator; an impostor one can never be a false
match but stays in the denominator.  This is bob.measure's command-line rule FAR = FMR·(1-FTA),
FRR = FTA + FNMR·(1-FTA) applied to each class's own FTA, so every rate remains a ratio of two counts.
(bob pools one FTA over both classes; see docs/metrics.md.)  Count is the default because excluding
failures flatters a system whose camera cannot acquire the faces it is meant to find.
``fta="exclude"`` gives FMR and FNMR on the acquired comparisons only (bob's library functions after
its ``remove_nan``).  Each result carries the FTA counts and the convention used.

Identification metrics (FNIR, FPIR, DIR, CMC) are in :mod:`fr_eval.thresholds.identification`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fr_eval.counting.intervals import cluster_bootstrap
from fr_eval.counting.rates import Rate
from fr_eval.errors import InputError
from fr_eval.inputs.scorelists import ScoreList
from fr_eval.replay import alert_rule

FTA_CONVENTIONS = ("count", "exclude")
CI_CHOICES = ("clopper-pearson", "bootstrap")
N_BOOT = 1000          # bootstrap replicates for EER, ROCCH-EER and AUC, and for cluster-bootstrapped rates
MAX_BOOT_CELLS = 10**8  # cluster_bootstrap holds an n_boot x clusters matrix; refuse what would not fit


# -- typed results ----------------------------------------------------------------------------------

def proportion(name: str, k: int, n: int, unit: str, *, clusters: tuple[np.ndarray, np.ndarray] | None = None,
               seed: int = 0, n_boot: int = N_BOOT) -> Rate:
    """A rate of the score-list metrics: a :class:`~fr_eval.counting.rates.Rate` with its 95% interval,
    Clopper-Pearson, or with ``clusters=(numerators, denominators)`` per cluster, the cluster bootstrap
    (seeded; the seed in ``extra``).

    >>> proportion("fnmr", 28, 451, "comparison").format()
    '28/451 = 6.2% [4.2%, 8.8%] per comparison'
    """
    k, n = int(k), int(n)
    if clusters is None:
        return Rate.of(name, k, n, unit)
    num, den = clusters
    if len(num) * n_boot > MAX_BOOT_CELLS:
        raise InputError(f"{len(num)} clusters are too many for the cluster bootstrap ({n_boot} replicates)",
                         hint="use --ci clopper-pearson, or cluster by subject rather than probe")
    ci = cluster_bootstrap(num, den, n_boot=n_boot, seed=seed) if n else (math.nan, math.nan)  # type: ignore[arg-type]
    return Rate(name, k, n, unit, ci, f"cluster bootstrap ({len(num)} clusters, {n_boot} replicates)",
                {"seed": seed})

@dataclass(frozen=True)
class FTA:
    """Failures to acquire (missing scores) per class, and the convention the rates used.

    ``rate`` is the pooled FTA over all comparisons (bob.measure's ``get_fta``), a :class:`Rate`.
    """

    genuine: int
    impostor: int
    genuine_total: int
    impostor_total: int
    convention: str
    rate: Rate

    def to_dict(self) -> dict[str, Any]:
        return {"genuine": self.genuine, "impostor": self.impostor, "genuine_total": self.genuine_total,
                "impostor_total": self.impostor_total, "convention": self.convention, "rate": self.rate.to_dict()}


@dataclass(frozen=True)
class ErrorRates:
    """FMR and FNMR at one threshold (accept iff score >= threshold).

    With ``fta="count"`` these are ISO/IEC 19795-1's FAR and FRR (failures counted); with ``"exclude"``
    the FMR and FNMR of the acquired comparisons.  ``hter`` = (FMR + FNMR) / 2.
    """

    threshold: float
    fmr: Rate
    fnmr: Rate
    fta: FTA

    @property
    def hter(self) -> float:
        return (self.fmr.value + self.fnmr.value) / 2

    def to_dict(self) -> dict[str, Any]:
        return {"threshold": _num(self.threshold), "fmr": self.fmr.to_dict(), "fnmr": self.fnmr.to_dict(),
                "hter": _num(self.hter), "fta": self.fta.to_dict()}


@dataclass(frozen=True)
class OperatingPoint:
    """The threshold chosen for a target, with both rates there (bob.measure's far/frr_threshold rule).

    ``met`` is False only when no threshold can meet the target (counted genuine failures to acquire
    alone exceed an FNMR target).  ``beyond_scores`` is True when no stored score of the class meets the
    target and the threshold is the one just above the highest score (``np.nextafter``), as bob does.
    ``note`` says so in words.  The intervals are at the chosen threshold; they do not include the
    uncertainty of choosing it.
    """

    target: str
    target_value: float
    threshold: float
    fmr: Rate
    fnmr: Rate
    fta: FTA
    met: bool
    beyond_scores: bool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "target_value": self.target_value, "threshold": _num(self.threshold),
                "met": self.met, "beyond_scores": self.beyond_scores, "note": self.note,
                "fmr": self.fmr.to_dict(), "fnmr": self.fnmr.to_dict(), "fta": self.fta.to_dict()}


# -- the sorted scores every metric starts from ----------------------------------------------------

@dataclass(frozen=True, eq=False)
class Comparisons:
    """A score list reduced to what verification metrics count: each class's acquired scores, sorted once.

    Build with :meth:`from_scorelist` (or :meth:`from_arrays`).  ``cluster_by`` (``"subject"`` or
    ``"probe"``) keeps, beside the sorted scores, the cluster of each comparison for the bootstrap.
    """

    genuine: np.ndarray            # acquired genuine scores, ascending float64
    impostor: np.ndarray           # acquired impostor scores, ascending float64
    fta_genuine: int
    fta_impostor: int
    fta_convention: str
    cluster_by: str | None = None
    clusters: dict[str, np.ndarray] | None = None   # codes aligned with genuine, impostor and the failures
    n_clusters: int = 0
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_scorelist(cls, sl: ScoreList, *, fta: str = "count", cluster_by: str | None = None) -> Comparisons:
        labels = None
        if cluster_by is not None:
            labels = getattr(sl, cluster_by, None) if cluster_by in ("subject", "probe") else None
            if labels is None:
                raise InputError(f"{sl.paths[0]}: cannot cluster by {cluster_by!r}: the score list has no such "
                                 "labels", hint="cluster by a column the file has (subject or probe), or use "
                                                "--ci clopper-pearson")
        return cls.from_arrays(sl.score, sl.genuine, fta=fta, labels=labels, cluster_by=cluster_by,
                               where=", ".join(sl.paths))

    @classmethod
    def from_arrays(cls, scores, genuine, *, fta: str = "count", labels=None, cluster_by: str | None = None,
                    where: str = "scores") -> Comparisons:
        """From a float64 score array (NaN = failure to acquire) and a boolean genuine array."""
        if fta not in FTA_CONVENTIONS:
            raise InputError(f"unknown FTA convention {fta!r}", hint="count or exclude")
        s = np.asarray(scores, dtype=np.float64)
        g = np.asarray(genuine, dtype=bool)
        if s.shape != g.shape or s.ndim != 1:
            raise InputError(f"{where}: {s.size} scores but {g.size} genuine flags", hint="one flag per score")
        if np.isfinite(s).all():                      # the common case: one pass, no failures to acquire
            take_g, take_i, fta_g, fta_i = g, ~g, 0, 0
        else:
            if np.isinf(s).any():
                raise InputError(f"{where}: infinite score",
                                 hint="scores must be finite; NaN marks a failure to acquire")
            miss = np.isnan(s)
            take_g, take_i = g & ~miss, ~g & ~miss
            fta_g = int(np.count_nonzero(g & miss))
            fta_i = int(np.count_nonzero(~g & miss))
        n_g, n_i = int(np.count_nonzero(take_g)), int(np.count_nonzero(take_i))
        if not n_g or not n_i:
            which = "genuine" if not n_g else "impostor"
            raise InputError(f"{where}: no {which} comparison has a score",
                             hint="verification metrics need scored genuine and impostor comparisons")
        both = np.empty(n_g + n_i + 1, dtype=np.float64)   # both classes side by side, then +inf (see _merge)
        both[-1] = np.inf
        gs, is_ = both[:n_g], both[n_g:n_g + n_i]
        np.compress(take_g, s, out=gs)
        np.compress(take_i, s, out=is_)
        gs.sort()                                     # each class sorted once, in place
        is_.sort()
        if labels is None:
            return cls(gs, is_, fta_g, fta_i, fta, _cache={"both": both})
        miss = np.isnan(s)
        codes, uniq = _factorize(labels)
        out = {}
        for name, mask in (("genuine", g & ~miss), ("impostor", ~g & ~miss)):
            order = np.argsort(s[mask], kind="stable")
            out[name] = codes[mask][order]
        out["fta_genuine"] = codes[g & miss]
        out["fta_impostor"] = codes[~g & miss]
        return cls(gs, is_, fta_g, fta_i, fta, cluster_by, out, len(uniq), {"both": both})

    # denominators and counts, one definition each
    @property
    def counted(self) -> bool:
        return self.fta_convention == "count"

    @property
    def n_genuine(self) -> int:
        """Denominator of FNMR: acquired genuine comparisons, plus the failed ones when counted."""
        return len(self.genuine) + (self.fta_genuine if self.counted else 0)

    @property
    def n_impostor(self) -> int:
        """Denominator of FMR: acquired impostor comparisons, plus the failed ones when counted."""
        return len(self.impostor) + (self.fta_impostor if self.counted else 0)

    def fm(self, threshold: float) -> int:
        """False matches: impostor scores that reach the threshold (``alert_rule.count_reaching``)."""
        return int(alert_rule.count_reaching(self.impostor, threshold))

    def fnm(self, threshold: float) -> int:
        """False non-matches: genuine scores that do not reach the threshold, plus genuine failures to acquire
        when counted."""
        reached = int(alert_rule.count_reaching(self.genuine, threshold))
        return len(self.genuine) - reached + (self.fta_genuine if self.counted else 0)

    def fta(self) -> FTA:
        g_tot, i_tot = len(self.genuine) + self.fta_genuine, len(self.impostor) + self.fta_impostor
        rate = proportion("fta", self.fta_genuine + self.fta_impostor, g_tot + i_tot, "comparison")
        return FTA(self.fta_genuine, self.fta_impostor, g_tot, i_tot, self.fta_convention, rate)

    def rate_names(self) -> tuple[str, str]:
        """ISO/IEC 19795-1 names: FAR/FRR when failures are counted, FMR/FNMR on acquired comparisons."""
        return ("far", "frr") if self.counted and (self.fta_genuine or self.fta_impostor) else ("fmr", "fnmr")

    def cluster_counts(self, which: str, threshold: float) -> tuple[np.ndarray, np.ndarray]:
        """Per-cluster (numerator, denominator) of FMR (``which="fm"``) or FNMR at ``threshold``."""
        assert self.clusters is not None
        m = self.n_clusters
        if which == "fm":
            pos = len(self.impostor) - int(alert_rule.count_reaching(self.impostor, threshold))
            num = np.bincount(self.clusters["impostor"][pos:], minlength=m)
            den = np.bincount(self.clusters["impostor"], minlength=m)
            if self.counted:
                den = den + np.bincount(self.clusters["fta_impostor"], minlength=m)
        else:
            pos = len(self.genuine) - int(alert_rule.count_reaching(self.genuine, threshold))
            num = np.bincount(self.clusters["genuine"][:pos], minlength=m)
            den = np.bincount(self.clusters["genuine"], minlength=m)
            if self.counted:
                failed = np.bincount(self.clusters["fta_genuine"], minlength=m)
                num, den = num + failed, den + failed
        return num, den


def _factorize(labels) -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd

    codes, uniq = pd.factorize(np.asarray(labels, dtype=object), sort=True)   # canonical: row order changes nothing
    return codes.astype(np.int64), np.asarray(uniq)


# -- rates at a threshold and at targets --------------------------------------------------------------

def rates_at(cs: Comparisons, threshold: float, *, ci: str = "clopper-pearson", seed: int = 0,
             n_boot: int = N_BOOT) -> ErrorRates:
    """FMR and FNMR at ``threshold`` (ISO/IEC 19795-1; bob.measure ``farfrr``): accept iff score >= threshold.

    FMR = impostor comparisons with score >= threshold / impostor comparisons;
    FNMR = genuine comparisons with score < threshold / genuine comparisons (failures to acquire as the
    FTA convention says).
    """
    t = _threshold(threshold)
    fmr_name, fnmr_name = cs.rate_names()
    fmr = _proportion(cs, fmr_name, "fm", cs.fm(t), cs.n_impostor, t, ci, seed, n_boot)
    fnmr = _proportion(cs, fnmr_name, "fnm", cs.fnm(t), cs.n_genuine, t, ci, seed, n_boot)
    return ErrorRates(t, fmr, fnmr, cs.fta())


def fnmr_at_fmr(cs: Comparisons, target: float, *, ci: str = "clopper-pearson", seed: int = 0,
                n_boot: int = N_BOOT) -> OperatingPoint:
    """FNMR at the threshold whose FMR is **at most** ``target``: bob.measure's ``far_threshold`` rule.

    The candidate thresholds are the distinct impostor scores; the one chosen is the lowest whose FMR
    (impostors >= it, over the FMR denominator) is <= target, so the achieved FMR never exceeds the
    target.  Ties are never split: when several impostors share the score at the boundary, the
    achieved FMR can be well below the target.  When no stored impostor score meets the target (too
    few impostors for so small a target, or ties at the top), the threshold is the one just above the
    highest impostor score (``np.nextafter``), FMR 0, as bob returns; the result says so
    (``beyond_scores``).  A target of 1 returns bob's ``nextafter(lowest impostor score, -inf)``.

    This is the "FNMR @ FMR" of NIST FRTE 1:1 reports.  pyeer's FMR100/FMR1000 instead take the
    threshold whose FMR is *nearest* the target, which can exceed it (docs/metrics.md).
    """
    _check_target(target, "fmr")
    t, beyond = lowest_threshold_at_most(cs.impostor, cs.n_impostor, target)
    r = rates_at(cs, t, ci=ci, seed=seed, n_boot=n_boot)
    note = ""
    if beyond:
        note = (f"no stored impostor score gives {r.fmr.id.upper()} <= {target:g} (ties or too few impostors): "
                "threshold just above the highest impostor score (np.nextafter), "
                f"{r.fmr.numerator}/{r.fmr.denominator}")
    return OperatingPoint(f"{r.fmr.id} <= {target:g}", float(target), t, r.fmr, r.fnmr, r.fta, True, beyond, note)


def fmr_at_fnmr(cs: Comparisons, target: float, *, ci: str = "clopper-pearson", seed: int = 0,
                n_boot: int = N_BOOT) -> OperatingPoint:
    """FMR at the threshold whose FNMR is **at most** ``target`` (the mirror of :func:`fnmr_at_fmr`).

    The candidates are the distinct genuine scores and the value just above the highest one; the one
    chosen is the highest whose FNMR (genuine below it, plus counted failures to acquire) is <= target.
    This is bob.measure's ``frr_threshold`` contract; bob's loop tests the FNMR one tie group late, so
    with ties at the boundary it can pick a lower threshold than this (docs/metrics.md).  When counted
    failures to acquire alone exceed the target no threshold meets it: the lowest genuine score is
    returned with ``met=False``.
    """
    _check_target(target, "fnmr")
    gen, n = cs.genuine, cs.n_genuine
    k = _max_count(target, n)
    offset = cs.fta_genuine if cs.counted else 0
    met, beyond = True, False
    if k - offset < 0:
        t, met = float(gen[0]), False
    elif k - offset >= len(gen):
        t, beyond = float(np.nextafter(gen[-1], np.inf)), True
    else:
        t = float(gen[k - offset])
    r = rates_at(cs, t, ci=ci, seed=seed, n_boot=n_boot)
    note = ""
    if not met:
        note = (f"failures to acquire alone give {r.fnmr.id.upper()} {offset}/{n} > {target:g}: no threshold "
                "meets the target; lowest genuine score shown")
    elif beyond:
        note = "every genuine comparison may be rejected: threshold just above the highest genuine score"
    return OperatingPoint(f"{r.fnmr.id} <= {target:g}", float(target), t, r.fmr, r.fnmr, r.fta, met, beyond, note)


def lowest_threshold_at_most(negatives: np.ndarray, n: int, target: float) -> tuple[float, bool]:
    """bob.measure's ``far_threshold``: the lowest stored negative score whose rate is <= ``target``.

    ``negatives`` are the scored negatives (impostor comparisons, non-mated searches' best candidate),
    ascending; ``n`` the rate's denominator (more than ``len(negatives)`` when failures to acquire are
    counted).  The rate at a threshold is (negatives >= it) / n.  Returns ``(threshold, beyond)``:
    ``beyond`` is True when no stored score meets the target and the threshold is the one just above
    the highest (``np.nextafter``), rate 0.  A target of 1 gives ``nextafter(lowest, -inf)``, as bob.
    (bob takes that shortcut from 1 - eps; fr-eval only at 1, so a target just below 1 stays at most.)
    """
    n_acq = len(negatives)
    if target >= 1.0:
        return float(np.nextafter(negatives[0], -np.inf)), False
    k = _max_count(target, n)                      # the largest count with count / n <= target
    if k >= n_acq:
        return float(negatives[0]), False
    j = n_acq - k                                  # the threshold's first index must be >= j
    idx = j if j < n_acq and negatives[j - 1] < negatives[j] else \
        int(np.searchsorted(negatives, negatives[j - 1], side="right"))
    if idx >= n_acq:
        return float(np.nextafter(negatives[-1], np.inf)), True
    return float(negatives[idx]), False


def _max_count(target: float, n: int) -> int:
    """The largest count k in [0, n] with ``k / n <= target`` in float64, as bob.measure compares."""
    k = min(n, max(0, int(math.floor(target * n))))
    while k < n and (k + 1) / n <= target:
        k += 1
    while k > 0 and k / n > target:
        k -= 1
    return k


# -- helpers -------------------------------------------------------------------------------------------

def _proportion(cs: Comparisons, name: str, which: str, k: int, n: int, t: float, ci: str, seed: int,
                n_boot: int) -> Rate:
    if ci not in CI_CHOICES:
        raise InputError(f"unknown interval method {ci!r}", hint=" or ".join(CI_CHOICES))
    if ci == "bootstrap":
        if cs.clusters is None:
            raise InputError("a cluster bootstrap needs to know who is who",
                             hint="give a score list with subject or probe labels, or use --ci clopper-pearson")
        return proportion(name, k, n, "comparison", clusters=cs.cluster_counts(which, t), seed=seed, n_boot=n_boot)
    return proportion(name, k, n, "comparison")


def _threshold(t: float) -> float:
    t = float(t)
    if math.isnan(t):
        raise InputError("the threshold is not a number", hint="give a number in the matcher's score scale")
    return t


def _check_target(target: float, what: str) -> None:
    if not (0.0 <= float(target) <= 1.0):
        raise InputError(f"{what} target {target!r} is not a proportion", hint="give a number in [0, 1], e.g. 0.001")


def _num(x: float | None) -> float | str | None:
    if x is None:
        return None
    x = float(x)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x
