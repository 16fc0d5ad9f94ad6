"""Figures of a deployment record: funnel plots and the time series, drawn from a RecordSummary.

Nothing here counts: points, limits and intervals were computed by :mod:`fr_eval.counting`.  Colours are the
Okabe-Ito palette (distinguishable with the common colour-vision deficiencies) and every series also differs
by line style or marker shape, so the figures read in grey.  Legends sit below the axes, outside the data area,
so that no legend marker can be taken for a deployment.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

from fr_eval.counting.funnel_plot import FunnelPlot
from fr_eval.counting.methods import METHODS
from fr_eval.counting.rates import Rate
from fr_eval.report.figures import DPI

# Okabe & Ito (2008), "Color Universal Design"
BLACK, ORANGE, SKY, GREEN, BLUE, VERMILION, PURPLE, GREY = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2",
                                                             "#D55E00", "#CC79A7", "#777777")
LIMIT_STYLE = {"95%": dict(color=BLUE, linestyle="--", lw=1.2), "99.8%": dict(color=GREEN, linestyle=":", lw=1.6)}


def _plt():
    from fr_eval.report.mpl import pyplot

    return pyplot()


def _save(fig, fmt: str) -> bytes:
    buf = io.BytesIO()
    meta = {"Date": None} if fmt == "svg" else {}
    fig.savefig(buf, format=fmt, dpi=DPI, bbox_inches="tight", metadata=meta)
    _plt().close(fig)
    return buf.getvalue()


def display_scale(kind: str, target: float, unit: str) -> tuple[float, str]:
    """Multiplier and axis wording: percent for shares, "per 1,000 / 100,000 ..." for rates per unit."""
    if kind != "rate":
        return 100.0, f"% of {unit}s"
    mult = 1_000.0
    while target and target * mult < 0.1 and mult < 1e9:
        mult *= 10
    return mult, f"per {mult:,.0f} {unit}s"


def funnel_figure(plots: Sequence[FunnelPlot], *, fmt: str = "png", annotate: int = 9) -> bytes | None:
    """One funnel plot per method (stacked): rate against denominator (log), target and control limits.

    The first ``annotate`` deployments outside the 99.8% limits are numbered by their place in
    :attr:`FunnelPlot.flagged` (1 = most extreme), as the flagged tables number them.
    """
    if not plots:
        return None
    plt = _plt()
    fig, axes = plt.subplots(len(plots), 1, figsize=(6.6, 3.5 * len(plots)), squeeze=False)
    for ax, f in zip(axes[:, 0], plots, strict=True):
        _funnel_axes(ax, f, annotate)
    handles = [plt.Line2D([], [], color=BLACK, lw=1.2, label="pooled rate (target)"),
               plt.Line2D([], [], label="95% limits", **LIMIT_STYLE["95%"]),
               plt.Line2D([], [], label="99.8% limits", **LIMIT_STYLE["99.8%"]),
               plt.Line2D([], [], ls="none", marker="o", mfc="none", mec=GREY, label="deployment inside the limits"),
               plt.Line2D([], [], ls="none", marker="^", color=ORANGE, label="outside 95% (triangle points up/down)"),
               plt.Line2D([], [], ls="none", marker="s", color=VERMILION, label="outside 99.8%")]
    fig.legend(handles=handles, loc="upper center", ncol=3, fontsize=7, frameon=True, title="Key (not data)",
               title_fontsize=7, bbox_to_anchor=(0.5, 0.0))
    fig.tight_layout()
    return _save(fig, fmt)


def _funnel_axes(ax, f: FunnelPlot, annotate: int) -> None:
    m = METHODS[f.method]
    mult, wording = display_scale(f.kind, f.target, f.unit)
    grid = list(f.grid)
    nan = float("nan")
    for level, (lo, hi) in (f.limits or {}).items():
        # a limit at the bound itself (0, or 100% for a share) excludes nothing: not drawn over the points there
        ax.plot(grid, [y * mult if y > 0 else nan for y in lo], **LIMIT_STYLE[level])
        ax.plot(grid, [y * mult if f.kind == "rate" or y < 1 else nan for y in hi], **LIMIT_STYLE[level])
    ax.axhline(f.target * mult, color=BLACK, lw=1.2)
    inside = [p for p in f.points if not p.outside]
    ax.scatter([p.denominator for p in inside], [p.value * mult for p in inside], s=12, facecolors="none",
               edgecolors=GREY, linewidths=0.7, zorder=3)
    for side, marker in (("above", "^"), ("below", "v")):
        pts = [p for p in f.points if p.outside == "95%" and p.side == side]
        ax.scatter([p.denominator for p in pts], [p.value * mult for p in pts], s=26, marker=marker, color=ORANGE,
                   edgecolors=BLACK, linewidths=0.4, zorder=4)
    pts = [p for p in f.points if p.outside == "99.8%"]
    ax.scatter([p.denominator for p in pts], [p.value * mult for p in pts], s=24, marker="s", color=VERMILION,
               edgecolors=BLACK, linewidths=0.4, zorder=5)
    offsets = [(5, 4), (5, -9), (-11, 4), (-11, -9)]
    for i, p in enumerate(f.flagged[:annotate], start=1):
        if p.outside == "99.8%":
            ax.annotate(str(i), (p.denominator, p.value * mult), xytext=offsets[i % 4], textcoords="offset points",
                        fontsize=6.5, color=BLACK, fontweight="bold")
    ax.set_xscale("log")
    ax.set_xlabel(f"{m.denominator} in the deployment (log scale)")
    ax.set_ylabel(f"{m.numerator}, {wording}")
    ax.set_title(f"{m.label} ({f.method}): {len(f.points)} deployments, pooled {f.numerator:,}/{f.denominator:,}",
                 fontsize=8, loc="left")
    # the range of the points (limits at tiny denominators may run off the top)
    top = max([p.value * mult for p in f.points] + [f.target * mult * 3])
    bottom = min([p.value * mult for p in f.points] + [f.target * mult])
    if f.kind == "rate":
        ax.set_ylim(-0.03 * top, top * 1.12)
    else:
        ax.set_ylim(max(0.0, bottom - 5) - 2, min(100.0, top) + 3)
    ax.grid(alpha=0.25, which="both")


def timeline_figure(timeline, methods: Sequence[str], deployments, *, fmt: str = "png") -> bytes | None:
    """Pooled rate per month (or year) with 95% intervals, one panel per method, and a strip showing the
    threshold setting of every deployment (one tick each)."""
    if timeline is None or not timeline.groups:
        return None
    settings = sorted({f"{d.threshold:g}" for d in deployments if d.threshold is not None and d.date},
                      key=float)
    plt = _plt()
    heights = [3] * len(methods) + ([0.35 * len(settings) + 0.4] if settings else [])
    fig, axes = plt.subplots(len(heights), 1, figsize=(6.6, sum(heights) * 0.95 + 0.8), sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": heights})
    axes = axes[:, 0]
    for ax, mid in zip(axes, methods, strict=False):
        m = METHODS[mid]
        pts = []
        for g in timeline.groups:
            r = next(p.result for p in g.pooled if p.method == mid)
            if isinstance(r, Rate) and r.denominator:
                pts.append((_mid(g.key, timeline.by), r))
        if not pts:
            ax.text(0.5, 0.5, "no period has these counts", transform=ax.transAxes, ha="center")
            continue
        target = sum(r.numerator for _, r in pts) / sum(r.denominator for _, r in pts)
        mult, wording = display_scale(m.kind, target, m.unit)
        xs = [x for x, _ in pts]
        ys = [r.value * mult for _, r in pts]
        lo = [max(0.0, (r.value - r.ci95[0]) * mult) for _, r in pts]
        hi = [max(0.0, (r.ci95[1] - r.value) * mult) for _, r in pts]
        ax.errorbar(xs, ys, yerr=[lo, hi], fmt="o", ms=3.5, color=BLACK, ecolor=BLUE, elinewidth=0.9, capsize=2)
        ax.set_ylabel(f"{m.numerator},\n{wording}", fontsize=7)
        ax.set_title(f"{m.label} ({mid}) per {timeline.by}: pooled counts with exact 95% intervals", fontsize=8,
                     loc="left")
        top = max(ys) * 1.5 if max(ys) > 0 else max(y + h for y, h in zip(ys, hi, strict=True))
        bottom = -0.02 * top
        if m.kind != "rate":      # a share: from just below the lowest interval to 100%
            top, bottom = 103.0, max(0.0, min(y - low for y, low in zip(ys, lo, strict=True)) - 5) - 2
        clipped = [(x, top) for x, y, h in zip(xs, ys, hi, strict=True) if y + h > top]
        if clipped:
            cx, cy = zip(*clipped, strict=True)
            ax.plot(cx, [c * 0.985 for c in cy], ls="none", marker=6, ms=5, color=BLUE)   # caret: the bar goes on
        ax.set_ylim(bottom, top)
        ax.grid(alpha=0.25)
    if settings:
        ax = axes[-1]
        for i, key in enumerate(settings):
            dates = [d.date for d in deployments if d.threshold is not None and f"{d.threshold:g}" == key and d.date]
            ax.plot(dates, [i] * len(dates), ls="none", marker="|", ms=9, color=[BLUE, VERMILION, GREEN, PURPLE,
                                                                                  ORANGE][i % 5])
        ax.set_yticks(range(len(settings)), [f"threshold {k}" for k in settings], fontsize=7)
        ax.set_ylim(-0.6, len(settings) - 0.4)
        ax.set_title("threshold setting of each deployment (one tick per deployment)", fontsize=7, loc="left")
        ax.grid(alpha=0.25, axis="x")
    fig.tight_layout()
    return _save(fig, fmt)


def _mid(key: str, by: str) -> dt.date:
    if by == "month":
        y, m = key.split("-")
        return dt.date(int(y), int(m), 15)
    return dt.date(int(key), 7, 1)
