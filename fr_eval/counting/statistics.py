"""From a replay run to per-passage and per-alert statistics: what every counting method aggregates.

Statistics first, score second: this module turns a run folder (tracks,
candidate scores and alerts, plus the bundle's truth and adjudication) into
one row per truth **passage** and one row per **alert**.  Every counting method
(:mod:`fr_eval.counting.methods`) is then a sum over those rows; a cluster bootstrap
resamples them by subject or deployment, and a threshold sweep re-reads the
candidate rows.  The matcher is never re-run.

Linking tracks to passages
--------------------------
A face track belongs to a truth passage when both are on the same camera and
overlap in time (and, with truth boxes, the track's faces overlap the
passage's boxes at the same moments).  Candidate pairs are scored (time
overlap x spatial overlap) and resolved with the Hungarian algorithm
(:func:`scipy.optimize.linear_sum_assignment`) in rounds: a track links to at
most one passage, and a passage may own several tracks (re-entry, a broken
track) as long as they do not overlap in time -- one person has one face at a
time.  A track linked to no passage keeps ``passage_id`` None; its alerts are
false alerts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from fr_eval.counting.funnel import Funnel, check_funnel
from fr_eval.errors import InputError

#: seconds of slack when comparing track and passage times (frames are sampled)
TIME_TOLERANCE_S = 0.5
#: an operational alert log row matches the replay alert of that camera and subject nearest in time within this
ADJUDICATION_WINDOW_S = 2.0
CLUSTER_KEYS = ("subject", "camera", "deployment")

PASSAGE_COLUMNS = ["passage_id", "camera", "person_id", "subject_id", "watchlisted", "plant", "t_start", "t_end",
                   "n_tracks", "n_detections", "mated_score", "mated_rank", "nonmated_score", "alerted_correct",
                   "alerted_false", "rank1_correct", "frames_alerted_correct", "frames_alerted_any", "face_px",
                   "lighting", "crowd", "deployment"]
ALERT_COLUMNS = ["alert_id", "track_id", "camera", "subject_id", "similarity", "t", "passage_id", "truth_subject_id",
                 "person_id", "correct", "operator_decision", "engagement", "verification", "outcome", "deployment"]
CANDIDATE_COLUMNS = ["track_id", "camera", "rank", "subject_id", "similarity", "passage_id", "truth_subject_id",
                     "person_id", "mated", "watchlisted_passage", "deployment"]


@dataclass
class RunStatistics:
    """Per-passage, per-alert and per-candidate rows of one replay run (see module docstring).

    Build one with :func:`load_statistics` (from a run folder) or
    :meth:`from_frames` (from DataFrames, e.g. in a notebook or a test).
    """

    passages: pd.DataFrame
    alerts: pd.DataFrame
    candidates: pd.DataFrame
    tracks: pd.DataFrame
    footage_hours: float | None
    threshold: float
    has_truth: bool
    has_adjudication: bool
    faces_processed: int | None = None
    watchlist_size: int | None = None
    deployment: str = "deployment"
    plants_only: bool = False
    manifest: dict[str, Any] | None = None
    bundle: Any = None
    demographics: list[str] = field(default_factory=list)

    # -- construction ---------------------------------------------------------------

    @classmethod
    def from_frames(cls, *, tracks: pd.DataFrame, candidates: pd.DataFrame, alerts: pd.DataFrame,
                    threshold: float, truth: pd.DataFrame | None = None, truth_boxes: pd.DataFrame | None = None,
                    adjudication: pd.DataFrame | None = None, detections: pd.DataFrame | None = None,
                    watchlist: pd.DataFrame | None = None, deployment: str = "deployment",
                    lighting: str | None = None, crowd: str | None = None, footage_hours: float | None = None,
                    faces_processed: int | None = None, demographics: Sequence[str] = (),
                    plants_only: bool = False, manifest: dict | None = None, bundle: Any = None,
                    where: str = "") -> "RunStatistics":
        """Build statistics from the run tables and the bundle's truth and adjudication.

        Parameters
        ----------
        tracks, candidates, alerts : the run tables (columns as in docs/formats.md; ``tracks`` needs at
            least track_id, camera, t_start, t_end, n_detections).
        threshold : the operated threshold of the alerts.
        truth, truth_boxes, adjudication : as loaded by :func:`fr_eval.inputs.bundle.load_bundle` (None when absent).
        detections : track_id, t, x0..y1 -- only needed to link with ``truth_boxes``.
        watchlist : subject_id and demographic columns (joined onto passages lacking them).
        deployment, lighting, crowd : labels copied onto every row (for breakdowns and clusters).
        footage_hours, faces_processed : from the manifest and the bundle.
        plants_only : restrict the watchlisted passages (tpir and its relatives) to planted volunteers.
        where : a label for error messages (the run or bundle path).

        Raises
        ------
        InputError
            Truth passages of one person overlapping in time on one camera; adjudication rows naming
            alerts the run does not have.
        """
        where = where or deployment
        tracks = _ensure(tracks, ["track_id", "camera", "t_start", "t_end"], "tracks")
        if "n_detections" not in tracks.columns:
            tracks = tracks.assign(n_detections=0)
        candidates = _ensure(candidates, ["track_id", "rank", "subject_id", "similarity"], "candidates")
        alerts = _ensure(alerts, ["alert_id", "track_id", "subject_id", "similarity"], "alerts")
        if "camera" not in alerts.columns:
            alerts = alerts.merge(tracks[["track_id", "camera"]], on="track_id", how="left")
        if "t" not in alerts.columns:
            alerts = alerts.assign(t=np.nan)
        has_truth = truth is not None
        demographics = [d for d in demographics]
        if has_truth:
            truth = truth.copy()
            check_truth(truth, where=f"{where}: truth")
            link = link_tracks(tracks, truth, truth_boxes=truth_boxes, detections=detections)
        else:
            truth = pd.DataFrame(columns=["passage_id", "camera", "t_start", "t_end", "subject_id", "person_id",
                                          "plant"])
            link = pd.Series([None] * len(tracks), index=tracks["track_id"].to_numpy(), dtype=object)
        tracks = tracks.copy()
        tracks["passage_id"] = _nullable(tracks["track_id"].map(link))

        truth_by_passage = truth.set_index("passage_id") if len(truth) else None
        alerts = _alert_rows(alerts, tracks, truth_by_passage, has_truth, deployment)
        has_adj = adjudication is not None
        if has_adj:
            alerts = _attach_adjudication(alerts, adjudication, where=f"{where}: adjudication")
        cands = _candidate_rows(candidates, tracks, truth_by_passage, deployment)
        passages = _passage_rows(truth, tracks, cands, alerts, threshold, watchlist, demographics,
                                 deployment, lighting, crowd)
        return cls(passages=passages, alerts=alerts, candidates=cands, tracks=tracks,
                   footage_hours=footage_hours, threshold=float(threshold), has_truth=has_truth,
                   has_adjudication=has_adj, faces_processed=faces_processed,
                   watchlist_size=None if watchlist is None else int(len(watchlist)), deployment=deployment,
                   plants_only=plants_only, manifest=manifest, bundle=bundle, demographics=demographics)

    # -- conveniences ------------------------------------------------------------------

    @property
    def signature(self) -> str:
        """The run's provenance signature (``manifest['signature']``), or ``counts`` without a manifest."""
        if not self.manifest:
            return "no-manifest"
        from fr_eval.signature import run_signature

        return self.manifest.get("signature") or run_signature(self.manifest)

    def funnel(self) -> Funnel:
        """The counts of this run (see :func:`to_funnel`)."""
        return to_funnel(self)


# -- pooling runs ---------------------------------------------------------------------------

def pool_statistics(runs: Sequence[RunStatistics], *, name: str = "pooled") -> RunStatistics:
    """Several runs as one (e.g. a day and a night deployment, to break down by lighting).

    Rows keep their ``deployment``, ``lighting`` and ``crowd``; track, alert and passage ids are prefixed
    with the deployment so they stay unique.  The runs must share the operated threshold and the
    presence of truth and adjudication.
    """
    runs = list(runs)
    if not runs:
        raise InputError("no runs to pool")
    for attr in ("threshold", "has_truth", "has_adjudication"):
        values = {getattr(r, attr) for r in runs}
        if len(values) > 1:
            raise InputError(f"cannot pool runs that differ in {attr} ({', '.join(map(str, sorted(values, key=str)))})",
                             hint="pool runs replayed at one threshold, all with (or all without) truth and "
                                  "adjudication")

    def prefixed(df, r, cols):
        df = df.copy()
        for c in cols:
            if c in df.columns:
                df[c] = df[c].map(lambda v, d=r.deployment: v if v is None or v is pd.NA or
                                  (isinstance(v, float) and math.isnan(v)) else f"{d}/{v}")
        return df

    ids = ("track_id", "alert_id", "passage_id")
    frames = {k: pd.concat([prefixed(getattr(r, k), r, ids) for r in runs], ignore_index=True)
              for k in ("passages", "alerts", "candidates", "tracks")}
    hours = [r.footage_hours for r in runs]
    faces = [r.faces_processed for r in runs]
    demographics = list(dict.fromkeys(d for r in runs for d in r.demographics))
    return RunStatistics(passages=frames["passages"], alerts=frames["alerts"], candidates=frames["candidates"],
                         tracks=frames["tracks"], footage_hours=None if None in hours else float(sum(hours)),
                         threshold=runs[0].threshold, has_truth=runs[0].has_truth,
                         has_adjudication=runs[0].has_adjudication,
                         faces_processed=None if None in faces else int(sum(faces)),
                         watchlist_size=None, deployment=name, plants_only=runs[0].plants_only, manifest=None,
                         bundle=None, demographics=demographics)


# -- loading a run ------------------------------------------------------------------------

def load_statistics(run: str | Path, *, plants_only: bool = False) -> RunStatistics:
    """Load a replay run folder as per-passage and per-alert statistics.

    Parameters
    ----------
    run : the run folder written by ``fr-eval replay`` (with ``bundle/`` holding the bundle's metadata).
    plants_only : restrict watchlisted passages to planted volunteers (``--plants-only``).

    Returns
    -------
    RunStatistics

    Raises
    ------
    InputError
        Not a complete run, an invalid bundle copy, overlapping truth, or adjudication naming unknown alerts.

    Examples
    --------
    >>> stats = load_statistics("runs/demo")              # doctest: +SKIP
    >>> stats.passages[["passage_id", "alerted_correct"]]  # doctest: +SKIP
    """
    from fr_eval.inputs.bundle import load_bundle
    from fr_eval.store.runs import open_run, read_manifest, read_table

    run = open_run(run)
    manifest = read_manifest(run)
    bundle_dir = run / "bundle"
    if not (bundle_dir / "deployment.yaml").is_file():
        raise InputError(f"{run}: the run has no bundle/deployment.yaml",
                         hint="re-run `fr-eval replay` with this version, which keeps a copy of the bundle metadata")
    bundle = load_bundle(bundle_dir, check_media=False)
    tracks = read_table(run, "tracks", columns=["track_id", "footage", "camera", "t_start", "t_end", "n_detections",
                                                "best_t", "best_x0", "best_y0", "best_x1", "best_y1", "face_px",
                                                "top_subject", "top_similarity", "alerted"])
    candidates = read_table(run, "candidates")
    alerts = read_table(run, "alerts")
    detections = None
    if bundle.truth_boxes is not None:
        detections = read_table(run, "detections", columns=["track_id", "t", "x0", "y0", "x1", "y1"])
    params = manifest.get("parameters", {})
    threshold = params.get("threshold")
    if threshold is None:
        threshold = float(alerts["threshold"].iloc[0]) if len(alerts) and "threshold" in alerts else bundle.threshold
    hours = [f.get("duration_s") for f in manifest.get("footage", [])]
    hours = [h for h in hours if isinstance(h, (int, float)) and math.isfinite(h)]
    footage_hours = sum(hours) / 3600 if hours else None
    return RunStatistics.from_frames(
        tracks=tracks, candidates=candidates, alerts=alerts, threshold=float(threshold), truth=bundle.truth,
        truth_boxes=bundle.truth_boxes, adjudication=bundle.adjudication, detections=detections,
        watchlist=bundle.watchlist, deployment=bundle.id, lighting=bundle.lighting, crowd=bundle.crowd,
        footage_hours=footage_hours, faces_processed=bundle.faces_processed,
        demographics=bundle.demographic_columns, plants_only=plants_only, manifest=manifest, bundle=bundle,
        where=str(bundle_dir))


# -- validation ---------------------------------------------------------------------------

def check_truth(truth: pd.DataFrame, *, where: str = "truth") -> None:
    """Refuse truth whose passages of one person overlap in time on one camera, or repeat a passage_id."""
    need = ["passage_id", "camera", "t_start", "t_end", "person_id"]
    missing = [c for c in need if c not in truth.columns]
    if missing:
        raise InputError(f"missing column {missing[0]!r}", where=where, hint="see truth.csv in docs/formats.md")
    dup = truth["passage_id"][truth["passage_id"].duplicated()]
    if len(dup):
        raise InputError(f"duplicate passage_id {dup.iloc[0]!r}", where=where)
    bad = truth.index[truth["t_start"].astype(float) > truth["t_end"].astype(float)]
    if len(bad):
        raise InputError(f"passage {truth.at[bad[0], 'passage_id']!r}: t_start is after t_end", where=where)
    for (person, camera), g in truth.sort_values(["t_start", "t_end"]).groupby(["person_id", "camera"], sort=False):
        starts, ends = g["t_start"].to_numpy(float), g["t_end"].to_numpy(float)
        run_end = np.maximum.accumulate(ends)
        over = np.nonzero(starts[1:] < run_end[:-1])[0]
        if len(over):
            j = over[0] + 1
            i = int(np.argmax(ends[:j] > starts[j]))
            raise InputError(f"passages {g['passage_id'].iloc[i]!r} and {g['passage_id'].iloc[j]!r} of person "
                             f"{person!r} overlap in time on camera {camera!r}", where=where,
                             hint="one person crosses one camera's view once at a time; merge or fix the times")


def _ensure(df: pd.DataFrame | None, cols: list[str], name: str) -> pd.DataFrame:
    if df is None:
        return pd.DataFrame(columns=cols)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(f"{name} table: missing column {missing[0]!r}", hint="see docs/formats.md")
    return df.reset_index(drop=True)


# -- linking ------------------------------------------------------------------------------

def link_tracks(tracks: pd.DataFrame, truth: pd.DataFrame, *, truth_boxes: pd.DataFrame | None = None,
                detections: pd.DataFrame | None = None, tolerance: float = TIME_TOLERANCE_S) -> pd.Series:
    """Link each track to at most one truth passage (see the module docstring).

    Returns
    -------
    pandas.Series
        Indexed by track_id: the passage_id, or None.
    """
    from scipy.optimize import linear_sum_assignment

    out = pd.Series([None] * len(tracks), index=tracks["track_id"].to_numpy(), dtype=object)
    if not len(tracks) or not len(truth):
        return out
    boxes_by_passage = {}
    if truth_boxes is not None and len(truth_boxes):
        boxes_by_passage = {pid: g.sort_values("t") for pid, g in truth_boxes.groupby("passage_id")}
    dets_by_track = {}
    if detections is not None and len(detections) and boxes_by_passage:
        dets_by_track = {tid: g for tid, g in detections.groupby("track_id")}
    static = all(c in truth.columns for c in ("x0", "y0", "x1", "y1"))
    track_box = all(c in tracks.columns for c in ("best_x0", "best_y0", "best_x1", "best_y1"))

    for camera, tr in tracks.groupby("camera", sort=False):
        ps = truth[truth["camera"] == camera]
        if not len(ps):
            continue
        ps = ps.sort_values("t_start").reset_index(drop=True)
        p_start = ps["t_start"].to_numpy(float)
        p_end = ps["t_end"].to_numpy(float)
        max_len = float((p_end - p_start).max())
        t_start = tr["t_start"].to_numpy(float)
        t_end = tr["t_end"].to_numpy(float)
        rows, cols, scores = [], [], []
        spatial = bool(boxes_by_passage) or (static and track_box)
        tr_rec = tr.to_dict("records") if spatial else None
        ps_rec = ps.to_dict("records") if spatial else None
        for i in range(len(tr)):
            lo = np.searchsorted(p_start, t_start[i] - tolerance - max_len, side="left")
            hi = np.searchsorted(p_start, t_end[i] + tolerance, side="right")
            for j in range(lo, hi):
                overlap = min(t_end[i], p_end[j] + tolerance) - max(t_start[i], p_start[j] - tolerance)
                if overlap < 0:
                    continue
                s = min(1.0, (overlap + 1e-6) / (t_end[i] - t_start[i] + 1e-6))
                if spatial:
                    s *= _spatial(tr_rec[i], ps_rec[j], boxes_by_passage, dets_by_track, static, track_box,
                                  tolerance)
                if s > 0:
                    rows.append(i)
                    cols.append(j)
                    scores.append(s)
        if not rows:
            continue
        assigned = _assign_rounds(np.array(rows), np.array(cols), np.array(scores), t_start, t_end,
                                  linear_sum_assignment)
        tids = tr["track_id"].to_numpy()
        pids = ps["passage_id"].to_numpy()
        for i, j in assigned.items():
            out[tids[i]] = pids[j]
    return out


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
    for lab in np.unique(pair_label):
        sel = pair_label == lab
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
                    clash = (np.minimum(t_end[tr_ids], t_end[other]) - np.maximum(t_start[tr_ids], t_start[other])) > 1e-6
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


def _spatial(track, passage, boxes_by_passage, dets_by_track, static, track_box, tolerance) -> float:
    """Spatial agreement in [0, 1] between a track and a passage (1 when there are no boxes to compare)."""
    boxes = boxes_by_passage.get(passage["passage_id"])
    if boxes is not None and len(boxes):
        dets = dets_by_track.get(track["track_id"])
        if dets is None or not len(dets):
            if not track_box or pd.isna(track.get("best_x0")):
                return 1.0
            dets = pd.DataFrame({"t": [track.get("best_t", track["t_start"])], "x0": [track["best_x0"]],
                                 "y0": [track["best_y0"]], "x1": [track["best_x1"]], "y1": [track["best_y1"]]})
        bt = boxes["t"].to_numpy(float)
        idx = np.clip(np.searchsorted(bt, dets["t"].to_numpy(float)), 0, len(bt) - 1)
        prev = np.clip(idx - 1, 0, len(bt) - 1)
        dt_idx = np.abs(bt[idx] - dets["t"].to_numpy(float))
        dt_prev = np.abs(bt[prev] - dets["t"].to_numpy(float))
        near = np.where(dt_prev < dt_idx, prev, idx)
        close = np.minimum(dt_idx, dt_prev) <= max(tolerance, 1.0)
        if close.any():
            near, d = near[close], dets[close]
        else:
            d = dets
        b = boxes.iloc[near]
        return float(np.mean(_iou(d[["x0", "y0", "x1", "y1"]].to_numpy(float), b[["x0", "y0", "x1", "y1"]].to_numpy(float))))
    if static and track_box and not any(pd.isna(passage.get(c)) for c in ("x0", "y0", "x1", "y1")) \
            and not pd.isna(track.get("best_x0")):
        tb = np.array([[track["best_x0"], track["best_y0"], track["best_x1"], track["best_y1"]]], float)
        pb = np.array([[passage["x0"], passage["y0"], passage["x1"], passage["y1"]]], float)
        inter = _intersection(tb, pb)
        area = max((tb[0, 2] - tb[0, 0]) * (tb[0, 3] - tb[0, 1]), 1e-9)
        return float(inter[0] / area)
    return 1.0


def _intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    w = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
    h = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
    return w * h


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    inter = _intersection(a, b)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a + area_b - inter, 1e-9)


# -- rows ------------------------------------------------------------------------------------

def _bools(s: pd.Series) -> pd.Series:
    """Booleans from bools or from the strings a CSV gives ("true", "1", "yes")."""
    if s.dtype == bool:
        return s
    return s.map(lambda v: v if isinstance(v, (bool, np.bool_)) else str(v).strip().lower() in ("true", "1", "yes"))\
        .astype(bool)


def _nullable(s: pd.Series) -> pd.Series:
    """An object column with None (not NaN) for missing values."""
    s = s.astype(object)
    return s.where(s.notna(), None)


def _alert_rows(alerts, tracks, truth_by_passage, has_truth, deployment) -> pd.DataFrame:
    a = alerts.copy()
    pid = a["track_id"].map(dict(zip(tracks["track_id"], tracks["passage_id"])))
    a["passage_id"] = _nullable(pid)
    if truth_by_passage is not None:
        a["truth_subject_id"] = a["passage_id"].map(truth_by_passage["subject_id"]).astype(object)
        a["person_id"] = a["passage_id"].map(truth_by_passage["person_id"]).astype(object)
    else:
        a["truth_subject_id"] = None
        a["person_id"] = None
    a["truth_subject_id"] = _nullable(a["truth_subject_id"])
    a["person_id"] = _nullable(a["person_id"])
    if has_truth:
        a["correct"] = (a["passage_id"].notna() & (a["truth_subject_id"] == a["subject_id"])).astype("boolean")
    else:
        a["correct"] = pd.array([pd.NA] * len(a), dtype="boolean")
    for col in ("operator_decision", "engagement", "verification", "outcome"):
        a[col] = pd.array([pd.NA] * len(a), dtype="string")
    a["deployment"] = deployment
    return a[ALERT_COLUMNS].reset_index(drop=True)


def _attach_adjudication(alerts: pd.DataFrame, adjudication: pd.DataFrame, *, where: str) -> pd.DataFrame:
    """Join the adjudication rows onto the alerts; rows naming no alert of the run are an error."""
    adj = adjudication.reset_index(drop=True)
    if "alert_id" in adj.columns and (adj["alert_id"].astype(str) != "").all():
        known = set(alerts["alert_id"])
        bad = adj.index[~adj["alert_id"].isin(known)]
        if len(bad):
            raise InputError(f"line {bad[0] + 2}: alert_id {adj.at[bad[0], 'alert_id']!r} is not an alert of this run",
                             where=where, hint="use the alert_id values of the run's alerts table, or key rows by "
                                               "camera, t and subject_id")
        target = adj["alert_id"].tolist()
    else:
        target = []
        for i, row in adj.iterrows():
            cand = alerts[(alerts["camera"] == row["camera"]) & (alerts["subject_id"] == row["subject_id"])]
            dt = (cand["t"].astype(float) - float(row["t"])).abs()
            cand = cand[dt <= ADJUDICATION_WINDOW_S]
            if not len(cand):
                raise InputError(f"line {i + 2}: no alert for subject {row['subject_id']!r} on camera "
                                 f"{row['camera']!r} within {ADJUDICATION_WINDOW_S:g} s of t={float(row['t']):g}",
                                 where=where, hint="check the time (seconds from the footage start) and the subject")
            target.append(cand.loc[dt[cand.index].idxmin(), "alert_id"])
        dup = pd.Series(target)[pd.Series(target).duplicated()]
        if len(dup):
            raise InputError(f"line {dup.index[0] + 2}: two rows describe the same alert {dup.iloc[0]!r}",
                             where=where, hint="keep one adjudication row per alert")
    adj = adj.assign(alert_id=target).set_index("alert_id")
    out = alerts.copy()
    for col in ("operator_decision", "engagement", "verification", "outcome"):
        if col in adj.columns:
            out[col] = out["alert_id"].map(adj[col]).astype("string")
    return out


def _candidate_rows(candidates, tracks, truth_by_passage, deployment) -> pd.DataFrame:
    c = candidates.copy()
    if "camera" not in c.columns:
        c["camera"] = c["track_id"].map(dict(zip(tracks["track_id"], tracks["camera"])))
    pid = c["track_id"].map(dict(zip(tracks["track_id"], tracks["passage_id"])))
    c["passage_id"] = _nullable(pid)
    if truth_by_passage is not None:
        ts = c["passage_id"].map(truth_by_passage["subject_id"])
        c["truth_subject_id"] = _nullable(ts)
        pp = c["passage_id"].map(truth_by_passage["person_id"])
        c["person_id"] = _nullable(pp)
    else:
        c["truth_subject_id"] = None
        c["person_id"] = None
    c["mated"] = (c["truth_subject_id"].notna() & (c["truth_subject_id"] == c["subject_id"])).astype(bool)
    c["watchlisted_passage"] = c["truth_subject_id"].notna().astype(bool)
    c["deployment"] = deployment
    return c[CANDIDATE_COLUMNS].reset_index(drop=True)


def _passage_rows(truth, tracks, cands, alerts, threshold, watchlist, demographics, deployment, lighting,
                  crowd) -> pd.DataFrame:
    p = truth.copy().reset_index(drop=True)
    if not len(p):
        return pd.DataFrame(columns=PASSAGE_COLUMNS + list(demographics))
    sid = p["subject_id"].astype(object)
    p["subject_id"] = sid.where(sid.notna() & (sid.astype(str) != ""), None)
    p["watchlisted"] = p["subject_id"].notna()
    p["plant"] = _bools(p["plant"]) if "plant" in p.columns else False
    linked = tracks[tracks["passage_id"].notna()]
    g = linked.groupby("passage_id")
    p["n_tracks"] = p["passage_id"].map(g.size()).fillna(0).astype(int)
    p["n_detections"] = p["passage_id"].map(g["n_detections"].sum()).fillna(0).astype(int)
    if "face_px" in linked.columns:
        p["face_px"] = p["passage_id"].map(g["face_px"].max()).astype(float)
    else:
        p["face_px"] = np.nan
    lc = cands[cands["passage_id"].notna()]
    mated = lc[lc["mated"]]
    p["mated_score"] = p["passage_id"].map(mated.groupby("passage_id")["similarity"].max()).astype(float)
    p["mated_rank"] = p["passage_id"].map(mated.groupby("passage_id")["rank"].min()).astype(float)
    nonmated = lc[~lc["mated"]]
    p["nonmated_score"] = p["passage_id"].map(nonmated.groupby("passage_id")["similarity"].max()).astype(float)
    _alert_flags(p, tracks, cands, alerts, threshold)
    p["lighting"] = lighting
    p["crowd"] = crowd
    p["deployment"] = deployment
    extra = []
    for col in demographics:
        if col in p.columns:
            p[col] = p[col].replace("", None)
        else:
            p[col] = None
        if watchlist is not None and col in watchlist.columns:
            from_wl = p["subject_id"].map(dict(zip(watchlist["subject_id"], watchlist[col].replace("", None))))
            p[col] = p[col].where(p[col].notna(), from_wl)
        extra.append(col)
    keep = PASSAGE_COLUMNS + [c for c in extra if c not in PASSAGE_COLUMNS]
    return p[keep]


def _alert_flags(p: pd.DataFrame, tracks: pd.DataFrame, cands: pd.DataFrame, alerts: pd.DataFrame,
                 threshold: float) -> None:
    """Set the passage columns that depend on the threshold (in place)."""
    lc = cands[cands["passage_id"].notna()]
    rank1 = lc[lc["mated"] & (lc["rank"] == 1) & (lc["similarity"] >= threshold)]
    p["rank1_correct"] = p["passage_id"].isin(set(rank1["passage_id"]))
    la = alerts[alerts["passage_id"].notna()]
    good = la[la["subject_id"] == la["truth_subject_id"]]
    bad = la[la["subject_id"] != la["truth_subject_id"].fillna("\0")]
    p["alerted_correct"] = p["passage_id"].isin(set(good["passage_id"]))
    p["alerted_false"] = p["passage_id"].isin(set(bad["passage_id"]))
    linked = tracks[tracks["passage_id"].notna()]
    frames_good = linked[linked["track_id"].isin(set(good["track_id"]))].groupby("passage_id")["n_detections"].sum()
    frames_any = linked[linked["track_id"].isin(set(la["track_id"]))].groupby("passage_id")["n_detections"].sum()
    p["frames_alerted_correct"] = p["passage_id"].map(frames_good).fillna(0).astype(int)
    p["frames_alerted_any"] = p["passage_id"].map(frames_any).fillna(0).astype(int)


def at_threshold(stats: RunStatistics, threshold: float) -> RunStatistics:
    """The statistics a different alert threshold would give, from the stored candidate scores.

    Alerts become the candidates at or above ``threshold`` (one per track and subject, as the replay's
    alert rule); adjudication is kept for alerts that also existed at the operated threshold, and the others
    count as not adjudicated.  Exact for thresholds at or above each track's k-th stored candidate score
    (``fr_eval.replay.scoring.alerts_at``); below that, alerts on subjects outside the top-k are missing.

    Examples
    --------
    >>> stricter = at_threshold(stats, 0.6)          # doctest: +SKIP
    >>> to_funnel(stricter).alerts                   # doctest: +SKIP
    """
    c = stats.candidates
    hit = c[c["similarity"] >= threshold]
    old = stats.alerts.set_index("alert_id")
    a = pd.DataFrame({"alert_id": hit["track_id"].astype(str) + ":" + hit["subject_id"].astype(str),
                      "track_id": hit["track_id"], "camera": hit["camera"], "subject_id": hit["subject_id"],
                      "similarity": hit["similarity"]}).reset_index(drop=True)
    a["t"] = a["alert_id"].map(old["t"]) if len(old) else np.nan
    a["passage_id"] = _nullable(hit["passage_id"].reset_index(drop=True))
    a["truth_subject_id"] = _nullable(hit["truth_subject_id"].reset_index(drop=True))
    a["person_id"] = _nullable(hit["person_id"].reset_index(drop=True))
    if stats.has_truth:
        a["correct"] = (a["passage_id"].notna() & (a["truth_subject_id"] == a["subject_id"])).astype("boolean")
    else:
        a["correct"] = pd.array([pd.NA] * len(a), dtype="boolean")
    for col in ("operator_decision", "engagement", "verification", "outcome"):
        a[col] = a["alert_id"].map(old[col]).astype("string") if len(old) else pd.array([pd.NA] * len(a),
                                                                                        dtype="string")
    a["deployment"] = stats.deployment
    p = stats.passages.copy()
    if len(p):
        _alert_flags(p, stats.tracks, c, a, threshold)
    return replace(stats, alerts=a[ALERT_COLUMNS], passages=p, threshold=float(threshold))


# -- counts ----------------------------------------------------------------------------------

def passage_indicators(stats: RunStatistics) -> pd.DataFrame:
    """One row per passage, one 0/1 (or frame-count) column per funnel key it adds to."""
    p = stats.passages
    w = p["watchlisted"].astype(bool)
    if stats.plants_only:
        w = w & p["plant"].astype(bool)
    nw = ~p["watchlisted"].astype(bool)
    correct = p["alerted_correct"].astype(bool)
    return pd.DataFrame({
        "watchlisted_passages": w.astype(int),
        "watchlisted_alerted": (w & correct).astype(int),
        "watchlisted_rank1": (w & p["rank1_correct"].astype(bool)).astype(int),
        "plant_passages": p["plant"].astype(bool).astype(int),
        "plant_alerts": (p["plant"].astype(bool) & correct).astype(int),
        "nonwatchlist_passages": nw.astype(int),
        "nonwatchlist_alerted": (nw & p["alerted_false"].astype(bool)).astype(int),
        "faces_processed": nw.astype(int),
        "watchlisted_frames": np.where(w, p["n_detections"], 0),
        "watchlisted_frames_alerted": np.where(w, p["frames_alerted_correct"], 0),
        "nonwatchlist_frames": np.where(nw, p["n_detections"], 0),
        "nonwatchlist_frames_alerted": np.where(nw, p["frames_alerted_any"], 0),
    }, index=p.index)


def alert_indicators(stats: RunStatistics) -> pd.DataFrame:
    """One row per alert, one 0/1 column per funnel key it adds to."""
    a = stats.alerts
    out = {"alerts": np.ones(len(a), dtype=int)}
    if stats.has_truth:
        correct = a["correct"].fillna(False).astype(bool)
        out["true_alerts"] = correct.astype(int).to_numpy()
        out["false_alerts"] = (~correct).astype(int).to_numpy()
        not_watchlisted = a["passage_id"].isna() | a["truth_subject_id"].isna()
        out["nonwatchlist_false_alerts"] = ((~correct) & not_watchlisted).astype(int).to_numpy()
    if stats.has_adjudication:
        dec, eng, ver = a["operator_decision"], a["engagement"], a["verification"]
        stopped = (eng == "stopped").fillna(False)
        out.update({
            "not_adjudicated": dec.isna().astype(int).to_numpy(),
            "operator_rejected": (dec == "rejected").fillna(False).astype(int).to_numpy(),
            "stop_attempted": eng.isin(["stopped", "lost"]).fillna(False).astype(int).to_numpy(),
            "lost": (eng == "lost").fillna(False).astype(int).to_numpy(),
            "stopped": stopped.astype(int).to_numpy(),
            "verified_correct": (stopped & (ver == "correct").fillna(False)).astype(int).to_numpy(),
            "verified_incorrect": (stopped & (ver == "incorrect").fillna(False)).astype(int).to_numpy(),
            "unverified": (stopped & (ver == "unverified").fillna(False)).astype(int).to_numpy(),
            "arrests": a["outcome"].fillna("").str.lower().str.contains("arrest").astype(int).to_numpy(),
        })
    return pd.DataFrame(out, index=a.index)


def _cluster_labels(stats: RunStatistics, by: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Cluster label of every passage, alert and track."""
    if by not in CLUSTER_KEYS:
        raise InputError(f"unknown cluster key {by!r}", hint=f"one of {', '.join(CLUSTER_KEYS)}")
    p, a, t = stats.passages, stats.alerts, stats.tracks
    if by == "deployment":
        return (pd.Series(stats.deployment, index=p.index), pd.Series(stats.deployment, index=a.index),
                pd.Series(stats.deployment, index=t.index))
    if by == "camera":
        return p["camera"].astype(str), a["camera"].astype(str), t["camera"].astype(str)
    person = dict(zip(p["passage_id"], p["person_id"].astype(str)))
    pl = p["person_id"].astype(str)
    al = a["passage_id"].map(person)
    al = al.where(al.notna(), "track:" + a["track_id"].astype(str))
    tl = t["passage_id"].map(person)
    tl = tl.where(tl.notna(), "track:" + t["track_id"].astype(str))
    return pl, al, tl


def to_funnel(stats: RunStatistics, *, by: str | None = None) -> Funnel | dict[str, Funnel]:
    """The funnel of counts of a run (the same type a counts file gives).

    Parameters
    ----------
    stats : the run's statistics.
    by : None for the whole run; ``subject``, ``camera`` or ``deployment`` for a dict of per-cluster
        funnels whose counts sum to the whole (for the cluster bootstrap).

    Notes
    -----
    With truth, ``faces_processed`` is the number of non-watchlist passages plus the tracks that match no
    passage (faces the truth does not cover): every face that could only raise a false alert.  Without
    truth it is the bundle's reported ``faces_processed``.
    """
    pi, ai = passage_indicators(stats), alert_indicators(stats)
    frames = stats.tracks["n_detections"].fillna(0).astype(int) if len(stats.tracks) else pd.Series(dtype=int)
    unlinked = (stats.tracks["passage_id"].isna().astype(int) if len(stats.tracks) and "passage_id" in stats.tracks
                else pd.Series(0, index=stats.tracks.index, dtype=int))
    p = stats.passages
    w = p["watchlisted"].astype(bool) if len(p) else pd.Series(dtype=bool)
    if stats.plants_only and len(p):
        w = w & p["plant"].astype(bool)
    alerted = p["alerted_correct"].astype(bool) if len(p) else pd.Series(dtype=bool)
    if by is None:
        subjects = (int(p.loc[w, "person_id"].nunique()), int(p.loc[w & alerted, "person_id"].nunique()))
        return _funnel_of(stats, pi.sum(), ai.sum(), int(frames.sum()), subjects, id=stats.deployment,
                          unlinked=int(unlinked.sum()))
    has_frames = bool(len(stats.tracks)) and stats.tracks["n_detections"].fillna(0).sum() > 0
    pl, al, tl = _cluster_labels(stats, by)
    keys = sorted(set(pl) | set(al) | set(tl))
    psum, asum = pi.groupby(pl).sum(), ai.groupby(al).sum()
    fsum = frames.groupby(tl).sum() if len(frames) else pd.Series(dtype=int)
    usum = unlinked.groupby(tl).sum().to_dict() if len(unlinked) else {}
    n_subj = p.loc[w, "person_id"].groupby(pl[w]).nunique() if len(p) else pd.Series(dtype=int)
    n_subj_al = p.loc[w & alerted, "person_id"].groupby(pl[w & alerted]).nunique() if len(p) else n_subj
    zero_p, zero_a = dict.fromkeys(pi.columns, 0), dict.fromkeys(ai.columns, 0)
    psum_d, asum_d = psum.to_dict("index"), asum.to_dict("index")
    fsum_d, subj_d, subj_al_d = fsum.to_dict(), n_subj.to_dict(), n_subj_al.to_dict()
    out = {}
    for k in keys:
        subjects = (int(subj_d.get(k, 0)), int(subj_al_d.get(k, 0)))
        out[k] = _funnel_of(stats, psum_d.get(k, zero_p), asum_d.get(k, zero_a), int(fsum_d.get(k, 0)), subjects,
                            id=str(k), cluster=True, has_frames=has_frames, unlinked=int(usum.get(k, 0)))
    return out


_FRAME_KEYS = ("watchlisted_frames", "watchlisted_frames_alerted", "nonwatchlist_frames", "nonwatchlist_frames_alerted")


def _funnel_of(stats, psum, asum, frames, subjects, *, id: str, cluster: bool = False,
               has_frames: bool | None = None, unlinked: int = 0) -> Funnel:
    values: dict[str, Any] = {k: int(v) for k, v in asum.items()}
    if stats.has_truth:
        values.update({k: int(v) for k, v in psum.items()})
        values["faces_processed"] = values.get("faces_processed", 0) + unlinked
        values["watchlisted_subjects"], values["watchlisted_subjects_alerted"] = subjects
    elif not cluster and stats.faces_processed is not None:
        values["faces_processed"] = int(stats.faces_processed)
    if has_frames is None:
        has_frames = bool(len(stats.tracks)) and stats.tracks["n_detections"].fillna(0).sum() > 0
    if has_frames:
        values["frames_processed"] = frames
    if not (has_frames and stats.has_truth):
        for k in _FRAME_KEYS:
            values.pop(k, None)
    if not cluster:
        values["watchlist_size"] = stats.watchlist_size
        values["footage_hours"] = stats.footage_hours
    funnel = Funnel(id=id, title=id, threshold=stats.threshold, origin=f"run {stats.deployment}",
                    **{k: v for k, v in values.items() if v is not None})
    return check_funnel(funnel, alerts_per_face=False) if not cluster else funnel


def subset(stats: RunStatistics, passages_mask: pd.Series | None = None,
           alerts_mask: pd.Series | None = None) -> RunStatistics:
    """Statistics restricted to some passages and alerts (for breakdowns by camera or demographic group)."""
    p = stats.passages if passages_mask is None else stats.passages[passages_mask]
    a = stats.alerts if alerts_mask is None else stats.alerts[alerts_mask]
    keep = set(p["passage_id"]) if passages_mask is not None else None
    t = stats.tracks if keep is None else stats.tracks[stats.tracks["passage_id"].isin(keep)]
    return replace(stats, passages=p.reset_index(drop=True), alerts=a.reset_index(drop=True),
                   tracks=t.reset_index(drop=True))
