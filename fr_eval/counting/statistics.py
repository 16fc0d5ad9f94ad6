"""From a run's tables and the bundle's truth to the rows every count is taken from.

Statistics first, counts second (the pattern of sacrebleu and py-motmetrics): this module turns a run
into **threshold-free rows** -- one per truth passage, one per face track, one per stored candidate score,
and the adjudication keyed by alert -- and nothing else.  Every count at any threshold, for the whole run, a
group or a cluster, is then taken from these rows by :mod:`fr_eval.counting.counter` with the one alert
rule (:mod:`fr_eval.replay.alert_rule`).  The matcher is never re-run.

Linking tracks to passages is :mod:`fr_eval.counting.linking`'s (order-free; ambiguity reported).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fr_eval.counting.linking import LinkReport, link_tracks
from fr_eval.errors import InputError
from fr_eval.inputs.truth import check_truth
from fr_eval.replay import alert_rule

#: an operational alert log row matches the replay alert of that camera and subject nearest in time within this
ADJUDICATION_WINDOW_S = 2.0
ADJUDICATION_COLUMNS = ("operator_decision", "engagement", "verification", "outcome")

PASSAGE_COLUMNS = ["passage_id", "camera", "person_id", "subject_id", "watchlisted", "plant", "t_start", "t_end",
                   "n_tracks", "n_detections", "face_px", "mated_score", "mated_rank", "rank1_score",
                   "nonmated_score", "any_score", "lighting", "crowd", "deployment"]
TRACK_COLUMNS = ["track_id", "footage", "camera", "t_start", "t_end", "n_detections", "best_t", "best_x0", "best_y0",
                 "best_x1", "best_y1", "face_px", "top_subject", "top_similarity", "passage_id", "mated_score",
                 "any_score", "lighting", "crowd", "deployment"]
CANDIDATE_COLUMNS = ["track_id", "camera", "rank", "subject_id", "similarity", "t", "face_t", "face_similarity",
                     "passage_id", "truth_subject_id", "person_id", "mated", "watchlisted_passage", "deployment"]
ALERT_COLUMNS = ["alert_id", "track_id", "camera", "subject_id", "similarity", "t", "passage_id", "truth_subject_id",
                 "person_id", "correct", *ADJUDICATION_COLUMNS, "deployment"]


@dataclass
class RunStatistics:
    """The threshold-free rows of one run (or of several pooled), and what the counts need to know about it.

    Build one with :func:`fr_eval.counting.load.load_statistics` (from a run folder) or :meth:`from_frames`
    (from DataFrames: a notebook, a test, a score list).
    """

    passages: pd.DataFrame
    tracks: pd.DataFrame
    candidates: pd.DataFrame
    adjudication: pd.DataFrame | None      # indexed by alert_id
    threshold: float
    has_truth: bool
    footage_hours: float | None = None
    faces_processed: int | None = None
    watchlist_size: int | None = None
    deployment: str = "deployment"
    lighting: str | None = None
    crowd: str | None = None
    plants_only: bool = False
    manifest: dict[str, Any] | None = None
    bundle: Any = None
    demographics: list[str] = field(default_factory=list)
    linking: LinkReport = field(default_factory=LinkReport)
    #: where the adjudication came from: {"kind": "none" | "file" | "simulated", "sha256": ..., "model": ...}
    adjudication_source: dict[str, Any] = field(default_factory=lambda: {"kind": "none"})
    #: the footage actually decoded, per footage (fr_eval.replay.coverage); empty when not recorded
    coverage: list[dict[str, Any]] = field(default_factory=list)
    #: truth passages left out because no footage of them was decoded (passage ids)
    uncovered: list[str] = field(default_factory=list)

    @property
    def has_adjudication(self) -> bool:
        return self.adjudication is not None

    @property
    def has_frames(self) -> bool:
        return bool(len(self.tracks)) and float(self.tracks["n_detections"].fillna(0).sum()) > 0

    # -- alerts: the one rule applied to the stored candidates -------------------------------------

    def alerts_at(self, threshold: float) -> pd.DataFrame:
        """The alerts ``threshold`` raises (:func:`fr_eval.replay.alert_rule.alerts`), with truth and
        adjudication attached (an alert the operated threshold did not raise has no adjudication)."""
        a = alert_rule.alerts(self.candidates, threshold)
        if self.has_truth:
            a["correct"] = a["mated"].astype("boolean")
        else:
            a["correct"] = pd.array([pd.NA] * len(a), dtype="boolean")
        for col in ADJUDICATION_COLUMNS:
            if self.adjudication is not None and col in self.adjudication.columns and len(a):
                a[col] = a["alert_id"].map(self.adjudication[col]).astype("string")
            else:
                a[col] = pd.array([pd.NA] * len(a), dtype="string")
        return a[ALERT_COLUMNS]

    @property
    def alerts(self) -> pd.DataFrame:
        """The alerts of the operated threshold (what the run recorded)."""
        cached = self.__dict__.get("_alerts")
        if cached is None or cached[0] is not self.candidates:
            cached = (self.candidates, self.alerts_at(self.threshold))
            self.__dict__["_alerts"] = cached
        return cached[1]

    # -- construction ------------------------------------------------------------------------------

    @classmethod
    def from_frames(cls, *, tracks: pd.DataFrame, candidates: pd.DataFrame, threshold: float,
                    truth: pd.DataFrame | None = None, truth_boxes: pd.DataFrame | None = None,
                    adjudication: pd.DataFrame | None = None, detections: pd.DataFrame | None = None,
                    watchlist: pd.DataFrame | None = None, deployment: str = "deployment",
                    lighting: str | None = None, crowd: str | None = None, footage_hours: float | None = None,
                    faces_processed: int | None = None, demographics: Sequence[str] = (),
                    plants_only: bool = False, manifest: dict | None = None, bundle: Any = None,
                    adjudication_source: dict | None = None, coverage: Sequence[dict] = (),
                    strict: bool = False, where: str = "") -> RunStatistics:
        """Build the rows from the run tables and the bundle's truth and adjudication.

        Parameters
        ----------
        tracks, candidates : the run tables (docs/formats.md); ``tracks`` needs at least track_id, camera,
            t_start, t_end; ``candidates`` track_id, rank, subject_id, similarity.
        threshold : the operated threshold.
        truth, truth_boxes, adjudication : as loaded by :func:`fr_eval.inputs.bundle.load_bundle` (None
            when absent).
        detections : track_id, t, x0..y1 -- only needed to link with ``truth_boxes``.
        watchlist : subject_id and demographic columns (joined onto passages lacking them).
        strict : refuse ambiguous truth links instead of resolving them by the stated rule.

        Raises
        ------
        InputError
            Truth passages of one person overlapping on one camera; adjudication rows naming alerts the run
            does not have; ambiguous links with ``strict``.
        """
        where = where or deployment
        tracks = _ensure(tracks, ["track_id", "camera", "t_start", "t_end"], "tracks")
        for col, default in (("n_detections", 0), ("face_px", np.nan), ("footage", 0)):
            if col not in tracks.columns:
                tracks = tracks.assign(**{col: default})
        candidates = _ensure(candidates, ["track_id", "rank", "subject_id", "similarity"], "candidates")
        candidates = candidates.assign(similarity=candidates["similarity"].astype(np.float64))
        has_truth = truth is not None
        uncovered: list[str] = []
        if truth is not None:
            truth = truth.copy()
            check_truth(truth, where=f"{where}: truth")
            uncovered = uncovered_passages(truth, coverage)
            truth = truth[~truth["passage_id"].isin(set(uncovered))].reset_index(drop=True)
            link, report = link_tracks(tracks, truth, truth_boxes=truth_boxes, detections=detections,
                                       strict=strict, where=where)
        else:
            truth = pd.DataFrame(columns=["passage_id", "camera", "t_start", "t_end", "subject_id", "person_id",
                                          "plant"])
            link = pd.Series([None] * len(tracks), index=tracks["track_id"].to_numpy(), dtype=object)
            report = LinkReport(tracks=len(tracks))
        tracks = tracks.copy()
        tracks["passage_id"] = _nullable(tracks["track_id"].map(link))
        tracks["deployment"], tracks["lighting"], tracks["crowd"] = deployment, lighting, crowd
        truth_by_passage = truth.set_index("passage_id") if len(truth) else None
        cands = _candidate_rows(candidates, tracks, truth_by_passage, deployment)
        tracks = _track_scores(tracks, cands)
        passages = _passage_rows(truth, tracks, cands, watchlist, demographics, deployment, lighting, crowd)
        stats = cls(passages=passages, tracks=tracks[TRACK_COLUMNS].reset_index(drop=True), candidates=cands,
                    adjudication=None, threshold=float(threshold), has_truth=has_truth, footage_hours=footage_hours,
                    faces_processed=faces_processed,
                    watchlist_size=None if watchlist is None else int(len(watchlist)), deployment=deployment,
                    lighting=lighting, crowd=crowd, plants_only=plants_only, manifest=manifest, bundle=bundle,
                    demographics=list(demographics), linking=report, coverage=list(coverage), uncovered=uncovered,
                    adjudication_source=dict(adjudication_source or {"kind": "none"}))
        if adjudication is not None:
            stats.adjudication = _adjudication_by_alert(stats.alerts, adjudication,
                                                        where=f"{where}: adjudication")
            stats.__dict__.pop("_alerts", None)
            if stats.adjudication_source.get("kind") == "none":
                stats.adjudication_source = {"kind": "file"}
        return stats


# -- pooling runs ---------------------------------------------------------------------------

def pool_statistics(runs: Sequence[RunStatistics], *, name: str = "pooled") -> RunStatistics:
    """Several runs as one (e.g. a day and a night deployment, to break down by lighting).

    Rows keep their ``deployment``, ``lighting`` and ``crowd``; track, alert and passage ids are prefixed
    with the deployment so they stay unique.  The runs must share the operated threshold and the presence of
    truth and adjudication.
    """
    runs = list(runs)
    if not runs:
        raise InputError("no runs to pool")
    for attr in ("threshold", "has_truth", "has_adjudication"):
        values = {getattr(r, attr) for r in runs}
        if len(values) > 1:
            raise InputError(f"cannot pool runs that differ in {attr} "
                             f"({', '.join(map(str, sorted(values, key=str)))})",
                             hint="pool runs replayed at one threshold, all with (or all without) truth and "
                                  "adjudication")

    def prefixed(df, r, cols):
        df = df.copy()
        for c in cols:
            if c in df.columns:
                df[c] = [v if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
                         else f"{r.deployment}/{v}" for v in df[c]]
        return df

    ids = ("track_id", "passage_id")
    frames = {k: pd.concat([prefixed(getattr(r, k), r, ids) for r in runs], ignore_index=True)
              for k in ("passages", "candidates", "tracks")}
    adjudication = None
    if runs[0].has_adjudication:
        adjudication = pd.concat([r.adjudication.set_axis([f"{r.deployment}/{i}" for i in r.adjudication.index])
                                  for r in runs if r.adjudication is not None])
    hours = [r.footage_hours for r in runs]
    faces = [r.faces_processed for r in runs]
    report = LinkReport(tracks=sum(r.linking.tracks for r in runs), linked=sum(r.linking.linked for r in runs),
                        ambiguous=[a for r in runs for a in r.linking.ambiguous],
                        spatial=all(r.linking.spatial for r in runs))
    return RunStatistics(passages=frames["passages"], tracks=frames["tracks"], candidates=frames["candidates"],
                         adjudication=adjudication, threshold=runs[0].threshold, has_truth=runs[0].has_truth,
                         footage_hours=None if None in hours else math.fsum(h or 0.0 for h in hours),
                         faces_processed=None if None in faces else int(sum(f or 0 for f in faces)),
                         watchlist_size=None, deployment=name, plants_only=runs[0].plants_only, manifest=None,
                         bundle=None, demographics=list(dict.fromkeys(d for r in runs for d in r.demographics)),
                         linking=report)


# -- validation ---------------------------------------------------------------------------

def uncovered_passages(truth: pd.DataFrame, coverage: Sequence[dict]) -> list[str]:
    """Passages of a camera whose time overlaps none of the footage decoded on that camera.

    Counted nowhere: a passage in footage that was never decoded is neither a miss nor a true negative.
    Cameras without a coverage record (imported logs, hand-made runs) count as fully covered.
    """
    by_camera: dict[str, list] = {}
    for c in coverage:
        by_camera.setdefault(str(c.get("camera")), []).extend(c.get("intervals") or [])
    out = []
    for pid, cam, a, b in zip(truth["passage_id"], truth["camera"], truth["t_start"], truth["t_end"]):
        spans = by_camera.get(str(cam))
        if spans is None:
            continue
        a, b = float(a), float(b)
        if not any(min(b, hi) >= max(a, lo) for lo, hi in spans):
            out.append(str(pid))
    return sorted(out)


def _ensure(df: pd.DataFrame | None, cols: list[str], name: str) -> pd.DataFrame:
    if df is None:
        return pd.DataFrame(columns=cols)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(f"{name} table: missing column {missing[0]!r}", hint="see docs/formats.md")
    return df.reset_index(drop=True)


# -- rows ------------------------------------------------------------------------------------

def bools(s: pd.Series) -> pd.Series:
    """Booleans from bools or from the strings a CSV gives ("true", "1", "yes")."""
    if s.dtype == bool:
        return s
    return s.map(lambda v: v if isinstance(v, (bool, np.bool_)) else str(v).strip().lower() in ("true", "1", "yes"))\
        .astype(bool)


def _nullable(s: pd.Series) -> pd.Series:
    """An object column with None (not NaN) for missing values."""
    s = s.astype(object)
    return s.where(s.notna(), None)


def _candidate_rows(candidates, tracks, truth_by_passage, deployment) -> pd.DataFrame:
    c = candidates.copy()
    if "camera" not in c.columns:
        c["camera"] = c["track_id"].map(dict(zip(tracks["track_id"], tracks["camera"])))
    if "t" not in c.columns:
        c["t"] = np.nan
    for col in ("face_t", "face_similarity"):
        if col not in c.columns:
            c[col] = None
    c["passage_id"] = _nullable(c["track_id"].map(dict(zip(tracks["track_id"], tracks["passage_id"]))))
    if truth_by_passage is not None:
        c["truth_subject_id"] = _nullable(c["passage_id"].map(truth_by_passage["subject_id"]))
        c["person_id"] = _nullable(c["passage_id"].map(truth_by_passage["person_id"]))
    else:
        c["truth_subject_id"] = None
        c["person_id"] = None
    c["mated"] = (c["truth_subject_id"].notna() & (c["truth_subject_id"] == c["subject_id"])).astype(bool)
    c["watchlisted_passage"] = c["truth_subject_id"].notna().astype(bool)
    c["deployment"] = deployment
    return c[CANDIDATE_COLUMNS].reset_index(drop=True)


def _track_scores(tracks: pd.DataFrame, cands: pd.DataFrame) -> pd.DataFrame:
    """Each track's best mated and best candidate score (what its alerts at any threshold depend on)."""
    t = tracks.copy()
    g = cands.groupby("track_id")["similarity"]
    t["any_score"] = t["track_id"].map(g.max()).astype(float)
    mated = cands[cands["mated"]].groupby("track_id")["similarity"].max()
    t["mated_score"] = t["track_id"].map(mated).astype(float)
    for col in TRACK_COLUMNS:
        if col not in t.columns:
            t[col] = None
    return t


def _passage_rows(truth, tracks, cands, watchlist, demographics, deployment, lighting, crowd) -> pd.DataFrame:
    p = truth.copy().reset_index(drop=True)
    if not len(p):
        return pd.DataFrame(columns=PASSAGE_COLUMNS + list(demographics))
    sid = p["subject_id"].astype(object)
    p["subject_id"] = sid.where(sid.notna() & (sid.astype(str) != ""), None)
    p["watchlisted"] = p["subject_id"].notna()
    p["plant"] = bools(p["plant"]) if "plant" in p.columns else False
    linked = tracks[tracks["passage_id"].notna()]
    g = linked.groupby("passage_id")
    p["n_tracks"] = p["passage_id"].map(g.size()).fillna(0).astype(int)
    p["n_detections"] = p["passage_id"].map(g["n_detections"].sum()).fillna(0).astype(int)
    p["face_px"] = p["passage_id"].map(g["face_px"].max()).astype(float)
    lc = cands[cands["passage_id"].notna()]
    mated = lc[lc["mated"]]
    p["mated_score"] = p["passage_id"].map(mated.groupby("passage_id")["similarity"].max()).astype(float)
    p["mated_rank"] = p["passage_id"].map(mated.groupby("passage_id")["rank"].min()).astype(float)
    p["rank1_score"] = p["passage_id"].map(mated[mated["rank"] == 1].groupby("passage_id")["similarity"].max()) \
        .astype(float)
    nonmated = lc[~lc["mated"]]
    p["nonmated_score"] = p["passage_id"].map(nonmated.groupby("passage_id")["similarity"].max()).astype(float)
    p["any_score"] = p["passage_id"].map(lc.groupby("passage_id")["similarity"].max()).astype(float)
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


def _adjudication_by_alert(alerts: pd.DataFrame, adjudication: pd.DataFrame, *, where: str) -> pd.DataFrame:
    """The adjudication rows keyed by the alert they describe; rows naming no alert of the run are an error."""
    adj = adjudication     # its index is the CSV line number minus 2 (fr_eval.inputs.bundle.read_csv)
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
            # nearest in time; ties to the smaller alert_id, so the choice never depends on row order
            near = cand.assign(_dt=dt[cand.index]).sort_values(["_dt", "alert_id"], kind="mergesort")
            target.append(near["alert_id"].iloc[0])
        dup = pd.Series(target, index=adj.index)[pd.Series(target, index=adj.index).duplicated()]
        if len(dup):
            raise InputError(f"line {dup.index[0] + 2}: two rows describe the same alert {dup.iloc[0]!r}",
                             where=where, hint="keep one adjudication row per alert")
    out = adj.assign(alert_id=target).set_index("alert_id")
    for col in ADJUDICATION_COLUMNS:
        if col not in out.columns:
            out[col] = None
    return out[list(ADJUDICATION_COLUMNS)]


def with_adjudication(stats: RunStatistics, adjudication: pd.DataFrame | None, source: dict) -> RunStatistics:
    """The same run with another adjudication (e.g. a simulated operator's), keyed by alert."""
    out = replace(stats, adjudication=None, adjudication_source=dict(source))
    out.__dict__.pop("_alerts", None)
    if adjudication is not None:
        out.adjudication = _adjudication_by_alert(out.alerts, adjudication, where=str(source.get("path", "")))
        out.__dict__.pop("_alerts", None)
    return out


def coverage_notes(stats: RunStatistics) -> list[str]:
    """What the run did not decode, and the passages left out for it, in sentences (empty: all decoded)."""
    from fr_eval.replay.coverage import describe

    out = describe(stats.coverage)
    if stats.uncovered:
        out.append(f"{len(stats.uncovered)} truth passage(s) lie wholly in footage that was not decoded and are not "
                   f"counted ({', '.join(stats.uncovered[:5])}{', ...' if len(stats.uncovered) > 5 else ''})")
    return out


def footage_hours_of(manifest: dict) -> float | None:
    """Hours of footage the run covers: the decoded seconds when recorded, else the files' durations."""
    cov = manifest.get("coverage") or []
    if cov:
        return math.fsum(float(c.get("decoded_s") or 0.0) for c in cov) / 3600
    hours = [f.get("duration_s") for f in manifest.get("footage", [])]
    hours = [h for h in hours if isinstance(h, (int, float)) and math.isfinite(h)]
    return math.fsum(hours) / 3600 if hours else None


def run_path(stats: RunStatistics) -> Path | None:
    m = stats.manifest or {}
    return Path(m["_path"]) if m.get("_path") else None
