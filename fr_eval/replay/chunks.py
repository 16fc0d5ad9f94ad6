"""Replay work in time chunks: the unit of parallelism, of resumption and of retries.

A footage is cut into chunks of ``chunk_s`` seconds.  A worker decodes its
chunk plus ``overlap_s`` seconds of look-ahead, detects faces, tracks them,
embeds each track's best faces and scores them against the watchlist, then
writes the chunk's results atomically to ``RUN/chunks/`` with a ``.done.json``
marker written last.  A chunk either has its marker (finished, never redone) or
not (redone from scratch), so a killed worker loses only its own chunk.

Stitching joins tracks across a boundary: the last chunk's tracks that run into
the look-ahead share detections (same frame, same box) with the next chunk's
tracks, and shared detections are paired with ``linear_sum_assignment``.  The
chunk grid is a run parameter, not a worker count, so 1 worker, N workers or a
Dask cluster produce identical tables.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fr_eval.store.atomic import write_json, write_parquet
from fr_eval.replay.footage import DecodeReport, sample_frames
from fr_eval.replay.tracking import FaceObs, Tracker, TrackerParams, crop_face, face_quality


@dataclass(frozen=True)
class ChunkSpec:
    footage: int
    chunk: int
    path: str
    camera: str
    t0: float
    t1: float            # end of the chunk's own range
    overlap_s: float     # look-ahead decoded beyond t1 to stitch tracks
    fps: float
    folder_fps: float | None

    @property
    def name(self) -> str:
        return f"{self.footage:02d}-{self.chunk:04d}"


@dataclass(frozen=True)
class ChunkParams:
    threshold: float
    tracker: TrackerParams
    keep_embeddings: bool = False
    threads: int = 1


def plan_chunks(footage_index: int, path: Path, camera: str, duration_s: float, *, fps: float, chunk_s: float,
                overlap_s: float, folder_fps: float | None = None) -> list[ChunkSpec]:
    """Cut one footage into chunks of ``chunk_s`` seconds (the last may be shorter)."""
    if not math.isfinite(duration_s) or duration_s <= 0:
        # unknown duration: one chunk that reads to the end
        return [ChunkSpec(footage_index, 0, str(path), camera, 0.0, math.inf, overlap_s, fps, folder_fps)]
    n = max(1, math.ceil(duration_s / chunk_s - 1e-9))
    specs = []
    for c in range(n):
        t0 = c * chunk_s
        t1 = math.inf if c == n - 1 else (c + 1) * chunk_s
        specs.append(ChunkSpec(footage_index, c, str(path), camera, t0, t1, overlap_s, fps, folder_fps))
    return specs


def chunk_paths(run: Path, spec: ChunkSpec) -> dict[str, Path]:
    base = run / "chunks" / f"c-{spec.name}"
    return {"obs": base.with_suffix(".obs.parquet"), "faces": base.with_suffix(".faces.parquet"),
            "done": base.with_suffix(".done.json")}


def is_done(run: Path, spec: ChunkSpec) -> bool:
    paths = chunk_paths(run, spec)
    return all(p.is_file() for p in paths.values())


# -- one chunk ---------------------------------------------------------------

def process_chunk(spec: ChunkSpec, matcher, gallery: np.ndarray, params: ChunkParams, run: Path,
                  progress=None) -> dict[str, Any]:
    """Detect, track, embed and score one chunk; write its results; return its stats."""
    started = time.perf_counter()
    tracker = Tracker(params.tracker)
    report = DecodeReport()
    end = spec.t1 + spec.overlap_s
    n_faces = 0
    n_core_frames = 0
    last_t = None
    detect_s = 0.0
    for frame in sample_frames(Path(spec.path), fps=spec.fps, t0=spec.t0, t1=end, folder_fps=spec.folder_fps,
                               report=report, threads=params.threads):
        core = frame.t < spec.t1
        n_core_frames += core
        last_t = frame.t
        t_det = time.perf_counter()
        dets = matcher.detect(frame.image)
        detect_s += time.perf_counter() - t_det
        obs = []
        for d in dets:
            q, hist = face_quality(frame.image, d)
            ob = FaceObs(frame.index, frame.t, d, q, hist, core=core)
            if core:
                ob.crop, ob.crop_origin = crop_face(frame.image, d, params.tracker.crop_margin)
            obs.append(ob)
        n_faces += sum(o.core for o in obs)
        tracker.step(frame.t, obs)
        if progress is not None:
            progress(1)
    tracks = [tr for tr in tracker.finish() if any(o.core for o in tr.obs)]

    obs_rows, face_rows = [], []
    t_emb = time.perf_counter()
    for tr in tracks:
        embedded = set()
        for ob in tr.best:
            d = ob.det
            ox, oy = ob.crop_origin
            local = type(d)(d.x0 - ox, d.y0 - oy, d.x1 - ox, d.y1 - oy, d.score)
            vec = matcher.embed(ob.crop, [local])[0]
            sims = matcher.compare(vec[None, :], gallery)[0] if len(gallery) else np.zeros(0, np.float32)
            retain = params.keep_embeddings or (len(sims) and float(sims.max()) >= params.threshold)
            face_rows.append({"local_track": tr.local_id, "frame": ob.frame, "t": ob.t,
                              "sims": sims.astype(np.float32), "embedding": vec if retain else None})
            embedded.add(id(ob))
            ob.crop = None
        for ob in tr.obs:
            d = ob.det
            obs_rows.append({"local_track": tr.local_id, "frame": ob.frame, "t": ob.t, "x0": d.x0, "y0": d.y0,
                             "x1": d.x1, "y1": d.y1, "det_score": d.score, "quality": ob.quality,
                             "core": ob.core, "embedded": id(ob) in embedded})
    embed_s = time.perf_counter() - t_emb

    paths = chunk_paths(run, spec)
    write_parquet(paths["obs"], _obs_table(obs_rows))
    write_parquet(paths["faces"], _faces_table(face_rows))
    stats = {"chunk": spec.name, "frames_sampled": n_core_frames,
             "lookahead_frames": report.frames_sampled - n_core_frames, "frames_decoded": report.frames_decoded,
             "faces": n_faces, "tracks": len(tracks), "embedded": len(face_rows),
             "seconds": round(time.perf_counter() - started, 3), "detect_s": round(detect_s, 3),
             "embed_s": round(embed_s, 3), "broke_at_s": report.broke_at_s, "decode_error": report.error,
             "last_t": last_t}
    write_json(paths["done"], stats)
    return stats


OBS_SCHEMA = pa.schema([("local_track", pa.int32()), ("frame", pa.int64()), ("t", pa.float64()),
                        ("x0", pa.int32()), ("y0", pa.int32()), ("x1", pa.int32()), ("y1", pa.int32()),
                        ("det_score", pa.float32()), ("quality", pa.float32()), ("core", pa.bool_()),
                        ("embedded", pa.bool_())])
FACES_SCHEMA = pa.schema([("local_track", pa.int32()), ("frame", pa.int64()), ("t", pa.float64()),
                          ("sims", pa.list_(pa.float32())), ("embedding", pa.list_(pa.float32()))])


def _obs_table(rows) -> pa.Table:
    if not rows:
        return OBS_SCHEMA.empty_table()
    return pa.Table.from_pylist(rows, schema=OBS_SCHEMA)


def _faces_table(rows) -> pa.Table:
    if not rows:
        return FACES_SCHEMA.empty_table()
    cols = {"local_track": [r["local_track"] for r in rows], "frame": [r["frame"] for r in rows],
            "t": [r["t"] for r in rows], "sims": [r["sims"].tolist() for r in rows],
            "embedding": [None if r["embedding"] is None else np.asarray(r["embedding"]).tolist() for r in rows]}
    return pa.Table.from_pydict(cols, schema=FACES_SCHEMA)


def read_chunk(run: Path, spec: ChunkSpec) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    paths = chunk_paths(run, spec)
    obs = pq.read_table(paths["obs"]).to_pandas()
    faces = pq.read_table(paths["faces"]).to_pandas()
    stats = json.loads(paths["done"].read_text())
    return obs, faces, stats


# -- stitching ---------------------------------------------------------------

def stitch(run: Path, specs: list[ChunkSpec]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join the chunks of one footage into final tracks.

    Returns ``(detections, faces)`` where every row carries ``track_id`` (the id
    of the track's first part) and ``chunk`` (the chunk that owns the track).
    Detections are the chunks' core detections only, so none is counted twice.
    """
    all_obs, all_faces = [], []
    prev_obs = None
    prev_ids: dict[int, str] = {}
    for spec in specs:
        obs, faces, _ = read_chunk(run, spec)
        ids = {lt: f"{spec.camera}-{spec.footage:02d}-{spec.chunk:04d}-{lt:04d}" for lt in obs["local_track"].unique()}
        if prev_obs is not None and len(prev_obs) and len(obs):
            for lt_new, tid in _links(prev_obs, obs).items():
                ids[lt_new] = prev_ids[tid]
        core = obs[obs["core"]].copy()
        core["track_id"] = core["local_track"].map(ids)
        faces = faces.copy()
        faces["track_id"] = faces["local_track"].map(ids)
        all_obs.append(core)
        all_faces.append(faces)
        prev_obs = obs[~obs["core"]]
        prev_ids = {lt: ids[lt] for lt in obs["local_track"].unique()}
    detections = pd.concat(all_obs, ignore_index=True) if all_obs else pd.DataFrame()
    faces = pd.concat(all_faces, ignore_index=True) if all_faces else pd.DataFrame()
    if len(detections):
        first = detections.groupby("track_id")["t"].transform("min")
        detections = detections.assign(_first=first).sort_values(["_first", "track_id", "t"]).drop(columns="_first")
    return detections.reset_index(drop=True), faces.reset_index(drop=True)


def _links(prev_overlap: pd.DataFrame, obs: pd.DataFrame) -> dict[int, int]:
    """Pair the previous chunk's look-ahead tracks with this chunk's tracks by shared detections."""
    from scipy.optimize import linear_sum_assignment

    key = ["frame", "x0", "y0", "x1", "y1"]
    shared = prev_overlap[key + ["local_track"]].merge(obs[obs["core"]][key + ["local_track"]], on=key,
                                                      suffixes=("_prev", "_new"))
    if shared.empty:
        return {}
    counts = shared.groupby(["local_track_prev", "local_track_new"]).size().reset_index(name="n")
    prev = sorted(counts["local_track_prev"].unique())
    new = sorted(counts["local_track_new"].unique())
    m = np.zeros((len(prev), len(new)))
    pi = {v: i for i, v in enumerate(prev)}
    ni = {v: i for i, v in enumerate(new)}
    for row in counts.itertuples():
        m[pi[row.local_track_prev], ni[row.local_track_new]] = row.n
    rows, cols = linear_sum_assignment(-m)
    return {int(new[c]): int(prev[r]) for r, c in zip(rows, cols) if m[r, c] > 0}


def spec_dict(spec: ChunkSpec) -> dict:
    d = asdict(spec)
    if math.isinf(d["t1"]):
        d["t1"] = None
    return d
