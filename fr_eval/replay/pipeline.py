"""Replay: run a deployment bundle's footage through a matcher and record everything.

:func:`replay` is the Python API behind ``fr-eval replay``::

    footage -> detections -> tracks -> candidate scores -> alerts

The run is built in ``RUN.partial/`` and renamed to ``RUN`` only when every
table is written, so a folder named ``RUN`` is always a complete run and an
interrupted replay never damages an earlier one.  ``resume=True`` continues a
``RUN.partial/`` left by an interrupted replay, redoing only unfinished chunks.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from fr_eval import __version__
from fr_eval.replay.scoring import score_tracks
from fr_eval.store.atomic import write_parquet
from fr_eval.inputs.bundle import Bundle, load_bundle
from fr_eval.replay.chunks import ChunkParams, ChunkSpec, is_done, plan_chunks, stitch
from fr_eval.errors import InputError
from fr_eval.replay.footage import footage_digest, probe
from fr_eval.replay.matchers.base import sha256_file
from fr_eval.replay.matchers.registry import load_matcher
from fr_eval.store.runs import MANIFEST, TABLES, read_manifest, write_manifest, write_part
from fr_eval.signature import run_signature
from fr_eval.replay.tracking import TrackerParams


@dataclass
class ReplayOptions:
    """Everything that changes a replay's numbers (recorded in the manifest)."""

    matcher: str | None = None           # default: the bundle's matcher
    matcher_options: dict[str, Any] = field(default_factory=dict)
    fps: float = 5.0
    threshold: float | None = None       # default: the bundle's operated threshold
    top_k: int = 10
    chunk_s: float = 60.0
    overlap_s: float = 2.0
    keep_embeddings: bool = False
    tracker: TrackerParams = field(default_factory=TrackerParams)

    def numbers_params(self) -> dict[str, Any]:
        d = asdict(self)
        d["tracker"] = self.tracker.as_dict()
        return d


@dataclass
class ExecOptions:
    """How the work is run (does not change the numbers)."""

    workers: int | None = None           # None: every core
    scheduler: str | None = None         # tcp://HOST:PORT for dask.distributed
    resume: bool = False
    overwrite: bool = False
    progress: bool = True
    max_retries: int = 2


@dataclass
class ReplayResult:
    run: Path
    manifest: dict[str, Any]

    @property
    def summary(self) -> dict[str, Any]:
        return self.manifest["summary"]


def replay(bundle_path: str | Path, out: str | Path, options: ReplayOptions | None = None,
           execution: ExecOptions | None = None, on_event: Callable[[str], None] | None = None) -> ReplayResult:
    """Replay a bundle into the run folder ``out``.

    Examples
    --------
    >>> result = replay("datasets/hamilton", "runs/demo")          # doctest: +SKIP
    >>> result.summary["alerts"]                                   # doctest: +SKIP
    1
    """
    options = options or ReplayOptions()
    execution = execution or ExecOptions()
    say = on_event or (lambda msg: None)
    out = Path(out)
    work = out.with_name(out.name + ".partial")
    started_wall = time.perf_counter()

    if options.fps <= 0:
        raise InputError(f"--fps must be positive, got {options.fps}")
    if options.top_k < 1:
        raise InputError(f"--top-k must be at least 1, got {options.top_k}")
    if options.chunk_s <= 0 or options.overlap_s < 0:
        raise InputError("--chunk-seconds must be positive and --overlap-seconds non-negative")

    name = options.matcher
    bundle_peek = load_bundle(bundle_path, check_media=False)
    name = name or bundle_peek.matcher
    matcher = load_matcher(name, **options.matcher_options)
    bundle = load_bundle(bundle_path, check_media=not matcher.imports_scores)
    threshold = bundle.threshold if options.threshold is None else float(options.threshold)
    if options.threshold is None and bundle.matcher != name:
        threshold = matcher.default_threshold
        say(f"note: the bundle's threshold is for matcher {bundle.matcher!r}; using {name}'s default {threshold}")
    matcher.check_threshold(threshold)

    _prepare_folders(out, work, execution, bundle.root)
    inputs = hash_inputs(bundle, include_media=not matcher.imports_scores)
    numbers = options.numbers_params()
    numbers.update(matcher=name, threshold=threshold)
    manifest_path = work / MANIFEST
    if manifest_path.is_file():
        old = read_manifest(work)
        if old.get("parameters") != _jsonable(numbers) or old.get("inputs") != inputs:
            raise InputError(f"{work}: the interrupted replay used other parameters or inputs",
                             hint="resume with the same options, or start again with --overwrite")
        manifest = old
        say(f"resuming {work}")
    else:
        manifest = _new_manifest(bundle, matcher, numbers, inputs)
    work.mkdir(parents=True, exist_ok=True)
    _copy_metadata(bundle, work / "bundle")

    if matcher.imports_scores:
        _import_scores(bundle, matcher, threshold, options, work, manifest)
        footage_s = 0.0
    else:
        from fr_eval.replay.executors import run_chunks, start_pool

        specs, footage_meta = _plan(bundle, options)
        pending = [s for s in specs if not is_done(work, s)]
        # workers start (imports, model files) while this process enrols the watchlist
        pool = start_pool(execution.workers, len(pending), name, options.matcher_options, execution.scheduler)
        try:
            enrolment, gallery = _enrolment(bundle, matcher, work, resume=manifest_path.is_file())
            write_manifest(work, manifest)
            manifest["footage"] = footage_meta
            manifest["chunks"] = {"planned": len(specs), "retries": manifest.get("chunks", {}).get("retries", {})}
            write_manifest(work, manifest)

            params = ChunkParams(threshold=threshold, tracker=options.tracker,
                                 keep_embeddings=options.keep_embeddings,
                                 threads=1 if (execution.workers or os.cpu_count() or 1) > 1 else 0)
            if len(pending) < len(specs):
                say(f"{len(specs) - len(pending)} of {len(specs)} chunks already done; replaying {len(pending)}")
            est_frames = {s.name: _frames_in(s, footage_meta[s.footage]["duration_s"]) for s in specs}
            stats, retries = run_chunks(pending, matcher_name=name, matcher_options=options.matcher_options,
                                        gallery=gallery, params=params, run=work, execution=execution,
                                        est_frames=est_frames, matcher=matcher, pool=pool)
        finally:
            if pool is not None:
                pool.close()
        for k, v in retries.items():
            manifest["chunks"]["retries"][k] = manifest["chunks"]["retries"].get(k, 0) + v
        _finalise_footage(bundle, specs, enrolment, threshold, options, work, manifest)
        footage_s = sum(m["duration_s"] for m in manifest["footage"] if m["duration_s"] == m["duration_s"])

    wall = time.perf_counter() - started_wall
    manifest["summary"] = _summary(work, manifest, footage_s, wall)
    manifest["timings"] = {"wall_s": round(wall, 3), "finished": _now()}
    manifest["signature"] = run_signature(manifest)
    manifest["complete"] = True
    write_manifest(work, manifest)
    shutil.rmtree(work / "chunks", ignore_errors=True)
    _swap_into_place(work, out, bundle.root)
    return ReplayResult(out, manifest)


# -- folders ----------------------------------------------------------------------

def _prepare_folders(out: Path, work: Path, execution: ExecOptions, bundle_root: Path) -> None:
    """Refuse what would lose data; clear an interrupted replay's work folder only when it is fr-eval's own."""
    from fr_eval.store.ownership import check_replaceable, kind_of, remove_own_folder

    protect = [bundle_root]
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder", hint="choose another --out")
    if out.is_dir() and any(out.iterdir()):
        if execution.overwrite:
            check_replaceable(out, "run", protect=protect)
        elif (out / MANIFEST).is_file():
            raise InputError(f"{out}: already holds a replay run", hint="use --overwrite to replace it")
        else:
            raise InputError(f"{out}: folder is not empty and is not a run", hint="choose an empty or new --out folder")
    if work.exists() or work.is_symlink():
        if execution.resume:
            if kind_of(work) != "run" or work.is_symlink():
                raise InputError(f"{work}: is not an interrupted replay of fr-eval's",
                                 hint="move it away, or choose another --out")
        elif execution.overwrite:
            remove_own_folder(work, "run", protect=protect)
        else:
            raise InputError(f"{work}: an interrupted replay is there",
                             hint="finish it with --resume, or start again with --overwrite")
    elif execution.resume:
        if (out / MANIFEST).is_file():
            raise InputError(f"{out}: the replay already finished; nothing to resume")


def _swap_into_place(work: Path, out: Path, bundle_root: Path) -> None:
    from fr_eval.store.ownership import replace_folder

    replace_folder(work, out, "run", protect=[bundle_root])


def _copy_metadata(bundle: Bundle, dest: Path) -> None:
    """Keep deployment.yaml and the CSVs with the run (small; no images or footage)."""
    for rel, src in bundle.metadata_files().items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)


# -- manifest ---------------------------------------------------------------------

def hash_inputs(bundle: Bundle, include_media: bool = True) -> dict[str, Any]:
    """SHA-256 of every input file, keyed by its path in the bundle."""
    files = {rel: sha256_file(p) for rel, p in bundle.metadata_files().items()}
    if include_media:
        for _, sub in bundle.watchlist.iterrows():
            files[sub["image"]] = sha256_file(bundle.image_path(sub["subject_id"]))
        for f in bundle.footage:
            files[f.rel] = footage_digest(f.path)
    return {"bundle_id": bundle.id, "files": dict(sorted(files.items()))}


def _new_manifest(bundle: Bundle, matcher, numbers: dict, inputs: dict) -> dict[str, Any]:
    info = matcher.info()
    return {
        "schema": "fr-eval/run/1",
        "complete": False,
        "fr_eval_version": __version__,
        "created": _now(),
        "bundle": {"id": bundle.id, "title": bundle.title, "place": bundle.place, "path": str(bundle.root.resolve()),
                   "lighting": bundle.lighting, "crowd": bundle.crowd, "start_time": bundle.start_time.isoformat(),
                   "operated_threshold": bundle.threshold, "operated_matcher": bundle.matcher},
        "matcher": asdict(info),
        "parameters": _jsonable(numbers),
        "inputs": inputs,
        "retention": {"embeddings": "all tracks" if numbers["keep_embeddings"] else "alerted tracks only",
                      "policy": "embeddings of tracks that raised no alert are not written"
                      + ("" if not numbers["keep_embeddings"] else " (overridden by --keep-embeddings)")},
        "environment": {"python": sys.version.split()[0], "platform": platform.platform(),
                        "numpy": np.__version__, "pandas": pd.__version__},
    }


def _jsonable(d):
    import json

    return json.loads(json.dumps(d, default=str))


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


# -- enrolment and planning ------------------------------------------------------

def _enrolment(bundle: Bundle, matcher, work: Path, resume: bool) -> tuple[pd.DataFrame, np.ndarray]:
    path = work / "enrolment.parquet"
    if resume and path.is_file():
        table = pd.read_parquet(path)
        gallery = np.vstack([np.asarray(v, dtype=np.float32) for v in table["template"]])
        return table.drop(columns="template"), gallery
    from fr_eval.replay.enrolment import enrol

    table, gallery = enrol(bundle, matcher)
    write_parquet(path, table.assign(template=[g.tolist() for g in gallery]))
    return table, gallery


def _plan(bundle: Bundle, options: ReplayOptions) -> tuple[list[ChunkSpec], list[dict]]:
    specs, meta = [], []
    for f in bundle.footage:
        info = probe(f.path, f.fps)
        meta.append({"path": f.rel, "camera": f.camera, "start_time": f.start_time.isoformat(), "kind": info.kind,
                     "duration_s": info.duration_s, "fps": info.fps, "width": info.width, "height": info.height,
                     "frames": info.frames, "codec": info.codec})
        specs += plan_chunks(f.index, f.path, f.camera, info.duration_s, fps=options.fps, chunk_s=options.chunk_s,
                             overlap_s=options.overlap_s, folder_fps=f.fps if f.is_frame_folder else None)
    return specs, meta


def _frames_in(spec: ChunkSpec, duration: float) -> int:
    end = min(spec.t1, duration) if duration == duration else spec.t1
    if end == float("inf"):
        return 0
    return max(0, int(round((end - spec.t0) * spec.fps)))


# -- final tables -----------------------------------------------------------------

def _finalise_footage(bundle, specs, enrolment, threshold, options, work, manifest) -> None:
    subjects = enrolment["subject_id"].tolist()
    decode = []
    for f in bundle.footage:
        fspecs = [s for s in specs if s.footage == f.index]
        detections, faces = stitch(work, fspecs)
        if len(detections):
            detections["footage"] = f.index
            detections["camera"] = f.camera
        tables = score_tracks(detections, faces, subjects, threshold=threshold, top_k=options.top_k,
                              footage=f.index, camera=f.camera, footage_start=f.start_time,
                              keep_embeddings=options.keep_embeddings)
        tables["detections"] = detections
        chunk_of = lambda tid: tid.rsplit("-", 2)[-2]  # noqa: E731  track ids carry their owning chunk
        for name in TABLES:
            df = tables[name]
            for s in fspecs:
                if len(df):
                    part = df[df["track_id"].map(chunk_of) == f"{s.chunk:04d}"]
                else:
                    part = df
                if len(part):
                    write_part(work, name, s.name, part)
        for s in fspecs:
            stats = _chunk_stats(work, s)
            if stats.get("decode_error"):
                decode.append({"footage": f.rel, "chunk": s.name, "broke_at_s": stats["broke_at_s"],
                               "error": stats["decode_error"]})
        meta = manifest["footage"][f.index]
        last = max((t for t in (_chunk_stats(work, s).get("last_t") for s in fspecs) if t is not None), default=0.0)
        expected = meta["duration_s"]
        if expected == expected and last < expected - 1.0 / options.fps - 2.0 / (meta["fps"] or 25) \
                and not any(d["footage"] == f.rel for d in decode):
            decode.append({"footage": f.rel, "chunk": fspecs[-1].name, "broke_at_s": last,
                           "error": f"stream ended at {last:.2f} s but the file says {expected:.2f} s (truncated?)"})
    manifest["decode_problems"] = decode
    manifest["chunks"]["stats"] = [_chunk_stats(work, s) for s in specs]


def _chunk_stats(work: Path, spec: ChunkSpec) -> dict:
    import json

    from fr_eval.replay.chunks import chunk_paths

    return json.loads(chunk_paths(work, spec)["done"].read_text())


def _import_scores(bundle, matcher, threshold, options, work, manifest) -> None:
    df = matcher.read_scores(bundle.root, set(bundle.cameras), set(bundle.watchlist["subject_id"]))
    cams = {f.camera: f for f in bundle.footage}
    manifest["footage"] = [{"path": f.rel, "camera": f.camera, "start_time": f.start_time.isoformat(),
                            "kind": "scores", "duration_s": float("nan"), "fps": None, "width": None, "height": None,
                            "frames": None, "codec": None} for f in bundle.footage]
    manifest["chunks"] = {"planned": 0, "retries": {}}
    for (cam,), g in df.groupby(["camera"], sort=True):
        f = cams[cam]
        g = g.copy()
        g["track_id"] = [f"{cam}-{f.index:02d}-0000-{e}" for e in g["event_id"]]
        events = g.groupby("track_id", sort=False)
        track_rows, cand_rows, alert_rows = [], [], []
        for tid, ev in events:
            best = ev.groupby("subject_id")["score"].max().sort_values(ascending=False, kind="stable")
            best = best.iloc[np.lexsort((best.index.to_numpy().astype(str), -best.to_numpy()))]
            t_at = ev.loc[ev.groupby("subject_id")["score"].idxmax()].set_index("subject_id")["t"]
            track_rows.append({"track_id": tid, "footage": f.index, "camera": cam, "t_start": ev["t"].min(),
                               "t_end": ev["t_end"].max(), "n_detections": 0, "n_embedded": 0,
                               "best_t": float(t_at[best.index[0]]), "best_x0": None, "best_y0": None,
                               "best_x1": None, "best_y1": None, "face_px": np.nan, "top_subject": best.index[0],
                               "top_similarity": float(best.iloc[0]), "alerted": bool(best.iloc[0] >= threshold),
                               "embedding": None})
            for rank, (sid, score) in enumerate(best.iloc[:options.top_k].items(), start=1):
                cand_rows.append({"track_id": tid, "camera": cam, "rank": rank, "subject_id": sid,
                                  "similarity": float(score), "t": float(t_at[sid])})
                if score >= threshold:
                    first = ev[(ev["subject_id"] == sid) & (ev["score"] >= threshold)]["t"].min()
                    alert_rows.append({"alert_id": f"{tid}:{sid}", "track_id": tid, "footage": f.index,
                                       "camera": cam, "subject_id": sid, "similarity": float(score),
                                       "t": float(first), "wall_time": (f.start_time + dt.timedelta(
                                           seconds=float(first))).isoformat(), "threshold": threshold})
        part = f"{f.index:02d}-0000"
        for name, rows in (("tracks", track_rows), ("candidates", cand_rows), ("alerts", alert_rows)):
            if rows:
                write_part(work, name, part, pd.DataFrame(rows))


def _summary(work: Path, manifest: dict, footage_s: float, wall: float) -> dict[str, Any]:
    from fr_eval.store.runs import table_dataset

    def count(name):
        dset = table_dataset(work, name)
        return int(dset.count_rows()) if dset is not None else 0

    stats = manifest.get("chunks", {}).get("stats", [])
    frames = sum(s["frames_sampled"] for s in stats)
    return {"footage_s": round(footage_s, 3), "frames": frames, "faces": count("detections"),
            "tracks": count("tracks"), "candidates": count("candidates"), "alerts": count("alerts"),
            "wall_s": round(wall, 3),
            "realtime_factor": round(wall / footage_s, 4) if footage_s else None,
            "speed_x_realtime": round(footage_s / wall, 3) if footage_s and wall else None,
            "retries": sum(manifest.get("chunks", {}).get("retries", {}).values()),
            "decode_problems": len(manifest.get("decode_problems", []))}
