"""The alert rule, stated once and called by every path.

    A face track raises one alert for each watchlist subject whose similarity
    reaches the threshold:  **alert  <=>  similarity >= threshold**  (inclusive).

The track's similarity to a subject is the maximum over the track's embedded
faces; the alert is timed at the first embedded face whose similarity reached
the threshold.  Scores and thresholds are float64 from input to output: no
value is rounded on its way to this comparison.

Who calls it: footage replay and score-log import (the alerts a run records,
:mod:`fr_eval.replay.scoring`), re-thresholding, sweeps, targets, the gate and
the report (every count at any threshold, :mod:`fr_eval.counting.counter`).
Two vectorised forms of the one comparison live here and are tested against
each other at the boundary: :func:`reaches` (element by element) and
:func:`count_reaching` (how many of a sorted array reach each threshold).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

#: the rule in words, quoted by docs/replay.md and every output that explains an alert
RULE = "one alert per track and subject whose similarity reaches the threshold (similarity >= threshold)"


def reaches(similarity, threshold: float) -> np.ndarray:
    """Whether each similarity reaches ``threshold`` (``>=``; NaN never reaches).

    >>> reaches([0.6399999999, 0.64, 0.65, float("nan")], 0.64).tolist()
    [False, True, True, False]
    """
    return np.asarray(similarity, dtype=np.float64) >= np.float64(threshold)


def count_reaching(sorted_scores: np.ndarray, thresholds, cumulative: np.ndarray | None = None) -> np.ndarray:
    """For each threshold, how many of ``sorted_scores`` (ascending, no NaN) reach it.

    With ``cumulative`` (the running sum of a weight per score, in the same order) it returns the summed
    weight of the scores that reach each threshold instead of their number.  The same comparison as
    :func:`reaches`: ``searchsorted(..., side="left")`` finds the first score ``>= t``.

    >>> count_reaching(np.array([0.2, 0.5, 0.9]), [0.1, 0.5, 0.50000001, 0.95]).tolist()
    [3, 2, 1, 0]
    """
    t = np.asarray(thresholds, dtype=np.float64)
    first = np.searchsorted(sorted_scores, t, side="left")
    if cumulative is None:
        return len(sorted_scores) - first
    if not len(cumulative):
        return np.zeros(t.shape, dtype=np.int64)
    below = np.where(first > 0, cumulative[np.maximum(first - 1, 0)], 0)
    return cumulative[-1] - below


def first_time(face_t: Sequence[float], face_similarity: Sequence[float], threshold: float) -> float:
    """The time of the first embedded face whose similarity reaches ``threshold`` (NaN when none does)."""
    t = np.asarray(face_t, dtype=np.float64)
    s = np.asarray(face_similarity, dtype=np.float64)
    hit = np.nonzero(reaches(s, threshold))[0]
    if not len(hit):
        return math.nan
    return float(t[hit[np.argmin(t[hit])]])


def kept_subjects(similarity: np.ndarray, subjects: np.ndarray, top_k: int, threshold: float) -> np.ndarray:
    """Which subjects a track's candidate list keeps, best first: the ``top_k`` most similar **and** every
    subject that reaches the operated threshold, so that the run's alerts are exactly its candidates at or
    above that threshold.  Ties are ordered by subject id, so the order never depends on the input order.
    """
    order = np.lexsort((subjects.astype(str), -similarity))
    keep = np.zeros(len(order), dtype=bool)
    keep[:top_k] = True
    keep |= reaches(similarity[order], threshold)
    return order[keep]


def alerts(candidates: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """The alerts at ``threshold``: the candidate rows that reach it, with ``alert_id`` and the time of the
    first face that reached it (``t``; the candidate's own ``t`` when per-face scores are not stored).

    Exact for any threshold at or above each track's k-th stored candidate score (below it, subjects beyond
    the stored top k are missing; :func:`fr_eval.thresholds.sweep.sweep` says from where).
    """
    hit = candidates[reaches(candidates["similarity"], threshold)].copy()
    hit["alert_id"] = hit["track_id"].astype(str) + ":" + hit["subject_id"].astype(str)
    if "face_t" in hit.columns and len(hit):
        hit["t"] = [first_time(ft, fs, threshold) if ft is not None and len(ft) else t
                    for ft, fs, t in zip(hit["face_t"], hit["face_similarity"], hit["t"])]
    hit["threshold"] = np.float64(threshold)
    return hit.reset_index(drop=True)
