"""Parity with bob.measure's own reference numbers (tests/data/parity/SOURCES.md says where each came from).

Two kinds of reference:

* **asserted**: values bob.measure's own tests assert (v6.1.0 ``tests/test_error.py``, ``test_utils.py``,
  ``test_load.py``; v4.2.3's ROCCH test; v3.0.0's ``compute_perf.output.txt``; the 2018 ``test_m1/m2.txt``);
* **bob 6.1.1 run**: full-precision values from running bob.measure 6.1.1 on the same files
  (``tools/generate_bob.py``, committed output ``bob/bob_generated.json``).

bob calls impostors "negatives" and genuine comparisons "positives"; FAR/FRR in its library are
fr-eval's FMR/FNMR (``fta="exclude"``: bob's library sees NaN-free scores).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from parity_table import ParityTable

from fr_eval.counting.intervals import clopper_pearson
from fr_eval.errors import InputError
from fr_eval.inputs.scorelists import read_scorelist, searches_from
from fr_eval.thresholds.identification import OpenSet, cmc, dir_at_ranks, fpir
from fr_eval.thresholds.metrics import (
    Comparisons,
    det_curve,
    eer,
    fmr_at_fnmr,
    fnmr_at_fmr,
    min_hter,
    rates_at,
    rocch_eer,
)
from fr_eval.thresholds.metrics import auc as auc_

DATA = Path(__file__).parent / "data" / "parity" / "bob"
GEN = json.loads((DATA / "bob_generated.json").read_text())


def arr(name: str) -> np.ndarray:
    return np.array(json.loads((DATA / f"{name}.hdf5.json").read_text())["datasets"]["array"]["data"], dtype=float)


def comparisons(neg, pos, fta: str = "exclude") -> Comparisons:
    neg, pos = np.asarray(neg, float), np.asarray(pos, float)
    return Comparisons.from_arrays(np.r_[neg, pos], np.r_[np.zeros(len(neg), bool), np.ones(len(pos), bool)], fta=fta)


def from_file(name: str, fta: str = "exclude") -> Comparisons:
    return Comparisons.from_scorelist(read_scorelist(DATA / name), fta=fta)


def openset(name: str) -> OpenSet:
    return OpenSet.from_searches(searches_from(read_scorelist(DATA / name)))


@pytest.fixture(scope="module")
def parity():
    t = ParityTable("bob.measure")
    yield t
    print("\n" + t.report())      # the whole table (pytest -s shows it)


@pytest.fixture
def table(parity):
    """The module's table; each test ends with ``table.check_new()`` and fails on its own rows."""
    return parity


# -- asserted by bob.measure's tests -----------------------------------------------------------------

def test_farfrr_linsep(table):
    """test_error.py 68-100: far/frr on the separable set at min-0.1, max+0.1 and 3.0 (==)."""
    neg, pos = arr("linsep-negatives"), arr("linsep-positives")
    cs = comparisons(neg, pos)
    lo, hi = min(neg.min(), pos.min()), max(neg.max(), pos.max())
    for t, far, frr in ((lo - 0.1, 1.0, 0.0), (hi + 0.1, 0.0, 1.0), (3.0, 0.0, 0.0)):
        r = rates_at(cs, t)
        table.close("linsep (test_error.py 80-100)", f"far @ {t:g}", far, r.fmr.value)
        table.close("linsep (test_error.py 80-100)", f"frr @ {t:g}", frr, r.fnmr.value)
    table.check_new()


def test_far_frr_threshold_corner_cases(table):
    """test_error.py 123-174: far_threshold / frr_threshold on bob's inline data (==, isclose, inequalities)."""
    case = "corner cases (test_error.py 123-174)"
    p1 = [0.0, 0.0, 0.0, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    n1 = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.0, 1.0, 1.0]
    cs1 = comparisons(n1, p1)
    table.close(case, "case 1 far_threshold(0.5)", 1.0, fnmr_at_fmr(cs1, 0.5, n_boot=0).threshold)
    table.close(case, "case 1 frr_threshold(0.5)", 0.1, fmr_at_fnmr(cs1, 0.5, n_boot=0).threshold)
    table.holds(case, "case 1 far_threshold(0.4) > neg[-1]", fnmr_at_fmr(cs1, 0.4, n_boot=0).threshold > n1[-1],
                "> 1.0")
    table.holds(case, "case 1 frr_threshold(0.4) >= pos[0]", fmr_at_fnmr(cs1, 0.4, n_boot=0).threshold >= p1[0],
                ">= 0")
    p2 = [0.0] * 5 + [0.1, 0.2, 0.3, 0.4, 0.5]
    n2 = [0.5, 0.6, 0.7, 0.8, 0.9] + [1.0] * 5
    cs2 = comparisons(n2, p2)
    table.close(case, "case 1b far_threshold(0.5)", 1.0, fnmr_at_fmr(cs2, 0.5, n_boot=0).threshold)
    table.close(case, "case 1b frr_threshold(0.51)", 0.1, fmr_at_fnmr(cs2, 0.51, n_boot=0).threshold)
    table.holds(case, "case 1b far_threshold(0.49) > neg[-1]", fnmr_at_fmr(cs2, 0.49, n_boot=0).threshold > 1.0,
                "> 1.0")
    table.holds(case, "case 1b frr_threshold(0.49) >= pos[0]", fmr_at_fnmr(cs2, 0.49, n_boot=0).threshold >= 0, ">= 0")
    r10 = np.arange(10, dtype=float)
    cs3 = comparisons(r10, r10)
    table.holds(case, "case 2 far_threshold(0.09) > neg[-1]", fnmr_at_fmr(cs3, 0.09, n_boot=0).threshold > 9, "> 9")
    table.holds(case, "case 2 frr_threshold(0.09) >= pos[0]", fmr_at_fnmr(cs3, 0.09, n_boot=0).threshold >= 0, ">= 0")
    table.close(case, "case 2 far_threshold(0.11)", 9.0, fnmr_at_fmr(cs3, 0.11, n_boot=0).threshold)
    table.close(case, "case 2 far_threshold(0.91)", 1.0, fnmr_at_fmr(cs3, 0.91, n_boot=0).threshold)
    table.holds(case, "case 2 far_threshold(1) <= 0", fnmr_at_fmr(cs3, 1.0, n_boot=0).threshold <= 0.0, "<= 0")
    table.close(case, "case 2 frr_threshold(0.11)", 1.0, fmr_at_fnmr(cs3, 0.11, n_boot=0).threshold)
    table.close(case, "case 2 frr_threshold(0.91)", 9.0, fmr_at_fnmr(cs3, 0.91, n_boot=0).threshold)
    table.check_new()


def test_obvious_thresholds(table):
    """test_error.py 202-221: the 'at most' contract on neg 0..9, pos 10..19, 21 targets (== and <=)."""
    cs = comparisons(np.arange(10.0), np.arange(10.0, 20.0))
    for i in range(21):
        target = round(i / 20, 2)
        expected = math.floor(target * 10) / 10
        got_far = fnmr_at_fmr(cs, target, n_boot=0).fmr.value
        got_frr = fmr_at_fnmr(cs, target, n_boot=0).fnmr.value
        table.close("obvious thresholds (test_error.py 218-221)", f"far @ target {target}", expected, got_far)
        table.close("obvious thresholds (test_error.py 218-221)", f"frr @ target {target}", expected, got_frr)
        table.holds("obvious thresholds (test_error.py 218-221)", f"far <= {target} and frr <= {target}",
                    got_far <= target and got_frr <= target, "achieved rate <= target")
    table.check_new()


def test_thresholding(table):
    """test_error.py 224-283: EER / min-HTER thresholds on linsep (== 3.2); far/frr_threshold on nonsep."""
    case = "thresholding (test_error.py 224-283)"
    lin = comparisons(arr("linsep-negatives"), arr("linsep-positives"))
    table.close(case, "linsep eer_threshold", 3.2, eer(lin, n_boot=0).threshold)
    table.close(case, "linsep min_hter_threshold", 3.2, min_hter(lin, n_boot=0).threshold)
    non = comparisons(arr("nonsep-negatives"), arr("nonsep-positives"))
    for t in (0, 0.001, 0.1, 0.5, 0.9, 0.999, 1):
        far = fnmr_at_fmr(non, t, n_boot=0).fmr.value
        frr = fmr_at_fnmr(non, t, n_boot=0).fnmr.value
        table.holds(case, f"nonsep far_threshold({t})", far <= t and t - far <= 0.1, f"far <= {t}, {t} - far <= 0.1")
        table.holds(case, f"nonsep frr_threshold({t})", frr <= t and t - frr <= 0.1, f"frr <= {t}, {t} - frr <= 0.1")
    table.check_new()


def test_empty_raises(table):
    """test_error.py 286-310: an empty class is an error (bob: RuntimeError; fr-eval: InputError, exit 2)."""
    for neg, pos, what in (([], [1.0], "no negatives"), ([1.0], [], "no positives"), ([], [], "neither")):
        try:
            comparisons(neg, pos)
            raised = False
        except InputError:
            raised = True
        table.holds("empty input (test_error.py 286-310)", what, raised, "raises")
    table.check_new()


def test_curves_nonsep(table):
    """test_error.py 313-347: roc_for_far (==) and the 100 reference ROC points (exact)."""
    case = "curves on nonsep (test_error.py 313-347)"
    cs = comparisons(arr("nonsep-negatives"), arr("nonsep-positives"))
    for target, far, frr in zip((0.01, 0.1, 1.0), (0.0, 0.1, 1.0), (0.48, 0.12, 0.0), strict=True):
        op = fnmr_at_fmr(cs, target, n_boot=0)
        table.close(case, f"roc_for_far({target}) far", far, op.fmr.value)
        table.close(case, f"roc_for_far({target}) frr", frr, op.fnmr.value)
    ref = np.array(json.loads((DATA / "nonsep-roc.hdf5.json").read_text())["datasets"]["array"]["data"])
    curve = det_curve(cs)
    ours = {(round(a, 12), round(b, 12)) for a, b in zip(curve.fmr, curve.fnmr, strict=True)}
    missing = [(a, b) for a, b in zip(ref[0], ref[1], strict=True) if (round(a, 12), round(b, 12)) not in ours]
    table.holds(case, "nonsep-roc.hdf5: every (far, frr) point on fr-eval's curve", not missing,
                f"{ref.shape[1] - len(missing)}/{ref.shape[1]} points found; missing {missing[:5]}")
    table.na(case, "det(), precision_recall_curve(), epc() arrays", "nonsep-det/precisionrecall/epc.hdf5",
             "bob samples 100 thresholds from log-spaced targets and applies DETware's ppndf; fr-eval returns "
             "every point (the ROC check above covers the rates) and leaves the probit axis to scipy.stats.norm.ppf")
    table.check_new()


def test_cmc_and_recognition_rate(table):
    """test_error.py 415-461: CMC and recognition rate, inline data and the 100-probe set (==)."""
    case = "cmc inline (test_error.py 419-430)"
    data = [((0.3, 1.1, 0.5), (0.7,)), ((1.4, -1.3, 0.6), (0.2,)), ((0.8, 0.0, 1.5), (-0.8, 1.8)),
            ((2.0, 1.3, 1.6, 0.9), (2.4,))]
    rows = []
    for p, (neg, pos) in enumerate(data):
        rows += [(f"p{p}", f"n{k}", s, False) for k, s in enumerate(neg)]
        rows.append((f"p{p}", "mate", max(pos), True))   # bob scores a probe by its best positive (max_pos)
    from fr_eval.inputs.scorelists import ScoreList

    sl = ScoreList(score=np.array([r[2] for r in rows]), genuine=np.array([r[3] for r in rows]), format="csv",
                   paths=("inline",), sha256=("-",), subject=np.array([r[1] for r in rows], dtype=object),
                   probe=np.array([r[0] for r in rows], dtype=object))
    curve = cmc(OpenSet.from_searches(searches_from(sl)))
    table.close(case, "recognition_rate", 0.5, curve.values[0], "probe 3 has two positives: fr-eval refuses "
                "that in a file; here it gets bob's own reading (its best positive)")
    for k, v in enumerate([0.5, 0.75, 1.0, 1.0, 1.0]):
        table.close(case, f"cmc[{k}]", v, curve.values[k])
    for name in ("scores-cmc-4col.txt", "scores-cmc-5col.txt"):
        curve = cmc(OpenSet.from_searches(searches_from(read_scorelist(DATA / name))))
        case = f"{name} (test_error.py 456-461; v3.0.0 391-410)"
        table.close(case, "recognition_rate", 0.76, curve.values[0])
        expected = [0.76, 0.89, 0.96, 0.98] + [1.0] * 16
        table.close(case, "cmc length", len(expected), len(curve.values))
        for k, v in enumerate(expected):
            table.close(case, f"cmc[{k}]", v, curve.values[k])
    table.check_new()


def test_open_set_rates(table):
    """test_error.py 490-537: detection_identification_rate and false_alarm_rate at 0.5 (abs < 1e-8)."""
    files = {"scores-cmc-4col-open-set.txt": (1.0, 0.0, 7 / 9, 1.0),
             "scores-cmc-4col-open-set-one-error.txt": (6 / 7, 0.0, 6 / 9, 6 / 7),
             "scores-cmc-4col-open-set-two-errors.txt": (6 / 7, 0.5, 6 / 9, 6 / 8)}
    for name, (dir_, far, rr, rr05) in files.items():
        os_ = openset(name)
        case = f"{name} (test_error.py 506-537)"
        table.close(case, "detection_identification_rate @0.5", dir_, dir_at_ranks(os_, 0.5).values[0])
        table.close(case, "false_alarm_rate @0.5 (FPIR)", far, fpir(os_, 0.5).value)
        table.differs(case, "recognition_rate (no threshold)", rr, cmc(os_).values[0],
                      "bob counts the 2 out-of-gallery probes as errors in its denominator; fr-eval's CMC is "
                      "closed-set (mated searches only) and reports FPIR for the others")
        table.close(case, "bob's recognition_rate from fr-eval's counts", rr,
                    cmc(os_).points[0].numerator / (os_.n_mated + len(os_.nonmated_best)),
                    "rank-1 hits over all probes")
        table.na(case, "recognition_rate(threshold=0.5)", rr05,
                 "bob-specific: keeps scores > threshold (strict) and drops an out-of-gallery probe from the "
                 "denominator when all its scores fall below; fr-eval reports DIR and FPIR (>=) instead")
    table.check_new()


def test_roc_auc_score(table):
    """test_error.py 551-571: roc_auc_score on nonsep, oracle 0.9326 (from scikit-learn; assert_allclose)."""
    cs = comparisons(arr("nonsep-negatives"), arr("nonsep-positives"))
    table.close("auc (test_error.py 554-565)", "roc_auc_score", 0.9326, auc_(cs, n_boot=0).value,
                "bob integrates 2000 sampled points; fr-eval's exact Mann-Whitney AUC meets the same oracle")
    table.na("auc (test_error.py 568-571)", "roc_auc_score(log_scale=True)", 1.4183699583300993,
             "area under TPR against log10(FPR): a bob-specific plot measure")
    table.na("mindcf (test_error.py 540-548)", "min_weighted_error_rate_threshold(cost=0.99)", "< 1.0",
             "fr-eval has the cost-0.5 case only (min_hter)")
    table.check_new()


def test_load_and_fta(table):
    """test_load.py 20-34: dev-1.txt has 521 negatives and 479 positives, NaN rows kept; bob's FTA 0.054."""
    sl = read_scorelist(DATA / "dev-1.txt")
    table.close("dev-1.txt (test_load.py 27-28)", "negatives incl. NaN", 521, sl.n_impostor)
    table.close("dev-1.txt (test_load.py 27-28)", "positives incl. NaN", 479, sl.n_genuine)
    cs = Comparisons.from_scorelist(sl)
    table.close("dev-1.txt (bob 6.1.1 utils.get_fta)", "fta (pooled)", GEN["verification"]["dev-1.txt"]["fta"],
                cs.fta().rate.value)
    for name in ("dev-4col.txt", "dev-5col.txt"):
        sl = read_scorelist(DATA / name)
        table.close(f"{name} (v3.0.0 test_io.py)", "rows", 910, len(sl))
        table.close(f"{name} (v3.0.0 test_io.py)", "negatives", 520, sl.n_impostor)
        table.close(f"{name} (v3.0.0 test_io.py)", "positives", 390, sl.n_genuine)
    table.check_new()


def test_clopper_pearson(table):
    """test_utils.py 9-17: confidence_for_indicator_variable (numpy.allclose): fr-eval's interval."""
    for x, n, lo, hi in ((1, 2, 0.01257911709342505, 0.98742088290657493), (10, 10, 0.69150289218123917, 1.0),
                         (0, 10, 0.0, 0.30849710781876077)):
        a, b = clopper_pearson(x, n)
        table.close("Clopper-Pearson (test_utils.py 15-17)", f"{x}/{n} lower", lo, a)
        table.close("Clopper-Pearson (test_utils.py 15-17)", f"{x}/{n} upper", hi, b)
    table.check_new()


def test_rocch(table):
    """v4.2.3 test_error.py (no_test_rocch in 6.x): Bosaris 1.06 references, hull atol 1e-15, EER 1e-4."""
    refs = {"linsep": ([1.0, 0.0, 0.0], [0.0, 0.0, 1.0], 0.0),
            "nonsep": ([1.0, 0.68, 0.28, 0.1, 0.06, 0.0, 0.0], [0, 0, 0.08, 0.12, 0.22, 0.48, 1.0], 0.116363636363636)}
    for name, (pfa, pmiss, eer_ref) in refs.items():
        r = rocch_eer(comparisons(arr(f"{name}-negatives"), arr(f"{name}-positives")), n_boot=0)
        case = f"rocch {name} (v4.2.3 test_error.py, Bosaris 1.06)"
        table.close(case, "eer_rocch", eer_ref, r.value)
        table.close(case, "hull vertices", len(pfa), len(r.hull_fmr))
        for k in range(min(len(pfa), len(r.hull_fmr))):
            table.close(case, f"pfa[{k}]", pfa[k], r.hull_fmr[k])
            table.close(case, f"pmiss[{k}]", pmiss[k], r.hull_fnmr[k])
    table.check_new()


def _pct(x: float) -> str:
    return f"{100 * x:.3f}%"


def _counted(p) -> str:
    """bob's printed form: ``6.263% (31/495)``."""
    return f"{_pct(p.value)} ({p.numerator}/{p.denominator})"


def test_compute_perf_output(table):
    """v3.0.0 compute_perf.output.txt (byte-compared by bob's test_scripts.py 48-58), 4- and 5-column files."""
    text = (DATA / "compute_perf.output.txt").read_text()
    blocks = re.split(r"\[Min\. criterion: ", text)[1:]
    for cols in (4, 5):
        dev, test = from_file(f"dev-{cols}col.txt"), from_file(f"test-{cols}col.txt")
        for block, point in zip(blocks, (eer(dev, n_boot=0), min_hter(dev, n_boot=0)), strict=True):
            crit = block.split("]")[0]
            case = f"compute_perf {cols}-col, {crit}"
            table.text(case, "threshold", re.search(r"Development set: (\S+)", block).group(1), f"{point.threshold:e}")
            cells = {m.group(1): [c.strip() for c in m.group(2).split("|")]
                     for m in re.finditer(r"^\s+(FMR|FNMR|FAR|FRR|HTER)\s+\|(.*)$", block, re.M)}
            for k, cs in enumerate((dev, test)):
                r = rates_at(cs, point.threshold)
                side = ("dev", "test")[k]
                table.text(case, f"{side} FMR", cells["FMR"][k], _counted(r.fmr))
                table.text(case, f"{side} FNMR", cells["FNMR"][k], _counted(r.fnmr))
                table.text(case, f"{side} FAR (FTA 0)", cells["FAR"][k], _pct(r.fmr.value))
                table.text(case, f"{side} FRR (FTA 0)", cells["FRR"][k], _pct(r.fnmr.value))
                table.text(case, f"{side} HTER", cells["HTER"][k], _pct(r.hter))
    table.check_new()


def test_metrics_2018_text(table):
    """test_m1.txt / test_m2.txt (filecmp-asserted at 8ddbfb56): FTA-adjusted rates on the 2-column files."""
    for ref, pairs in (("test_m1.txt", [("dev-1.txt", None)]),
                       ("test_m2.txt", [("dev-1.txt", "test-1.txt"), ("dev-2.txt", "test-2.txt")])):
        blocks = re.split(r"\[Min\. criterion: EER\] ", (DATA / ref).read_text())[1:]
        for block, (dev_name, test_name) in zip(blocks, pairs, strict=True):
            case = f"{ref} {dev_name}"
            dev = from_file(dev_name)
            point = eer(dev, n_boot=0)
            table.text(case, "threshold", re.search(r": (\S+)\n", block).group(1), f"{point.threshold:e}")
            rows = {m.group(1): re.split(r"\s{2,}", m.group(2).strip())
                    for m in re.finditer(r"^(FMR|FNMR|FAR|FRR|HTER)\s+(.*)$", block, re.M)}
            for k, name in enumerate(n for n in (dev_name, test_name) if n):
                excl, count = from_file(name), from_file(name, fta="count")
                r, rc = rates_at(excl, point.threshold), rates_at(count, point.threshold)
                fta = excl.fta().rate.value
                side = f"{('dev', 'test')[k]} {name}"
                table.text(case, f"{side} FMR", rows["FMR"][k], _counted(r.fmr))
                table.text(case, f"{side} FNMR", rows["FNMR"][k], _counted(r.fnmr))
                why = ("bob pools one FTA over both classes (FAR = FMR(1-FTA)); fr-eval's fta='count' uses each "
                       "class's own failures, so FAR and FRR stay ratios of counts")
                table.differs(case, f"{side} FAR (fta=count)", float(rows["FAR"][k].rstrip("%")) / 100,
                              rc.fmr.value, why)
                table.text(case, f"{side} FAR: bob's pooled formula on fr-eval's counts", rows["FAR"][k],
                           _pct(r.fmr.value * (1 - fta)))
                table.differs(case, f"{side} FRR (fta=count)", float(rows["FRR"][k].rstrip("%")) / 100,
                              rc.fnmr.value, why)
                table.text(case, f"{side} FRR: bob's pooled formula on fr-eval's counts", rows["FRR"][k],
                           _pct(fta + r.fnmr.value * (1 - fta)))
                hter_2018 = (r.fmr.value * (1 - fta) + fta + r.fnmr.value * (1 - fta)) / 2
                table.differs(case, f"{side} HTER", float(rows["HTER"][k].rstrip("%")) / 100, r.hter,
                              "these 2018 files print (FAR+FRR)/2 with pooled FTA; bob since 2018-06 and fr-eval "
                              "give (FMR+FNMR)/2")
                table.text(case, f"{side} HTER: 2018 formula on fr-eval's counts", rows["HTER"][k], _pct(hter_2018))
    table.check_new()


# -- bob.measure 6.1.1 run on the same files (full precision) ------------------------------------------

@pytest.mark.parametrize("name", list(GEN["verification"]))
def test_bob_run_verification(table, name):
    ref = GEN["verification"][name]
    if name in ("nonsep", "linsep"):
        cs = comparisons(arr(f"{name}-negatives"), arr(f"{name}-positives"))
    else:
        cs = from_file(name)
    case = f"{name} (bob {GEN['bob.measure']} run)"
    table.close(case, "negatives (NaN removed)", ref["n_neg"], len(cs.impostor))
    table.close(case, "positives (NaN removed)", ref["n_pos"], len(cs.genuine))
    for crit, fn in (("eer", eer), ("min_hter", min_hter)):
        p = fn(cs, n_boot=0)
        table.close(case, f"{crit} threshold", ref[crit]["threshold"], p.threshold)
        table.close(case, f"{crit} far", ref[crit]["far"], p.fmr.value)
        table.close(case, f"{crit} frr", ref[crit]["frr"], p.fnmr.value)
        table.close(case, f"{crit} (far+frr)/2", ref[crit]["value"], p.value)
    for r in ref["far_threshold"]:
        op = fnmr_at_fmr(cs, r["target"], n_boot=0)
        table.close(case, f"far_threshold({r['target']}) threshold", r["threshold"], op.threshold)
        table.close(case, f"far_threshold({r['target']}) far", r["far"], op.fmr.value)
        table.close(case, f"far_threshold({r['target']}) frr", r["frr"], op.fnmr.value)
    for r in ref["frr_threshold"]:
        op = fmr_at_fnmr(cs, r["target"], n_boot=0)
        if abs(op.threshold - r["threshold"]) > 1e-9 and op.fnmr.value <= r["target"] and op.threshold > r["threshold"]:
            table.differs(case, f"frr_threshold({r['target']}) threshold", r["threshold"], op.threshold,
                          "ties at the boundary: bob's loop tests the FRR one tie group late and stops lower; "
                          "fr-eval takes the highest threshold whose FNMR is still <= target")
            table.holds(case, f"frr_threshold({r['target']}) both at most the target",
                        r["frr"] <= r["target"] and op.fnmr.value <= r["target"],
                        f"bob frr {r['frr']:.4f}, fr-eval {op.fnmr.value:.4f}")
            continue
        table.close(case, f"frr_threshold({r['target']}) threshold", r["threshold"], op.threshold)
        table.close(case, f"frr_threshold({r['target']}) far", r["far"], op.fmr.value)
        table.close(case, f"frr_threshold({r['target']}) frr", r["frr"], op.fnmr.value)
    table.check_new()


def test_bob_run_frr_threshold_ties(table):
    ref = GEN["frr_threshold_ties"]
    op = fmr_at_fnmr(comparisons(ref["negatives"], ref["positives"]), ref["target"], n_boot=0)
    case = "frr_threshold with ties (bob 6.1.1 run)"
    table.differs(case, "threshold", ref["threshold"], op.threshold,
                  "positives [0, 1, 1, 1], target 0.3: FRR at 1.0 is 1/4 <= 0.3, bob stops at 0.0 (FRR 0)")
    table.holds(case, "fr-eval's FNMR at most the target", op.fnmr.value <= ref["target"], f"{op.fnmr.value} <= 0.3")
    table.check_new()


@pytest.mark.parametrize("name", list(GEN["identification"]))
def test_bob_run_identification(table, name):
    ref = GEN["identification"][name]
    os_ = openset(name)
    case = f"{name} (bob {GEN['bob.measure']} run)"
    if "cmc" in ref:
        curve = cmc(os_)
        table.close(case, "recognition_rate", ref["recognition_rate"], curve.values[0])
        for k, v in enumerate(ref["cmc"]):
            table.close(case, f"cmc[{k}]", v, curve.values[k])
        table.check_new()
        return
    for t, r in ref.items():
        table.close(case, f"detection_identification_rate @{t}", r["detection_identification_rate"],
                    dir_at_ranks(os_, float(t)).values[0])
        table.close(case, f"false_alarm_rate @{t}", r["false_alarm_rate"], fpir(os_, float(t)).value)
    table.check_new()
