"""The field's standard metrics of a score list, in one namespace (``from fr_eval.thresholds import metrics``).

* :mod:`fr_eval.thresholds.verification` -- the sorted scores (:class:`Comparisons`), FMR/FNMR at a
  threshold, FNMR at an FMR target and FMR at an FNMR target, failures to acquire;
* :mod:`fr_eval.thresholds.curves` -- the DET/ROC curve, EER, minimum HTER, ROCCH-EER and AUC;
* :mod:`fr_eval.thresholds.identification` -- FNIR, FPIR, DIR and the CMC of identification searches.

Every rate is a :class:`~fr_eval.counting.rates.Rate` (numerator, denominator, unit, interval) printed by
the one formatter; every count uses the one alert rule (:mod:`fr_eval.replay.alert_rule`, ``score >=
threshold``).  Definitions, conventions and the other tools' choices: docs/metrics.md.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from fr_eval.thresholds.curves import (
    AUC,
    ROCCH,
    Curve,
    Estimate,
    GridThreshold,
    auc,
    det_curve,
    eer,
    min_hter,
    roc_curve,
    rocch_eer,
)
from fr_eval.thresholds.verification import (
    CI_CHOICES,
    FTA,
    FTA_CONVENTIONS,
    N_BOOT,
    Comparisons,
    ErrorRates,
    OperatingPoint,
    fmr_at_fnmr,
    fnmr_at_fmr,
    lowest_threshold_at_most,
    proportion,
    rates_at,
)


def result_dict(result: Any) -> dict[str, Any]:
    """JSON-ready dict of any result of the metrics."""
    if hasattr(result, "to_dict"):
        return result.to_dict()
    return {f.name: getattr(result, f.name) for f in fields(result)}


__all__ = ["AUC", "CI_CHOICES", "Comparisons", "Curve", "ErrorRates", "Estimate", "FTA", "FTA_CONVENTIONS",
           "GridThreshold", "N_BOOT", "OperatingPoint", "ROCCH", "auc", "det_curve", "eer", "fmr_at_fnmr",
           "fnmr_at_fmr", "lowest_threshold_at_most", "min_hter", "proportion", "rates_at", "result_dict",
           "roc_curve", "rocch_eer"]
