"""Curves and the statistics read off them: DET/ROC, EER, minimum HTER, ROCCH-EER and AUC.

The counts at every threshold come from :class:`~fr_eval.thresholds.verification.Comparisons` (each
class's acquired scores, sorted once) with the one convention of the package, ``score >= threshold``;
EER, ROCCH-EER and AUC carry a seeded bootstrap interval (:class:`Estimate`).  Definitions and the other
tools' conventions: docs/metrics.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from fr_eval.counting.rates import Rate
from fr_eval.errors import InputError
from fr_eval.thresholds.verification import FTA, N_BOOT, Comparisons, _num, rates_at


@dataclass(frozen=True)
class Estimate:
    """A statistic that is not a proportion (EER, ROCCH-EER, AUC), with a seeded bootstrap interval.

    ``ci_method`` names the resampling; ``n_boot`` = 0 means no interval was asked for.
    """

    name: str
    value: float
    ci95: tuple[float, float]
    ci_method: str
    n_boot: int
    seed: int

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": _num(self.value), "ci95": [_num(x) for x in self.ci95],
                "ci_method": self.ci_method, "n_boot": self.n_boot, "seed": self.seed}


@dataclass(frozen=True)
class GridThreshold:
    """The EER (or minimum HTER) point, bob.measure's definition.

    ``criterion`` is ``"eer"`` (minimise |FMR - FNMR|) or ``"min-hter"`` (minimise FMR + FNMR).  ``value``
    is (FMR + FNMR) / 2 at ``threshold``, the rates recounted there (bob's ``eer()``), with ``fmr`` and
    ``fnmr`` as proportions.  See :func:`eer`.
    """

    criterion: str
    threshold: float
    estimate: Estimate
    fmr: Rate
    fnmr: Rate
    fta: FTA

    @property
    def value(self) -> float:
        return self.estimate.value

    def to_dict(self) -> dict[str, Any]:
        return {"criterion": self.criterion, "threshold": _num(self.threshold), **self.estimate.to_dict(),
                "fmr": self.fmr.to_dict(), "fnmr": self.fnmr.to_dict(), "fta": self.fta.to_dict()}


@dataclass(frozen=True)
class ROCCH:
    """EER on the ROC convex hull (Bosaris / bob.measure <= 4 ``eer_rocch``).

    ``hull_fmr``/``hull_fnmr`` are the hull's vertices from (FMR 1, FNMR 0) to (FMR 0, FNMR 1), the
    layout of bob's ``rocch()`` (``pfa`` non-increasing, ``pmiss`` non-decreasing).
    """

    estimate: Estimate
    hull_fmr: np.ndarray
    hull_fnmr: np.ndarray
    fta: FTA

    @property
    def value(self) -> float:
        return self.estimate.value

    def to_dict(self) -> dict[str, Any]:
        return {**self.estimate.to_dict(), "hull_fmr": self.hull_fmr.tolist(), "hull_fnmr": self.hull_fnmr.tolist(),
                "fta": self.fta.to_dict()}


@dataclass(frozen=True)
class AUC:
    """Area under the ROC curve, Mann-Whitney form: ``u_statistic / pairs``.

    ``u_statistic`` counts (genuine, impostor) pairs of acquired comparisons with the genuine score
    higher, plus 1/2 per tie; ``pairs`` = genuine x impostor.  Failures to acquire have no score to rank
    and are left out under either FTA convention (``fta`` shows how many).
    """

    estimate: Estimate
    u_statistic: float
    pairs: int
    fta: FTA

    @property
    def value(self) -> float:
        return self.estimate.value

    def to_dict(self) -> dict[str, Any]:
        return {**self.estimate.to_dict(), "u_statistic": self.u_statistic, "pairs": self.pairs,
                "fta": self.fta.to_dict()}


@dataclass(frozen=True, eq=False)
class Curve:
    """FMR and FNMR at every distinct score: the DET curve (FNMR against FMR) and the ROC (1 - FNMR).

    Thresholds are in decreasing order, as scikit-learn's ``roc_curve``: the first is ``+inf`` (nothing
    accepted: FMR 0, FNMR 1), then every distinct acquired score.  ``fm``/``fnm`` are the counts
    (impostors with score >= threshold; genuine below it, plus counted failures to acquire), over
    ``n_impostor``/``n_genuine``.  Nothing is dropped or interpolated; ties are never split.
    Without ties ``thresholds`` is a read-only reversed view of the merged scores (no copy).
    """

    thresholds: np.ndarray
    fm: np.ndarray
    fnm: np.ndarray
    fmr: np.ndarray
    fnmr: np.ndarray
    n_genuine: int
    n_impostor: int
    fta: FTA

    @property
    def tpr(self) -> np.ndarray:
        """1 - FNMR, the ROC's y axis."""
        return 1.0 - self.fnmr

    def __len__(self) -> int:
        return len(self.thresholds)


# -- curves ----------------------------------------------------------------------------------------

def det_curve(cs: Comparisons) -> Curve:
    """FMR and FNMR at every distinct score (and at +inf), highest threshold first.

    Counting as scikit-learn's ``_binary_clf_curve``: sort once, cumulate.  Here each class is sorted
    on its own (two plain sorts, done when the :class:`Comparisons` were built) and the two sorted runs
    are merged by a stable argsort, which NumPy's timsort does in one linear pass; the cumulative
    genuine count at the end of each group of equal scores gives both counts.  Equal to
    ``sklearn.metrics.det_curve`` / ``roc_curve(drop_intermediate=False)`` at every threshold they
    report (tests/test_parity_sklearn.py); scikit-learn trims the DET curve's flat ends and
    ``roc_curve`` drops collinear points by default, fr-eval keeps every point.
    """
    cached = cs._cache.get("curve")
    if cached is not None:
        return cached
    merged, is_gen, starts = _merge(cs)               # ascending, ending with the +inf sentinel (genuine)
    n_ga = len(cs.genuine)
    off = cs.fta_genuine if cs.counted else 0
    count = np.int32 if len(merged) + off < 2**31 else np.int64   # half the memory traffic of int64
    if starts is None:                                # no ties: one point per score, cumulated from the top
        thr = merged[::-1]                            # a read-only view: +inf first, then every score
        fnm = np.cumsum(is_gen[::-1], dtype=count)    # genuine >= threshold, the sentinel included
        fm = np.arange(1, len(merged) + 1, dtype=count)
        np.subtract(fm, fnm, out=fm)                  # impostors >= threshold: the rest of the top k+1
        np.subtract(n_ga + 1 + off, fnm, out=fnm)     # genuine below the threshold (+ counted failures)
    else:                                             # ties: the counts at the last score of each group
        thr = merged[starts[::-1]]
        top = len(merged) - 1 - starts[::-1]          # each group's last position, counting from the top
        tps = np.cumsum(is_gen[::-1], dtype=count)[top]
        fm = (top + 1 - tps).astype(count)
        fnm = (n_ga + 1 + off - tps).astype(count)
    n_g, n_i = cs.n_genuine, cs.n_impostor
    curve = Curve(thr, fm, fnm, np.divide(fm, n_i), np.divide(fnm, n_g), n_g, n_i, cs.fta())
    cs._cache["curve"] = curve
    return curve


roc_curve = det_curve  # one curve: ROC is (FMR, 1 - FNMR), DET is (FMR, FNMR) on probit axes


def _merge(cs: Comparisons) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Both classes' sorted scores merged: ``(merged, is_genuine, starts)``, read-only.

    The two sorted runs are merged by a stable argsort, which NumPy's timsort does in one linear pass.
    A +inf sentinel ends ``merged`` and is flagged genuine: reversed, ``merged`` is the curve's thresholds
    with no copy, and cumulating from the top needs no correction (:func:`det_curve`).  ``starts`` are
    the first positions of the groups of equal scores, or None when no score repeats.
    """
    cached = cs._cache.get("merge")
    if cached is not None:
        return cached
    both = cs._cache.get("both")
    if both is None:
        both = np.concatenate([cs.genuine, cs.impostor, [np.inf]])
    order = np.argsort(both, kind="stable")
    merged = both[order]
    is_gen = order < len(cs.genuine)
    is_gen[-1] = True
    merged.flags.writeable = False
    is_gen.flags.writeable = False
    new = np.empty(len(merged), dtype=bool)
    new[0] = True
    np.not_equal(merged[1:], merged[:-1], out=new[1:])
    out = (merged, is_gen, None if new.all() else np.flatnonzero(new))
    cs._cache["merge"] = out
    return out


def _merged_groups(cs: Comparisons) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct acquired scores ``u`` (ascending) and, for each, genuine and impostor scores strictly below it."""
    merged, is_gen, starts = _merge(cs)
    merged, is_gen = merged[:-1], is_gen[:-1]         # without the +inf sentinel
    starts = np.arange(len(merged)) if starts is None else starts[:-1]
    cum_g = np.r_[0, np.cumsum(is_gen)]
    below_g = cum_g[starts]
    return merged[starts], below_g, starts - below_g


# -- EER, minimum HTER, ROCCH-EER, AUC -----------------------------------------------------------------

def eer(cs: Comparisons, *, ci: str = "clopper-pearson", seed: int = 0, n_boot: int = N_BOOT) -> GridThreshold:
    """Equal error rate, bob.measure's definition (``eer_threshold`` then ``eer``).

    Candidate thresholds are the lowest score and the midpoints between consecutive distinct scores,
    up to the first midpoint where one class is exhausted (bob's ``_minimizing_threshold``).  The EER
    threshold minimises |FMR - FNMR| over them (compared exactly, as integers); on a tie the higher
    threshold wins, except that the last candidate must be strictly better (bob's ``<=`` in the loop,
    ``<`` after it).  The EER is (FMR + FNMR) / 2 recounted at that threshold.  No interpolation.

    Other definitions: pyeer's FVC2000 EER reads the two observed scores around the crossing and can
    differ by a fraction of a rate step; :func:`rocch_eer` is the EER of the convex hull.
    """
    return _grid_point(cs, "eer", ci, seed, n_boot)


def min_hter(cs: Comparisons, *, ci: str = "clopper-pearson", seed: int = 0, n_boot: int = N_BOOT) -> GridThreshold:
    """Minimum half total error rate, (FMR + FNMR) / 2, over :func:`eer`'s candidates (bob's ``min_hter_threshold``)."""
    return _grid_point(cs, "min-hter", ci, seed, n_boot)


def rocch_eer(cs: Comparisons, *, ci: str = "clopper-pearson", seed: int = 0, n_boot: int = N_BOOT) -> ROCCH:
    """EER of the ROC convex hull (Bosaris toolkit ``rocch``/``rocch2eer``; bob.measure <= 4.2 ``eer_rocch``).

    The hull is the lower-left convex hull of the curve's (FMR, FNMR) points (:func:`det_curve`),
    computed with Qhull (``scipy.spatial.ConvexHull``); the EER is, as in bob's ``rocch2eer``, the
    largest crossing of a hull edge's line with FMR = FNMR (edges parallel to an axis give 0).  The hull
    interpolates between operating points (as randomising the decision could); it can differ from
    :func:`eer` either way, since bob's EER is (FMR + FNMR) / 2 at the grid point nearest the crossing.
    """
    fmr, fnmr = _hull(*_curve_points(cs))
    value = _rocch2eer(fmr, fnmr)
    est = _estimate(cs, "rocch_eer", value, ci, seed, n_boot)
    return ROCCH(est, fmr, fnmr, cs.fta())


def auc(cs: Comparisons, *, ci: str = "clopper-pearson", seed: int = 0, n_boot: int = N_BOOT) -> AUC:
    """Area under the ROC curve: P(genuine score > impostor score) + 1/2 P(tie), over acquired comparisons.

    Mann-Whitney U / (genuine x impostor), ties counted 1/2; exactly the trapezoidal area under the
    ROC through every distinct score, i.e. ``sklearn.metrics.roc_auc_score``.  bob.measure's
    ``roc_auc_score`` integrates 2000 sampled points instead (an approximation); pyeer's trapezoid
    omits the ROC's end points.
    """
    u, below_g, below_i = _merged_groups(cs)
    n_g, n_i = len(cs.genuine), len(cs.impostor)
    cg = np.diff(np.r_[below_g, n_g])
    ci_ = np.diff(np.r_[below_i, n_i])
    u2 = int(np.dot(cg.astype(np.int64), 2 * below_i + ci_))   # 2U, exact in integers
    est = _estimate(cs, "auc", u2 / (2 * n_g * n_i), ci, seed, n_boot)
    return AUC(est, u2 / 2, n_g * n_i, cs.fta())


def _grid_point(cs: Comparisons, criterion: str, ci: str, seed: int, n_boot: int) -> GridThreshold:
    u, below_g, below_i = _merged_groups(cs)
    wg = np.diff(np.r_[below_g, len(cs.genuine)]).astype(np.float64)
    wi = np.diff(np.r_[below_i, len(cs.impostor)]).astype(np.float64)
    off = float(cs.fta_genuine if cs.counted else 0)
    fi = float(cs.fta_impostor if cs.counted else 0)
    fm, fnm, e = _candidates(wg, wi, off)
    idx = _grid_choice(fm, fnm, wg.sum() + off, wi.sum() + fi, e, criterion)
    t = float(u[0]) if idx == 0 else float((u[idx - 1] + u[idx]) / 2) if idx < len(u) else float(u[-1])
    r = rates_at(cs, t, ci=ci, seed=seed, n_boot=n_boot)
    value = (r.fmr.value + r.fnmr.value) / 2
    est = _estimate(cs, criterion.replace("-", "_"), value, ci, seed, n_boot)
    return GridThreshold(criterion, t, est, r.fmr, r.fnmr, r.fta)


def _candidates(wg: np.ndarray, wi: np.ndarray, fg: float) -> tuple[np.ndarray, np.ndarray, int]:
    """FM and FNM at bob's candidate thresholds, and the group after which one class is exhausted.

    ``wg``/``wi`` are genuine/impostor weights (counts) per distinct score, ascending; ``fg`` the counted
    genuine failures (always rejected).  Candidate 0 is the lowest score; candidate j >= 1 the midpoint
    after group j - 1.  FM at candidate j is also FM at the threshold ``u[j]`` (same for FNM).
    """
    cum_g, cum_i = np.cumsum(wg), np.cumsum(wi)
    fm = np.empty(len(wg) + 1)
    fm[0] = cum_i[-1]
    np.subtract(cum_i[-1], cum_i, out=fm[1:])
    fnm = np.empty(len(wg) + 1)
    fnm[0] = fg
    np.add(cum_g, fg, out=fnm[1:])
    last_g = len(wg) - 1 - int(np.argmax(wg[::-1] > 0))
    last_i = len(wi) - 1 - int(np.argmax(wi[::-1] > 0))
    return fm, fnm, min(last_g, last_i)


def _grid_choice(fm: np.ndarray, fnm: np.ndarray, n_g: float, n_i: float, e: int, criterion: str) -> int:
    """Index of bob's chosen candidate (see :func:`_candidates`).

    Criteria are compared cross-multiplied by both denominators: exact for integer counts.  Candidates up
    to ``e`` are compared with <= (the later wins a tie); the midpoint after the exhaustion group must be
    strictly better; beyond it the criterion only grows.
    """
    if criterion == "eer":
        crit = np.abs(fm * n_g - fnm * n_i)
    else:
        crit = fm * n_g + fnm * n_i
    loop = crit[:e + 1]
    best = int(len(loop) - 1 - np.argmin(loop[::-1]))
    if e < len(fm) - 2 and crit[e + 1] < crit[best]:
        best = e + 1
    return best


def _curve_points(cs: Comparisons) -> tuple[np.ndarray, np.ndarray]:
    c = det_curve(cs)
    return c.fmr, c.fnmr


def _hull(fmr: np.ndarray, fnmr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of the lower-left convex hull of ROC points, from high FMR to low FMR.

    ``fmr``/``fnmr`` are in the curve's order (threshold decreasing: FMR rising, FNMR falling).  Only a
    point where the curve turns from falling to rising can be a vertex, so the rest are dropped before
    Qhull (``scipy.spatial.ConvexHull``) sees them; a far corner point keeps the hull two-dimensional.
    """
    x, y = np.asarray(fmr, dtype=np.float64), np.asarray(fnmr, dtype=np.float64)
    if len(x) > 1:                                     # repeated points (empty groups in a resample) go first,
        new = np.r_[True, (x[1:] != x[:-1]) | (y[1:] != y[:-1])]   # or they would hide the corner they repeat
        x, y = x[new], y[new]
    keep = np.ones(len(x), dtype=bool)
    if len(x) > 2:
        down_in = np.r_[True, y[1:] < y[:-1]]          # reached by a fall in FNMR
        right_out = np.r_[x[1:] > x[:-1], True]        # left by a rise in FMR
        keep = down_in & right_out
        keep[0] = keep[-1] = True                      # the two ends always are
    pts = np.c_[x[keep], y[keep]]
    if len(pts) <= 2:
        v = pts
    else:
        aux = np.vstack([pts, [[max(1.0, x.max()) + 1, max(1.0, y.max()) + 1]]])
        try:
            verts = ConvexHull(aux).vertices
            v = pts[verts[verts < len(pts)]]
        except QhullError:      # all points on one line: the ends are the hull
            v = pts[[0, -1]]
    v = v[np.lexsort((v[:, 1], -v[:, 0]))]
    return v[:, 0].copy(), v[:, 1].copy()


def _rocch2eer(pfa: np.ndarray, pmiss: np.ndarray) -> float:
    """bob.measure ``rocch2eer`` (BSD-3, Idiap), vectorised: max over hull edges of the edge line's EER.

    For the edge through (x1, y1) and (x2, y2), the line a*x + b*y = 1 crosses x = y at 1 / (a + b)
    = (x1*y2 - x2*y1) / (x1 - x2 + y2 - y1) (bob solves the 2x2 system); an edge parallel to an axis gives 0.
    """
    if len(pfa) < 2:
        return 0.0
    x1, x2, y1, y2 = pfa[:-1], pfa[1:], pmiss[:-1], pmiss[1:]
    eps = np.finfo(np.float64).eps
    flat = np.minimum(np.abs(x1 - x2), np.abs(y1 - y2)) < eps
    with np.errstate(divide="ignore", invalid="ignore"):
        seg = np.where(flat, 0.0, (x1 * y2 - x2 * y1) / (x1 - x2 + y2 - y1))
    return float(max(0.0, seg.max()))


# -- bootstrap of the statistics that are not proportions ---------------------------------------------

def _estimate(cs: Comparisons, name: str, value: float, ci: str, seed: int, n_boot: int) -> Estimate:
    if n_boot <= 0:
        return Estimate(name, value, (math.nan, math.nan), "none", 0, seed)
    reps = _bootstrap(cs, ci, seed, n_boot)
    lo, hi = np.quantile(reps[name], [0.025, 0.975])
    how = (f"cluster bootstrap by {cs.cluster_by} ({cs.n_clusters} clusters)" if ci == "bootstrap"
           else "bootstrap of comparisons within each class")
    return Estimate(name, value, (float(lo), float(hi)), f"{how}, percentile, {n_boot} replicates", n_boot, seed)


def _bootstrap(cs: Comparisons, ci: str, seed: int, n_boot: int) -> dict[str, np.ndarray]:
    """EER, min HTER, ROCCH-EER and AUC on ``n_boot`` resamples (computed once per (ci, seed, n_boot))."""
    key = ("boot", ci, seed, n_boot)
    if key in cs._cache:
        return cs._cache[key]
    u, below_g, below_i = _merged_groups(cs)
    n_ga, n_ia = len(cs.genuine), len(cs.impostor)
    group_g = np.repeat(np.arange(len(u)), np.diff(np.r_[below_g, n_ga]))   # group of each sorted genuine score
    group_i = np.repeat(np.arange(len(u)), np.diff(np.r_[below_i, n_ia]))
    fg_n = cs.fta_genuine if cs.counted else 0
    fi_n = cs.fta_impostor if cs.counted else 0
    group_g_fta = np.concatenate([group_g, np.full(fg_n, len(u))])   # failures: one extra bin
    group_i_fta = np.concatenate([group_i, np.full(fi_n, len(u))])
    rng = np.random.default_rng(seed)
    out = {k: np.empty(n_boot) for k in ("eer", "min_hter", "rocch_eer", "auc")}
    g = len(u)
    for b in range(n_boot):
        if ci == "bootstrap":
            if cs.clusters is None:
                raise InputError("a cluster bootstrap needs subject or probe labels", hint="use --ci clopper-pearson")
            w = rng.multinomial(cs.n_clusters, np.full(cs.n_clusters, 1.0 / cs.n_clusters)).astype(np.float64)
            wg = np.bincount(group_g, weights=w[cs.clusters["genuine"]], minlength=g)
            wi = np.bincount(group_i, weights=w[cs.clusters["impostor"]], minlength=g)
            fg = float(w[cs.clusters["fta_genuine"]].sum()) if fg_n else 0.0
            fi = float(w[cs.clusters["fta_impostor"]].sum()) if fi_n else 0.0
        else:   # resample within each class; indices past the acquired scores are the class's failures
            pick_g = rng.integers(0, n_ga + fg_n, n_ga + fg_n)
            pick_i = rng.integers(0, n_ia + fi_n, n_ia + fi_n)
            wg = np.bincount(group_g_fta[pick_g], minlength=g + 1).astype(np.float64)
            wi = np.bincount(group_i_fta[pick_i], minlength=g + 1).astype(np.float64)
            fg, fi = wg[g], wi[g]
            wg, wi = wg[:g], wi[:g]
        if not wg.any() or not wi.any():
            for k in out:
                out[k][b] = np.nan
            continue
        sum_g, sum_i = wg.sum(), wi.sum()
        n_g, n_i = sum_g + fg, sum_i + fi
        fm, fnm, e = _candidates(wg, wi, fg)
        for crit in ("eer", "min-hter"):
            j = _grid_choice(fm, fnm, n_g, n_i, e, crit)
            out[crit.replace("-", "_")][b] = (fm[j] / n_i + fnm[j] / n_g) / 2
        # AUC: each genuine weight against the impostors below it (fm[0] - fm[j]) plus half its own group
        out["auc"][b] = float(np.dot(wg, fm[0] - fm[:-1] - wi / 2)) / (sum_g * sum_i)
        # ROC points at +inf and at each distinct score, thresholds descending, as det_curve
        pf = np.concatenate(([0.0], fm[-2::-1])) / n_i
        pm = np.concatenate(([fg + sum_g], fnm[-2::-1])) / n_g
        out["rocch_eer"][b] = _rocch2eer(*_hull(pf, pm))
    for k in out:
        out[k] = out[k][~np.isnan(out[k])]
    cs._cache[key] = out
    return out
