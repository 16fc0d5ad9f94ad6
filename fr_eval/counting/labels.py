"""Which group or cluster each row of a run belongs to: the one place that decides it.

A breakdown (``sweep --by``, the report's group tables, a gate's ratio rule) and a cluster bootstrap both
split a run's counts by a label.  Every passage and every face track gets its label here:

* a track linked to a passage takes the passage's label;
* a track linked to no passage (a face the truth does not explain: its alerts are false alerts and it is a
  face processed) takes a label of its own where the dimension gives it one -- its ``camera``, the run's
  ``lighting``, ``crowd`` and ``deployment``, the band of its own face size, a cluster of its own for
  ``subject`` -- and none for a demographic column (nobody knows who it was): it is then left out of every
  group, and the breakdown says how many were left out.

So a camera's precision counts every alert raised on that camera, including alerts on faces no passage
explains.
"""

from __future__ import annotations

import math

import numpy as np

from fr_eval.counting.statistics import RunStatistics
from fr_eval.errors import InputError

#: conditions every run can be broken down by (besides demographic columns)
CONDITIONS = ("lighting", "crowd", "camera", "face_size")
#: clusters of the cluster bootstrap
CLUSTER_KEYS = ("subject", "camera", "deployment")
FACE_SIZE_BANDS = ((0, 60, "<60 px"), (60, 100, "60-100 px"), (100, math.inf, ">=100 px"))


def face_size_band(px) -> np.ndarray:
    """The band of each face height (px); None where the height is unknown."""
    px = np.asarray(px, dtype=float)
    out = np.full(len(px), None, dtype=object)
    for lo, hi, name in FACE_SIZE_BANDS:
        out[(px >= lo) & (px < hi)] = name
    return out


def demographic_columns(stats: RunStatistics) -> list[str]:
    b = stats.bundle
    cols = list(b.demographic_columns) if b is not None else ["gender", "age_group", "ethnicity", "skin_tone"]
    return list(dict.fromkeys(cols + list(stats.demographics)))


def labels(stats: RunStatistics, by: str) -> tuple[np.ndarray, np.ndarray]:
    """``(passage_labels, track_labels)``: the label of every passage and every track for ``by``.

    ``by`` is a condition (:data:`CONDITIONS`), a cluster key (:data:`CLUSTER_KEYS`: ``subject`` clusters
    passages by person) or a demographic column of the passages.  None marks a row in no group.
    """
    p, t = stats.passages, stats.tracks
    linked = t["passage_id"].notna().to_numpy()
    if by in ("subject", "person"):
        pl = p["person_id"].astype(str).to_numpy(dtype=object)
        own = ("track:" + t["track_id"].astype(str)).to_numpy(dtype=object)
    elif by == "face_size":
        pl = face_size_band(p["face_px"]) if len(p) else np.array([], dtype=object)
        own = face_size_band(t["face_px"])
    elif by in ("camera", "lighting", "crowd", "deployment"):
        pl = p[by].to_numpy(dtype=object) if len(p) else np.array([], dtype=object)
        own = t[by].to_numpy(dtype=object)
    else:
        if by not in p.columns or by in ("passage_id", "t_start", "t_end"):
            demo = [c for c in demographic_columns(stats) if c in p.columns]
            raise InputError(f"cannot break down by {by!r}: no such column in this run's passages",
                             hint=f"conditions: {', '.join(CONDITIONS)}; demographic columns here: "
                                  f"{', '.join(demo) or 'none'}")
        col = p[by]
        pl = col.astype(object).where(col.notna() & (col.astype(str) != ""), None).to_numpy(dtype=object)
        if len(pl) and all(v is None for v in pl):
            raise InputError(f"cannot break down by {by!r}: no passage of this run has a {by} label",
                             hint="add the column to the truth or watchlist CSV, or choose another grouping")
        own = np.full(len(t), None, dtype=object)
    pl = np.array([None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in pl],
                  dtype=object)
    by_passage = dict(zip(p["passage_id"], pl))
    tl = np.array([by_passage.get(pid) if is_linked else (None if o is None else str(o))
                   for pid, is_linked, o in zip(t["passage_id"], linked, own)], dtype=object)
    return pl, tl


def group_names(passage_labels: np.ndarray, track_labels: np.ndarray) -> list[str]:
    """The groups, sorted (numbers and text in natural order)."""
    names = {str(v) for v in passage_labels if v is not None} | {str(v) for v in track_labels if v is not None}
    return sorted(names, key=lambda s: [(0, int(x)) if x.isdigit() else (1, x) for x in _split_digits(s)])


def _split_digits(s: str) -> list[str]:
    import re

    return [x for x in re.split(r"(\d+)", s) if x]


def unlabelled(stats: RunStatistics, by: str) -> dict[str, int]:
    """How many passages and tracks have no label for ``by`` (left out of every group)."""
    pl, tl = labels(stats, by)
    return {"passages": int(sum(v is None for v in pl)), "tracks": int(sum(v is None for v in tl))}


__all__ = ["CLUSTER_KEYS", "CONDITIONS", "FACE_SIZE_BANDS", "demographic_columns", "face_size_band",
           "group_names", "labels", "unlabelled"]

