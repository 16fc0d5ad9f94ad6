"""The reconciliation: every party's number from one funnel, why they differ, and whether the claims hold.

:func:`reconcile` takes a replay run (its statistics) or a counts file and
returns a :class:`Reconciliation` with

* every counting method the counts allow (and, for the others, which count is missing);
* the **alert waterfall**: alerts -> judged credible -> stop attempted -> stopped -> verified correct,
  with what was lost at each stage (it always closes: the losses and the last stage add up to the alerts);
* the **base-rate explanation**: the share of watchlisted people among passers-by (prevalence) at which a
  stated hit rate and false-alert rate produce the observed precision, and the precision to expect over a
  range of prevalences and watchlist sizes;
* a **claims check**: each published figure recomputed from the counts and marked ``reproduced``,
  ``rounding_inconsistent``, ``contradicted`` or ``not_checkable`` (:mod:`fr_eval.counting.claims`);
* a plain-language **explanation** generated from these numbers (the PDF report prints it).

Nothing here renders tables; :mod:`fr_eval.report.text` does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fr_eval.counting.claims import STATUSES, ClaimCheck, check_claims, parse_reported, tally
from fr_eval.counting.funnel import Funnel
from fr_eval.counting.methods import METHODS, compute_all, result_dict
from fr_eval.counting.rates import Bounds, Rate, Result, fraction, one_in, percent
from fr_eval.errors import InputError
from fr_eval.signature import Signature

# -- the waterfall ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Stage:
    """One stage of the alert waterfall: how many alerts reached it, and what was lost on the way."""

    id: str
    label: str
    count: int | None
    dropped: int | None = None
    dropped_as: dict[str, int] = field(default_factory=dict)

    def to_dict(self, alerts: int | None) -> dict[str, Any]:
        share = None if self.count is None or not alerts else self.count / alerts
        return {"stage": self.id, "label": self.label, "count": self.count, "share_of_alerts": share,
                "dropped": self.dropped, "dropped_as": dict(self.dropped_as)}


def waterfall(funnel: Funnel) -> list[Stage]:
    """The alert waterfall of a funnel.

    Stages whose count is unknown have ``count=None``; what was lost is then
    counted across the gap, at the next known stage.  When every stage is
    known the waterfall closes: ``sum(dropped) + last count == alerts``.

    >>> [s.count for s in waterfall(Funnel(alerts=42, operator_rejected=16, stop_attempted=26, stopped=22,
    ...                                    lost=4, verified_correct=8, verified_incorrect=14))]
    [42, 26, 26, 22, 8]
    """
    g = funnel.get
    stages = [
        ("alerts", "alerts", g("alerts")),
        ("judged_credible", "judged credible by the operators", g("judged_credible")),
        ("stop_attempted", "stop attempted", g("stop_attempted")),
        ("stopped", "stopped", g("stopped")),
        ("verified_correct", "verified correct", g("verified_correct")),
    ]
    reasons: dict[str, list[tuple[str, int | None]]] = {
        "judged_credible": [("rejected by the operators at once", g("operator_rejected")),
                            ("no adjudication record", funnel.not_adjudicated or None)],
        "stop_attempted": [("judged credible, no stop attempted", None)],
        "stopped": [("lost in the crowd", g("lost"))],
        "verified_correct": [("verified incorrect", g("verified_incorrect")), ("unverified", g("unverified"))],
    }
    out: list[Stage] = []
    last_known = None
    for sid, label, count in stages:
        if sid == "alerts":
            out.append(Stage(sid, label, count))
            last_known = count
            continue
        dropped = None
        parts: dict[str, int] = {}
        if count is not None and last_known is not None:
            dropped = last_known - count
            named = [(r, v) for r, v in reasons[sid] if v]
            if out[-1].count is not None:  # adjacent stages: the reasons of this step only
                rest = dropped - sum(v for _, v in named)
                parts = {r: v for r, v in named}
                if rest > 0:
                    parts[reasons[sid][0][0] if reasons[sid][0][1] is None else "other"] = rest
            else:
                parts = {"lost between the last known stages": dropped} if dropped else {}
        out.append(Stage(sid, label, count, dropped, parts))
        if count is not None:
            last_known = count
    return out


def waterfall_closes(stages: Sequence[Stage]) -> bool:
    """Whether the losses and the last known stage add up to the alerts."""
    known = [s for s in stages if s.count is not None]
    if not known:
        return True
    drops = sum(s.dropped or 0 for s in stages[1:])
    last = known[-1].count or 0
    return drops + last == stages[0].count if stages[0].count is not None else True


# -- the base rate ---------------------------------------------------------------------------

def expected_precision(tpir: float, false_alert_rate: float, prevalence: float) -> float:
    """Precision a system with this hit rate and false-alert rate gives when ``prevalence`` of passers-by
    are on the watchlist: ``p*tpir / (p*tpir + (1-p)*far)``.

    >>> round(expected_precision(0.7, 0.001, 1 / 2975), 3)
    0.19
    """
    num = prevalence * tpir
    den = num + (1 - prevalence) * false_alert_rate
    return num / den if den > 0 else math.nan


def implied_prevalence(tpir: float, false_alert_rate: float, precision: float) -> float:
    """The prevalence at which ``tpir`` and ``false_alert_rate`` produce ``precision``
    (the inverse of :func:`expected_precision`).

    >>> round(1 / implied_prevalence(0.7, 0.001, 8 / 42))
    2975
    """
    if not (0 < precision < 1) or tpir <= 0:
        return math.nan if not precision >= 1 else 1.0
    return precision * false_alert_rate / (tpir * (1 - precision) + precision * false_alert_rate)


def scaled_false_alert_rate(false_alert_rate: float, watchlist_size: float, base_size: float) -> float:
    """False-alert rate for another watchlist size, assuming each watchlist entry adds an independent
    chance of a false match: ``1 - (1 - far) ** (size / base_size)``."""
    return 1 - (1 - false_alert_rate) ** (watchlist_size / base_size)


@dataclass
class BaseRate:
    """Why a good hit rate and a rare false alert still give low precision."""

    tpir: float
    tpir_from: str
    false_alert_rate: float
    far_from: str
    precision: Rate
    precision_from: str
    prevalence: float
    prevalence_range: tuple[float, float]
    watchlist_size: int | None
    #: expected precision over prevalences and watchlist sizes: one dict per point (watchlist_factor,
    #: watchlist_size, prevalence, prevalence_one_in, false_alert_rate, expected_precision)
    grid: list[dict[str, Any]]
    observed_prevalence: Rate | None = None
    precision_upper: float | None = None
    prevalence_upper: float | None = None

    def to_dict(self) -> dict[str, Any]:
        def num(x):
            return None if x is None or (isinstance(x, float) and math.isnan(x)) else x
        return {
            "tpir": self.tpir, "tpir_from": self.tpir_from, "false_alert_rate": self.false_alert_rate,
            "false_alert_rate_from": self.far_from, "precision": self.precision.value,
            "precision_from": self.precision_from, "precision_counts": [self.precision.numerator,
                                                                      self.precision.denominator],
            "implied_prevalence": num(self.prevalence),
            "implied_prevalence_one_in": num(1 / self.prevalence) if self.prevalence and self.prevalence > 0 else None,
            "implied_prevalence_ci95": [num(x) for x in self.prevalence_range],
            "precision_upper": num(self.precision_upper), "implied_prevalence_upper": num(self.prevalence_upper),
            "observed_prevalence": None if self.observed_prevalence is None else self.observed_prevalence.to_dict(),
            "watchlist_size": self.watchlist_size,
            "grid": [dict(row) for row in self.grid],
        }


PREVALENCES = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
WATCHLIST_FACTORS = (0.1, 0.5, 1.0, 2.0, 10.0)


def base_rate(funnel: Funnel, results: Sequence[Result], *, tpir: float | None = None,
              false_alert_rate: float | None = None, prevalences: Sequence[float] = PREVALENCES,
              watchlist_factors: Sequence[float] = WATCHLIST_FACTORS,
              observed_prevalence: Rate | None = None) -> BaseRate | None:
    """The base-rate explanation, or None when the numbers for it are missing.

    The hit rate and false-alert rate are, in order of preference: the arguments; the claims of the
    counts file (the figures a party stated); the rates computed from the counts.  The observed
    precision is ``precision`` with truth, else ``verified_precision`` (a lower bound; the upper end of
    ``precision_bounds`` gives the other end of the range).
    """
    by_id = {r.id: r for r in results if isinstance(r, Rate)}
    t_from = f_from = "given"
    if tpir is None:
        tpir, t_from = _stated(funnel, "tpir", by_id)
    if false_alert_rate is None:
        false_alert_rate, f_from = _stated(funnel, "false_alert_rate", by_id)
    prec = by_id.get("precision") or by_id.get("verified_precision")
    if tpir is None or false_alert_rate is None or prec is None or not prec.denominator:
        return None
    p_from = prec.id
    prev = implied_prevalence(tpir, false_alert_rate, prec.value)
    lo, hi = prec.ci95
    rng = (implied_prevalence(tpir, false_alert_rate, lo) if not math.isnan(lo) else math.nan,
           implied_prevalence(tpir, false_alert_rate, hi) if not math.isnan(hi) else math.nan)
    upper = prev_upper = None
    bounds = by_id.get("precision_bounds")
    if prec.id == "verified_precision" and isinstance(bounds, Bounds):
        upper = bounds.bounds[1]
        prev_upper = implied_prevalence(tpir, false_alert_rate, upper)
    size = funnel.watchlist_size
    rows = []
    for factor in watchlist_factors:
        far_n = scaled_false_alert_rate(false_alert_rate, factor, 1.0)
        for p in sorted(set(prevalences) | ({prev} if prev and not math.isnan(prev) else set())):
            rows.append({"watchlist_factor": factor,
                         "watchlist_size": None if size is None else int(round(size * factor)),
                         "prevalence": p, "prevalence_one_in": 1 / p, "false_alert_rate": far_n,
                         "expected_precision": expected_precision(tpir, far_n, p)})
    return BaseRate(tpir, t_from, false_alert_rate, f_from, prec, p_from, prev, rng, size, rows,
                    observed_prevalence, upper, prev_upper)


def _stated(funnel: Funnel, method: str, by_id: dict[str, Rate]) -> tuple[float | None, str]:
    for c in funnel.claims:
        if c.method == method:
            who = f" ({c.by})" if c.by else ""
            return parse_reported(c.reported).value, f"claim {c.id}: {c.reported}{who}"
    r = by_id.get(method)
    if r is not None and r.denominator:
        return r.value, f"computed {method} {r.numerator}/{r.denominator}"
    return None, ""


# -- the reconciliation ------------------------------------------------------------------------

@dataclass
class Reconciliation:
    """Everything ``fr-eval reconcile`` shows, as data."""

    id: str
    title: str
    kind: str                       # "counts" or "run"
    funnel: Funnel
    methods: list[Result]
    waterfall: list[Stage]
    claims: list[ClaimCheck]
    base_rate: BaseRate | None
    explanation: list[str]
    signature: Signature
    ci_method: str
    sources: list[dict[str, str]] = field(default_factory=list)
    #: what linking could not settle, for a run ("" for counts files)
    linking: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: ``{"methods": [...], "waterfall": [...], "claims": [...], ...}``."""
        alerts = self.funnel.get("alerts")
        return {
            "id": self.id, "title": self.title, "kind": self.kind, "signature": self.signature.short(),
            "signature_fields": self.signature.to_dict(), "ci_method": self.ci_method,
            "methods": [result_dict(r) | {"signature": self.signature.for_method(r.id)} for r in self.methods],
            "waterfall": [s.to_dict(alerts) for s in self.waterfall],
            "waterfall_closes": waterfall_closes(self.waterfall),
            "claims": [c.to_dict() for c in self.claims],
            "claims_tally": {"published": tally(self.claims, "published"), "derived": tally(self.claims, "derived")},
            "base_rate": None if self.base_rate is None else self.base_rate.to_dict(),
            "explanation": list(self.explanation),
            "counts": self.funnel.counts(),
            "sources": list(self.sources),
            "linking": self.linking,
        }

    def rate(self, method_id: str) -> Result:
        for r in self.methods:
            if r.id == method_id:
                return r
        raise KeyError(method_id)


def reconcile(source, *, ci: str = "clopper-pearson", plants_only: bool = False,
              cluster_by: str = "subject", seed: int = 0, strict: bool = False) -> Reconciliation:
    """Reconcile every party's number on one source.

    Parameters
    ----------
    source : a path (run folder or counts file), a :class:`Funnel` or a
        :class:`fr_eval.counting.statistics.RunStatistics`.
    ci : ``clopper-pearson`` (default), ``wilson`` or ``bootstrap``.
    plants_only : restrict watchlisted passages to planted volunteers (runs only).
    cluster_by : for ``bootstrap`` on a run: ``subject`` (default), ``camera`` or ``deployment``.
    strict : refuse a run whose truth links are ambiguous.

    Returns
    -------
    Reconciliation

    Examples
    --------
    >>> rec = reconcile("datasets/published/essex-2019.yaml")    # doctest: +SKIP
    >>> rec.rate("verified_precision").format()                  # doctest: +SKIP
    '8/42 = 19.0% [8.6%, 34.1%] per alert'
    """
    from fr_eval.counting.load import load_source
    from fr_eval.counting.signing import signature_for

    if isinstance(source, (str, Path)):
        source = load_source(source, plants_only=plants_only, strict=strict)
    clusters = None
    observed_prev = None
    linking = ""
    if isinstance(source, Funnel):
        if plants_only:
            raise InputError("--plants-only applies to replay runs",
                             hint="a counts file gives plant_passages and plant_alerts directly")
        funnel = source
        kind, title = "counts", funnel.title or funnel.id
        sources = list(funnel.sources)
    else:
        # a run: its counts come through the one counter (NumPy and pandas load only here)
        from fr_eval.counting.counter import cluster_funnels
        from fr_eval.counting.counter import funnel as run_funnel
        from fr_eval.counting.statistics import RunStatistics

        if not isinstance(source, RunStatistics):
            raise TypeError(f"cannot reconcile a {type(source).__name__}")
        stats = source
        funnel = run_funnel(stats)
        if ci == "bootstrap":
            clusters = list(cluster_funnels(stats, cluster_by).values())
        kind = "run"
        title = stats.bundle.title if stats.bundle is not None else stats.deployment
        sources = list(getattr(stats.bundle, "sources", []) or [])
        from fr_eval.counting.statistics import coverage_notes

        linking = " ".join(([stats.linking.summary()] if stats.has_truth else []) + coverage_notes(stats))
        if stats.has_truth and len(stats.passages):
            n = len(stats.passages)
            k = int(stats.passages["watchlisted"].sum())
            observed_prev = Rate.of("observed_prevalence", k, n, "passage", ci_method="clopper-pearson",
                                    label="watchlisted share of passages")
    signature = signature_for(source, ci=ci, seed=seed, cluster_by=cluster_by if ci == "bootstrap" else None)
    results = compute_all(funnel, ci=ci, clusters=clusters, seed=seed)
    stages = waterfall(funnel)
    claims = check_claims(funnel, ci=ci)
    br = base_rate(funnel, results, observed_prevalence=observed_prev)
    rec = Reconciliation(id=funnel.id, title=title, kind=kind, funnel=funnel, methods=results, waterfall=stages,
                         claims=claims, base_rate=br, explanation=[], signature=signature, ci_method=ci,
                         sources=sources, linking=linking)
    rec.explanation = explain(rec)
    return rec


# -- the explanation ----------------------------------------------------------------------------

def explain(rec: Reconciliation) -> list[str]:
    """Plain-language paragraphs on why the numbers differ, generated from this reconciliation's numbers."""
    out: list[str] = []
    rates = {r.id: r for r in rec.methods if isinstance(r, Rate) and r.denominator}
    f = rec.funnel
    if not rates:
        what = ("the bundle has no truth.csv (who passed, and who is on the watchlist) and no adjudication.csv "
                "(what the officers did with each alert)" if rec.kind == "run" else
                "the file gives no pair of counts that a method divides")
        alerts = f.get("alerts")
        tail = (f" {_n(alerts, 'alert was', 'alerts were')} raised, but how many were right cannot be counted "
                "without them." if alerts is not None else "")
        out.append(f"No counting method can be computed: {what}.{tail}")
        return out
    # 1. the units
    by_unit: dict[str, list[Rate]] = {}
    for r in rates.values():
        if r.id in ("fnir", "fnir_rank1", "false_alert_share", "false_share", "precision_bounds"):
            continue
        by_unit.setdefault(r.unit, []).append(r)
    if len(rates) >= 2:
        unit_words = {"alert": "alert", "stop": "person stopped", "face": "face processed",
                      "passage": "passage (a person crossing a camera's view once)", "frame": "face detection",
                      "subject": "watchlisted person"}
        parts = []
        for unit, rs in by_unit.items():
            figs = ", ".join(f"{r.id} {_frac(r)}" for r in rs)
            parts.append(f"counted per {unit_words.get(unit, unit)}: {figs}")
        out.append("These figures are not rival measurements of one accuracy: each divides a different count. "
                   + "; ".join(parts) + ".")
    # 2. complements
    if "verified_precision" in rates and "false_share" in rates:
        vp, fs = rates["verified_precision"], rates["false_share"]
        out.append(f"{_pct(vp.value)} correct and {_pct(fs.value)} 'inaccurate' are the same {vp.denominator} "
                   f"alerts read from opposite ends ({vp.numerator} + {fs.numerator} = {vp.denominator}); the "
                   f"{fs.numerator} not verified correct include alerts that were never settled either way.")
    # 3. the waterfall and the bounds
    a = f.get("alerts")
    if a and "precision_bounds" in rates:
        b = rates["precision_bounds"]
        lo, hi = b.bounds if isinstance(b, Bounds) else (b.value, b.value)
        vc, vi = f.get("verified_correct") or 0, f.get("verified_incorrect") or 0
        unresolved = a - vc - vi
        pieces = []
        for label, key in (("rejected by the operators at once", "operator_rejected"), ("lost in the crowd", "lost"),
                           ("stopped but never verified", "unverified"), ("not adjudicated", "not_adjudicated")):
            v = f.get(key)
            if v:
                pieces.append(f"{v} {label}")
        cni = f.get("judged_credible")
        sa = f.get("stop_attempted")
        if cni is not None and sa is not None and cni - sa > 0:
            pieces.append(f"{cni - sa} judged credible but never approached")
        detail = f" ({', '.join(pieces)})" if pieces else ""
        out.append(f"Of {a} alerts, {_n(vc, 'was', 'were')} verified correct and "
                   f"{vi} verified incorrect after a stop; {_n(unresolved, 'was', 'were')} "
                   f"never resolved{detail}. So the true share of correct alerts lies between {_pct(lo)} (every "
                   f"unresolved alert wrong) and {_pct(hi)} (every unresolved alert right); a figure that counts the "
                   f"unresolved alerts as errors reports the bottom of that range as if it were measured.")
    if "stopped_precision" in rates and "verified_precision" in rates:
        sp, vp = rates["stopped_precision"], rates["verified_precision"]
        out.append(f"Counting only the people actually stopped gives {_frac(sp)}: the same {sp.numerator} correct "
                   f"identification{'s' if sp.numerator != 1 else ''} divided by {sp.denominator} stops instead of "
                   f"{vp.denominator} alerts.")
    if "false_alert_rate" in rates and ("precision" in rates or "verified_precision" in rates):
        far = rates["false_alert_rate"]
        share = rates.get("false_alert_share") or rates.get("false_share")
        extra = (f", while {_frac(share)} of the alerts were not correct" if share is not None else "")
        moral = (": a per-face rate can be tiny while most alerts are wrong" if far.value < 0.01 and share is not None
                 and share.value > 0.5 else "")
        if far.numerator:
            out.append(f"A false-alert rate of {one_in(far.value)} ({far.numerator} false alerts over "
                       f"{far.denominator:,} faces processed) divides by every face the cameras saw{extra}{moral}.")
        elif far.denominator:
            out.append(f"No false alert was raised on {far.denominator:,} faces processed; with so few faces the "
                       f"95% interval still allows a false-alert rate as high as {_pct(far.ci95[1])}, so '0 false "
                       f"alerts' is not evidence of a rate like 1 in 1,000.")
    if ("false_alert_rate" in rates and "false_alert_rate_per_frame" in rates
            and rates["false_alert_rate"].numerator):
        pf, pp = rates["false_alert_rate_per_frame"], rates["false_alert_rate"]
        out.append(f"Counting every sampled frame with a face as a face processed turns {one_in(pp.value)} into "
                   f"{one_in(pf.value)}: the denominator grows from {pp.denominator:,} faces to "
                   f"{pf.denominator:,} face detections, while the alerts do not multiply.")
    # 4. base rate
    br = rec.base_rate
    if br is not None and not br.false_alert_rate:
        out.append("Base rate: no false alert was observed, so in this data the observed precision does not depend "
                   "on how many passers-by are on the watchlist; the base-rate explanation needs a non-zero "
                   "false-alert rate.")
    elif br is not None and br.prevalence and not math.isnan(br.prevalence):
        lo, hi = br.prevalence_range
        text = (f"Base rate: a hit rate of {_pct(br.tpir)} ({br.tpir_from}) and a false-alert rate of "
                f"{one_in(br.false_alert_rate)} ({br.far_from}) produce the observed precision of "
                f"{_pct(br.precision.value)} ({br.precision_from} {br.precision.numerator}/"
                f"{br.precision.denominator}) only if about {one_in(br.prevalence)} passers-by is "
                f"on the watchlist")
        if not (math.isnan(lo) or math.isnan(hi)) and lo > 0:
            text += (f" ({one_in(hi)} to {one_in(lo)} across the 95% interval of "
                     f"the precision)")
        text += "."
        if br.prevalence < 0.01:
            text += " When almost everyone walking past is not wanted, even rare false alerts outnumber the true ones."
        if br.prevalence_upper:
            text += (f" If every unresolved alert had been right ({_pct(br.precision_upper)}), the prevalence "
                     f"would be about {one_in(br.prevalence_upper)}.")
        pts = [(row["prevalence"], row["expected_precision"]) for row in br.grid
               if row["watchlist_factor"] == 1.0 and row["prevalence"] in (1e-4, 1e-3, 1e-2)]
        if pts:
            text += " The same system would give " + ", ".join(
                f"{_pct(e)} at {one_in(p)}" for p, e in pts) + "."
        if br.observed_prevalence is not None and br.observed_prevalence.denominator:
            op = br.observed_prevalence
            text += (f" In this run {op.numerator} of {op.denominator} passages were watchlisted "
                     f"({one_in(op.value) if op.numerator else 'none'}).")
        out.append(text)
    # 5. claims: published figures and derived ones apart
    for kind, noun in (("published", "published claims"), ("derived", "figures derived from the published counts")):
        checks = [c for c in rec.claims if c.kind == kind]
        if not checks:
            continue
        t = tally(checks, kind)
        parts = [f"{t[st]} {st.replace('_', ' ')}" for st in STATUSES if t[st]]
        out.append(f"Of {len(checks)} {noun}: " + ", ".join(parts) + ".")
        for c in checks:
            if c.status != "reproduced":
                who = f" ({c.by})" if c.by else ""
                m = METHODS[c.method]
                out.append(f"'{c.reported}'{who} is a {m.id} figure, per {m.unit}: {c.status.replace('_', ' ')}: "
                           f"{c.reason}.")
    return out


# -- the formatter's pieces, as the sentences use them --------------------------------------------

def _pct(x: float | None) -> str:
    return percent(x)


def _frac(r: Rate) -> str:
    return f"{fraction(r.numerator, r.denominator)} = {percent(r.value)}"


def _n(k: int, one: str, many: str) -> str:
    return f"{k:,} {one if k == 1 else many}"
