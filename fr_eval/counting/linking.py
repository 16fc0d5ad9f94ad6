"""Truth linking: which truth passage each face track belongs to.  The one place that decides it.

A face track belongs to a truth passage when both are on the same camera and overlap in time (with
``TIME_TOLERANCE_S`` of slack for sampled frames) and, where the truth has face boxes, the track's faces
overlap the passage's boxes at the same moments.  Each candidate pair gets a score (share of the track's
time inside the passage x spatial agreement); pairs are resolved with the Hungarian algorithm
(:func:`scipy.optimize.linear_sum_assignment`) in rounds, per connected group of pairs: a track links to at
most one passage; a passage may own several tracks (re-entry, a broken track) as long as they do not overlap
in time -- one person has one face at a time.  A track linked to no passage keeps ``passage_id`` None: its
alerts are false alerts, and it counts as a face processed.

**Order-free.**  Tracks and passages are put in one canonical order (camera, start, end, id) before
anything is scored, so the links do not depend on the order of truth rows, detections or files.

**Ambiguity is reported, not hidden.**  When a track overlaps two or more passages and nothing but time
tells them apart (no face boxes: two people in view at once), or when the scores of its best passages tie,
the link is *ambiguous*.  It is still resolved, by the rule above (the largest time overlap; ties to the
passage that starts first, then the smaller passage_id), and :class:`LinkReport` counts the ambiguous tracks
and the passages involved, so every output can say so; ``strict=True`` refuses instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fr_eval.errors import InputError

#: seconds of slack when comparing track and passage times (frames are sampled)
TIME_TOLERANCE_S = 0.5
#: how ambiguous links are resolved, in words (outputs quote it)
RESOLUTION = ("the passage with the largest time overlap (Hungarian assignment); ties to the passage that starts "
              "first, then the smaller passage_id")


@dataclass
class LinkReport:
    """What linking did: how many tracks it linked, and which links time alone could not settle."""

    tracks: int = 0
    linked: int = 0
    ambiguous: list[dict] = field(default_factory=list)   # {track_id, camera, passages: [...], chosen}
    spatial: bool = False                                  # face boxes were used

    @property
    def n_ambiguous(self) -> int:
        return len(self.ambiguous)

    @property
    def passages_involved(self) -> list[str]:
        return sorted({p for a in self.ambiguous for p in a["passages"]})

    def summary(self) -> str:
        """One sentence for every output that shows counts from this run."""
        if not self.ambiguous:
            how = "time and face boxes" if self.spatial else "camera and time"
            return (f"linking: {self.linked} of {self.tracks} face tracks linked to truth passages by {how}; "
                    "none ambiguous")
        return (f"linking: {self.linked} of {self.tracks} face tracks linked; {self.n_ambiguous} ambiguous "
                f"(overlapping {len(self.passages_involved)} passages with no face boxes to tell them apart), "
                f"resolved to {RESOLUTION}")

    def to_dict(self) -> dict:
        return {"tracks": self.tracks, "linked": self.linked, "ambiguous": self.n_ambiguous,
                "passages_involved": self.passages_involved, "resolution": RESOLUTION,
                "ambiguous_tracks": list(self.ambiguous), "spatial": self.spatial}


def link_tracks(tracks: pd.DataFrame, truth: pd.DataFrame, *, truth_boxes: pd.DataFrame | None = None,
                detections: pd.DataFrame | None = None, tolerance: float = TIME_TOLERANCE_S,
                strict: bool = False, where: str = "") -> tuple[pd.Series, LinkReport]:
    """Link each track to at most one truth passage (module docstring).

    Returns
    -------
    (links, report)
        ``links`` is indexed by track_id: the passage_id, or None; ``report`` says what was ambiguous.

    Raises
    ------
    InputError
        With ``strict``, when any link is ambiguous.
    """
    from scipy.optimize import linear_sum_assignment

    out = pd.Series([None] * len(tracks), index=tracks["track_id"].to_numpy(), dtype=object)
    report = LinkReport(tracks=len(tracks))
    if not len(tracks) or not len(truth):
        return out, report
    tracks = tracks.sort_values(["camera", "t_start", "t_end", "track_id"], kind="mergesort")
    truth = truth.sort_values(["camera", "t_start", "t_end", "passage_id"], kind="mergesort")
    boxes_by_passage: dict = {}
    if truth_boxes is not None and len(truth_boxes):
        tb = truth_boxes.sort_values(["passage_id", "t", "x0", "y0", "x1", "y1"], kind="mergesort")
        boxes_by_passage = {pid: g for pid, g in tb.groupby("passage_id", sort=True)}
    dets_by_track: dict = {}
    if detections is not None and len(detections) and boxes_by_passage:
        d = detections.sort_values(["track_id", "t", "x0", "y0"], kind="mergesort")
        dets_by_track = {tid: g for tid, g in d.groupby("track_id", sort=True)}
    static = all(c in truth.columns for c in ("x0", "y0", "x1", "y1"))
    track_box = all(c in tracks.columns for c in ("best_x0", "best_y0", "best_x1", "best_y1"))
    report.spatial = bool(boxes_by_passage) or (static and track_box)

    for camera in sorted(set(tracks["camera"].astype(str))):
        tr = tracks[tracks["camera"].astype(str) == camera].reset_index(drop=True)
        ps = truth[truth["camera"].astype(str) == camera].reset_index(drop=True)
        if not len(ps):
            continue
        p_start = ps["t_start"].to_numpy(float)
        p_end = ps["t_end"].to_numpy(float)
        max_len = float((p_end - p_start).max())
        order = np.argsort(p_start, kind="mergesort")
        sorted_start = p_start[order]
        t_start = tr["t_start"].to_numpy(float)
        t_end = tr["t_end"].to_numpy(float)
        rows, cols, scores = [], [], []
        tr_rec = tr.to_dict("records")
        ps_rec = ps.to_dict("records")
        for i in range(len(tr)):
            lo = np.searchsorted(sorted_start, t_start[i] - tolerance - max_len, side="left")
            hi = np.searchsorted(sorted_start, t_end[i] + tolerance, side="right")
            cand = []
            for j in sorted(order[lo:hi]):
                overlap = min(t_end[i], p_end[j] + tolerance) - max(t_start[i], p_start[j] - tolerance)
                if overlap < 0:
                    continue
                s = min(1.0, (overlap + 1e-6) / (t_end[i] - t_start[i] + 1e-6))
                agreement, used = _spatial(tr_rec[i], ps_rec[j], boxes_by_passage, dets_by_track, static,
                                           track_box, tolerance)
                s *= agreement
                if s > 0:
                    rows.append(i)
                    cols.append(j)
                    scores.append(s)
                    cand.append((j, s, used))
            if len(cand) >= 2:
                best = max(c[1] for c in cand)
                tied = [c for c in cand if best - c[1] <= 1e-9]
                time_only = not any(c[2] for c in cand)
                if time_only or len(tied) >= 2:
                    report.ambiguous.append({"track_id": str(tr.at[i, "track_id"]), "camera": camera,
                                             "passages": [str(ps.at[c[0], "passage_id"]) for c in cand],
                                             "chosen": None})
        if not rows:
            continue
        assigned = _assign_rounds(np.array(rows), np.array(cols), np.array(scores), t_start, t_end,
                                  linear_sum_assignment)
        tids = tr["track_id"].to_numpy()
        pids = ps["passage_id"].to_numpy()
        for i, j in assigned.items():
            out[tids[i]] = pids[j]
    chosen = out.to_dict()
    for a in report.ambiguous:
        a["chosen"] = chosen.get(a["track_id"])
    report.linked = int(out.notna().sum())
    if strict and report.ambiguous:
        a = report.ambiguous[0]
        raise InputError(f"{where + ': ' if where else ''}{report.n_ambiguous} face track(s) are ambiguous: track "
                         f"{a['track_id']} on camera {a['camera']} overlaps passages {', '.join(a['passages'])} "
                         "and nothing but time tells them apart",
                         hint="add face boxes (truth_boxes.csv, or x0..y1 in truth.csv), or drop --strict to "
                              "resolve them by the stated rule")
    return out, report


def _assign_rounds(rows, cols, scores, t_start, t_end, lsa) -> dict[int, int]:
    """Hungarian assignment in rounds, per connected group of candidate pairs.

    Round after round, the unassigned tracks are matched one-to-one to passages
    by maximum total score; a pair is barred when the track overlaps in time a
    track already given to that passage.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n_t, n_p = int(rows.max()) + 1, int(cols.max()) + 1
    graph = coo_matrix((np.ones(len(rows)), (rows, cols + n_t)), shape=(n_t + n_p, n_t + n_p))
    _, label = connected_components(graph, directed=False)
    assigned: dict[int, int] = {}
    owned: dict[int, list[int]] = {}
    pair_label = label[rows]
    # a group of one pair (one track, one passage, nothing else in reach) is its own assignment
    size = np.bincount(pair_label)
    single = (size[pair_label] == 1) & (scores > 0)
    assigned.update(zip(rows[single].tolist(), cols[single].tolist(), strict=True))
    multi = np.flatnonzero(size[pair_label] > 1)
    order = multi[np.argsort(pair_label[multi], kind="stable")]
    bounds = np.flatnonzero(np.diff(pair_label[order])) + 1
    for sel in np.split(order, bounds) if len(order) else []:
        r, c, s = rows[sel], cols[sel], scores[sel]
        tr_ids, r_idx = np.unique(r, return_inverse=True)
        pa_ids, c_idx = np.unique(c, return_inverse=True)
        base = np.zeros((len(tr_ids), len(pa_ids)))
        base[r_idx, c_idx] = s
        free = np.ones(len(tr_ids), dtype=bool)
        while free.any():
            m = base.copy()
            m[~free, :] = 0
            for jj, pid in enumerate(pa_ids):
                for other in owned.get(int(pid), []):
                    clash = (np.minimum(t_end[tr_ids], t_end[other])
                             - np.maximum(t_start[tr_ids], t_start[other])) > 1e-6
                    m[clash, jj] = 0
            if not (m > 0).any():
                break
            ri, ci = lsa(m, maximize=True)
            took = False
            for a, b in zip(ri, ci):
                if m[a, b] > 0:
                    assigned[int(tr_ids[a])] = int(pa_ids[b])
                    owned.setdefault(int(pa_ids[b]), []).append(int(tr_ids[a]))
                    free[a] = False
                    took = True
            if not took:
                break
    return assigned


def _spatial(track, passage, boxes_by_passage, dets_by_track, static, track_box, tolerance) -> tuple[float, bool]:
    """Spatial agreement in [0, 1] between a track and a passage, and whether boxes were compared at all."""
    boxes = boxes_by_passage.get(passage["passage_id"])
    if boxes is not None and len(boxes):
        dets = dets_by_track.get(track["track_id"])
        if dets is None or not len(dets):
            if not track_box or pd.isna(track.get("best_x0")):
                return 1.0, False
            dets = pd.DataFrame({"t": [track.get("best_t", track["t_start"])], "x0": [track["best_x0"]],
                                 "y0": [track["best_y0"]], "x1": [track["best_x1"]], "y1": [track["best_y1"]]})
        bt = boxes["t"].to_numpy(float)
        dt = dets["t"].to_numpy(float)
        idx = np.clip(np.searchsorted(bt, dt), 0, len(bt) - 1)
        prev = np.clip(idx - 1, 0, len(bt) - 1)
        dt_idx = np.abs(bt[idx] - dt)
        dt_prev = np.abs(bt[prev] - dt)
        near = np.where(dt_prev < dt_idx, prev, idx)
        close = np.minimum(dt_idx, dt_prev) <= max(tolerance, 1.0)
        if close.any():
            near, d = near[close], dets[close]
        else:
            d = dets
        b = boxes.iloc[near]
        return float(np.mean(iou(d[["x0", "y0", "x1", "y1"]].to_numpy(float),
                                 b[["x0", "y0", "x1", "y1"]].to_numpy(float)))), True
    if static and track_box and not any(pd.isna(passage.get(c)) for c in ("x0", "y0", "x1", "y1")) \
            and not pd.isna(track.get("best_x0")):
        tb = np.array([[track["best_x0"], track["best_y0"], track["best_x1"], track["best_y1"]]], float)
        pb = np.array([[passage["x0"], passage["y0"], passage["x1"], passage["y1"]]], float)
        inter = intersection(tb, pb)
        area = max((tb[0, 2] - tb[0, 0]) * (tb[0, 3] - tb[0, 1]), 1e-9)
        return float(inter[0] / area), True
    return 1.0, False


def intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Areas of the intersections of box rows ``a`` and ``b`` (x0, y0, x1, y1)."""
    w = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
    h = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
    return w * h


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of box rows ``a`` and ``b``."""
    inter = intersection(a, b)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a + area_b - inter, 1e-9)
