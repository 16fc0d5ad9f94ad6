"""Every counting method, defined once.

Each party to the LFR debate divides a different pair of counts of the same
funnel (:class:`fr_eval.counting.funnel.Funnel`).  This module declares every method as
data -- id, definition, unit, what the numerator and the denominator count,
who uses it and where they said so, which counts it needs -- together with the
function that takes those two counts from a funnel.  ``docs/methods.md`` is
generated from :data:`METHODS` (``python -m fr_eval.counting.methods --markdown``) and a
test checks that it quotes every definition verbatim.

Computing a method gives a :class:`fr_eval.counting.rates.Rate` (never a bare float),
or an :class:`Unavailable` naming the counts that are missing::

    >>> from fr_eval.counting.funnel import Funnel
    >>> r = compute("verified_precision", Funnel(alerts=42, verified_correct=8))
    >>> r.format()
    '8/42 = 19.0% [8.6%, 34.1%] per alert'

Intervals: exact Clopper-Pearson by default, Wilson on request, and a cluster
bootstrap when per-cluster funnels (one per subject or per deployment) are
given, so that repeated passages of one person are not counted as independent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fr_eval.counting.funnel import Funnel
from fr_eval.counting.intervals import CI_METHODS, poisson_exact
from fr_eval.counting.rates import Bounds, Rate, Result, Unavailable
from fr_eval.errors import InputError

#: metrics a policy or a sweep may name besides the counting methods: alerts per hour of footage
#: (an :class:`~fr_eval.counting.rates.EventRate` with the exact Poisson interval)
EXTRA_METRICS = ("alerts_per_hour",)
#: bootstrap replicates of every cluster-bootstrap interval (in the signature when the bootstrap is used)
N_BOOT = 2000


#: Plain-language sentences for reports ({num}, {den}; {were} and {s} agree with the numerator).
SENTENCES: dict[str, str] = {
    "tpir": "Of {den} passages by watchlisted people, {num} raised a correct alert.",
    "fnir": "Of {den} passages by watchlisted people, {num} went by without a correct alert.",
    "fnir_rank1": "Of {den} passages by watchlisted people, {num} had no correct rank-1 candidate at or above "
                  "the threshold.",
    "tpir_per_subject": "Of {den} watchlisted people seen, {num} {were} correctly alerted at least once.",
    "fpir": "Of {den} passages by people not on the watchlist, {num} raised an alert.",
    "false_alert_rate": "Of {den} faces processed, {num} led to a false alert.",
    "precision": "Of {den} alerts, {num} named the person actually present.",
    "false_alert_share": "Of {den} alerts, {num} {were} false.",
    "verified_precision": "Of {den} alerts, {num} {were} confirmed correct after a stop.",
    "stopped_precision": "Of {den} people stopped, {num} {were} confirmed to be the person on the watchlist.",
    "false_share": "Of {den} alerts, {num} {were} not confirmed correct (wrong, or never resolved).",
    "verified_false_share": "Of {den} alerts, {num} {were} confirmed wrong after a stop.",
    "tpir_per_frame": "Of {den} face detections of watchlisted people, {num} {were} in correctly alerting tracks.",
    "fpir_per_frame": "Of {den} face detections of people not on the watchlist, {num} {were} in alerting tracks.",
    "false_alert_rate_per_frame": "Over {den} face detections, {num} false alert{s} {were} raised.",
}


@dataclass(frozen=True)
class KnownAs:
    """Who uses a method, what they call it, and where.

    ``term`` is the party's name for the method ("FPIR", "positive predictive value"): true of every deployment.
    ``figure`` is a number they published with it and ``about`` the deployment that number describes ("wrong on 7
    of 8 alerts", about "the Met's 2020 deployments"): true of that deployment only, so it is listed as a source
    of the method (:meth:`Method.published`), never printed as if it described the figures of another row.
    """

    party: str
    term: str
    citation: str
    url: str = ""
    figure: str = ""
    about: str = ""


@dataclass(frozen=True)
class Method:
    """One counting method: its definition as data, and how to take its counts from a funnel."""

    id: str
    label: str
    definition: str
    unit: str
    numerator: str
    denominator: str
    #: alternatives: the method can be computed when every key of one alternative is known
    requires: tuple[tuple[str, ...], ...]
    counts: Callable[[Funnel], tuple[int, int]]
    known_as: tuple[KnownAs, ...] = ()
    #: how the method's users say it: "percent" or "one_in"
    said_as: str = "percent"
    family: str = "alert"
    #: the method whose counts this is the complement of (1 - that rate)
    complement_of: str | None = None
    notes: str = ""
    #: "proportion" (numerator units are a subset of the denominator's: binomial intervals) or "rate" (events per
    #: unit, which may exceed 1: exact Poisson interval unless a cluster bootstrap is asked for)
    kind: str = "proportion"

    def sentence(self, numerator: int, denominator: int) -> str:
        """The counts in plain words, e.g. "Of 42 alerts, 8 were confirmed correct after a stop."."""
        template = SENTENCES.get(self.id)
        if template is None:
            return f"Of {denominator:,} {self.denominator}: {numerator:,} {self.numerator}."
        return template.format(num=f"{numerator:,}", den=f"{denominator:,}", were="was" if numerator == 1 else "were",
                               s="" if numerator == 1 else "s")

    def missing(self, funnel: Funnel) -> tuple[str, ...] | None:
        """None when computable, else the keys of the alternative closest to being complete."""
        best = None
        for alt in self.requires:
            miss = tuple(k for k in alt if funnel.get(k) is None)
            if not miss:
                return None
            if best is None or len(miss) < len(best):
                best = miss
        return best or ()

    def used_by(self) -> str:
        """The parties that use the method, with their name for it: never a figure about one deployment."""
        return "; ".join(f"{k.party} ({k.term})" if k.term else k.party for k in dict.fromkeys(self.known_as))

    def parties(self) -> str:
        """The parties' names alone, once each (the terminal's "used by" column)."""
        return "; ".join(dict.fromkeys(k.party for k in self.known_as))

    def published(self) -> list[str]:
        """The figures parties published with this method, each with the deployment it describes and where."""
        return [f"{k.party}: {k.figure}, about {k.about}" for k in self.known_as if k.figure]

    def source(self) -> str:
        return "; ".join(k.citation + (f" <{k.url}>" if k.url else "") for k in self.known_as if k.citation)


# -- sources --------------------------------------------------------------------------

ESSEX = ("P. Fussey and D. Murray, Independent Report on the London Metropolitan Police Service's Trial of "
         "Live Facial Recognition Technology, University of Essex Human Rights Centre, July 2019 (summarised by "
         "PublicTechnology, 5 July 2019)",
         "https://www.publictechnology.net/2019/07/05/defence-and-security/damning-report-questions-accuracy-and-lawfulness-met-police-facial-recognition-trials/")
MET_2020 = ("Metropolitan Police, announcement of operational LFR, 24 January 2020, as reported by the Daily Mail "
            "('70 per cent success rate at picking up suspects'; 'one in 1000 ... generate a false alert')",
            "https://www.dailymail.co.uk/news/article-7924733/Scotland-Yard-introduces-facial-recognition-cameras-hunt-watchlist-2-500-suspects.html")
SKY_81 = ("Sky News and the Guardian on the Essex report, 4 July 2019: 'an error rate of 81%' (8 of 42 correct); "
          "as reported by The Inquirer",
          "https://www.theinquirer.net/inquirer/news/3078409/met-police-facial-recongition-81-percent-inaccurate")
TIMES_2021 = ("The Times, 12 February 2021, 'Metropolitan Police scan 13,000 faces to catch one suspect'",
              "https://www.thetimes.co.uk/article/metropolitan-police-scan-13-000-faces-to-catch-one-suspect-26lqgrz76")
NPL_2023 = ("T. Mansfield, Facial Recognition Technology in Law Enforcement Equitability Study, National Physical "
            "Laboratory, March 2023", "https://science.police.uk/site/assets/files/3396/frt-equitability-study_mar2023.pdf")
ISO_19795 = ("ISO/IEC 19795-1:2021 Biometric performance testing and reporting, Part 1: Principles and framework",
             "https://www.iso.org/standard/73515.html")
ISO_30137 = ("ISO/IEC 30137-2, Use of biometrics in video surveillance systems, Part 2: Performance testing and "
             "reporting", "")
NIST_8271 = ("P. Grother, M. Ngan, K. Hanaoka, Face Recognition Vendor Test (FRVT) Part 2: Identification, "
             "NISTIR 8271, 2019", "https://doi.org/10.6028/NIST.IR.8271")
NIST_FIVE = ("P. Grother, G. Quinn, M. Ngan, Face In Video Evaluation (FIVE): Face Recognition of Non-Cooperative "
             "Subjects, NISTIR 8173, 2017", "https://doi.org/10.6028/NIST.IR.8173")


def _k(party: str, term: str, src: tuple[str, str], figure: str = "", about: str = "") -> KnownAs:
    return KnownAs(party, term, src[0], src[1], figure, about)


# -- count functions ----------------------------------------------------------------------

def _g(f: Funnel, key: str) -> int:
    v = f.get(key)
    if v is None:  # guarded by Method.missing; a bug if reached
        raise KeyError(key)
    return int(v)


def _tpir_counts(f: Funnel) -> tuple[int, int]:
    if f.get("watchlisted_passages") is not None and f.get("watchlisted_alerted") is not None:
        return _g(f, "watchlisted_alerted"), _g(f, "watchlisted_passages")
    return _g(f, "plant_alerts"), _g(f, "plant_passages")


def _far_counts(f: Funnel) -> tuple[int, int]:
    if f.get("nonwatchlist_false_alerts") is not None:
        return _g(f, "nonwatchlist_false_alerts"), _g(f, "faces_processed")
    return _g(f, "false_alerts"), _g(f, "faces_processed")


def _complement(counts: Callable[[Funnel], tuple[int, int]]) -> Callable[[Funnel], tuple[int, int]]:
    def inner(f: Funnel) -> tuple[int, int]:
        k, n = counts(f)
        return n - k, n
    return inner


def _pair(num: str, den: str) -> Callable[[Funnel], tuple[int, int]]:
    return lambda f: (_g(f, num), _g(f, den))


_TPIR_REQ = (("watchlisted_alerted", "watchlisted_passages"), ("plant_alerts", "plant_passages"))

_METHOD_LIST = [
    Method(
        id="tpir", label="True positive identification rate", family="identification",
        definition=("Watchlisted passages that raised a correct alert, divided by all watchlisted passages "
                    "(with --plants-only: passages of planted volunteers only). A passage whose face was never "
                    "detected counts as a miss."),
        unit="passage", numerator="watchlisted passages with a correct alert (any rank)",
        denominator="watchlisted passages", requires=_TPIR_REQ, counts=_tpir_counts,
        known_as=(_k("Metropolitan Police", "success rate", MET_2020, "70%", "its LFR system in 2020"),
                  _k("NPL", "TPIR", NPL_2023, "89% at threshold 0.6", "the NEC system tested in 2022-23"),
                  _k("ISO/IEC 19795-1 (as 1 - FNIR)", "", ISO_19795)),
        notes="Per passage, not per person and not per frame: a person who walks past three times is three trials."),
    Method(
        id="fnir", label="False negative identification rate", family="identification", complement_of="tpir",
        definition=("Watchlisted passages that raised no correct alert, divided by all watchlisted passages: "
                    "1 - tpir on the same counts (NIST's FNIR at any rank within the stored candidate list)."),
        unit="passage", numerator="watchlisted passages without a correct alert",
        denominator="watchlisted passages", requires=_TPIR_REQ, counts=_complement(_tpir_counts),
        known_as=(_k("ISO/IEC 19795-1", "FNIR", ISO_19795), _k("NIST FRVT", "FNIR(N, R=k, T)", NIST_8271))),
    Method(
        id="fnir_rank1", label="FNIR at rank 1", family="identification",
        definition=("Watchlisted passages whose own subject was not the rank-1 candidate at or above the threshold, "
                    "divided by all watchlisted passages (NIST's FNIR at rank 1: a correct alert that is not the top "
                    "candidate counts as a miss)."),
        unit="passage", numerator="watchlisted passages without a rank-1 correct candidate at or above the threshold",
        denominator="watchlisted passages", requires=(("watchlisted_rank1", "watchlisted_passages"),),
        counts=_complement(_pair("watchlisted_rank1", "watchlisted_passages")),
        known_as=(_k("NIST FRVT", "FNIR(N, R=1, T)", NIST_8271),)),
    Method(
        id="tpir_per_subject", label="TPIR per watchlisted person", family="identification",
        definition=("Watchlisted people with at least one correct alert over all their passages, divided by the "
                    "watchlisted people who passed the cameras at least once."),
        unit="subject", numerator="watchlisted people with a correct alert",
        denominator="watchlisted people seen", requires=(("watchlisted_subjects_alerted", "watchlisted_subjects"),),
        counts=_pair("watchlisted_subjects_alerted", "watchlisted_subjects"),
        known_as=(KnownAs("Per-person counting in video evaluations", "", ""),
                  _k("Video identification testing", "", NIST_FIVE))),
    Method(
        id="fpir", label="False positive identification rate", family="identification",
        definition=("Non-watchlist passages that raised at least one alert, divided by all non-watchlist "
                    "passages (open-set identification: one non-mated search per passage)."),
        unit="passage", numerator="non-watchlist passages with an alert",
        denominator="non-watchlist passages", requires=(("nonwatchlist_alerted", "nonwatchlist_passages"),),
        counts=_pair("nonwatchlist_alerted", "nonwatchlist_passages"), said_as="one_in",
        known_as=(_k("NPL", "FPIR", NPL_2023), _k("ISO/IEC 19795-1", "FPIR", ISO_19795),
                  _k("NIST FRVT", "FPIR(N, T)", NIST_8271))),
    Method(
        id="false_alert_rate", label="False alert rate (per face)", family="alert",
        definition=("False alerts divided by the faces processed. With truth: false alerts on people not on the "
                    "watchlist, over the non-watchlist passages plus the face tracks that match no truth passage. "
                    "Without truth: all false alerts, over the number of faces the operational system reported it "
                    "scanned."),
        unit="face", numerator="false alerts", denominator="faces processed",
        requires=(("false_alerts", "faces_processed"), ("nonwatchlist_false_alerts", "faces_processed")),
        counts=_far_counts,
        said_as="one_in",
        known_as=(_k("Metropolitan Police", "false alert rate", MET_2020, "1 in 1,000", "its LFR system in 2020"),),
        notes=("Alerts per face, not a share of alerts: it says nothing about how many alerts are right. A rate of "
               "events per face (one face can raise alerts on several subjects), so its interval is the exact "
               "Poisson one."), kind="rate"),
    Method(
        id="precision", label="Precision (positive predictive value)", family="alert",
        definition="Alerts naming the person truly present, divided by all alerts (needs truth).",
        unit="alert", numerator="alerts naming the person present", denominator="alerts",
        requires=(("true_alerts", "alerts"),), counts=_pair("true_alerts", "alerts"),
        known_as=(KnownAs("Diagnostic testing and retrieval", "positive predictive value", ""),)),
    Method(
        id="false_alert_share", label="Share of alerts that were false", family="alert", complement_of="precision",
        definition="False alerts divided by all alerts: 1 - precision on the same counts.",
        unit="alert", numerator="false alerts", denominator="alerts",
        requires=(("false_alerts", "alerts"),), counts=_pair("false_alerts", "alerts"),
        known_as=(_k("The Times", "", TIMES_2021, "wrong on 7 of 8 alerts", "the Met's 2020 deployments"),)),
    Method(
        id="verified_precision", label="Verified precision", family="operational",
        definition="Alerts verified correct after a stop, divided by all alerts.",
        unit="alert", numerator="alerts verified correct", denominator="alerts",
        requires=(("verified_correct", "alerts"),), counts=_pair("verified_correct", "alerts"),
        known_as=(_k("Essex review", "verifiably accurate", ESSEX, "19% (8/42)", "the Met's 2018-19 trials"),)),
    Method(
        id="stopped_precision", label="Precision among stops", family="operational",
        definition="Alerts verified correct, divided by the alerts that led to a stop.",
        unit="stop", numerator="alerts verified correct", denominator="people stopped",
        requires=(("verified_correct", "stopped"),), counts=_pair("verified_correct", "stopped"),
        known_as=(_k("Essex review counts", "", ESSEX, "36% (8/22)", "the Met's 2018-19 trials"),)),
    Method(
        id="false_share", label="Share of alerts not verified correct", family="operational",
        complement_of="verified_precision",
        definition=("Alerts not verified correct (verified incorrect, rejected, lost or unverified), divided by "
                    "all alerts: 1 - verified_precision."),
        unit="alert", numerator="alerts not verified correct", denominator="alerts",
        requires=(("verified_correct", "alerts"),), counts=_complement(_pair("verified_correct", "alerts")),
        known_as=(_k("Sky News, the Guardian and campaigners", "inaccurate", SKY_81, "81% (34/42)",
                     "the Met's 2018-19 trials"),)),
    Method(
        id="verified_false_share", label="Share of alerts verified incorrect", family="operational",
        definition="Alerts verified incorrect after a stop, divided by all alerts (a lower bound on the false share).",
        unit="alert", numerator="alerts verified incorrect", denominator="alerts",
        requires=(("verified_incorrect", "alerts"),), counts=_pair("verified_incorrect", "alerts"),
        known_as=(_k("Essex review counts", "", ESSEX, "33% (14/42)", "the Met's 2018-19 trials"),)),
    Method(
        id="precision_bounds", label="Bounds on precision", family="operational",
        definition=("From verified correct / alerts (every unresolved alert wrong) to (alerts - verified "
                    "incorrect) / alerts (every unresolved alert right): what precision could be when rejected, "
                    "lost and unverified alerts were never settled."),
        unit="alert", numerator="verified correct (low) and alerts - verified incorrect (high)",
        denominator="alerts", requires=(("verified_correct", "verified_incorrect", "alerts"),),
        counts=_pair("verified_correct", "alerts"),
        known_as=(_k("fr-eval", "", ESSEX, "19%-67%", "the Met's 2018-19 trials (Essex counts)"),)),
    Method(
        id="tpir_per_frame", label="TPIR per frame", family="per_frame",
        definition=("Face detections in watchlisted passages that belong to a track which raised the correct "
                    "alert, divided by all face detections in watchlisted passages (one trial per sampled frame)."),
        unit="frame", numerator="watchlisted face detections in correctly alerting tracks",
        denominator="watchlisted face detections", requires=(("watchlisted_frames_alerted", "watchlisted_frames"),),
        counts=_pair("watchlisted_frames_alerted", "watchlisted_frames"),
        known_as=(_k("Per-frame counting in video identification testing", "", ISO_30137),)),
    Method(
        id="fpir_per_frame", label="FPIR per frame", family="per_frame", said_as="one_in",
        definition=("Face detections in non-watchlist passages that belong to a track which raised an alert, "
                    "divided by all face detections in non-watchlist passages."),
        unit="frame", numerator="non-watchlist face detections in alerting tracks",
        denominator="non-watchlist face detections",
        requires=(("nonwatchlist_frames_alerted", "nonwatchlist_frames"),),
        counts=_pair("nonwatchlist_frames_alerted", "nonwatchlist_frames"),
        known_as=(_k("Per-frame counting in video identification testing", "", ISO_30137),)),
    Method(
        id="false_alert_rate_per_frame", label="False alert rate per face detection", family="per_frame",
        said_as="one_in",
        definition=("False alerts divided by every face detection (each sampled frame with a face counts as a "
                    "face processed): how counting faces per frame inflates the denominator."),
        unit="frame", numerator="false alerts", denominator="face detections",
        requires=(("false_alerts", "frames_processed"),), counts=_pair("false_alerts", "frames_processed"),
        known_as=(_k("Per-frame reading of 'faces processed'", "", MET_2020),), kind="rate"),
]

#: every counting method, by id, in display order
METHODS: dict[str, Method] = {m.id: m for m in _METHOD_LIST}


# -- computing ------------------------------------------------------------------------------

def compute(method: str | Method, funnel: Funnel, *, ci: str = "clopper-pearson",
            clusters: Sequence[Funnel] | None = None, seed: int = 0,
            _intervals: dict[str, tuple[float, float]] | None = None) -> Result:
    """Compute one method on a funnel.

    Parameters
    ----------
    method : a method id (see :data:`METHODS`) or a :class:`Method`.
    funnel : the counts.
    ci : ``clopper-pearson`` (default, exact), ``wilson`` or ``bootstrap``.
    clusters : for ``bootstrap``: one funnel per cluster (subject, camera or
        deployment) whose counts sum to ``funnel``; clusters are resampled whole.
        Without clusters, ``bootstrap`` resamples single units.
    seed : bootstrap seed (results are reproducible; the seed is in the signature).

    Returns
    -------
    Rate, Bounds or Unavailable
        The rate, with ``extra`` holding ``label``, ``used_by``, ``source``,
        ``said_as``; :class:`~fr_eval.counting.rates.Bounds` for ``precision_bounds``;
        or what is missing.
    """
    m = METHODS[method] if isinstance(method, str) else method
    if ci not in CI_METHODS:
        raise InputError(f"unknown interval method {ci!r}", hint=f"one of {', '.join(CI_METHODS)}")
    miss = m.missing(funnel)
    if miss is not None:
        return Unavailable(m.id, miss, m.label, m.requires, m.unit)
    k, n = m.counts(funnel)
    extra: dict[str, Any] = {"label": m.label, "used_by": m.used_by(), "source": m.source(), "said_as": m.said_as}
    boot = None
    if ci == "bootstrap" and clusters:
        boot = (_intervals if _intervals is not None else cluster_intervals([m], clusters, seed=seed)).get(m.id)
        if boot is not None:
            extra["n_clusters"] = len(clusters)
    if m.kind == "rate" and boot is None:
        extra["interval"] = "exact Poisson (Garwood): events per unit, not a proportion"
        return Rate(m.id, k, n, m.unit, poisson_exact(k, n), "poisson-exact", extra)
    if k > n:
        # not a proportion (e.g. more false alerts than faces): no binomial interval
        extra["note"] = "numerator exceeds denominator: a rate per unit, not a proportion"
        return Rate(m.id, k, n, m.unit, (math.nan, math.nan), ci, extra)
    if boot is not None:
        rate = Rate(m.id, k, n, m.unit, boot, ci, extra)
    else:
        rate = Rate.of(m.id, k, n, m.unit, ci_method=ci, seed=seed, **extra)
    if m.id == "precision_bounds":
        hi_k = n - _g(funnel, "verified_incorrect")
        if boot is not None:
            hi_ci = (_intervals if _intervals is not None else
                     cluster_intervals([m], clusters or [], seed=seed))[m.id + ":upper"]
            high = Rate(m.id + ":upper", hi_k, n, m.unit, hi_ci, ci, {})
        else:
            high = Rate.of(m.id + ":upper", hi_k, n, m.unit, ci_method=ci, seed=seed)
        note = "the low end counts every unresolved alert wrong, the high end every unresolved alert right"
        return Bounds(m.id, k, n, m.unit, (rate.ci95[0], high.ci95[1]), ci, {**extra, "note": note}, high=high)
    return rate


def compute_all(funnel: Funnel, *, ci: str = "clopper-pearson", clusters: Sequence[Funnel] | None = None,
                methods: Iterable[str] | None = None, seed: int = 0) -> list[Result]:
    """Every method (or those named) on one funnel, in :data:`METHODS` order."""
    ids = list(methods) if methods is not None else list(METHODS)
    unknown = [i for i in ids if i not in METHODS]
    if unknown:
        raise InputError(f"unknown counting method {unknown[0]!r}", hint=f"one of {', '.join(METHODS)}")
    intervals = None
    if ci == "bootstrap" and clusters:
        # every method on the same replicates, in one pass over the clusters
        intervals = cluster_intervals([METHODS[i] for i in ids], clusters, seed=seed)
    return [compute(i, funnel, ci=ci, clusters=clusters, seed=seed, _intervals=intervals) for i in ids]


def cluster_intervals(methods: Sequence[Method], clusters: Sequence[Funnel], *, seed: int = 0, n_boot: int = N_BOOT,
                      confidence: float = 0.95, batch: int = 200) -> dict[str, tuple[float, float]]:
    """Cluster-bootstrap intervals of several methods on the same replicates.

    Resamples whole clusters (one funnel each) with replacement, exactly as
    :func:`fr_eval.counting.intervals.cluster_bootstrap` does with the same ``seed``,
    but draws the replicates in batches (memory stays ``batch x clusters``) and
    shares them between methods.  Methods not computable in every cluster are left out.
    ``precision_bounds`` also gets ``"precision_bounds:upper"``.
    """
    cols, names = [], []
    for m in methods:
        if not clusters or any(m.missing(c) is not None for c in clusters):
            continue
        per = [m.counts(c) for c in clusters]
        cols.append(([p[0] for p in per], [p[1] for p in per]))
        names.append(m.id)
        if m.id == "precision_bounds":
            cols.append(([d - _g(c, "verified_incorrect") for c, (_, d) in zip(clusters, per)], cols[-1][1]))
            names.append(m.id + ":upper")
    if not cols:
        return {}
    import numpy as np

    mclu = len(clusters)
    num = np.array([c[0] for c in cols], dtype=float).T      # clusters x methods
    den = np.array([c[1] for c in cols], dtype=float).T
    rng = np.random.default_rng(seed)
    p = np.full(mclu, 1.0 / mclu)
    ratios = []
    for start in range(0, n_boot, batch):
        w = rng.multinomial(mclu, p, size=min(batch, n_boot - start)).astype(float)
        top, bottom = w @ num, w @ den
        with np.errstate(invalid="ignore", divide="ignore"):
            ratios.append(np.where(bottom > 0, top / bottom, np.nan))
    r = np.vstack(ratios)
    alpha = 1 - confidence
    out = {}
    for j, name in enumerate(names):
        if den[:, j].sum() == 0:
            out[name] = (math.nan, math.nan)
            continue
        col = r[:, j]
        lo, hi = np.quantile(col[~np.isnan(col)], [alpha / 2, 1 - alpha / 2])
        out[name] = (float(lo), float(hi))
    return out


def result_dict(result: Result) -> dict[str, Any]:
    """The JSON form of one result: id, value, numerator, denominator, unit, ci95, one_in, text, used_by, source."""
    d = result.to_dict()
    d["available"] = not isinstance(result, Unavailable)
    m = METHODS.get(result.id)
    if m is not None:
        d.setdefault("used_by", m.used_by())
        d.setdefault("source", m.source())
        d.setdefault("label", m.label)
        d.setdefault("unit", m.unit)
    return d


def results_frame(results: Sequence[Result]):
    """The results as a DataFrame, one row per method (missing ones with their reason)."""
    import pandas as pd

    rows = []
    for r in results:
        if isinstance(r, Unavailable):
            rows.append({"id": r.id, "label": r.label, "value": math.nan, "numerator": None, "denominator": None,
                         "unit": METHODS[r.id].unit if r.id in METHODS else "", "ci_low": math.nan,
                         "ci_high": math.nan, "one_in": None, "missing": r.reason})
        else:
            rows.append({"id": r.id, "label": r.extra.get("label", ""), "value": r.value, "numerator": r.numerator,
                         "denominator": r.denominator, "unit": r.unit, "ci_low": r.ci95[0], "ci_high": r.ci95[1],
                         "one_in": r.one_in, "missing": ""})
    return pd.DataFrame(rows)


# -- documentation -----------------------------------------------------------------------------

def markdown_table() -> str:
    """The table of methods that ``docs/methods.md`` embeds (generated, never edited by hand)."""
    lines = ["| id | unit | definition | numerator / denominator | used by | published with it (about) |",
             "|---|---|---|---|---|---|"]
    for m in METHODS.values():
        published = "; ".join(f"{k.party}: {k.figure} (about {k.about})" for k in m.known_as if k.figure)
        lines.append(f"| `{m.id}` | {m.unit} | {m.definition} | {m.numerator} / {m.denominator} | {m.used_by()} "
                     f"| {published} |")
    return "\n".join(lines)


def markdown_sources() -> str:
    """Every source cited by a method, once."""
    seen: dict[str, str] = {}
    for m in METHODS.values():
        for k in m.known_as:
            if k.citation:
                seen.setdefault(k.citation, k.url)
    return "\n".join(f"- {c}" + (f" <{u}>" if u else "") for c, u in seen.items())


def update_docs(path) -> None:
    """Rewrite the generated table between the markers of ``docs/methods.md`` (atomically)."""
    from pathlib import Path

    from fr_eval.store.atomic import write_text

    text = Path(path).read_text()
    start, end = "<!-- generated: python -m fr_eval.counting.methods --markdown -->\n", "\n<!-- end generated -->"
    a, b = text.index(start) + len(start), text.index(end)
    write_text(path, text[:a] + markdown_table() + text[b:])


if __name__ == "__main__":  # pragma: no cover - documentation helper
    import sys

    if "--update-docs" in sys.argv:
        update_docs(sys.argv[sys.argv.index("--update-docs") + 1])
    else:
        print(markdown_table())
        print()
        print(markdown_sources())
