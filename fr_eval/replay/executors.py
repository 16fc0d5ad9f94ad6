"""Where replay chunks run: in this process, on every local core, or on a Dask cluster.

The chunk is the unit of work and of failure.  A worker process that dies
(killed, out of memory) loses only the chunk it was on: the pool is rebuilt,
the unfinished chunks are submitted again (at most ``max_retries`` times each)
and the retries are recorded in the manifest.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np

from fr_eval.errors import InputError, RunFailed
from fr_eval.replay.chunks import ChunkParams, ChunkSpec, is_done, process_chunk

_WORKER: dict[str, Any] = {}


def die_with_parent(parent: int | None = None) -> None:
    """End this worker process when its parent dies, however the parent dies (even SIGKILL).

    On Linux the kernel is asked to send SIGKILL at the parent's death (``prctl(PR_SET_PDEATHSIG)``); a
    watchdog thread that notices the parent change does the same elsewhere.  A killed replay therefore
    leaves no worker behind, and no worker writes a chunk after its parent has gone.
    """
    import signal
    import threading
    import time

    parent = parent if parent is not None else os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)          # PR_SET_PDEATHSIG = 1
        except OSError:
            pass
    if os.getppid() != parent:                      # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(0.5)

    threading.Thread(target=watch, name="fr-eval-parent-watch", daemon=True).start()


def _init_worker(matcher_name: str, matcher_options: dict, parent: int | None = None) -> None:
    from fr_eval.replay.matchers.registry import load_matcher

    if parent is not None:
        die_with_parent(parent)
    matcher = load_matcher(matcher_name, **matcher_options)
    matcher.set_threads(1)   # one process per core: a matcher's own threads would only oversubscribe them
    _WORKER["matcher"] = matcher


def worker_matcher():
    """The matcher this worker process loaded at start."""
    return _WORKER["matcher"]


def _ready() -> None:
    """A no-op task: submitting one per worker makes the pool start its processes."""


def _run_in_worker(spec: ChunkSpec, params: ChunkParams, run: str, gallery: np.ndarray) -> dict:
    return process_chunk(spec, _WORKER["matcher"], gallery, params, Path(run))


def _run_on_dask(spec: ChunkSpec, params: ChunkParams, run: str, matcher_name: str, matcher_options: dict,
                 gallery: np.ndarray) -> dict:
    key = (matcher_name, tuple(sorted(matcher_options.items())))
    if _WORKER.get("key") != key:
        _init_worker(matcher_name, matcher_options)
        _WORKER["key"] = key
    return process_chunk(spec, _WORKER["matcher"], gallery, params, Path(run))


class WorkerPool:
    """Local worker processes, started before they are needed.

    Spawning a worker and loading its matcher takes about 1.7 s (imports and model files); started while the
    coordinator enrols the watchlist and plans the chunks, that time overlaps with the coordinator's own work
    instead of adding to the replay.  The gallery goes with each chunk, so workers need nothing from the
    enrolment to start.
    """

    def __init__(self, workers: int, matcher_name: str, matcher_options: dict):
        self.workers = workers
        self.matcher_name, self.matcher_options = matcher_name, dict(matcher_options)
        self.pool: ProcessPoolExecutor | None = self._new()
        # one task per worker makes every process start (and load its matcher) now, not on the first chunk
        for _ in range(workers):
            self.pool.submit(_ready)

    def _new(self) -> ProcessPoolExecutor:
        # the parent's pid goes with the initializer: a worker still starting when the parent is killed sees
        # at once that its parent is gone, instead of taking its new parent (init) for the real one
        return ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                                   initargs=(self.matcher_name, self.matcher_options, os.getpid()))

    def map(self, fn, items) -> list:
        """``fn`` over ``items`` on the started workers, results in the order of ``items`` (enrolment)."""
        if self.pool is None:
            self.pool = self._new()
        return list(self.pool.map(fn, items, chunksize=max(1, len(items) // (8 * self.workers))))

    def take(self) -> ProcessPoolExecutor:
        """The started pool (once); then a fresh one, e.g. after a worker died."""
        pool, self.pool = self.pool, None
        return pool or self._new()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def start_pool(workers: int | None, n_chunks: int, matcher_name: str, matcher_options: dict,
               scheduler: str | None = None) -> WorkerPool | None:
    """A started :class:`WorkerPool` when the chunks will run on local worker processes, else None."""
    workers = workers or os.cpu_count() or 1
    if scheduler or workers < 2 or n_chunks < 2:
        return None
    return WorkerPool(min(workers, n_chunks), matcher_name, matcher_options)


def run_chunks(pending: list[ChunkSpec], *, matcher_name: str, matcher_options: dict, gallery: np.ndarray,
               params: ChunkParams, run: Path, execution, est_frames: dict[str, int], matcher=None,
               pool: WorkerPool | None = None) -> tuple[list[dict], dict[str, int]]:
    """Process ``pending`` chunks; return their stats and the retries per chunk.

    ``pool``: local workers already started by :func:`start_pool`; the caller closes it.  Without one, the
    chunks run in this process or in a pool started (and closed) here, as :func:`start_pool` decides.
    """
    from tqdm import tqdm

    bar = tqdm(total=sum(est_frames.get(s.name, 0) for s in pending) or None, unit="frame", desc="replay",
               disable=not execution.progress, leave=False)
    own_pool = None
    try:
        if execution.scheduler:
            return _dask(pending, matcher_name, matcher_options, gallery, params, run, execution, bar)
        workers = execution.workers or os.cpu_count() or 1
        if workers < 1:
            raise InputError(f"--workers must be at least 1, got {workers}")
        if pool is None:
            pool = own_pool = start_pool(workers, len(pending), matcher_name, matcher_options)
        if pool is None:
            if matcher is None:
                from fr_eval.replay.matchers.registry import load_matcher
                matcher = load_matcher(matcher_name, **matcher_options)
            stats = [process_chunk(s, matcher, gallery, params, run, progress=bar.update) for s in pending]
            return stats, {}
        return _local_pool(pending, pool, gallery, params, run, execution, bar)
    finally:
        if own_pool is not None:
            own_pool.close()
        bar.close()


def _local_pool(pending, workers: WorkerPool, gallery, params, run, execution, bar):
    retries: dict[str, int] = {}
    stats: list[dict] = []
    todo = list(pending)
    while todo:
        with workers.take() as pool:
            futures = {pool.submit(_run_in_worker, s, params, str(run), gallery): s for s in todo}
            broken = False
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in done:
                    futures.pop(fut)
                    try:
                        st = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    stats.append(st)
                    bar.update(st["frames_sampled"])
                if broken:
                    break
        todo = [s for s in todo if not is_done(run, s)]
        for s in todo:
            retries[s.name] = retries.get(s.name, 0) + 1
            if retries[s.name] > execution.max_retries:
                raise RunFailed(f"chunk {s.name} failed {retries[s.name]} times (a worker died each time)",
                                hint="check memory; finished chunks are kept, rerun with --resume")
    return stats, retries


def _dask(pending, matcher_name, matcher_options, gallery, params, run, execution, bar):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InputError("--scheduler needs dask.distributed", hint="pip install 'fr-eval[distributed]'") from None
    retries: dict[str, int] = {}
    stats = []
    try:
        client = Client(execution.scheduler, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {execution.scheduler} ({exc})",
                         hint="start it with `dask scheduler` and workers with `dask worker ADDRESS`") from None
    with client:
        g = client.scatter(gallery, broadcast=True)
        futures = [client.submit(_run_on_dask, s, params, str(run), matcher_name, matcher_options, g,
                                 key=f"fr-eval-chunk-{s.name}-{os.getpid()}", pure=False,
                                 retries=execution.max_retries) for s in pending]
        for fut in as_completed(futures):
            st = fut.result()
            stats.append(st)
            bar.update(st["frames_sampled"])
        for fut in futures:
            # dask retries transparently; record how many attempts it needed where it tells us
            n = getattr(fut, "retries", None)
            if n:
                retries[fut.key] = n
    return stats, retries
