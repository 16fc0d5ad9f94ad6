"""Everything the report shows, gathered once into plain data: the one place the report gets numbers.

:func:`build_model` reads a run folder or a counts file and asks the counting
modules for every figure: :func:`fr_eval.counting.reconcile.reconcile` (every method,
the waterfall, the base rate, the claims, the explanation),
:func:`fr_eval.counting.statistics.at_threshold` (the sweep), :func:`fr_eval.counting.statistics.subset`
(groups) and :data:`fr_eval.counting.methods.METHODS` (definitions, sources).  The
result, a :class:`ReportModel`, holds :class:`~fr_eval.counting.rates.Rate` objects and
strings; the PDF and HTML renderers only lay it out.

A section the input cannot support (a counts file has no footage, so no DET
curve and no gallery) carries a one-line reason in :attr:`ReportModel.unsupported`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fr_eval import __version__
from fr_eval.counting.funnel import COUNT_KEYS, Funnel
from fr_eval.counting.methods import METHODS
from fr_eval.counting.rates import Bounds, Rate, Result, Unavailable, format_value, fraction, one_in, percent
from fr_eval.errors import InputError
from fr_eval.report.gallery import GalleryItem
from fr_eval.report.review import Review
from fr_eval.signature import number
from fr_eval.store.hashing import sha256_file

#: the numbered sections after page 1 (page 1, "Findings", is the answer: each party's figure, the claims'
#: verdicts and the waterfall)
#: bootstrap replicates for the EER, ROCCH-EER and AUC intervals of a score-list run (seed 0)
SCORE_METRICS_BOOT = 1000
SECTIONS = ("Findings in detail", "Reviewer's statement", "Reconciliation", "Thresholds", "Conditions and groups",
            "Alert gallery", "Method and provenance")
#: the last heading of "Method and provenance": the compact table of the methods the counts cannot support
APPENDIX = "Appendix: methods these counts do not support"
#: the methods page 1 states when the counts allow them (each a party's headline figure), besides any method a
#: claim of the input names
FINDING_METHODS = ("tpir", "fpir", "false_alert_rate", "precision", "false_alert_share", "verified_precision",
                   "stopped_precision", "false_share", "precision_bounds")
#: an interval wider than this (in proportion points) is too wide to conclude anything
WIDE_INTERVAL = 0.4
#: thresholds shown in the sweep table (the DET curve uses more)
SWEEP_ROWS = 13
DET_POINTS = 60
#: the figures shown per group, by method id
GROUP_METHODS = ("tpir", "fpir", "precision")


@dataclass
class Headline:
    """One counting method's figure on this deployment, with the line that says it in words."""

    method_id: str
    label: str
    used_by: str
    unit: str
    rate: Rate | None
    missing: str
    plain: str
    signature: str

    @property
    def available(self) -> bool:
        return self.rate is not None and self.rate.denominator > 0


@dataclass
class Finding:
    """One party's figure on this data, as one plain sentence: counts, denominator, unit, value and interval."""

    method_id: str
    label: str
    parties: str
    sentence: str          # the counts in words, without the closing full stop
    value: str             # format_value: "19.0% [8.6%, 34.1%]"
    unit: str
    signature: str
    rate: Rate

    def text(self) -> str:
        return f"{self.sentence}: {self.value}."


@dataclass
class MethodNeed:
    """A method these counts do not support, and the counts it would need (the appendix)."""

    id: str
    label: str
    unit: str
    needs: str


@dataclass
class SweepRow:
    threshold: float
    operated: bool
    alerts: int
    alerts_per_hour: float | None
    rates: dict[str, Result]


@dataclass
class GroupRow:
    dimension: str
    group: str
    rates: dict[str, Result]
    warnings: list[str]
    flag: str = ""


@dataclass
class MethodDef:
    id: str
    label: str
    definition: str
    unit: str
    numerator: str
    denominator: str
    used_by: str
    source: str


@dataclass
class ReportModel:
    kind: str                      # "run" or "counts"
    id: str
    title: str
    source: str
    generated: str
    facts: list[tuple[str, str]]
    threshold: float | None
    headlines: list[Headline]
    signature: str
    reconciliation: Any            # fr_eval.counting.reconcile.Reconciliation
    footage_hours: float | None
    sweep: list[SweepRow] = field(default_factory=list)
    sweep_note: str = ""
    det: dict[str, Any] | None = None
    groups: list[GroupRow] = field(default_factory=list)
    group_notes: list[str] = field(default_factory=list)
    gallery: list[GalleryItem] = field(default_factory=list)
    gallery_notes: list[str] = field(default_factory=list)
    redact: bool = True
    methods: list[MethodDef] = field(default_factory=list)
    provenance: list[tuple[str, str]] = field(default_factory=list)
    input_hashes: list[tuple[str, str]] = field(default_factory=list)
    parameters: list[tuple[str, str]] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    #: the funnel of counts every method divided: (key, count, meaning), given or derived
    counts: list[tuple[str, str, str]] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)
    #: watchlist label -> [(prevalence, expected precision)], from fr_eval.counting.reconcile's base-rate functions
    base_rate_curves: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    #: section title -> one line saying what this input cannot show there
    unsupported: dict[str, list[str]] = field(default_factory=dict)
    #: page 1: each party's figure on this data
    findings: list[Finding] = field(default_factory=list)
    #: the methods these counts do not support (appendix)
    needs: list[MethodNeed] = field(default_factory=list)
    #: the reviewer's statement, or None (the report then says none was supplied)
    review: Review | None = None
    #: what is simulated: "" when nothing; else one sentence each, shown on page 1 and beside every figure
    simulated_adjudication: str = ""
    synthetic: str = ""
    #: other inputs the bundle declares simulated (truth, footage, watchlist) -> the sentence
    simulated_other: dict[str, str] = field(default_factory=dict)
    #: whether the base-rate figure is a what-if from stated claims (not measured), and why there is none
    base_rate_whatif: bool = False
    base_rate_note: str = ""
    #: each party's figure on the waterfall: (numerator stage, denominator stage, label lines)
    waterfall_marks: list[tuple[str, str, list[str]]] = field(default_factory=list)
    #: a run imported from a score list: the field's standard metrics (metric, result, threshold), what was
    #: counted, and the footnotes (fr_eval.report.metrics_text, the rows `fr-eval metrics RUN` prints)
    score_metrics: list[tuple[str, str, str]] = field(default_factory=list)
    score_metrics_head: list[str] = field(default_factory=list)
    score_metrics_notes: list[str] = field(default_factory=list)
    #: one sentence of those metrics for page 1
    score_metrics_summary: str = ""

    def note(self, section: str, text: str) -> None:
        self.unsupported.setdefault(section, []).append(text)

    @property
    def simulated(self) -> list[str]:
        """Every simulated input, one sentence each (page 1)."""
        return [x for x in (self.synthetic, self.simulated_adjudication, *self.simulated_other.values()) if x]

    def flag(self, *uses: str) -> str:
        """The label a figure carries when an input it uses is simulated (``uses``: "adjudication", "truth",
        "footage"), else ""."""
        flags = []
        if self.synthetic:
            flags.append("SYNTHETIC deployment: rendered footage, known truth")
        if self.simulated_adjudication and "adjudication" in uses:
            flags.append("SIMULATED adjudication: not real officers")
        flags += [f"SIMULATED {name}" for name in self.simulated_other if name in uses]
        return "; ".join(flags)


# -- building ------------------------------------------------------------------------------------

def build_model(source: str | Path, *, redact: bool = True, command: str | None = None,
                gallery: bool = True, review: str | Path | None = None) -> ReportModel:
    """Gather everything the report of ``source`` (run folder or counts file) shows.

    Parameters
    ----------
    source : a replay run folder or a counts file (``.yaml``).
    redact : blur bystanders' faces in the gallery.
    command : the command line that produced the report, as the caller gives it (listed in the provenance;
        none when not given).
    gallery : decode footage for the alert gallery (off: the gallery lists alerts without images).
    review : a reviewer statement (Markdown or YAML, :mod:`fr_eval.report.review`), shown after the findings
        with its SHA-256 in the provenance.

    Raises
    ------
    InputError
        When ``source`` is neither a complete run folder nor a valid counts file.
    """
    from fr_eval.counting.load import load_source
    from fr_eval.counting.reconcile import reconcile

    path = Path(source)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder", hint="give a replay run folder or a counts file (.yaml)")
    statement = None
    if review is not None:
        from fr_eval.report.review import load_review

        statement = load_review(review)      # a bad review is refused before any work
    loaded = load_source(path)
    rec = reconcile(loaded)
    generated = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    if isinstance(loaded, Funnel):
        model = _counts_model(path, loaded, rec, generated)
    else:
        model = _run_model(path, loaded, rec, generated, redact=redact, gallery=gallery)
    model.redact = redact
    given = rec.funnel.counts()
    model.counts = [(k, f"{v:,}", COUNT_KEYS.get(k, "") + ("" if k in given else " (derived)"))
                    for k, v in rec.funnel.known().items() if k in COUNT_KEYS]
    _base_rate(model, rec.base_rate)
    model.waterfall_marks = waterfall_marks(rec)
    shown = {h.method_id for h in model.headlines if h.available}
    model.methods = [MethodDef(m.id, m.label, m.definition, m.unit, m.numerator, m.denominator, m.used_by(),
                               m.source()) for m in METHODS.values() if m.id in shown]
    model.needs = [MethodNeed(h.method_id, h.label, h.unit, h.missing or "a denominator above 0")
                   for h in model.headlines if not h.available]
    claimed = {c.method for c in rec.claims}
    model.findings = [_finding(h) for h in model.headlines
                      if h.available and (h.method_id in FINDING_METHODS or h.method_id in claimed)]
    model.review = statement
    if statement is not None:
        model.provenance.append(("Reviewer statement", f"{statement.path} ({statement.byline()})"))
        model.provenance.append(("Reviewer statement SHA-256", statement.sha256))
        model.input_hashes.append((f"review: {Path(statement.path).name}", statement.sha256))
    else:
        model.provenance.append(("Reviewer statement", "none supplied"))
    if command:
        model.commands.append(command)
    return model


#: the methods that divide one waterfall stage by another: (method, numerator stage, denominator stage, words)
WATERFALL_MARKS = (("verified_precision", "verified_correct", "alerts", "of alerts verified correct"),
                   ("false_share", "verified_correct", "alerts", "not verified correct"),
                   ("stopped_precision", "verified_correct", "stopped", "of stops verified correct"))


def waterfall_marks(rec) -> list[tuple[str, str, list[str]]]:
    """Each party's figure on the stages it divides, grouped by pair of stages."""
    rates = {r.id: r for r in rec.methods if isinstance(r, Rate) and r.denominator}
    groups: dict[tuple[str, str], list[str]] = {}
    for mid, num, den, words in WATERFALL_MARKS:
        r = rates.get(mid)
        if r is not None:
            groups.setdefault((num, den), []).append(
                f"{fraction(r.numerator, r.denominator)} = {percent(r.value)} {words} ({METHODS[mid].parties()})")
    return [(num, den, lines) for (num, den), lines in groups.items()]


#: the sentence that introduces the findings on page 1 (PDF and HTML)
FINDINGS_INTRO = ("Each party's figure, recomputed on this deployment's counts: the counts, what is divided by what, "
                  "and the 95% interval. They are not rival measurements of one accuracy; each divides a different "
                  "count.")


def waterfall_caption(model: ReportModel) -> str:
    """What Figure 1 shows and from which counts (PDF and HTML)."""
    flag = model.flag("adjudication")
    return ("Figure 1. What happened to the alerts: each bar counts the alerts that reached a stage (from the "
            "waterfall counts of this input); hatched, those lost on the way and why. Each bracket is a party's "
            "figure, drawn from the stage it divides by to the stage it counts." + (f" {flag}." if flag else ""))


def derived_line(checks) -> str:
    """The derived figures, on one line apart from the published claims (page 1)."""
    return ("Derived figures (fr-eval's arithmetic on the published counts, not anyone's claim): "
            + "; ".join(f"{c.text or c.id}: {c.reported}, {c.status.replace('_', ' ')}" for c in checks) + ".")


def det_caption(model: ReportModel) -> str:
    """What the DET figure shows and from which counts (PDF and HTML)."""
    _, _, _, n_w, n_nw = model.det["operated"] if model.det else (0, 0, 0, 0, 0)
    return (f"DET: missed watchlisted passages (FNIR, of {n_w:,}) against non-watchlist passages that alerted "
            f"(FPIR, of {n_nw:,}) as the threshold moves, recounted from the stored candidate scores and the truth; "
            "the labelled point is the operated threshold.")


def aph_caption(model: ReportModel) -> str:
    hours = model.footage_hours
    per = f"per hour of footage ({hours:.3g} hours)" if hours else "(the footage duration is not recorded)"
    return (f"Alerts {per} at each threshold of the sweep table, recounted from the stored candidate scores; the "
            "dashed line is the operated threshold.")


def whatif_text(br, claims) -> str:
    """The base rate's assumptions that are a party's stated figures, not measured: "assumes ..."."""
    stated, who = [], []
    far = one_in(br.false_alert_rate)
    for method, words, value, src in (("tpir", "hit rate", percent(br.tpir), br.tpir_from),
                                      ("false_alert_rate", "false-alert rate per face", far, br.far_from)):
        if src.startswith("claim"):
            c = next((c for c in claims if c.method == method), None)
            stated.append(f"{words} {value}")
            if c is not None and c.by:
                who.append(c.by)
    by = f", as stated by {' and '.join(dict.fromkeys(who))}" if who else ", as stated"
    return f"assumes {' and '.join(stated)}{by}; not measured in these counts"


def base_rate_caption(br, model: ReportModel, flag: str, whatif: str) -> str:
    """What the base-rate figure shows, which of its inputs are stated and which measured (PDF and HTML)."""
    kind = f"A what-if, not a measurement: it {whatif}. " if whatif else ""
    return (f"Figure 2. {kind}Expected precision of a system with hit rate {percent(br.tpir)} and false-alert rate "
            f"{one_in(br.false_alert_rate)} per face, against the share of passers-by on the watchlist, for "
            "watchlists 0.1 to 10 times the size operated (the false-alert rate scaled with size). The black point "
            f"is the one measured value: the observed precision {br.precision.numerator}/{br.precision.denominator} "
            f"({br.precision_from}), placed at the prevalence that would produce it (bar: its 95% interval)."
            + (f" {flag}." if flag else ""))


def _finding(h: Headline) -> Finding:
    r = h.rate
    assert r is not None
    return Finding(h.method_id, h.label, METHODS[h.method_id].parties(), h.plain.rstrip(".").split(" (1 in")[0],
                   format_value(r), h.unit, h.signature, r)


def _base_rate(model: ReportModel, br) -> None:
    """The base-rate curves, whether they are a what-if from stated claims, and why there is no figure."""
    if br is None:
        model.base_rate_note = ("No base-rate figure: it needs a hit rate (tpir, stated or computed), a "
                                "false-alert rate per face and an observed precision, and these counts lack one.")
        model.note("Reconciliation", model.base_rate_note)
        return
    if not br.false_alert_rate or not br.prevalence or not br.prevalence > 0:
        model.base_rate_note = ("No base-rate figure: no false alert was observed, so the precision does not "
                                "depend on how many passers-by are on the watchlist here, and a curve would only "
                                "show 100%." if not br.false_alert_rate else
                                "No base-rate figure: no prevalence gives the observed precision with these rates.")
        return
    model.base_rate_whatif = br.tpir_from.startswith("claim") or br.far_from.startswith("claim")
    model.base_rate_curves = base_rate_curves(br)


def base_rate_curves(br, n: int = 80) -> dict[str, list[tuple[float, float]]]:
    """Expected precision over prevalences 1e-6..0.1 for each watchlist size of the base-rate grid
    (:func:`fr_eval.counting.reconcile.expected_precision`,
    :func:`~fr_eval.counting.reconcile.scaled_false_alert_rate`)."""
    import numpy as np

    from fr_eval.counting.reconcile import WATCHLIST_FACTORS, expected_precision, scaled_false_alert_rate

    if br is None:
        return {}
    prevs = np.logspace(-6, -1, n)
    out = {}
    for factor in WATCHLIST_FACTORS:
        far = scaled_false_alert_rate(br.false_alert_rate, factor, 1.0)
        if br.watchlist_size:
            label = f"watchlist {int(round(br.watchlist_size * factor)):,}" + (" (as operated)" if factor == 1 else "")
        elif factor == 1.0:
            label = "watchlist as operated (size not stated)"
        else:
            label = f"{factor:g} x that watchlist"
        out[label] = [(float(p), expected_precision(br.tpir, far, float(p))) for p in prevs]
    return out


def _headlines(rec) -> list[Headline]:
    out = []
    for r in rec.methods:
        m = METHODS[r.id]
        sig = rec.signature.for_method(r.id)
        if isinstance(r, Unavailable):
            out.append(Headline(r.id, m.label, m.used_by(), m.unit, None, r.reason, "", sig))
        else:
            out.append(Headline(r.id, m.label, m.used_by(), m.unit, r, "", plain_line(r), sig))
    return out


def plain_line(r: Rate) -> str:
    """The rate in words, from the registry's numerator and denominator phrases.

    >>> from fr_eval.counting.funnel import Funnel
    >>> plain_line(compute("verified_precision", Funnel(alerts=42, verified_correct=8)))
    'Of 42 alerts, 8 were confirmed correct after a stop.'
    """
    m = METHODS[r.id]
    if not r.denominator:
        return f"No {m.denominator} to count: the rate is undefined."
    if isinstance(r, Bounds) and r.high is not None:
        return (f"Of {r.denominator:,} alerts, between {r.numerator:,} and {r.high.numerator:,} were correct: the "
                f"alerts never resolved decide where in that range.")
    text = m.sentence(r.numerator, r.denominator)
    if m.said_as == "one_in" and r.numerator:
        text = text[:-1] + f" ({one_in(r.value)})."
    return text


def _counts_model(path: Path, funnel, rec, generated: str) -> ReportModel:
    facts = [("Source", "counts file (published figures; no footage)"),
             ("Place", funnel.place or "not stated"), ("Date", funnel.date or "not stated"),
             ("System", funnel.matcher or "not stated"),
             ("Watchlist size", _int(funnel.watchlist_size)),
             ("Footage hours", "not stated" if funnel.footage_hours is None else f"{funnel.footage_hours:g}"),
             ("Faces processed", _int(funnel.get("faces_processed"))),
             ("Alerts", _int(funnel.get("alerts"))),
             ("Operated threshold", "not stated" if funnel.threshold is None else f"{funnel.threshold:g}")]
    model = ReportModel(kind="counts", id=funnel.id, title=funnel.title or funnel.id, source=str(path),
                        generated=generated, facts=facts, threshold=funnel.threshold,
                        headlines=_headlines(rec), signature=rec.signature.short(),
                        reconciliation=rec, footage_hours=funnel.footage_hours, sources=list(funnel.sources))
    why = "a counts file holds published totals only"
    model.note("Thresholds", f"No DET curve, sweep or alerts per hour at other thresholds: {why}, not the "
                             "candidate scores of each face (replay the footage with `fr-eval replay` to get them).")
    model.note("Conditions and groups", f"No breakdown by lighting, crowd, camera or demographic group: {why}, "
                                        "not one row per passage.")
    model.note("Alert gallery", f"No alert gallery: {why}; there is no footage and no watchlist image.")
    model.provenance = [("fr-eval version", __version__), ("Input", f"counts file {path}"),
                        ("Counts file SHA-256", sha256_file(path))]
    model.input_hashes = [(path.name, sha256_file(path))]
    model.parameters = [("Interval", f"95%, {rec.ci_method}")]
    return model


def _run_model(path: Path, stats, rec, generated: str, *, redact: bool, gallery: bool) -> ReportModel:
    manifest = stats.manifest or {}
    b = manifest.get("bundle", {})
    funnel = rec.funnel
    bundle = stats.bundle
    footage = manifest.get("footage", [])
    cameras = sorted({str(f.get("camera")) for f in footage})
    lighting = bundle.lighting if bundle is not None else b.get("lighting", "?")
    crowd = bundle.crowd if bundle is not None else b.get("crowd", "?")
    start = bundle.start_time.isoformat() if bundle is not None else b.get("start_time", "?")
    kind = manifest.get("source_kind")
    sl = manifest.get("scorelist") or {}
    source_text = (f"run {path} imported from the score list "
                   f"{', '.join(f['name'].split(':')[-1] for f in sl.get('files', []))} ({sl.get('format', '?')}: "
                   f"one passage per {'search' if sl.get('kind') == 'identification' else 'comparison'})"
                   if kind == "scorelist" else f"replay run {path}")
    facts = [("Source", source_text),
             ("Place", (bundle.place if bundle is not None else b.get("place")) or "not stated"),
             ("Start time", str(start)),
             ("Conditions", f"lighting: {lighting}; crowd: {crowd}"),
             ("Cameras", f"{len(cameras)} ({', '.join(cameras)})" if cameras else "none recorded"),
             ("Watchlist size", _int(funnel.get("watchlist_size"))),
             ("Footage hours", "not recorded" if stats.footage_hours is None else f"{stats.footage_hours:.3f}"),
             ("Face tracks", f"{len(stats.tracks):,}"),
             ("Faces processed", _int(funnel.get("faces_processed"))
              + (" (non-watchlist passages + tracks matching no passage)" if stats.has_truth else
                 " (as the operational system reported)" if funnel.get("faces_processed") is not None else "")),
             ("Alerts", _int(funnel.get("alerts"))),
             ("Truth", "yes (truth.csv)" if stats.has_truth else "no: per-passage methods cannot be computed"),
             ("Adjudication", ("SIMULATED by fr-eval's operator model (seed "
                               f"{(stats.adjudication_source or {}).get('seed', '?')}), not recorded")
              if (stats.adjudication_source or {}).get("kind") == "simulated" else
              f"SIMULATED: {bundle.simulated['adjudication']}"
              if bundle is not None and "adjudication" in bundle.simulated else
              "yes (adjudication.csv)" if stats.has_adjudication else "no: operational methods cannot be computed"),
             ("Operated threshold", f"{stats.threshold:g} ({manifest.get('matcher', {}).get('name', '?')} "
                                    "similarity scale)")]
    title = (bundle.title if bundle is not None and bundle.title else b.get("title")) or stats.deployment
    adj = stats.adjudication_source or {}
    synthetic = (bundle.raw.get("synthetic") if bundle is not None else None) or b.get("synthetic")
    model = ReportModel(kind="run", id=stats.deployment, title=title, source=str(path), generated=generated,
                        facts=facts, threshold=stats.threshold, headlines=_headlines(rec),
                        signature=rec.signature.short(), reconciliation=rec, footage_hours=stats.footage_hours,
                        sources=list(getattr(bundle, "sources", []) or []))
    declared = bundle.simulated if bundle is not None else {}
    if adj.get("kind") == "simulated" or "adjudication" in declared:
        how = (f"by fr-eval's operator model (seed {adj.get('seed', '?')}), not recorded"
               if adj.get("kind") == "simulated" else f"({declared['adjudication']})")
        model.simulated_adjudication = (
            f"The adjudication (what officers did with each alert) is SIMULATED {how}: every operational figure "
            "(verified precision, stops, the waterfall) describes it, not real officers.")
    for name in ("truth", "footage", "watchlist"):
        if name in declared:
            model.simulated_other[name] = f"The {name} is SIMULATED ({declared[name]})."
    if synthetic:
        gen = synthetic.get("generator", "fr-eval") if isinstance(synthetic, dict) else "fr-eval"
        model.synthetic = (f"The deployment is SYNTHETIC ({gen}): footage rendered from face photos with exactly "
                           "known truth; no real deployment, passer-by or watchlist is described.")
    _thresholds(model, stats)
    _score_metrics(model, stats)
    _groups(model, stats)
    from fr_eval.report.gallery import gallery_items

    model.gallery, model.gallery_notes = gallery_items(path, stats, redact=redact, decode=gallery)
    _provenance(model, path, manifest, rec)
    return model


# -- thresholds --------------------------------------------------------------------------------

def _thresholds(model: ReportModel, stats) -> None:
    """The sweep table and the DET curve, from :func:`fr_eval.thresholds.sweep.sweep` (the numbers
    ``fr-eval sweep --at T`` prints at each row's threshold)."""
    import numpy as np

    from fr_eval.thresholds.sweep import sweep

    c = stats.candidates
    if not len(c):
        model.note("Thresholds", "No candidate scores in this run (no face was scored), so there is nothing "
                                 "to sweep.")
        return
    sims = c["similarity"].to_numpy(float)
    top = stats.tracks["top_similarity"].dropna().to_numpy(float)
    top = top if len(top) else sims
    start = min(float(np.quantile(top, 0.5)), stats.threshold)
    grid = np.round(np.linspace(start, max(float(top.max()), stats.threshold), SWEEP_ROWS - 1), 3)
    s = sweep(stats, list(grid), methods=("tpir", "fpir", "false_alert_rate", "precision"))
    hours = stats.footage_hours
    model.sweep = [SweepRow(p.threshold, p.operated, p.alerts, p.alerts / hours if hours else None, p.rates)
                   for p in s.points]
    exact = "" if not np.isfinite(s.exact_above) else f", exact above {number(s.exact_above)}"
    model.sweep_note = (f"Alerts at other thresholds are recounted from the stored candidate scores (top "
                        f"{int(c['rank'].max())} per track and every subject at or above the operated threshold"
                        f"{exact}). Scores in this run range from {float(sims.min()):.3f} to {float(sims.max()):.3f}.")
    if not hours:
        model.note("Thresholds", "Alerts per hour: the footage duration is not recorded in the manifest.")
    if not stats.has_truth:
        model.note("Thresholds", "No DET curve: the bundle has no truth.csv, so no face is known to be "
                                 "watchlisted or not (false negatives and false positives cannot be counted).")
        return
    det = s.det
    op = next((p for p in s.points if p.operated), None)
    tp, fp = (op.rates["tpir"], op.rates["fpir"]) if op is not None else (None, None)
    if len(det) < 2 or not (isinstance(tp, Rate) and isinstance(fp, Rate) and tp.denominator and fp.denominator):
        model.note("Thresholds", "No DET curve: the run has no watchlisted or no non-watchlist passages, so one "
                                 "of the two error rates has no denominator.")
        return
    if len(det) > DET_POINTS:
        det = det.iloc[np.unique(np.linspace(0, len(det) - 1, DET_POINTS).round().astype(int))]
    pts = [(float(t), float(fn), float(f)) for t, fn, f in zip(det["threshold"], det["fnir"], det["fpir"])]
    assert op is not None
    op_pt = (op.threshold, 1 - tp.value, fp.value, tp.denominator, fp.denominator)
    pts.append(op_pt[:3])
    model.det = {"points": sorted(pts), "operated": op_pt}


def _score_metrics(model: ReportModel, stats) -> None:
    """EER, ROCCH-EER, AUC, FNMR @ FMR, FMR @ FNMR (a verification list) or FNIR @ FPIR, DIR and CMC (an open-set
    list), for a run made by ``fr-eval scores import``: :func:`fr_eval.thresholds.summary.summarize_run`, the
    numbers ``fr-eval metrics RUN`` prints."""
    if (stats.manifest or {}).get("source_kind") != "scorelist":
        return
    from fr_eval.report.metrics_text import header_lines, metrics_notes, metrics_rows, metrics_sentence
    from fr_eval.thresholds.summary import summarize_run

    summary = summarize_run(stats, n_boot=SCORE_METRICS_BOOT)
    model.score_metrics = metrics_rows(summary)
    model.score_metrics_head = header_lines(summary)
    model.score_metrics_notes = metrics_notes(summary)
    model.score_metrics_summary = metrics_sentence(summary)


# -- groups ------------------------------------------------------------------------------------

def _groups(model: ReportModel, stats) -> None:
    """Group tables from :func:`fr_eval.counting.groups.breakdown`, the breakdown ``sweep --by`` and the gate
    use: the same counts, the same small-sample rule, the same test."""
    from fr_eval.counting.groups import breakdown, dimensions

    S = "Conditions and groups"
    p = stats.passages
    if not stats.has_truth or not len(p):
        model.note(S, "No breakdown: per-group rates need truth (who passed each camera), and this run has none.")
        return
    for dim in ("lighting", "crowd"):
        vals = sorted(set(p[dim].dropna().astype(str)))
        if len(vals) == 1:
            model.group_notes.append(f"{'Day/night' if dim == 'lighting' else 'Crowd density'}: all footage of this "
                                     f"run is {dim} '{vals[0]}', so there is no {dim} comparison to make "
                                     "(compare runs of different deployments).")
    if [d for d in stats.demographics if "perceiv" in d.lower()] or "perceiv" in (
            getattr(stats.bundle, "notes", "") or "").lower():
        model.group_notes.append("Gender (and any other 'perceived' labels) are annotators' perceptions of the "
                                 "people in the footage, not self-reported identity.")
    for by in [d for d in dimensions(stats) if d not in ("lighting", "crowd", "face_size")]:
        parts = {mid: breakdown(stats, mid, by) for mid in GROUP_METHODS}
        rows = [GroupRow(by, g, {mid: parts[mid].rates[g] for mid in GROUP_METHODS},
                         [f"{mid}: {parts[mid].warnings[g]}" for mid in GROUP_METHODS if g in parts[mid].warnings])
                for g in parts[GROUP_METHODS[0]].rates]
        for mid, b in parts.items():
            if b.test is None or not b.test.significant:
                continue
            values = {g.group: r.value for g in rows if isinstance(r := g.rates[mid], Rate) and r.denominator}
            valid = [g for g in rows if g.group in values]
            lo = min(valid, key=lambda g: values[g.group])
            hi = max(valid, key=lambda g: values[g.group])
            for g, word in ((lo, "lowest"), (hi, "highest")):
                g.flag = (g.flag + "; " if g.flag else "") + \
                    f"{mid} {word}: groups differ ({b.test.test}, p = {b.test.p_value:.2g})"
        model.groups.extend(rows)
        note = parts[GROUP_METHODS[0]].note
        if note:
            model.group_notes.append(f"{by}: {note}.")
    if not model.groups:
        model.note(S, "No group has a comparison: one camera and no demographic labels with two or more values.")


# -- provenance --------------------------------------------------------------------------------

def _provenance(model: ReportModel, path: Path, manifest: dict, rec) -> None:
    m = manifest.get("matcher", {})
    p = manifest.get("parameters", {})
    model.provenance = [
        ("fr-eval version (report)", __version__),
        ("fr-eval version (replay)", str(manifest.get("fr_eval_version", "?"))),
        ("Matcher", f"{m.get('name', '?')} {m.get('version', '')}".strip()),
        ("Matcher package", str(m.get("package", "")) or "-"),
        ("Replayed", str(manifest.get("created", "?"))),
        ("Signature", model.signature),
    ]
    for name, digest in sorted((m.get("model_files") or {}).items()):
        model.provenance.append((f"Model file {name}", digest))
    files = manifest.get("inputs", {}).get("files", {})
    footage = {f.get("path") for f in manifest.get("footage", [])}
    for name, digest in sorted(files.items()):
        kind = "footage" if name in footage else "input"
        if name.startswith("watchlist") or name == "watchlist.csv":
            kind = "watchlist"
        model.input_hashes.append((f"{kind}: {name}", digest))
    from fr_eval.signature import footage_hash, inputs_hash

    model.input_hashes.append(("all footage (combined)", footage_hash(manifest)))
    model.input_hashes.append(("all inputs (combined)", inputs_hash(manifest)))
    skip = {"tracker", "matcher_options"}
    model.parameters = [(k, _fmt(v)) for k, v in p.items() if k not in skip]
    for k, v in (p.get("tracker") or {}).items():
        model.parameters.append((f"tracker.{k}", _fmt(v)))
    for k, v in (m.get("parameters") or {}).items():
        model.parameters.append((f"matcher.{k}", _fmt(v)))
    model.parameters.append(("interval", f"95%, {rec.ci_method}"))
    if manifest.get("command"):
        model.commands.append(str(manifest["command"]))


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _int(v) -> str:
    return "not stated" if v is None else f"{int(v):,}"


