"""``fr-eval record`` as terminal text: rendering only; every number comes from a RecordSummary.

Rates print through the one formatter, :func:`fr_eval.counting.rates.format_rate` (counts, value, 95% interval,
unit; two significant figures below 1%, and "1 in N").  Tables fit the width (100 columns by default) through the
one fitter, :func:`fr_eval.report.tables.fit`: columns are dropped lowest priority first and the drop is said;
``wide=True`` keeps every column.
"""

from __future__ import annotations

import math
import textwrap

from fr_eval.counting.methods import METHODS
from fr_eval.counting.rates import Rate, Unavailable, format_rate, one_in
from fr_eval.report.tables import WIDTH, fit, table


def rate_text(r: Rate | Unavailable) -> str:
    """The one text form of a rate (:func:`fr_eval.counting.rates.format_rate`), or what is missing."""
    return format_rate(r)


def one_in_text(r: Rate | Unavailable) -> str:
    if isinstance(r, Rate) and r.numerator and r.extra.get("said_as") == "one_in":
        return one_in(r.value)
    return ""


def wrap(text: str, indent: str = "  ", width: int = WIDTH) -> list[str]:
    """Prose lines wrapped to ``width`` (continuation lines indented one step more)."""
    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_on_hyphens=False, break_long_words=False)


def p_text(p: float | None) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "-"
    return f"{p:.2g}" if p >= 0.001 else f"{p:.1e}"


def homogeneity_p(h) -> str:
    """The test's p-value; ``<= 1/(B+1)`` when no Monte Carlo draw was as extreme as the record."""
    p = p_text(h.p_value)
    if h.replicates and h.p_value is not None and h.p_value <= 1 / (h.replicates + 1) + 1e-15:
        return f"<= {p}"
    return p


def record_text(s, *, wide: bool = False, width: int = WIDTH) -> str:
    """The whole of ``fr-eval record``'s output for a :class:`~fr_eval.counting.record_summary.RecordSummary`."""
    first, last = s.span
    out = wrap(f"RECORD {s.record.path} (sha256 {s.record.sha256[:12]}, {len(s.record)} deployments)", "")
    out += wrap(f"selection: {s.selection.describe()} -> {len(s.deployments)} deployments"
                + (f", dated {first} to {last}" if first else ""), "")
    if s.undated:
        out += wrap(f"left out for want of a date ({len(s.undated)}): {', '.join(s.undated)}", "")
    out += ["", _deployments(s, wide, width), "", "POOLED: counts summed over the deployments that have them "
            "(never an average of rates)"]
    for p in s.pooled:
        out.append(f"{p.method}: {p.deployments} of {len(s.deployments)} deployments")
        said = one_in_text(p.result)
        out.append(f"  {rate_text(p.result)}" + (f" ({said})" if said else ""))
        if p.lacking:
            out += wrap(f"lacking a count it needs ({len(p.lacking)}): " + _ids([i for i, _ in p.lacking], wide))
        if p.note:
            out.append(f"  {p.note}")
    out += wrap("counts summed: " + "; ".join(
        f"{k} {v['sum']:,} ({v['deployments']} deployments)" for k, v in s.counts.items()), "")
    if s.grouping is not None:
        out += ["", f"BY {s.grouping.by.upper()}", _grouped(s.grouping)]
    out += ["", "ARE THE DEPLOYMENTS ALIKE? (test of one rate in every deployment)"]
    out += [line for h in s.homogeneity for line in _homogeneity(h)] or ["  (fewer than two deployments to compare)"]
    for f in s.funnel_plots:
        out += ["", *_funnel(s, f, wide, width)]
    if s.settings:
        out += ["", "THRESHOLD SETTINGS: before and after each change (settings in the order they were used)"]
        out += _settings(s.settings)
    if s.totals:
        out += ["", "PUBLISHED TOTALS against the record's rows"]
        for c in s.totals:
            out += _totals(c)
    untested = [m for m in s.methods if m not in s.tested]
    if untested:
        out += ["", "not tested or plotted separately (complements of a listed method, same test): "
                + ", ".join(untested)]
    return "\n".join(out)


def _ids(ids: list[str], wide: bool, limit: int = 6) -> str:
    if wide or len(ids) <= limit:
        return ", ".join(ids)
    return ", ".join(ids[:limit]) + f", ... and {len(ids) - limit} more (--wide or --json lists all)"


def _deployments(s, wide: bool, width: int) -> str:
    present = [k for k in ("faces_processed", "alerts", "true_alerts", "false_alerts", "arrests")
               if any(getattr(d.funnel, k) is not None for d in s.deployments)]
    flags: dict[str, list[str]] = {}
    letters: dict[str, str] = {}
    for i, f in enumerate(s.funnel_plots):
        letters[f.method] = "abcdefghij"[i % 10]
        for p in f.flagged:
            flags.setdefault(p.id, []).append(f"{letters[f.method]}{'>' if p.side == 'above' else '<'}{p.outside}")
    headers = ["deployment_id", "date"] + present + ["outside limits"] + s.methods + [
        "threshold", "watchlist", "hours", "force", "place"]
    short = {"faces_processed": "faces", "true_alerts": "true", "false_alerts": "false"}
    headers = [short.get(h, h) for h in headers]
    prio = [0, 1] + [3 + i for i in range(len(present))] + [2.5] + [20 + i for i in range(len(s.methods))] + [
        30, 31, 32, 33, 34]
    if "false" in headers:
        prio[headers.index("false")] = 1.5
    rows = []
    for d in s.deployments:
        f = d.funnel
        res = s.per_deployment[d.id]
        rows.append([d.id, str(d.date or "-")] + [_n(getattr(f, k)) for k in present]
                    + [", ".join(flags.get(d.id, [])) or "-"] + [rate_text(r) for r in res]
                    + [_n(d.threshold), _n(f.watchlist_size), _n(f.footage_hours), d.force or "-", d.place or "-"])
    align = "ll" + "r" * len(present) + "l" + "l" * len(s.methods) + "rrrll"
    text, dropped = fit(headers, rows, prio, align, width=width, wide=wide)
    lines = [f"DEPLOYMENTS ({len(rows)})"]
    if dropped:
        lines += wrap(f"[left out to fit {width} columns: {', '.join(dropped)}; --wide shows them]", "")
    if letters and "outside limits" not in dropped:
        lines += wrap("outside limits (funnel plots): " + ", ".join(f"{v} = {k}" for k, v in letters.items())
                      + "; '>' above the upper limit, '<' below the lower", "")
    return "\n".join(lines + [text])


def _n(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:g}"
    return f"{v:,}"


def _grouped(g) -> str:
    rows = []
    for grp in g.groups:
        for p in grp.pooled:
            rows.append([grp.key, str(len(grp.deployments)), p.method, str(p.deployments), rate_text(p.result)])
    text = table([g.by, "deployments", "method", "with counts", "pooled counts = value [95% CI] per unit"],
                 rows, "lrlrl")
    if g.unassigned:
        text += f"\nno {g.by} ({len(g.unassigned)}): {_ids(list(g.unassigned), False)}"
    return text


def _homogeneity(h) -> list[str]:
    m = METHODS[h.method]
    verdict = ("the deployments differ by more than chance (p < 0.05)" if h.p_value is not None and h.p_value < 0.05
               else "no evidence that they differ (which does not show they are alike)")
    lines = wrap(f"{h.method}: {h.deployments} deployments, {h.events:,} {m.numerator} over {h.exposure:,} "
                 f"{m.denominator}", "")
    if h.statistic is not None and h.df:
        lines.append(f"  Pearson X2 = {h.statistic:.1f} on {h.df} df (dispersion X2/df = {h.dispersion:.2f}; "
                     f"chi-square p = {p_text(h.p_asymptotic)})")
    p = homogeneity_p(h)
    if p.startswith("<="):
        p += " (no draw as extreme as the record)"
    lines += wrap(f"p {p if p.startswith('<') else '= ' + p}: {h.test}")
    lines.append(f"  -> {verdict}")
    if h.left_out:
        lines += wrap(f"left out, denominator 0 ({len(h.left_out)}): {_ids(list(h.left_out), False)}")
    return lines


def _funnel(s, f, wide: bool, width: int) -> list[str]:
    idx = s.methods.index(f.method)
    flagged = f.flagged
    n99 = sum(1 for p in flagged if p.outside == "99.8%")
    pooled = s.pooled_for(f.method).result
    lines = [f"FUNNEL PLOT {f.method}"] + wrap(f"target = pooled {rate_text(pooled)}", width=width)
    lines += wrap(f"{len(flagged)} of {len(f.points)} deployments outside the 95% limits ({n99} outside the 99.8% "
                  f"limits); {chance_text(len(f.points))}; tail p = exact P(count at least / at most this) if the "
                  "deployment had the pooled rate")
    if not flagged:
        return lines
    dates = {d.id: str(d.date or "-") for d in s.deployments}
    rows = [[p.id, dates.get(p.id, "-"), f"{p.side} {p.outside}", p_text(p.p_above if p.side == "above" else p.p_below),
             rate_text(s.per_deployment[p.id][idx])] for p in flagged]
    text, dropped = fit(["deployment_id", "date", "outside", "tail p", "counts = value [95% CI] per unit"], rows,
                        [0, 4, 1, 2, 3], "lllrl", width=width, wide=wide)
    lines += ["  " + line for line in text.splitlines()]
    if dropped:
        lines.append(f"  [left out to fit {width} columns: {', '.join(dropped)}; --wide shows them]")
    return lines


def chance_text(n: int) -> str:
    """How many of ``n`` deployments would lie outside the limits by chance alone, at most."""
    return (f"by chance alone at most about {0.05 * n:.3g} would lie outside the 95% limits and {0.002 * n:.2g} "
            "outside the 99.8% limits")


def _settings(changes) -> list[str]:
    lines, seen = [], set()
    for c in changes:
        pair = (c.before.key, c.after.key)
        if pair not in seen:
            seen.add(pair)
            lines += wrap(f"{c.before.key} -> {c.after.key}: {c.before.key} on {len(c.before.deployments)} deployments "
                          f"({c.before.first} to {c.before.last}), {c.after.key} on {len(c.after.deployments)} "
                          f"({c.after.first} to {c.after.last})", "")
            if c.overlap:
                lines += wrap("NOTE: the settings' dates overlap: " + "; ".join(c.overlap_text()))
        lines.append(f"  {c.method} before: {rate_text(c.before_rate.result)}")
        lines.append(f"  {' ' * len(c.method)} after:  {rate_text(c.after_rate.result)}")
        if c.test is not None:
            ratio = "" if c.test.ratio is None else f"{c.test.ratio_name} {c.test.ratio:.3g}; "
            lines += wrap(f"{ratio}p = {p_text(c.test.p_value)} ({c.test.test})", "  " + " " * (len(c.method) + 1))
    return lines


def _totals(c) -> list[str]:
    t = c.total
    lines = wrap(f"{t.id}: {t.by}, {t.source}; window {t.date_from} to {t.date_to} -> "
                 f"{c.status.upper().replace('_', ' ')}", "")
    if t.window_note:
        lines += wrap(f"window: {t.window_note}")
    lines += [line for n in c.notes for line in wrap(n)]
    rows = [[k, f"{v['published']:,}", f"{v['rows']:,}", "-" if v["share"] is None else f"{v['share']:.1%}",
             str(len(v["lacking"])) if v["lacking"] else ""] for k, v in c.counts.items()]
    text = table(["count", "published", "record rows", "rows / published", "rows lacking it"], rows, "lrrrr")
    return lines + ["  " + line for line in text.splitlines()]
