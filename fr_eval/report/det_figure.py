"""Threshold figures for the command line (the PDF report draws its own in fr_eval/report/figures.py).

Rendering only: the numbers come from :mod:`fr_eval.thresholds.sweep`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fr_eval.errors import InputError
from fr_eval.store.atomic import atomic_path


def det_figure(sweep, path: str | Path) -> Path:
    """The DET curve (FNIR against FPIR, log axes as in NIST reports) with the operated threshold marked.

    ``path`` ending in .png or .svg chooses the format; the file is written atomically.
    """
    from fr_eval.report.mpl import pyplot

    plt = pyplot()

    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise InputError(f"{path}: the figure must end in .png, .svg or .pdf")
    det = sweep.det
    n_w = int(det["watchlisted_passages"].iloc[0]) if len(det) else 0
    n_nw = int(det["nonwatchlist_passages"].iloc[0]) if len(det) else 0
    # log axes cannot show 0: zero rates sit at half of one count, and the axes say so
    floor_fp = 0.5 / n_nw if n_nw else 1e-6
    floor_fn = 0.5 / n_w if n_w else 1e-6
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    if len(det):
        fp = np.maximum(np.r_[0.0, det["fpir"].to_numpy()], floor_fp)
        fn = np.maximum(np.r_[1.0, det["fnir"].to_numpy()], floor_fn)
        ax.step(fp, fn, where="post", lw=1.4, color="#1f5fa8", label="per passage (every distinct score)")
    op = next((p for p in sweep.points if p.operated), None)
    if op is not None and op.rates.get("fpir") is not None and op.rates.get("tpir") is not None:
        f, t = op.rates["fpir"], op.rates["tpir"]
        if getattr(f, "denominator", 0) and getattr(t, "denominator", 0):
            x, y = max(f.value, floor_fp), max(1 - t.value, floor_fn)
            xerr = [[x - max(f.ci95[0], floor_fp)], [max(f.ci95[1], floor_fp) - x]]
            yerr = [[y - max(1 - t.ci95[1], floor_fn)], [max(1 - t.ci95[0], floor_fn) - y]]
            ax.errorbar([x], [y], xerr=xerr, yerr=yerr, fmt="o", color="#c0392b", capsize=3,
                        label=f"operated threshold {op.threshold:g} (95% intervals)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"FPIR: non-watchlist passages alerted ({n_nw:,} passages)")
    ax.set_ylabel(f"FNIR: watchlisted passages missed ({n_w:,} passages)")
    ax.set_title("DET curve (zero rates drawn at half a count)", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, frameon=False)
    fig.text(0.01, 0.005, sweep.signature, fontsize=5, color="#555")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix[1:].lower(), dpi=150)
    plt.close(fig)
    return path
