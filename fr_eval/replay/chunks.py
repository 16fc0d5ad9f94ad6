"""Replay work in time chunks: the unit of parallelism, of resumption and of retries -- never of the numbers.

Two passes make the results independent of how the footage is cut:

1. **Chunk workers** (in parallel): decode the chunk's sampled frames, detect faces, measure each face's
   quality and appearance histogram, follow them with a local tracker, and embed the best faces of each
   local track piece (scored against the watchlist at once, so crops never leave the worker).  A chunk
   writes its results atomically to ``RUN/chunks/`` with a ``.done.json`` marker last; a chunk either has
   its marker (finished, never redone) or not (redone from scratch), so a killed worker loses only its own
   chunk.
2. **The coordinator** runs one tracker over the whole footage's detections in time order -- tracking is
   cheap next to detection -- and takes each track's best faces from the whole track
   (:func:`fr_eval.replay.tracking.best_faces`).  Those faces were almost always embedded by a worker (a
   track's best faces are among the best of its pieces); any that was not is decoded again and embedded
   (:func:`embed_missing`, counted in the manifest).

So the tracks, the faces embedded, every score and every alert time are the same for any chunk size, any
number of workers and any scheduler (tests check it).
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

from fr_eval.replay.footage import DecodeReport, sample_frames
from fr_eval.replay.tracking import FaceObs, Track, Tracker, TrackerParams, best_faces, crop_face, face_quality
from fr_eval.store.atomic import write_json, write_parquet


@dataclass(frozen=True)
class ChunkSpec:
    footage: int
    chunk: int
    path: str
    camera: str
    t0: float
    t1: float            # end of the chunk (exclusive); inf for the last chunk
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
                folder_fps: float | None = None) -> list[ChunkSpec]:
    """Cut one footage into chunks of ``chunk_s`` seconds (the last reads to the end)."""
    if not math.isfinite(duration_s) or duration_s <= 0:
        return [ChunkSpec(footage_index, 0, str(path), camera, 0.0, math.inf, fps, folder_fps)]
    n = max(1, math.ceil(duration_s / chunk_s - 1e-9))
    specs = []
    for c in range(n):
        t1 = math.inf if c == n - 1 else (c + 1) * chunk_s
        specs.append(ChunkSpec(footage_index, c, str(path), camera, c * chunk_s, t1, fps, folder_fps))
    return specs


def chunk_paths(run: Path, spec: ChunkSpec) -> dict[str, Path]:
    base = run / "chunks" / f"c-{spec.name}"
    return {"obs": base.with_suffix(".obs.parquet"), "faces": base.with_suffix(".faces.parquet"),
            "done": base.with_suffix(".done.json")}


def is_done(run: Path, spec: ChunkSpec) -> bool:
    return all(p.is_file() for p in chunk_paths(run, spec).values())


# -- one chunk (a worker) ------------------------------------------------------------------------

def process_chunk(spec: ChunkSpec, matcher, gallery: np.ndarray, params: ChunkParams, run: Path,
                  progress=None) -> dict[str, Any]:
    """Detect, track locally, embed and score one chunk; write its results; return its stats."""
    started = time.perf_counter()
    tracker = Tracker(params.tracker)
    report = DecodeReport()
    keep = params.tracker.keep_best
    obs_rows: list[dict] = []
    best: dict[int, list[tuple[tuple, FaceObs, np.ndarray, tuple[int, int]]]] = {}
    n_frames, first_t, last_t, detect_s = 0, None, None, 0.0
    for frame in sample_frames(Path(spec.path), fps=spec.fps, t0=spec.t0, t1=spec.t1, folder_fps=spec.folder_fps,
                               report=report, threads=params.threads):
        tracker.frame_size = (frame.image.shape[1], frame.image.shape[0])
        n_frames += 1
        first_t = frame.t if first_t is None else first_t
        last_t = frame.t
        t_det = time.perf_counter()
        dets = matcher.detect(frame.image)
        detect_s += time.perf_counter() - t_det
        obs = []
        for i, d in enumerate(dets):
            q, hist = face_quality(frame.image, d)
            obs.append(FaceObs(frame.index, frame.t, d, q, hist, index=i))
            obs_rows.append({"frame": frame.index, "t": frame.t, "det_index": i, "x0": d.x0, "y0": d.y0,
                             "x1": d.x1, "y1": d.y1, "det_score": d.score, "quality": q, "hist": hist,
                             "lm": d.landmarks})
        for tr, ob in tracker.step(frame.t, obs):
            key = (-ob.quality, ob.t, ob.index)
            kept = best.setdefault(tr.local_id, [])
            if len(kept) < keep or key < kept[-1][0]:
                crop, origin = crop_face(frame.image, ob.det, params.tracker.crop_margin)
                kept.append((key, ob, crop, origin))
                kept.sort(key=lambda x: x[0])
                del kept[keep:]
        if progress is not None:
            progress(1)
    t_emb = time.perf_counter()
    face_rows = [embed_face(matcher, gallery, params, ob, crop, origin)
                 for kept in best.values() for _, ob, crop, origin in kept]
    embed_s = time.perf_counter() - t_emb
    paths = chunk_paths(run, spec)
    write_parquet(paths["obs"], _obs_table(obs_rows))
    write_parquet(paths["faces"], _faces_table(face_rows))
    stats = {"chunk": spec.name, "frames_sampled": n_frames, "frames_decoded": report.frames_decoded,
             "faces": len(obs_rows), "local_tracks": len(best), "embedded": len(face_rows),
             "seconds": round(time.perf_counter() - started, 3), "detect_s": round(detect_s, 3),
             "embed_s": round(embed_s, 3), "broke_at_s": report.broke_at_s, "decode_error": report.error,
             "first_t": first_t, "last_t": last_t}
    write_json(paths["done"], stats)
    return stats


def embed_face(matcher, gallery: np.ndarray, params: ChunkParams, ob: FaceObs, crop: np.ndarray,
               origin: tuple[int, int]) -> dict[str, Any]:
    """Embed one face from its crop and score it against the watchlist (float64 similarities)."""
    d = ob.det
    ox, oy = origin
    vec = matcher.embed(crop, [d.shifted(ox, oy)])[0]
    sims = (np.asarray(matcher.compare(vec[None, :], gallery)[0], dtype=np.float64) if len(gallery)
            else np.zeros(0, np.float64))
    retain = params.keep_embeddings or (len(sims) and float(np.max(sims)) >= params.threshold)
    return {"frame": ob.frame, "det_index": ob.index, "t": ob.t, "sims": sims,
            "embedding": np.asarray(vec, dtype=np.float32) if retain else None}


OBS_SCHEMA = pa.schema([("frame", pa.int64()), ("t", pa.float64()), ("det_index", pa.int32()),
                        ("x0", pa.int32()), ("y0", pa.int32()), ("x1", pa.int32()), ("y1", pa.int32()),
                        ("det_score", pa.float32()), ("quality", pa.float64()), ("hist", pa.list_(pa.float32())),
                        ("lm", pa.list_(pa.float64()))])
FACES_SCHEMA = pa.schema([("frame", pa.int64()), ("det_index", pa.int32()), ("t", pa.float64()),
                          ("sims", pa.list_(pa.float64())), ("embedding", pa.list_(pa.float32()))])


def _obs_table(rows) -> pa.Table:
    if not rows:
        return OBS_SCHEMA.empty_table()
    cols = {f.name: [r[f.name] for r in rows] for f in OBS_SCHEMA if f.name not in ("hist", "lm")}
    cols["hist"] = [np.asarray(r["hist"], dtype=np.float32).tolist() for r in rows]
    cols["lm"] = [list(r["lm"]) for r in rows]
    return pa.Table.from_pydict(cols, schema=OBS_SCHEMA)


def _faces_table(rows) -> pa.Table:
    if not rows:
        return FACES_SCHEMA.empty_table()
    cols = {"frame": [r["frame"] for r in rows], "det_index": [r["det_index"] for r in rows],
            "t": [r["t"] for r in rows], "sims": [np.asarray(r["sims"], dtype=np.float64).tolist() for r in rows],
            "embedding": [None if r["embedding"] is None else np.asarray(r["embedding"]).tolist() for r in rows]}
    return pa.Table.from_pydict(cols, schema=FACES_SCHEMA)


def read_chunk(run: Path, spec: ChunkSpec) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    paths = chunk_paths(run, spec)
    obs = pq.read_table(paths["obs"]).to_pandas()
    if "lm" not in obs.columns:      # a chunk written before detectors gave landmarks (resumed replay)
        obs["lm"] = [()] * len(obs)
    faces = pq.read_table(paths["faces"]).to_pandas()
    stats = json.loads(paths["done"].read_text())
    return obs, faces, stats


# -- the whole footage (the coordinator) ------------------------------------------------------------

@dataclass
class FootageTracks:
    """One footage after global tracking: detections with track ids, the tracks, the chosen faces."""

    detections: pd.DataFrame        # one row per detection: track_id, frame, t, box, det_score, quality, embedded
    tracks: pd.DataFrame            # one row per track
    chosen: pd.DataFrame            # the faces to embed: track_id, frame, det_index, t, box
    faces: pd.DataFrame             # embedded faces found in the chunks: frame, det_index, t, sims, embedding


def track_footage(run: Path, specs: list[ChunkSpec], params: TrackerParams, camera: str,
                  footage: int, frame_size: tuple[int, int] | None = None) -> FootageTracks:
    """One tracker over the footage's detections in time order; each track's best faces chosen whole."""
    obs_parts, face_parts = [], []
    for spec in specs:
        obs, faces, _ = read_chunk(run, spec)
        obs_parts.append(obs)
        face_parts.append(faces)
    obs = pd.concat(obs_parts, ignore_index=True) if obs_parts else OBS_SCHEMA.empty_table().to_pandas()
    obs = obs.sort_values(["frame", "t", "det_index"], kind="mergesort").reset_index(drop=True)
    faces = pd.concat(face_parts, ignore_index=True) if face_parts else FACES_SCHEMA.empty_table().to_pandas()
    faces = faces.drop_duplicates(["frame", "det_index"]).reset_index(drop=True)
    from fr_eval.replay.matchers.base import Detection

    tracker = Tracker(params, frame_size=frame_size)
    row_of: dict[int, int] = {}
    for (_, t), g in obs.groupby(["frame", "t"], sort=True):
        batch = []
        for i, r in zip(g.index, g.itertuples(index=False)):
            ob = FaceObs(int(r.frame), float(r.t), Detection(int(r.x0), int(r.y0), int(r.x1), int(r.y1),
                                                             float(r.det_score), tuple(r.lm)),
                         float(r.quality), np.asarray(r.hist, dtype=np.float32), index=int(r.det_index))
            row_of[id(ob)] = i
            batch.append(ob)
        tracker.step(float(t), batch)
    tracks = tracker.finish()
    # ids in order of first appearance (the tracker numbers tracks as it opens them)
    track_id = {tr.local_id: f"{camera}-{footage:02d}-{n:05d}" for n, tr in enumerate(tracks)}
    det_track = np.empty(len(obs), dtype=object)
    chosen_rows, track_rows = [], []
    embedded = np.zeros(len(obs), dtype=bool)
    for tr in tracks:
        tid = track_id[tr.local_id]
        for ob in tr.obs:
            det_track[row_of[id(ob)]] = tid
        for ob in best_faces(tr, params.keep_best):
            embedded[row_of[id(ob)]] = True
            chosen_rows.append({"track_id": tid, "frame": ob.frame, "det_index": ob.index, "t": ob.t,
                                "x0": ob.det.x0, "y0": ob.det.y0, "x1": ob.det.x1, "y1": ob.det.y1,
                                "lm": ob.det.landmarks})
        track_rows.append(_track_row(tid, tr))
    detections = obs.drop(columns=["hist", "det_index", "lm"]).assign(track_id=det_track, embedded=embedded)
    return FootageTracks(detections, pd.DataFrame(track_rows), pd.DataFrame(
        chosen_rows, columns=["track_id", "frame", "det_index", "t", "x0", "y0", "x1", "y1", "lm"]), faces)


def _track_row(tid: str, tr: Track) -> dict[str, Any]:
    best = max(tr.obs, key=lambda o: (o.quality, -o.t, -o.index))
    heights = [o.det.y1 - o.det.y0 for o in tr.obs]
    return {"track_id": tid, "t_start": tr.obs[0].t, "t_end": tr.obs[-1].t, "n_detections": len(tr.obs),
            "n_embedded": 0, "best_t": best.t, "best_x0": best.det.x0, "best_y0": best.det.y0,
            "best_x1": best.det.x1, "best_y1": best.det.y1, "face_px": float(np.median(heights))}


def embed_missing(ft: FootageTracks, path: Path, fps: float, folder_fps: float | None, matcher,
                  gallery: np.ndarray, params: ChunkParams) -> pd.DataFrame:
    """The chosen faces' similarity rows; a chosen face no worker embedded is decoded again and embedded."""
    from fr_eval.replay.matchers.base import Detection

    have = ft.faces.set_index(["frame", "det_index"]) if len(ft.faces) else None
    rows, missing = [], []
    for c in ft.chosen.itertuples(index=False):
        key = (int(c.frame), int(c.det_index))
        if have is not None and key in have.index:
            f = have.loc[key]
            rows.append({"track_id": c.track_id, "frame": c.frame, "t": c.t, "sims": f["sims"],
                         "embedding": f["embedding"]})
        else:
            missing.append(c)
    for c in missing:
        t0 = math.floor(c.t * fps + 1e-6) / fps
        image = None
        for frame in sample_frames(path, fps=fps, t0=t0, t1=t0 + 1.0 / fps, folder_fps=folder_fps):
            if frame.index == c.frame:
                image = frame.image
        if image is None:   # pragma: no cover - the frame decoded once; a second decode must find it
            raise RuntimeError(f"frame {c.frame} of {path} could not be decoded again")
        d = Detection(int(c.x0), int(c.y0), int(c.x1), int(c.y1), 1.0, tuple(c.lm))
        crop, origin = crop_face(image, d, params.tracker.crop_margin)
        ob = FaceObs(int(c.frame), float(c.t), d, 0.0, np.zeros(0, np.float32), index=int(c.det_index))
        r = embed_face(matcher, gallery, params, ob, crop, origin)
        rows.append({"track_id": c.track_id, "frame": c.frame, "t": c.t, "sims": r["sims"],
                     "embedding": r["embedding"]})
    out = pd.DataFrame(rows, columns=["track_id", "frame", "t", "sims", "embedding"])
    out.attrs["re_embedded"] = len(missing)
    return out


def spec_dict(spec: ChunkSpec) -> dict:
    d = asdict(spec)
    if math.isinf(d["t1"]):
        d["t1"] = None
    return d
