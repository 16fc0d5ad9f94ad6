"""Report figures: matplotlib drawings of numbers already in the :class:`~fr_eval.report.model.ReportModel`.

Each function takes model data and returns PNG bytes (200 dpi) or None when the
data for the figure is absent.  Nothing here counts; every value plotted was
computed by the counting modules and stored in the model.
"""

from __future__ import annotations

import io
import math

DPI = 200
FONT = "DejaVu Sans"
BLUE, ORANGE, GREY, RED = "#1f5fa8", "#d9822b", "#8a8a8a", "#b22222"


def _plt():
    from fr_eval.report.mpl import pyplot

    return pyplot()


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def waterfall_png(stages) -> bytes | None:
    """Alerts -> judged credible -> stop attempted -> stopped -> verified correct, with the losses."""
    known = [s for s in stages if s.count is not None]
    if len(known) < 2:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 2.8))
    labels = [s.label.replace(" by the operators", "\nby operators") for s in stages]
    top = stages[0].count or max(s.count or 0 for s in stages)
    for i, s in enumerate(stages):
        if s.count is None:
            ax.text(i, top * 0.05, "not\nknown", ha="center", va="bottom", color=GREY, fontsize=7)
            continue
        ax.bar(i, s.count, color=BLUE, width=0.6)
        if s.dropped:
            ax.text(i, s.count, f"{s.count:,}", ha="center", va="top", fontsize=8, color="white")
        else:
            ax.text(i, s.count, f"{s.count:,}", ha="center", va="bottom", fontsize=8)
        if s.dropped:
            prev = s.count + s.dropped
            ax.bar(i, s.dropped, bottom=s.count, color="none", edgecolor=ORANGE, hatch="///", width=0.6)
            why = "\n".join(f"-{v} {k}" for k, v in s.dropped_as.items() if v) or f"-{s.dropped}"
            ax.text(i + 0.33, (s.count + prev) / 2, why, fontsize=6, color=ORANGE, va="center")
    ax.set_xticks(range(len(stages)), labels, fontsize=7)
    ax.set_ylabel("alerts")
    ax.set_ylim(0, top * 1.15 if top else 1)
    ax.set_xlim(-0.5, len(stages) - 0.2)
    return _png(fig)


def base_rate_png(curves: dict[str, list[tuple[float, float]]], point: tuple[float, float] | None,
                  interval: tuple[float, float] | None, point_label: str) -> bytes | None:
    """Expected precision against prevalence, one curve per watchlist size, with the deployment marked."""
    if not curves:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.0))
    styles = ["-", "--", ":", "-.", (0, (1, 3))]
    for i, (label, pts) in enumerate(curves.items()):
        xs, ys = zip(*pts)
        operated = "as operated" in label
        ax.plot(xs, [y * 100 for y in ys], linestyle="-" if operated else styles[1 + i % (len(styles) - 1)],
                color=BLUE if operated else GREY, label=label, lw=2.0 if operated else 1.0)
    if point is not None and point[0] and point[0] > 0:
        ax.plot([point[0]], [point[1] * 100], "o", color=RED, zorder=5, label=point_label)
        if interval is not None and all(x and x > 0 and math.isfinite(x) for x in interval):
            ax.hlines(point[1] * 100, min(interval), max(interval), color=RED, lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("prevalence: share of passers-by who are on the watchlist")
    ax.set_ylabel("precision (% of alerts correct)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=6, loc="upper left", frameon=False)
    return _png(fig)


def det_png(points: list[tuple[float, float, float]], operated: tuple) -> bytes | None:
    """FNIR against FPIR over thresholds (per passage), with the operated threshold marked."""
    if not points:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.6, 3.2))
    pts = sorted(points, key=lambda p: -p[0])   # threshold descending: FPIR rises, FNIR falls
    fp = [p[2] * 100 for p in pts]
    fn = [p[1] * 100 for p in pts]
    ax.step(fp, fn, where="post", color=BLUE, lw=1.2, label="replayed matcher (per passage)")
    thr, op_fn, op_fp, n_w, n_nw = operated
    ax.plot([op_fp * 100], [op_fn * 100], "o", color=RED, zorder=5,
            label=f"operated threshold {thr:g}")
    ax.set_xscale("symlog", linthresh=0.1)
    ax.set_xlabel(f"FPIR (%), {n_nw:,} non-watchlist passages")
    ax.set_ylabel(f"FNIR (%), {n_w:,} watchlisted passages")
    ax.set_xlim(left=0)
    ax.set_ylim(-2, 102)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, frameon=False)
    return _png(fig)


def alerts_per_hour_png(rows, hours: float | None) -> bytes | None:
    """Alerts (or alerts per hour) against the threshold, the operated one marked."""
    if not rows:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.6, 3.2))
    xs = [r.threshold for r in rows]
    ys = [r.alerts_per_hour if hours else r.alerts for r in rows]
    ax.plot(xs, ys, "-o", color=BLUE, ms=3, lw=1.2)
    for r in rows:
        if r.operated:
            ax.plot([r.threshold], [r.alerts_per_hour if hours else r.alerts], "o", color=RED, zorder=5,
                    label=f"operated threshold {r.threshold:g}")
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xlabel("threshold (similarity)")
    ax.set_ylabel("alerts per hour of footage" if hours else "alerts")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, frameon=False)
    return _png(fig)
