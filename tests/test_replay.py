"""Replay end to end with the real dlib matcher on real photos and the real clip."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from bundlefactory import copy_photo, face_crop, walking_frames, write_bundle
from fr_eval.errors import InputError
from fr_eval.replay.pipeline import ExecOptions, ReplayOptions, replay
from fr_eval.store.runs import TABLES, read_manifest, read_table

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def walk_bundle(tmp_path_factory):
    """Obama (watchlisted) and Biden (not) walk across 12 frames at 5 fps."""
    from conftest import EXAMPLES

    if not EXAMPLES.is_dir():
        pytest.skip("example photos absent")
    root = tmp_path_factory.mktemp("walk")
    obama = face_crop(EXAMPLES / "obama2.jpg", 110)
    biden = face_crop(EXAMPLES / "train_biden_biden2.jpg", 110)
    boxes = walking_frames(root / "footage" / "cam1", [(obama, 0, 7), (biden, 4, 12)], n=12, size=(480, 300))
    wl = [{"subject_id": "obama", "image": copy_photo(EXAMPLES / "obama.jpg", root / "watchlist")},
          {"subject_id": "harington", "image": copy_photo(EXAMPLES / "train_kit_harington_john1.jpeg", root / "watchlist")},
          {"subject_id": "leslie", "image": copy_photo(EXAMPLES / "train_rose_leslie_img1.jpg", root / "watchlist")}]
    truth = [{"passage_id": "p1", "camera": "cam1", "t_start": 0.0, "t_end": 1.2, "subject_id": "obama",
              "person_id": "obama", "plant": "true"},
             {"passage_id": "p2", "camera": "cam1", "t_start": 0.8, "t_end": 2.2, "subject_id": "",
              "person_id": "biden", "plant": "false"}]
    write_bundle(root, footage=[{"path": "footage/cam1", "camera": "cam1", "fps": 5}], watchlist=wl, truth=truth)
    return root, boxes


def _replay(bundle, out, **kw):
    ex = ExecOptions(workers=kw.pop("workers", 1), progress=False, resume=kw.pop("resume", False),
                     overwrite=kw.pop("overwrite", False), chunk_s=kw.pop("chunk_s", None))
    return replay(bundle, out, ReplayOptions(**kw), ex)


def test_watchlisted_walker_alerts_and_bystander_does_not(walk_bundle, tmp_path):
    bundle, boxes = walk_bundle
    result = _replay(bundle, tmp_path / "run", chunk_s=60)
    tracks = read_table(result.run, "tracks")
    alerts = read_table(result.run, "alerts")
    assert len(tracks) == 2, tracks[["track_id", "t_start", "t_end", "n_detections"]]
    assert list(alerts["subject_id"]) == ["obama"]
    obama_track = tracks.set_index("track_id").loc[alerts["track_id"].iloc[0]]
    assert obama_track["t_start"] == 0.0 and obama_track["t_end"] == pytest.approx(1.2)
    # every embedded face is one of at most 3 best faces per track: fewer embeddings than detections
    det = read_table(result.run, "detections")
    assert det["embedded"].sum() <= 3 * len(tracks) < len(det)
    # the biden track's best candidate stays below the threshold
    cands = read_table(result.run, "candidates")
    other = cands[cands["track_id"] != alerts["track_id"].iloc[0]]
    assert other["similarity"].max() < 0.5
    assert set(cands.groupby("track_id").size()) == {3}  # top-k capped by the watchlist size
    # privacy: only the alerted track keeps an embedding
    kept = tracks[tracks["embedding"].notna()]
    assert list(kept["track_id"]) == [alerts["track_id"].iloc[0]]
    m = read_manifest(result.run)
    assert m["complete"] and m["summary"]["alerts"] == 1 and m["summary"]["frames"] == 12
    assert set(m["inputs"]["files"]) >= {"footage/cam1", "watchlist/obama.jpg", "watchlist.csv", "deployment.yaml"}
    assert (result.run / "bundle" / "truth.csv").is_file()
    assert not (result.run / "chunks").exists()


def test_chunked_runs_identical_for_one_and_two_workers(walk_bundle, tmp_path):
    bundle, _ = walk_bundle
    one = _replay(bundle, tmp_path / "one", chunk_s=0.8, workers=1)
    two = _replay(bundle, tmp_path / "two", chunk_s=0.8, workers=2)
    for name in TABLES:
        pd.testing.assert_frame_equal(read_table(one.run, name), read_table(two.run, name))
    # a track that crosses chunk boundaries is one track, not one per chunk
    assert len(read_table(one.run, "tracks")) == 2
    assert read_manifest(one.run)["summary"]["frames"] == 12


def test_resume_after_interruption_loses_nothing(walk_bundle, tmp_path, monkeypatch):
    import fr_eval.replay.executors as ex

    bundle, _ = walk_bundle
    reference = _replay(bundle, tmp_path / "ref", chunk_s=0.8)
    real = ex.process_chunk
    calls = []

    def flaky(spec, *a, **k):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(spec.name)
        return real(spec, *a, **k)

    monkeypatch.setattr(ex, "process_chunk", flaky)
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        _replay(bundle, out, chunk_s=0.8)
    assert not out.exists()  # no folder that looks like a finished run
    partial = out.with_name("run.partial")
    assert not read_manifest(partial)["complete"]
    assert len(list((partial / "chunks").glob("*.done.json"))) == 2
    with pytest.raises(InputError, match="--resume"):
        _replay(bundle, out, chunk_s=0.8)
    monkeypatch.setattr(ex, "process_chunk", real)
    done_before = calls[:]
    resumed = _replay(bundle, out, chunk_s=0.8, resume=True)
    for name in TABLES:
        pd.testing.assert_frame_equal(read_table(reference.run, name), read_table(resumed.run, name))
    assert done_before == ["00-0000", "00-0001"]


def test_resume_refuses_other_parameters(walk_bundle, tmp_path, monkeypatch):
    import fr_eval.replay.executors as ex

    bundle, _ = walk_bundle
    monkeypatch.setattr(ex, "process_chunk", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        _replay(bundle, tmp_path / "run", chunk_s=0.8)
    with pytest.raises(InputError, match="other parameters"):
        _replay(bundle, tmp_path / "run", chunk_s=0.8, fps=2, resume=True)


def test_existing_run_needs_overwrite_and_survives_until_replaced(walk_bundle, tmp_path):
    bundle, _ = walk_bundle
    first = _replay(bundle, tmp_path / "run", threshold=0.5)
    with pytest.raises(InputError, match="--overwrite"):
        _replay(bundle, tmp_path / "run")
    assert read_manifest(first.run)["parameters"]["threshold"] == 0.5, "a refused replay must leave the run as it was"
    second = _replay(bundle, tmp_path / "run", threshold=0.99, overwrite=True)
    assert read_manifest(second.run)["parameters"]["threshold"] == 0.99
    assert len(read_table(second.run, "alerts")) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_threshold_outside_matcher_range_is_refused(walk_bundle, tmp_path):
    bundle, _ = walk_bundle
    with pytest.raises(InputError, match="outside"):
        _replay(bundle, tmp_path / "run", threshold=1.7)
    assert not (tmp_path / "run").exists()


def test_scores_matcher_imports_a_vendor_log(walk_bundle, tmp_path):
    bundle, _ = walk_bundle
    log = tmp_path / "vendor.csv"
    pd.DataFrame([{"camera": "cam1", "t": 0.4, "subject_id": "obama", "score": 0.71, "event_id": "e1"},
                  {"camera": "cam1", "t": 0.6, "subject_id": "obama", "score": 0.80, "event_id": "e1"},
                  {"camera": "cam1", "t": 0.6, "subject_id": "leslie", "score": 0.20, "event_id": "e1"},
                  {"camera": "cam1", "t": 1.5, "subject_id": "leslie", "score": 0.55, "event_id": "e2"}]
                 ).to_csv(log, index=False)
    res = _replay(bundle, tmp_path / "run", matcher="scores", matcher_options={"path": str(log)}, threshold=0.7)
    alerts = read_table(res.run, "alerts")
    assert list(alerts["subject_id"]) == ["obama"] and alerts["t"].iloc[0] == 0.4
    assert alerts["similarity"].iloc[0] == pytest.approx(0.80)
    cands = read_table(res.run, "candidates")
    assert len(cands) == 3 and read_manifest(res.run)["matcher"]["name"] == "scores"


@pytest.mark.slow
def test_real_clip_alerts_performer_and_not_absent_people(examples_dir, tmp_path):
    """The shared Hamilton clip: Miranda is alerted; people absent from the clip are not."""
    root = tmp_path / "b"
    wl = [{"subject_id": "miranda", "image": copy_photo(examples_dir / "lin-manuel-miranda.png", root / "watchlist")},
          {"subject_id": "harington", "image": copy_photo(examples_dir / "train_kit_harington_john1.jpeg", root / "watchlist")},
          {"subject_id": "leslie", "image": copy_photo(examples_dir / "train_rose_leslie_img1.jpg", root / "watchlist")},
          {"subject_id": "biden", "image": copy_photo(examples_dir / "biden.jpg", root / "watchlist")}]
    (root / "footage").mkdir(parents=True)
    shutil.copyfile(examples_dir / "short_hamilton_clip.mp4", root / "footage" / "clip.mp4")
    write_bundle(root, footage=[{"path": "footage/clip.mp4", "camera": "stage"}], watchlist=wl)
    res = _replay(root, tmp_path / "run")
    alerts = read_table(res.run, "alerts")
    assert "miranda" in set(alerts["subject_id"])
    assert not {"harington", "leslie"} & set(alerts["subject_id"])
    m = read_manifest(res.run)
    assert m["footage"][0]["width"] == 640 and m["summary"]["frames"] == 46
    assert json.dumps(m)  # manifest is plain JSON
