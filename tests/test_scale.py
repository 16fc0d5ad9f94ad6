"""Scale: identical tables for 1 worker, 2 workers and a Dask cluster; a real worker kill loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from bundlefactory import copy_photo, face_crop, walking_frames, write_bundle
from fr_eval.replay.pipeline import ExecOptions, ReplayOptions, replay
from fr_eval.store.runs import TABLES, read_manifest, read_table

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
CHUNK_S = 2.0


@pytest.fixture(scope="module")
def long_walk(tmp_path_factory):
    """60 frames (12 s at 5 fps): three people walk through, one watchlisted, across chunk boundaries."""
    from conftest import EXAMPLES

    if not EXAMPLES.is_dir():
        pytest.skip("example photos absent")
    root = tmp_path_factory.mktemp("longwalk")
    faces = [(face_crop(EXAMPLES / "obama2.jpg", 110), 3, 25),
             (face_crop(EXAMPLES / "train_biden_biden2.jpg", 110), 20, 45),
             (face_crop(EXAMPLES / "train_kit_harington_john2.jpeg", 110), 38, 60)]
    walking_frames(root / "footage" / "cam1", faces, n=60, size=(480, 300))
    wl = [{"subject_id": "obama", "image": copy_photo(EXAMPLES / "obama.jpg", root / "watchlist")},
          {"subject_id": "leslie", "image": copy_photo(EXAMPLES / "train_rose_leslie_img1.jpg", root / "watchlist")}]
    write_bundle(root, footage=[{"path": "footage/cam1", "camera": "cam1", "fps": 5}], watchlist=wl)
    return root


@pytest.fixture(scope="module")
def reference(long_walk, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "run"
    return replay(long_walk, out, ReplayOptions(), ExecOptions(workers=1, chunk_s=CHUNK_S, progress=False)).run


def assert_same_tables(a: Path, b: Path):
    for name in TABLES:
        pd.testing.assert_frame_equal(read_table(a, name), read_table(b, name), check_like=False)


def test_reference_counts_each_passage_once(reference):
    tracks = read_table(reference, "tracks")
    assert len(tracks) == 3, tracks[["track_id", "t_start", "t_end"]]
    assert read_manifest(reference)["chunks"]["planned"] == 6
    assert list(read_table(reference, "alerts")["subject_id"]) == ["obama"]
    det = read_table(reference, "detections")
    assert not det.duplicated(["frame", "x0", "y0"]).any()  # no detection counted twice across chunks


def test_two_local_workers_match_one(long_walk, reference, tmp_path):
    run = replay(long_walk, tmp_path / "run", ReplayOptions(),
                 ExecOptions(workers=2, chunk_s=CHUNK_S, progress=False)).run
    assert_same_tables(reference, run)


def test_dask_local_cluster_matches_local_run(long_walk, reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  host="127.0.0.1") as cluster:
        run = replay(long_walk, tmp_path / "run", ReplayOptions(),
                     ExecOptions(scheduler=cluster.scheduler_address, chunk_s=CHUNK_S, progress=False)).run
    assert_same_tables(reference, run)


def _children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                out.append(int(p.name))
    return out


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find worker processes")
def test_killed_worker_loses_only_its_chunk(long_walk, reference, tmp_path):
    out = tmp_path / "run"
    code = ("import sys; from fr_eval.replay.pipeline import *; "
            f"replay({str(long_walk)!r}, {str(out)!r}, ReplayOptions(), "
            f"ExecOptions(workers=2, chunk_s={CHUNK_S}, progress=False))")
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
    chunks = out.with_name("run.partial") / "chunks"
    killed = None
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if chunks.is_dir() and any(chunks.glob("*.done.json")):
            workers = [c for c in _children(proc.pid) if "spawn_main" in _cmdline(c)]
            if workers:
                killed = workers[0]
                os.kill(killed, signal.SIGKILL)
                break
        time.sleep(0.05)
    _, err = proc.communicate(timeout=300)
    assert killed is not None, "no worker process was found to kill"
    assert proc.returncode == 0, err
    manifest = read_manifest(out)
    assert sum(manifest["chunks"]["retries"].values()) >= 1
    assert_same_tables(reference, out)  # no event lost, none counted twice


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find worker processes")
def test_killed_replay_leaves_no_worker_behind(long_walk, tmp_path):
    """kill -9 of a -j2 replay left its workers alive (about 250 MB each); one wrote a chunk 8 s later."""
    out = tmp_path / "run"
    code = ("import sys; from fr_eval.replay.pipeline import *; "
            f"replay({str(long_walk)!r}, {str(out)!r}, ReplayOptions(), "
            f"ExecOptions(workers=2, chunk_s={CHUNK_S}, progress=False))")
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL)
    workers: list[int] = []
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not workers:
        workers = [c for c in _children(proc.pid) if "spawn_main" in _cmdline(c)]
        time.sleep(0.05)
    assert workers, "no worker process started"
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.time() + 10
    while time.time() < deadline and any(Path(f"/proc/{w}").exists() and _state(w) != "Z" for w in workers):
        time.sleep(0.1)
    alive = [w for w in workers if Path(f"/proc/{w}").exists() and _state(w) != "Z"]
    assert not alive, f"workers {alive} outlived their killed parent"
    chunks = out.with_name("run.partial") / "chunks"
    before = sorted(p.name for p in chunks.glob("*")) if chunks.is_dir() else []
    time.sleep(2.0)
    after = sorted(p.name for p in chunks.glob("*")) if chunks.is_dir() else []
    assert before == after, "a chunk was written after the replay was killed"


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "X"
