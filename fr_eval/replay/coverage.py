"""Coverage: which stretches of each footage were actually decoded.

A truncated or damaged file decodes only up to the break.  Counting passages in footage that was never
decoded as misses (and non-watchlist passages there as true negatives) would make numbers out of nothing,
so the run records, per footage, the decoded intervals (in seconds from the footage start), the gaps and the
decoded seconds; counting keeps only the passages that overlap decoded time
(:func:`fr_eval.counting.statistics.uncovered_passages`) and every output states the gaps.

A chunk covers ``[t0, min(t1, last sampled frame + one sampling step, duration)]``: the sampling grid is
``k / fps``, so the last sampled frame stands for the time up to the next grid point.
"""

from __future__ import annotations

import math
from typing import Any


def chunk_interval(t0: float, t1: float, last_t: float | None, frames: int, fps: float,
                   duration: float) -> tuple[float, float] | None:
    """The time a chunk decoded, or None when it decoded nothing."""
    if not frames or last_t is None:
        return None
    end = last_t + 1.0 / fps
    if math.isfinite(t1):
        end = min(end, t1)
    if math.isfinite(duration):
        end = min(end, duration)
    return (float(t0), float(max(end, t0)))


def merge(intervals: list[tuple[float, float]], tol: float = 1e-6) -> list[list[float]]:
    out: list[list[float]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1] + tol:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def footage_coverage(meta: dict[str, Any], chunk_stats: list[dict], chunk_ranges: list[tuple[float, float]],
                     fps: float) -> dict[str, Any]:
    """The coverage record of one footage (``meta`` as recorded in the manifest's ``footage`` list)."""
    duration = meta.get("duration_s")
    duration = float(duration) if isinstance(duration, (int, float)) and math.isfinite(duration) else math.nan
    spans = [chunk_interval(t0, t1, st.get("last_t"), st.get("frames_sampled", 0), fps, duration)
             for (t0, t1), st in zip(chunk_ranges, chunk_stats)]
    intervals = merge([s for s in spans if s is not None])
    decoded = sum(b - a for a, b in intervals)
    total = duration if math.isfinite(duration) else (intervals[-1][1] if intervals else 0.0)
    gaps, prev = [], 0.0
    for a, b in intervals:
        if a - prev > 1e-6:
            gaps.append([prev, a])
        prev = b
    if total - prev > 1.0 / fps + 1e-6:
        gaps.append([prev, total])
    return {"footage": meta["path"], "camera": meta["camera"], "duration_s": round(total, 6),
            "decoded_s": round(decoded, 6), "intervals": [[round(a, 6), round(b, 6)] for a, b in intervals],
            "gaps": [[round(a, 6), round(b, 6)] for a, b in gaps]}


def describe(coverage: list[dict[str, Any]]) -> list[str]:
    """One sentence per footage with a gap: "4.4 s of 9.2 s decoded on stage-cam (gap 4.4-9.2 s)"."""
    out = []
    for c in coverage:
        if c.get("gaps"):
            gaps = ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in c["gaps"])
            out.append(f"{c['decoded_s']:.1f} s of {c['duration_s']:.1f} s decoded on {c['camera']} "
                       f"({c['footage']}; not decoded: {gaps})")
    return out
