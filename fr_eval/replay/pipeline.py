"""Replay: run a deployment bundle's footage through a matcher and record everything.

:func:`replay` is the Python API behind ``fr-eval replay``::

    footage -> detections -> tracks -> candidate scores -> alerts

The run is built in ``RUN.partial/`` under a lock and renamed to ``RUN`` only when every table is written and
the manifest sealed, so a folder named ``RUN`` is always a complete run and an interrupted replay never damages
an earlier one.  ``resume=True`` continues a ``RUN.partial/`` left by an interrupted replay, redoing only
unfinished chunks.  Chunking, workers and the scheduler change no number (:mod:`fr_eval.replay.chunks`).
"""

from __future__ import annotations

import math
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fr_eval.errors import InputError
from fr_eval.inputs.bundle import Bundle, load_bundle
from fr_eval.replay.chunks import ChunkParams, ChunkSpec, embed_missing, is_done, plan_chunks, track_footage
from fr_eval.replay.coverage import footage_coverage
from fr_eval.replay.footage import probe
from fr_eval.replay.matchers.registry import load_matcher
from fr_eval.replay.run_folder import (
    OutLock,
    copy_metadata,
    hash_inputs,
    jsonable,
    new_manifest,
    now,
    prepare_folders,
    swap_into_place,
)
from fr_eval.replay.scoring import score_tracks
from fr_eval.replay.tracking import TrackerParams
from fr_eval.signature import for_run
from fr_eval.store.atomic import write_parquet
from fr_eval.store.runs import MANIFEST, TABLES, read_manifest, seal, table_rows, write_manifest, write_part

#: limits on the options that shape the work (a hostile or mistyped value is refused, not run)
MIN_CHUNK_S, MAX_CHUNKS = 0.5, 100_000
MAX_TOP_K, MAX_FACES_PER_TRACK, MAX_FPS = 10_000, 100, 240.0


@dataclass
class ReplayOptions:
    """Everything that changes a replay's numbers (recorded in the manifest and the signature)."""

    matcher: str | None = None           # default: the bundle's matcher; or DETECTOR+EMBEDDER
    detector: str | None = None          # instead of matcher: the detector half (the embedder: the bundle's)
    embedder: str | None = None          # instead of matcher: the embedder half
    matcher_options: dict[str, Any] = field(default_factory=dict)
    fps: float = 5.0
    threshold: float | None = None       # default: the bundle's operated threshold
    top_k: int = 10
    keep_embeddings: bool = False
    tracker: TrackerParams = field(default_factory=TrackerParams)

    def numbers_params(self) -> dict[str, Any]:
        d = asdict(self)
        del d["detector"], d["embedder"]     # resolved into ``matcher`` (the spec) by preflight
        d["tracker"] = self.tracker.as_dict()
        return d


@dataclass
class ExecOptions:
    """How the work is run: none of it changes a number (not in the signature)."""

    workers: int | None = None           # None: every core
    scheduler: str | None = None         # tcp://HOST:PORT for dask.distributed
    chunk_s: float | None = None         # None: chosen from the footage and the workers
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


def check_options(options: ReplayOptions, execution: ExecOptions) -> None:
    """Refuse option values that are out of range, not finite, or would plan absurd work."""
    def finite(x) -> bool:
        return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)

    if not finite(options.fps) or not 0 < options.fps <= MAX_FPS:
        raise InputError(f"--fps must be a number in (0, {MAX_FPS:g}], got {options.fps}")
    if not isinstance(options.top_k, int) or not 1 <= options.top_k <= MAX_TOP_K:
        raise InputError(f"--top-k must be a whole number from 1 to {MAX_TOP_K}, got {options.top_k}")
    kb = options.tracker.keep_best
    if not isinstance(kb, int) or not 1 <= kb <= MAX_FACES_PER_TRACK:
        raise InputError(f"--faces-per-track must be a whole number from 1 to {MAX_FACES_PER_TRACK}, got {kb}",
                         hint="a track with no embedded face can never alert")
    if options.threshold is not None and not finite(options.threshold):
        raise InputError(f"--threshold must be a number, got {options.threshold}")
    if execution.chunk_s is not None and (not finite(execution.chunk_s) or execution.chunk_s < MIN_CHUNK_S):
        raise InputError(f"--chunk-seconds must be at least {MIN_CHUNK_S:g}, got {execution.chunk_s}")
    if execution.workers is not None and (not isinstance(execution.workers, int) or execution.workers < 1):
        raise InputError(f"--workers must be at least 1, got {execution.workers}")


def auto_chunk_seconds(total_s: float, workers: int) -> float:
    """Chunk length from the footage and the workers: about four chunks a worker, 10 s to 5 min each."""
    if not math.isfinite(total_s) or total_s <= 0:
        return 60.0
    return float(min(300.0, max(10.0, math.ceil(total_s / (4 * max(1, workers))))))


def preflight(bundle_path: str | Path, options: ReplayOptions, say: Callable[[str], None] = lambda m: None
              ) -> tuple[Bundle, Any, str, float]:
    """Every check a replay makes before any work: the bundle (with its media), the matcher and its options,
    the threshold in the matcher's range.  ``fr-eval validate`` runs the same (one owner of "is this bundle
    replayable")."""
    from fr_eval.replay.matchers.registry import matcher_spec

    bundle_peek = load_bundle(bundle_path, check_media=False)
    name = matcher_spec(options.matcher, options.detector, options.embedder, bundle_peek.matcher)
    matcher = load_matcher(name, **options.matcher_options)
    bundle = load_bundle(bundle_path, check_media=not matcher.imports_scores)
    threshold = bundle.threshold if options.threshold is None else float(options.threshold)
    if options.threshold is None and bundle.matcher != name:
        threshold = matcher.default_threshold
        say(f"note: the bundle's threshold is for matcher {bundle.matcher!r}; using {name}'s default {threshold}")
    matcher.check_threshold(threshold)
    return bundle, matcher, name, threshold


def validate(bundle_path: str | Path, options: ReplayOptions | None = None, *, enrol: bool = True
             ) -> dict[str, Any]:
    """What ``fr-eval validate`` checks: :func:`preflight`, every footage probed, and (by default) the
    watchlist enrolled with the matcher -- what a replay would refuse, without replaying."""
    options = options or ReplayOptions()
    bundle, matcher, name, threshold = preflight(bundle_path, options)
    footage_s = 0.0
    if not matcher.imports_scores:
        for f in bundle.footage:
            d = probe(f.path, f.fps).duration_s
            footage_s += d if math.isfinite(d) else 0.0
        if enrol:
            from fr_eval.replay.enrolment import enrol as run_enrol

            run_enrol(bundle, matcher)
    return {"bundle": bundle, "matcher": name, "threshold": threshold, "footage_s": footage_s, "enrolled": enrol}


def replay(bundle_path: str | Path, out: str | Path, options: ReplayOptions | None = None,
           execution: ExecOptions | None = None, on_event: Callable[[str], None] | None = None,
           command: str | None = None) -> ReplayResult:
    """Replay a bundle into the run folder ``out``.

    ``command`` is the command line that asked for it, recorded in the manifest as given.

    Examples
    --------
    >>> result = replay("datasets/hamilton", "runs/demo")          # doctest: +SKIP
    >>> result.summary["alerts"]                                   # doctest: +SKIP
    2
    """
    options = options or ReplayOptions()
    execution = execution or ExecOptions()
    say = on_event or (lambda msg: None)
    out = Path(out)
    work = out.with_name(out.name + ".partial")
    started_wall = time.perf_counter()
    check_options(options, execution)

    bundle, matcher, name, threshold = preflight(bundle_path, options, say)

    with OutLock(out):
        prepare_folders(out, work, overwrite=execution.overwrite, resume=execution.resume, bundle_root=bundle.root)
        made_work = not work.exists()
        try:
            return _replay_locked(bundle, matcher, name, threshold, options, execution, out, work, say, command,
                                  started_wall)
        except InputError:
            # a refusal before anything was replayed (a watchlist photo without a face, ...): the work folder
            # this call made holds nothing worth resuming, so the corrected rerun is not taken for a resume
            if made_work and (work.exists() and not any((work / "chunks").glob("*.done.json"))):
                from fr_eval.store.ownership import remove_own_folder

                remove_own_folder(work, "run", protect=[bundle.root])
            raise


def _replay_locked(bundle, matcher, name, threshold, options, execution, out, work, say, command, started_wall
                   ) -> ReplayResult:
    extra = matcher.input_files(bundle.root) if matcher.imports_scores else {}
    inputs = hash_inputs(bundle, include_media=not matcher.imports_scores, extra=extra)
    numbers = options.numbers_params()
    numbers.update(matcher=name, threshold=threshold, matcher_options=matcher.parameters())
    numbers = jsonable(numbers)
    manifest_path = work / MANIFEST
    if manifest_path.is_file():
        old = read_manifest(work)
        if old.get("parameters") != numbers or old.get("inputs") != inputs:
            raise InputError(f"{work}: the interrupted replay used other parameters or inputs",
                             hint="resume with the same options, or start again with --overwrite")
        manifest = old
        say(f"resuming {work}")
    else:
        manifest = new_manifest(bundle, matcher, numbers, inputs, command)
    work.mkdir(parents=True, exist_ok=True)
    write_manifest(work, manifest)             # first, so that the folder says whose it is from the start
    copy_metadata(bundle, work / "bundle")
    if matcher.imports_scores:
        _import_scores(bundle, matcher, threshold, options, work, manifest)
        footage_s = 0.0
    else:
        footage_s = _replay_footage(bundle, matcher, name, threshold, options, execution, work, manifest, say)
    wall = time.perf_counter() - started_wall
    shutil.rmtree(work / "chunks", ignore_errors=True)
    manifest["timings"] = {"wall_s": round(wall, 3), "finished": now()}
    manifest["complete"] = True
    seal(work, manifest)
    manifest["summary"] = _summary(work, manifest, footage_s, wall)
    manifest["signature"] = for_run(manifest).short()
    write_manifest(work, manifest)
    swap_into_place(work, out, bundle.root)
    return ReplayResult(out, manifest)


# -- footage -------------------------------------------------------------------------------------

def _replay_footage(bundle, matcher, name, threshold, options, execution, work, manifest, say) -> float:
    from fr_eval.replay.executors import run_chunks, start_pool

    workers = execution.workers or os.cpu_count() or 1
    metas = [_probe(f) for f in bundle.footage]
    total = sum(m["duration_s"] for m in metas if math.isfinite(m["duration_s"]))
    # a resumed replay keeps the chunk plan it started with (the done chunks are of that plan)
    chunk_s = (manifest.get("chunks") or {}).get("seconds") or execution.chunk_s or auto_chunk_seconds(total, workers)
    specs = [s for f, m in zip(bundle.footage, metas)
             for s in plan_chunks(f.index, f.path.resolve(), f.camera, m["duration_s"], fps=options.fps,
                                  chunk_s=chunk_s, folder_fps=f.fps if f.is_frame_folder else None)]
    if len(specs) > MAX_CHUNKS:
        raise InputError(f"--chunk-seconds {chunk_s:g} plans {len(specs):,} chunks (at most {MAX_CHUNKS:,})",
                         hint="use longer chunks")
    pending = [s for s in specs if not is_done(work, s)]
    # a large watchlist is worth the workers even when the footage is one chunk (enrolment runs on them too)
    n_tasks = max(len(pending), workers if len(bundle.watchlist) >= 200 else 0)
    pool = start_pool(execution.workers, n_tasks, name, options.matcher_options, execution.scheduler)
    try:
        enrolment, gallery = _enrolment(bundle, matcher, work, resume=(work / "enrolment.parquet").is_file(),
                                        mapper=pool.map if pool is not None else None, progress=execution.progress)
        manifest["footage"] = metas
        manifest["chunks"] = {"planned": len(specs), "seconds": chunk_s,
                              "retries": manifest.get("chunks", {}).get("retries", {})}
        write_manifest(work, manifest)
        params = ChunkParams(threshold=threshold, tracker=options.tracker, keep_embeddings=options.keep_embeddings,
                             threads=1 if workers > 1 else 0)
        if len(pending) < len(specs):
            say(f"{len(specs) - len(pending)} of {len(specs)} chunks already done; replaying {len(pending)}")
        est = {s.name: _frames_in(s, metas[s.footage]["duration_s"]) for s in specs}
        _, retries = run_chunks(pending, matcher_name=name, matcher_options=options.matcher_options,
                                gallery=gallery, params=params, run=work.resolve(), execution=execution,
                                est_frames=est, matcher=matcher, pool=pool)
    finally:
        if pool is not None:
            pool.close()
    for k, v in retries.items():
        manifest["chunks"]["retries"][k] = manifest["chunks"]["retries"].get(k, 0) + v
    _finalise(bundle, specs, enrolment, gallery, matcher, threshold, options, params, work, manifest)
    return sum(c["decoded_s"] for c in manifest["coverage"])


def _probe(f) -> dict[str, Any]:
    info = probe(f.path, f.fps)
    return {"path": f.rel, "camera": f.camera, "start_time": f.start_time.isoformat(), "kind": info.kind,
            "duration_s": info.duration_s, "fps": info.fps, "width": info.width, "height": info.height,
            "frames": info.frames, "codec": info.codec}


def _enrolment(bundle: Bundle, matcher, work: Path, resume: bool, mapper=None, progress: bool = False
               ) -> tuple[pd.DataFrame, np.ndarray]:
    path = work / "enrolment.parquet"
    if resume and path.is_file():
        table = pd.read_parquet(path)
        gallery = np.vstack([np.asarray(v, dtype=np.float32) for v in table["template"]])
        return table.drop(columns="template"), gallery
    from fr_eval.replay.enrolment import enrol

    table, gallery = enrol(bundle, matcher, mapper=mapper, progress=progress)
    write_parquet(path, table.assign(template=[g.tolist() for g in gallery]))
    return table, gallery


def _frames_in(spec: ChunkSpec, duration: float) -> int:
    end = min(spec.t1, duration) if duration == duration else spec.t1
    if end == float("inf"):
        return 0
    return max(0, int(round((end - spec.t0) * spec.fps)))


def _finalise(bundle, specs, enrolment, gallery, matcher, threshold, options, params, work, manifest) -> None:
    """Track each footage whole, embed what the chunks did not, score, write the tables and the coverage."""
    from fr_eval.replay.chunks import read_chunk

    subjects = enrolment["subject_id"].tolist()
    coverage, problems, stats_all, re_embedded = [], [], [], 0
    for f in bundle.footage:
        fspecs = [s for s in specs if s.footage == f.index]
        chunk_stats = [read_chunk(work, s)[2] for s in fspecs]
        stats_all += chunk_stats
        meta = manifest["footage"][f.index]
        size = (int(meta["width"]), int(meta["height"])) if meta.get("width") and meta.get("height") else None
        ft = track_footage(work, fspecs, options.tracker, f.camera, f.index, frame_size=size)
        faces = embed_missing(ft, f.path.resolve(), options.fps, f.fps if f.is_frame_folder else None, matcher,
                              gallery, params)
        re_embedded += int(faces.attrs.get("re_embedded", 0))
        tables = score_tracks(ft.tracks, faces, subjects, threshold=threshold, top_k=options.top_k,
                              footage=f.index, camera=f.camera, footage_start=f.start_time,
                              keep_embeddings=options.keep_embeddings)
        det = ft.detections.assign(footage=f.index, camera=f.camera)
        tables["detections"] = det
        for name in TABLES:
            if len(tables[name]):
                write_part(work, name, f"{f.index:02d}", tables[name])
        cov = footage_coverage(meta, chunk_stats, [(s.t0, s.t1) for s in fspecs], options.fps)
        coverage.append(cov)
        for s, st in zip(fspecs, chunk_stats):
            if st.get("decode_error"):
                problems.append({"footage": f.rel, "chunk": s.name, "broke_at_s": st["broke_at_s"],
                                 "error": st["decode_error"]})
        if cov["gaps"] and not any(p["footage"] == f.rel for p in problems):
            a, b = cov["gaps"][-1]
            problems.append({"footage": f.rel, "chunk": fspecs[-1].name, "broke_at_s": a,
                             "error": f"stream ended at {a:.2f} s but the file says {b:.2f} s (truncated?)"})
    manifest["coverage"] = coverage
    manifest["decode_problems"] = problems
    manifest["chunks"]["stats"] = stats_all
    manifest["chunks"]["re_embedded"] = re_embedded


# -- imported scores -------------------------------------------------------------------------------

def _import_scores(bundle, matcher, threshold, options, work, manifest) -> None:
    from fr_eval.replay.score_import import imported_tables

    subjects = sorted(bundle.watchlist["subject_id"])
    log = matcher.read_scores(bundle.root, set(bundle.cameras), set(subjects))
    manifest["footage"] = [{"path": f.rel, "camera": f.camera, "start_time": f.start_time.isoformat(),
                            "kind": "scores", "duration_s": None, "fps": None, "width": None, "height": None,
                            "frames": None, "codec": None} for f in bundle.footage]
    manifest["chunks"] = {"planned": 0, "retries": {}}
    for index, tables in imported_tables(bundle, log, subjects, threshold=threshold, top_k=options.top_k).items():
        for name in ("tracks", "candidates", "alerts"):
            if len(tables[name]):
                write_part(work, name, f"{index:02d}", tables[name])


def _summary(work: Path, manifest: dict, footage_s: float, wall: float) -> dict[str, Any]:
    frames = sum(s.get("frames_sampled", 0) for s in manifest.get("chunks", {}).get("stats", []))
    return {"footage_s": round(footage_s, 3), "frames": frames,
            "faces": table_rows(work, "detections", manifest), "tracks": table_rows(work, "tracks", manifest),
            "candidates": table_rows(work, "candidates", manifest), "alerts": table_rows(work, "alerts", manifest),
            "wall_s": round(wall, 3),
            "realtime_factor": round(wall / footage_s, 4) if footage_s else None,
            "speed_x_realtime": round(footage_s / wall, 3) if footage_s and wall else None,
            "retries": sum(manifest.get("chunks", {}).get("retries", {}).values()),
            "re_embedded": manifest.get("chunks", {}).get("re_embedded", 0),
            "decode_problems": len(manifest.get("decode_problems", []))}
