"""Parity with scikit-learn: its own test cases (sklearn_cases.json, from test_ranking.py of 1.9.1) and live runs.

fr-eval's curve keeps every distinct score plus the +inf point (:func:`fr_eval.thresholds.metrics.det_curve`).
scikit-learn presents the same points trimmed: ``det_curve`` keeps the span from the last threshold with
the full false-positive count to the first with every positive accepted (and, since 1.7, the +inf point
when needed), ``roc_curve`` drops collinear points by default.  The two adapters below apply those
presentation rules to fr-eval's points; every value compared comes from fr-eval.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import sklearn
from parity_table import ParityTable
from sklearn.metrics import det_curve as sk_det_curve
from sklearn.metrics import roc_auc_score, roc_curve

from fr_eval.errors import InputError
from fr_eval.thresholds.metrics import Comparisons, auc, det_curve

CASES = json.loads((Path(__file__).parent / "data" / "parity" / "sklearn" / "sklearn_cases.json").read_text())


@pytest.fixture(scope="module")
def parity():
    t = ParityTable(f"scikit-learn (cases from {CASES['source']['version']}, live {sklearn.__version__})")
    yield t
    print("\n" + t.report())


@pytest.fixture
def table(parity):
    return parity


def comparisons(y_true, y_score) -> Comparisons:
    return Comparisons.from_arrays(np.asarray(y_score, dtype=float), np.asarray(y_true, dtype=bool), fta="exclude")


def as_det(cs: Comparisons, drop_intermediate: bool = False):
    """scikit-learn >= 1.7 ``det_curve`` presentation of fr-eval's points (increasing thresholds)."""
    c = det_curve(cs)
    tps, fps, thr = (c.n_genuine - c.fnm).astype(float), c.fm.astype(float), c.thresholds
    if drop_intermediate and len(fps) > 2:
        keep = np.r_[True, np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:])), True]
        tps, fps, thr = tps[keep], fps[keep], thr[keep]
    first = np.searchsorted(fps, fps[0], side="right") - 1
    last = np.searchsorted(tps, tps[-1]) + 1
    sl = slice(first if first >= 0 else None, last)
    return fps[sl][::-1] / fps[-1], (tps[-1] - tps)[sl][::-1] / tps[-1], thr[sl][::-1]


def as_roc(cs: Comparisons, drop_intermediate: bool = True):
    """scikit-learn ``roc_curve`` presentation of fr-eval's points (decreasing thresholds, +inf first)."""
    c = det_curve(cs)
    tps, fps, thr = (c.n_genuine - c.fnm)[1:].astype(float), c.fm[1:].astype(float), c.thresholds[1:]
    if drop_intermediate and len(fps) > 2:
        keep = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        tps, fps, thr = tps[keep], fps[keep], thr[keep]
    tps, fps, thr = np.r_[0.0, tps], np.r_[0.0, fps], np.r_[np.inf, thr]
    return fps / fps[-1], tps / tps[-1], thr


def _num(v):
    return math.inf if v == "inf" else (math.nan if v == "nan" else v)


def _arrays(table, case, name, expected, ours, tol_note=""):
    expected = [_num(v) for v in expected]
    table.close(case, f"len({name})", len(expected), len(ours))
    for k, (e, o) in enumerate(zip(expected, ours, strict=False)):
        table.close(case, f"{name}[{k}]", e, float(o), tol_note)


def _raises(fn) -> bool:
    try:
        fn()
    except InputError:
        return True
    return False


@pytest.mark.parametrize("n", range(len(CASES["cases"])))
def test_sklearn_case(table, n):
    c = CASES["cases"][n]
    case = f"{c['test']} (test_ranking.py {c['line']})"
    fn, args, kw, exp = c["function"], c["args"], c["kwargs"], c["expected"]
    y, s = args.get("y_true"), args.get("y_score")
    if fn == "auc":
        table.na(case, "auc(x, y)", exp["auc"], "a generic trapezoid over any (x, y); fr-eval's AUC is the "
                 "Mann-Whitney count on its own ROC")
    elif fn == "roc_auc_score":
        if kw.get("max_fpr") == 1:
            table.close(case, "roc_auc_score(max_fpr=1) = full AUC", exp["roc_auc_score"],
                        auc(comparisons(y, s), n_boot=0).value)
        else:
            table.na(case, f"roc_auc_score(max_fpr={kw['max_fpr']})", exp["roc_auc_score"],
                     "McClish-standardised partial AUC is not an fr-eval metric")
    elif fn.startswith("_sort_inputs"):
        cs = comparisons(y, s)
        table.differs(case, "NaN score", "ValueError: Input contains NaN", f"kept: {cs.fta_genuine} genuine FTA",
                      "scikit-learn rejects NaN; fr-eval keeps it as a failure to acquire (counted, never dropped)")
    elif "raises" in exp:
        if "pos_label" in exp["match"]:
            table.na(case, "string labels without pos_label", exp["raises"], "fr-eval's labels are genuine/impostor")
        else:
            table.holds(case, f"{exp['raises']}: {exp['match']}", _raises(lambda: comparisons(y, s)),
                        "fr-eval raises InputError (exit 2)")
    elif fn == "roc_curve" and ("warns" in exp or isinstance(exp.get("fpr"), str) or isinstance(exp.get("tpr"), str)):
        table.differs(case, "one class only", "NaN rates + UndefinedMetricWarning",
                      "InputError" if _raises(lambda: comparisons(y, s)) else "no error",
                      "fr-eval refuses a score list without both classes (exit 2) rather than returning NaN")
    elif fn == "roc_curve+roc_auc_score":
        if "warns" in exp:
            table.differs(case, "one class only", "NaN rates + UndefinedMetricWarning",
                          "InputError" if _raises(lambda: comparisons(y, s)) else "no error",
                          "fr-eval refuses a score list without both classes (exit 2) rather than returning NaN")
        else:
            cs = comparisons(y, s)
            fpr, tpr, _ = as_roc(cs)
            _arrays(table, case, "roc fpr", exp["fpr"], fpr)
            _arrays(table, case, "roc tpr", exp["tpr"], tpr)
            table.close(case, "roc_auc_score", exp["roc_auc_score"], auc(cs, n_boot=0).value)
    elif fn == "roc_curve":
        _, _, thr = as_roc(comparisons(y, s), kw.get("drop_intermediate", True))
        _arrays(table, case, "roc thresholds", exp["thresholds"], thr)
    elif fn == "det_curve":
        if "pos_label" in kw:
            y = [v == kw["pos_label"] for v in y]
        cs = comparisons(y, s)
        fpr, fnr, thr = as_det(cs, kw.get("drop_intermediate", False))
        if "equals_det_curve_of" in exp:
            other = exp["equals_det_curve_of"]
            f2, n2, t2 = as_det(comparisons(other["y_true"], other["y_score"]))
            for name, a, b in (("fpr", fpr, f2), ("fnr", fnr, n2), ("thresholds", thr, t2)):
                _arrays(table, case, f"{name} (duplicated samples)", list(b), a)
        elif "thresholds[0]" in exp:
            table.close(case, "thresholds[0]", exp["thresholds[0]"], thr[0])
        else:
            _arrays(table, case, "fpr", exp["fpr"], fpr)
            _arrays(table, case, "fnr", exp["fnr"], fnr)
            if isinstance(exp.get("thresholds"), list):
                _arrays(table, case, "thresholds", exp["thresholds"], thr)
            elif "thresholds" in exp:
                table.holds(case, "thresholds non-decreasing", bool(np.all(np.diff(thr) >= 0)), exp["thresholds"])
    else:
        raise AssertionError(f"unhandled case {fn}")
    table.check_new()


@pytest.mark.parametrize("seed", range(12))
def test_live_against_installed_sklearn(table, seed):
    """Seeded random score lists with ties: the full curve, the DET presentation and the AUC, point by point."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 2000))
    s = np.round(rng.normal(size=n), int(rng.integers(0, 4)))   # 0-3 decimals: many ties
    y = rng.random(n) < rng.uniform(0.05, 0.95)
    y[0], y[-1] = True, False
    cs = comparisons(y, s)
    case = f"live seed {seed} (n={n}, {len(np.unique(s))} distinct)"
    c = det_curve(cs)
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    table.close(case, "roc_curve(drop_intermediate=False): points", len(thr), len(c.thresholds))
    table.holds(case, "roc_curve thresholds identical", np.array_equal(thr, c.thresholds), "same array")
    table.close(case, "roc_curve fpr, max |diff|", 0.0, float(np.max(np.abs(fpr - c.fmr))))
    table.close(case, "roc_curve tpr, max |diff|", 0.0, float(np.max(np.abs(tpr - c.tpr))))
    for drop in (False, True):
        f1, n1, t1 = sk_det_curve(y, s, drop_intermediate=drop)
        f2, n2, t2 = as_det(cs, drop)
        table.close(case, f"det_curve(drop_intermediate={drop}): points", len(t1), len(t2))
        if len(t1) == len(t2):
            table.holds(case, f"det_curve(drop_intermediate={drop}) thresholds identical", np.array_equal(t1, t2),
                        "same array")
            table.close(case, f"det_curve(drop_intermediate={drop}) fpr+fnr, max |diff|", 0.0,
                        float(np.max(np.abs(f1 - f2)) + np.max(np.abs(n1 - n2))))
    f3, t3, _ = as_roc(cs)
    f4, t4, _ = roc_curve(y, s)
    table.holds(case, "roc_curve(drop_intermediate=True) identical", np.array_equal(f3, f4) and
                np.allclose(t3, t4, rtol=0, atol=1e-15), "same points")
    table.close(case, "roc_auc_score", roc_auc_score(y, s), auc(cs, n_boot=0).value)
    table.check_new()
