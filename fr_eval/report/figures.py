"""Report figures: matplotlib drawings of numbers already in the :class:`~fr_eval.report.model.ReportModel`.

Each function takes model data and returns PNG bytes or None when the data for the figure is absent (or the
figure would say nothing its text does not: no chart is drawn where it cannot apply).  Nothing here counts;
every value plotted was computed by the counting modules and stored in the model.

Rules every figure keeps, so that none can mislead:

* colours from the Okabe-Ito palette (distinguishable with every common colour-vision deficiency), and every
  curve also has its own line style, so no two curves differ by colour alone;
* no legend entry that looks like a data point: the marked point (operated threshold, this deployment) is
  labelled on the chart itself, and legends show lines only;
* a what-if (the base-rate chart drawn from a party's stated, unmeasured figures) says so in its title and
  states its assumptions on the chart;
* ``flag``: a figure drawn from simulated inputs carries the words on the chart itself.
"""

from __future__ import annotations

import io
import math

DPI = 170
FONT = "DejaVu Sans"
#: Okabe & Ito (2008), "Color Universal Design": black, orange, sky blue, bluish green, yellow, blue,
#: vermillion, reddish purple
OKABE_ITO = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
BLUE, ORANGE, VERMILLION, GREEN, PURPLE, SKY, GREY = (OKABE_ITO[5], OKABE_ITO[1], OKABE_ITO[6], OKABE_ITO[3],
                                                      OKABE_ITO[7], OKABE_ITO[2], "#777777")
STYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)))
CURVE_COLOURS = (BLUE, VERMILLION, GREEN, PURPLE, ORANGE)


def _plt():
    from fr_eval.report.mpl import pyplot

    return pyplot()


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def _flag(ax, flag: str) -> None:
    """Write a simulated-input flag across the top of the axes."""
    if flag:
        ax.text(0.5, 1.02, flag, transform=ax.transAxes, ha="center", va="bottom", fontsize=7.5, color="white",
                fontweight="bold", bbox={"boxstyle": "square,pad=0.3", "facecolor": VERMILLION, "edgecolor": "none"})


def waterfall_png(stages, marks=(), flag: str = "") -> bytes | None:
    """Alerts -> judged credible -> stop attempted -> stopped -> verified correct, with the losses, and each
    party's figure drawn as a bracket from the stage it divides by to the stage it counts.

    ``marks``: ``(numerator stage id, denominator stage id, [label lines])``.
    """
    known = [s for s in stages if s.count is not None]
    if len(known) < 2:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.6, 2.9))
    labels = [s.label.replace(" by the operators", "\nby operators") for s in stages]
    top = stages[0].count or max(s.count or 0 for s in stages)
    index = {s.id: i for i, s in enumerate(stages)}
    for i, s in enumerate(stages):
        if s.count is None:
            ax.text(i, top * 0.05, "not\nknown", ha="center", va="bottom", color=GREY, fontsize=7)
            continue
        ax.bar(i, s.count, color=BLUE, width=0.6)
        inside = bool(s.dropped) and s.count >= top * 0.12
        ax.text(i, s.count, f"{s.count:,}", ha="center", va="top" if inside else "bottom", fontsize=8,
                color="white" if inside else "black")
        if s.dropped:
            ax.bar(i, s.dropped, bottom=s.count, color="none", edgecolor=ORANGE, hatch="///", width=0.6)
            why = "\n".join(f"-{v} {k}" for k, v in s.dropped_as.items() if v) or f"-{s.dropped}"
            ax.text(i + 0.33, s.count + s.dropped / 2, why, fontsize=6, color="#8a5a00", va="center")
    spans = sorted((abs(index[num] - index[den]), num, den, lines) for num, den, lines in marks
                   if num in index and den in index)
    step = 0.36
    for k, (_, num, den, lines) in enumerate(spans):
        y = top * (1.1 + step * k)
        x0, x1 = index[den], index[num]
        colour = ("black", PURPLE, GREEN)[k % 3]
        ax.plot([x0, x0, x1, x1], [y - top * 0.05, y, y, y - top * 0.05], color=colour, lw=1.1, clip_on=False)
        ax.text((x0 + x1) / 2, y + top * 0.015, "\n".join(lines), ha="center", va="bottom", fontsize=7.5,
                color=colour)
    ax.set_xticks(range(len(stages)), labels, fontsize=7)
    ax.set_ylabel("alerts")
    ax.set_ylim(0, top * (1.2 + step * len(spans)) if top else 1)
    ax.set_xlim(-0.5, len(stages) - 0.2)
    if top:
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.spines["left"].set_bounds(0, top)
        ax.set_yticks([t for t in ax.get_yticks() if 0 <= t <= top])
    _flag(ax, flag)
    return _png(fig)


def base_rate_png(curves: dict[str, list[tuple[float, float]]], point: tuple[float, float] | None,
                  interval: tuple[float, float] | None, point_label: str, *, whatif: str = "",
                  flag: str = "") -> bytes | None:
    """Expected precision against prevalence, one curve per watchlist size, with the deployment marked.

    ``whatif``: when the hit rate or false-alert rate are a party's stated figures, not measured, the
    assumptions, written on the chart; the title then says it is a what-if and every curve is dashed.
    """
    if not curves or point is None or not point[0] or point[0] <= 0:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.6, 3.3))
    for i, (label, pts) in enumerate(curves.items()):
        xs, ys = zip(*pts)
        operated = "as operated" in label
        style = "--" if whatif and operated else STYLES[i % len(STYLES)]
        ax.plot(xs, [y * 100 for y in ys], linestyle=style, color=CURVE_COLOURS[i % len(CURVE_COLOURS)],
                label=label, lw=2.0 if operated else 1.1)
    px, py = point
    if interval is not None and all(x and x > 0 and math.isfinite(x) for x in interval):
        ax.hlines(py * 100, min(interval), max(interval), color="black", lw=1.2)
    ax.plot([px], [py * 100], "o", color="black", ms=5, zorder=5)
    ax.annotate(point_label, (px, py * 100), xytext=(8, -14), textcoords="offset points", fontsize=6.5,
                ha="left", va="top", bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": GREY})
    ax.set_xscale("log")
    ax.set_xlim(1e-6, 1e-1)
    ax.set_xlabel("prevalence: share of passers-by who are on the watchlist")
    ax.set_ylabel("expected precision (% of alerts correct)")
    ax.set_ylim(0, 103)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=6.5, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False, handlelength=3.2,
              title="false-alert rate scaled to", title_fontsize=6.5)
    if whatif:
        import textwrap

        ax.set_title("\n".join(textwrap.wrap("WHAT-IF, not a measurement: " + whatif, 100)), fontsize=7.5, loc="left",
                     color=VERMILLION)
    _flag(ax, flag)
    return _png(fig)


def det_png(points: list[tuple[float, float, float]], operated: tuple, flag: str = "") -> bytes | None:
    """FNIR against FPIR over thresholds (per passage), with the operated threshold labelled on the curve."""
    if not points:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.6, 3.2))
    pts = sorted(points, key=lambda p: -p[0])   # threshold descending: FPIR rises, FNIR falls
    fp = [p[2] * 100 for p in pts]
    fn = [p[1] * 100 for p in pts]
    ax.step(fp, fn, where="post", color=BLUE, lw=1.2)
    thr, op_fn, op_fp, n_w, n_nw = operated
    ax.plot([op_fp * 100], [op_fn * 100], "o", color=VERMILLION, zorder=5, ms=5)
    ax.annotate(f"operated threshold {thr:g}", (op_fp * 100, op_fn * 100), xytext=(8, 8),
                textcoords="offset points", fontsize=7, color=VERMILLION)
    ax.set_xscale("symlog", linthresh=0.1)
    ax.set_xlabel(f"FPIR (%), {n_nw:,} non-watchlist passages")
    ax.set_ylabel(f"FNIR (%), {n_w:,} watchlisted passages")
    ax.set_xlim(left=0)
    ax.set_ylim(-2, 102)
    ax.grid(alpha=0.3, which="both")
    _flag(ax, flag)
    return _png(fig)


def alerts_per_hour_png(rows, hours: float | None, flag: str = "") -> bytes | None:
    """Alerts (or alerts per hour) against the threshold; the operated threshold is a labelled vertical line."""
    if not rows:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.6, 3.2))
    xs = [r.threshold for r in rows]
    ys = [r.alerts_per_hour if hours else r.alerts for r in rows]
    ax.plot(xs, ys, "-o", color=BLUE, ms=3, lw=1.2)
    for r in rows:
        if r.operated:
            ax.axvline(r.threshold, color=VERMILLION, lw=1, linestyle="--")
            ax.text(r.threshold, 0.03, f" operated threshold {r.threshold:g}", transform=ax.get_xaxis_transform(),
                    fontsize=7, color=VERMILLION, va="bottom", ha="left")
    ax.set_yscale("symlog", linthresh=1)
    ax.set_ylim(bottom=0, top=max(max(ys) * 3, 2))
    ax.set_xlabel("threshold (similarity)")
    ax.set_ylabel("alerts per hour of footage" if hours else "alerts")
    ax.grid(alpha=0.3, which="both")
    _flag(ax, flag)
    return _png(fig)
