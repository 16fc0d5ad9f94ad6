"""The text form of the score-list metrics (what ``fr-eval metrics`` prints).

Every rate goes through the one formatter (:func:`fr_eval.counting.rates.format_rate`); statistics that
are not rates (EER, ROCCH-EER, AUC) print their value and interval with :func:`~fr_eval.counting.rates.percent`
and :func:`~fr_eval.counting.rates.interval_text`.
"""

from __future__ import annotations

import math

from fr_eval.counting.rates import Rate, format_rate, fraction, interval_text, percent
from fr_eval.thresholds.summary import MAX_RANKS_SHOWN, Summary


def metrics_text(s: Summary, *, wide: bool = False) -> str:
    """The summary as a plain-text table (metric, result, threshold), fitted to 100 columns."""
    import textwrap

    from fr_eval.report.tables import dropped_note, fit, keep

    def para(text: str) -> list[str]:
        return [text] if wide else textwrap.wrap(text, 100, break_long_words=False, break_on_hyphens=False)

    lines = [w for h in header_lines(s) for w in para(h)] + [""]
    rows = [(name, keep(result) if len(result) < 60 else result, thr) for name, result, thr in metrics_rows(s)]
    text, dropped = fit(("metric", "result", "threshold"), rows, (0, 0, 1), "llr", wide=wide, wrap={1: 30})
    lines.append(text)
    if dropped:
        lines.append(dropped_note(dropped))
    notes = metrics_notes(s)
    if notes:
        lines.append("")
        lines += [w for n in notes for w in para(n)]
    return "\n".join(lines)


def header_lines(s: Summary) -> list[str]:
    """What was counted and how: the files with their SHA-256, the counts, the conventions."""
    src = s.source
    files = ", ".join(f"{f.get('path') or f.get('name', '?').split(':')[-1]} (sha256 {f['sha256'][:12]})"
                      for f in src["files"])
    first = f"score list: {files}, format {src['format']}"
    if src.get("run"):
        first = f"run {src['run']}, imported from the {first}; its passages counted"
    lines = [first,
             f"{src['comparisons']:,} comparisons: {src['genuine']:,} genuine, {src['impostor']:,} impostor; "
             f"missing scores (failures to acquire): {src['missing_genuine']:,} genuine, "
             f"{src['missing_impostor']:,} impostor; FTA convention: {s.fta}",
             f"accept iff score >= threshold; 95% intervals: {s.ci} for rates"
             + (f" (seed {s.seed})" if s.ci == "bootstrap" else "")
             + (f"; EER, ROCCH-EER, AUC: bootstrap, {s.n_boot} replicates, seed {s.seed}" if s.n_boot else
                "; EER, ROCCH-EER, AUC: no interval (--n-boot 0)")]
    return lines


def metrics_rows(s: Summary) -> list[tuple[str, str, str]]:
    """(metric, result, threshold) rows: every rate through the one formatter."""
    rows: list[tuple[str, str, str]] = []
    if s.eer is not None:
        f = s.verification_fta
        assert f is not None and s.rocch is not None and s.auc is not None
        rows.append(("FTA (pooled)", format_rate(f.rate), ""))
        rows.append(("EER (bob.measure)", _estimate(s.eer.value, s.eer.estimate.ci95)
                     + f"; {_name(s.eer.fmr)} {fraction(s.eer.fmr.numerator, s.eer.fmr.denominator)}, "
                     f"{_name(s.eer.fnmr)} {fraction(s.eer.fnmr.numerator, s.eer.fnmr.denominator)}",
                     _threshold(s.eer.threshold)))
        rows.append(("ROCCH-EER (Bosaris)", _estimate(s.rocch.value, s.rocch.estimate.ci95)
                     + f"; {len(s.rocch.hull_fmr)} hull vertices", ""))
        lo, hi = s.auc.estimate.ci95
        auc_ci = "" if math.isnan(lo) else f" [{lo:.6f}, {hi:.6f}]"
        rows.append(("AUC (Mann-Whitney)", f"{s.auc.value:.6f}{auc_ci}; U {s.auc.u_statistic:g} of "
                     f"{s.auc.pairs:,} pairs", ""))
        for p in s.fnmr_at_fmr:
            rows.append((f"{_name(p.fnmr)} @ {_name(p.fmr)} <= {p.target_value:g}", format_rate(p.fnmr),
                         _threshold(p.threshold)))
            rows.append((f"  achieved {_name(p.fmr)}", format_rate(p.fmr) + (" *" if p.note else ""), ""))
        for p in s.fmr_at_fnmr:
            rows.append((f"{_name(p.fmr)} @ {_name(p.fnmr)} <= {p.target_value:g}", format_rate(p.fmr),
                         _threshold(p.threshold)))
            rows.append((f"  achieved {_name(p.fnmr)}", format_rate(p.fnmr) + (" *" if p.note else ""), ""))
    if s.cmc is not None:
        assert s.search_fta is not None
        rows.append(("FTA searches (pooled)", format_rate(s.search_fta.rate), ""))
        for ip, d in zip(s.fnir_at_fpir, s.dir, strict=True):
            rows.append((f"FNIR @ FPIR <= {ip.target_value:g} (any rank)", format_rate(ip.fnir),
                         _threshold(ip.threshold)))
            rows.append(("  FNIR at rank 1", format_rate(ip.fnir_rank1), ""))
            rows.append(("  achieved FPIR", format_rate(ip.fpir) + (" *" if ip.note else ""), ""))
            for k, q in enumerate(d.points[:MAX_RANKS_SHOWN]):
                rows.append((f"  DIR rank {k + 1}", format_rate(q), ""))
        for k, q in enumerate(s.cmc.points[:MAX_RANKS_SHOWN]):
            rows.append((f"CMC rank {k + 1}", format_rate(q), ""))
    return rows


def metrics_notes(s: Summary) -> list[str]:
    """The footnotes: targets no stored score meets (marked * in the rows), and what is not defined."""
    notes = [p.note for p in [*s.fnmr_at_fmr, *s.fmr_at_fnmr] if p.note] + [p.note for p in s.fnir_at_fpir if p.note]
    return [f"* {n}" for n in notes] + list(s.notes)


def metrics_sentence(s: Summary) -> str:
    """The headline metrics in one sentence (page 1 of a score-list run's report)."""
    parts = []
    if s.eer is not None and s.rocch is not None and s.auc is not None:
        parts.append(f"EER {_estimate(s.eer.value, s.eer.estimate.ci95)} (bob.measure's, at threshold "
                     f"{_threshold(s.eer.threshold)}), ROCCH-EER {percent(s.rocch.value)}, AUC {s.auc.value:.4f}")
        for p in s.fnmr_at_fmr[-1:]:
            parts.append(f"{_name(p.fnmr)} at {_name(p.fmr)} <= {p.target_value:g}: {format_rate(p.fnmr)}")
    for ip in s.fnir_at_fpir[:1]:
        parts.append(f"FNIR at FPIR <= {ip.target_value:g}: {format_rate(ip.fnir)}")
    if s.cmc is not None and s.cmc.points:
        parts.append(f"rank-1 identification rate (CMC): {format_rate(s.cmc.points[0])}")
    return ("The score list's standard metrics (section 4): " + "; ".join(parts) + ".") if parts else ""


def _name(r: Rate) -> str:
    return r.id.upper()


def _estimate(value: float, ci: tuple[float, float]) -> str:
    text = interval_text(ci)
    return percent(value) + (f" {text}" if text else "")


def _threshold(t: float) -> str:
    return f"{t:.6g}"


__all__ = ["header_lines", "metrics_notes", "metrics_rows", "metrics_sentence", "metrics_text"]
