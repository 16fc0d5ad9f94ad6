"""Every standard metric of one score list at once: what ``fr-eval metrics`` prints, as one object.

:func:`summarize` reads nothing and prints nothing: it takes a :class:`~fr_eval.inputs.scorelists.ScoreList`
and returns a :class:`Summary` of typed results (:mod:`fr_eval.thresholds.metrics`,
:mod:`fr_eval.thresholds.identification`); :meth:`Summary.to_dict` is the JSON form and
:func:`format_text` the table, so a notebook gets exactly what the command line shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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
    if fta not in m.FTA_CONVENTIONS:
        raise InputError(f"unknown FTA convention {fta!r}", hint="count or exclude")
    if ci not in m.CI_CHOICES:
        raise InputError(f"unknown interval method {ci!r}", hint=" or ".join(m.CI_CHOICES))
    out = Summary(sl.describe(), fta, ci, seed, n_boot)
    want_ident = sl.format == "openset" if identification is None else identification
    if sl.format != "openset":
        cluster = None
        if ci == "bootstrap":
            cluster = "subject" if sl.subject is not None else "probe" if sl.probe is not None else None
            if cluster is None:
                raise InputError(f"{sl.paths[0]}: --ci bootstrap needs to know who is who",
                                 hint="the score list names no subject or probe; use --ci clopper-pearson")
        cs = m.Comparisons.from_scorelist(sl, fta=fta, cluster_by=cluster)
        out.verification_fta = cs.fta()
        out.eer = m.eer(cs, ci=ci, seed=seed, n_boot=n_boot)
        out.rocch = m.rocch_eer(cs, ci=ci, seed=seed, n_boot=n_boot)
        out.auc = m.auc(cs, ci=ci, seed=seed, n_boot=n_boot)
        out.fnmr_at_fmr = [m.fnmr_at_fmr(cs, t, ci=ci, seed=seed, n_boot=n_boot) for t in fmr_targets]
        out.fmr_at_fnmr = [m.fmr_at_fnmr(cs, t, ci=ci, seed=seed, n_boot=n_boot) for t in fnmr_targets]
    if want_ident:
        searches = searches_from(sl)
        cluster = None
        if ci == "bootstrap":
            cluster = "true_subject" if searches.true_subject is not None else "probe"
        os_ = ident.OpenSet.from_searches(searches, fta=fta, cluster_by=cluster)
        out.search_fta = os_.fta()
        if not len(os_.nonmated_best):
            out.notes.append("no scored non-mated search: FPIR and FNIR @ FPIR are not defined (a closed-set list)")
        elif os_.n_mated:
            out.fnir_at_fpir = [ident.fnir_at_fpir(os_, t, ci=ci, seed=seed, n_boot=n_boot)
                              for t in fpir_targets]
            out.dir = [ident.dir_at_ranks(os_, p.threshold, ci=ci, seed=seed, n_boot=n_boot)
                       for p in out.fnir_at_fpir]
        if os_.n_mated:
            out.cmc = ident.cmc(os_, ci=ci, seed=seed, n_boot=n_boot)
        else:
            raise InputError(f"{sl.paths[0]}: no mated search", hint="identification rates need searches whose "
                                                                    "subject is enrolled")
    return out


# -- text -----------------------------------------------------------------------------------------

def format_text(s: Summary) -> str:
    """The summary as a plain-text table (what ``fr-eval metrics`` prints)."""
    src = s.source
    files = ", ".join(f"{f['path']} (sha256 {f['sha256'][:12]})" for f in src["files"])
    lines = [f"score list: {files}, format {src['format']}",
             f"{src['comparisons']} comparisons: {src['genuine']} genuine, {src['impostor']} impostor; "
             f"missing scores (failures to acquire): {src['missing_genuine']} genuine, {src['missing_impostor']} "
             f"impostor; FTA convention: {s.fta}",
             f"accept iff score >= threshold; 95% intervals: {s.ci} for rates"
             + (f" (seed {s.seed})" if s.ci == "bootstrap" else "")
             + (f"; EER, ROCCH-EER, AUC: bootstrap, {s.n_boot} replicates, seed {s.seed}" if s.n_boot else
                "; EER, ROCCH-EER, AUC: no interval (--n-boot 0)"), ""]
    rows: list[tuple[str, str, str, str, str]] = []
    if s.eer is not None:
        f = s.verification_fta
        assert f is not None and s.rocch is not None and s.auc is not None
        rows.append(("FTA (pooled)", *_prop(f.rate), "-"))
        rows.append(("EER (bob.measure)", _pct(s.eer.value), f"{_frac(s.eer.fmr)}, {_frac(s.eer.fnmr)}",
                     _ci(s.eer.estimate.ci95), f"{s.eer.threshold:.6g}"))
        rows.append(("ROCCH-EER (Bosaris)", _pct(s.rocch.value), f"{len(s.rocch.hull_fmr)} hull vertices",
                     _ci(s.rocch.estimate.ci95), "-"))
        rows.append(("AUC (Mann-Whitney)", f"{s.auc.value:.6f}", f"U {s.auc.u_statistic:g} / {s.auc.pairs} pairs",
                     _ci(s.auc.estimate.ci95, pct=False), "-"))
        for p in s.fnmr_at_fmr:
            rows.append((f"{p.fnmr.name.upper()} @ {p.fmr.name.upper()} <= {p.target_value:g}", *_prop(p.fnmr),
                         f"{p.threshold:.6g}"))
            rows.append((f"  achieved {p.fmr.name.upper()}", *_prop(p.fmr), "*" if p.note else ""))
        for p in s.fmr_at_fnmr:
            rows.append((f"{p.fmr.name.upper()} @ {p.fnmr.name.upper()} <= {p.target_value:g}", *_prop(p.fmr),
                         f"{p.threshold:.6g}"))
            rows.append((f"  achieved {p.fnmr.name.upper()}", *_prop(p.fnmr), "*" if p.note else ""))
    if s.cmc is not None:
        assert s.search_fta is not None
        rows.append(("FTA searches (pooled)", *_prop(s.search_fta.rate), "-"))
        for ip, d in zip(s.fnir_at_fpir, s.dir, strict=True):
            rows.append((f"FNIR @ FPIR <= {ip.target_value:g} (any rank)", *_prop(ip.fnir), f"{ip.threshold:.6g}"))
            rows.append(("  FNIR at rank 1", *_prop(ip.fnir_rank1), ""))
            rows.append(("  achieved FPIR", *_prop(ip.fpir), "*" if ip.note else ""))
            for k, q in enumerate(d.points[:MAX_RANKS_SHOWN]):
                rows.append((f"  DIR rank {k + 1}", *_prop(q), ""))
        for k, q in enumerate(s.cmc.points[:MAX_RANKS_SHOWN]):
            rows.append((f"CMC rank {k + 1}", *_prop(q), "-"))
    head = ("metric", "value", "counts", "95% interval", "threshold")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(5)]
    for r in [head, tuple("-" * w for w in widths), *rows]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    notes = [p.note for p in [*s.fnmr_at_fmr, *s.fmr_at_fnmr] if p.note] + [p.note for p in s.fnir_at_fpir if p.note]
    if notes or s.notes:
        lines.append("")
        lines += [f"* {n}" for n in notes] + s.notes
    return "\n".join(lines)


def _prop(p: m.Proportion) -> tuple[str, str, str]:
    return _pct(p.value), _frac(p), _ci(p.ci95)


def _frac(p: m.Proportion) -> str:
    return f"{p.name} {p.numerator}/{p.denominator}"


def _pct(x: float) -> str:
    return m._pct(x)


def _ci(ci: tuple[float, float], pct: bool = True) -> str:
    lo, hi = ci
    if lo != lo or hi != hi:   # NaN
        return "-"
    return f"[{_pct(lo)}, {_pct(hi)}]" if pct else f"[{lo:.6f}, {hi:.6f}]"


__all__ = ["DEFAULT_FMR_TARGETS", "DEFAULT_FNMR_TARGETS", "DEFAULT_FPIR_TARGETS", "Summary", "format_text",
           "summarize"]
