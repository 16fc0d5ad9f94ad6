"""fr-eval synth: truth against the rendered video, determinism, recipes, errors, the operator model."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fr_eval.inputs.bundle import load_bundle
from fr_eval.errors import InputError
from fr_eval.synth import SynthSpec, load_recipe, synthesize, synthesize_recipe
from cliutil import run_cli

pytestmark = pytest.mark.slow   # real matchers, footage or rendering: not in the core suite

ROOT = Path(__file__).resolve().parents[1]
MIT_CSV = ROOT / "datasets" / "synthetic" / "mit-faces.csv"
TINY = ROOT / "datasets" / "synthetic" / "mit-tiny"
SMALL = dict(duration=10.0, watchlist_size=3, plants=2, passes=2, crowd_rate=0.3, fps=10.0)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()



@pytest.fixture(scope="module")
def mit_bundle(tmp_path_factory):
    from conftest import EXAMPLES

    if not (EXAMPLES / "obama.jpg").is_file():
        pytest.skip(f"the face_recognition example photos are not at {EXAMPLES}")
    out = tmp_path_factory.mktemp("synth") / "b"
    synthesize(SynthSpec(seed=5, **SMALL), out=out, faces=MIT_CSV, faces_root=EXAMPLES)
    return out


def test_the_committed_tiny_bundle_is_valid_and_self_contained():
    b = load_bundle(TINY)
    assert b.raw["synthetic"]["seed"] == 3 and b.truth is not None and b.truth_boxes is not None
    assert b.truth["plant"].sum() == 4 and (TINY / "LICENSE").is_file()
    spec, cast, raw = load_recipe(TINY)
    assert raw["outputs"]["footage/scene.mp4"] == sha(TINY / "footage" / "scene.mp4")
    assert set(cast.plants) <= set(cast.watchlist)


def test_bundle_loads_with_truth_and_plants(mit_bundle):
    b = load_bundle(mit_bundle)
    assert (b.lighting, b.crowd) == ("day", "sparse")
    assert len(b.watchlist) == 3
    plants = b.truth[b.truth["plant"]]
    assert len(plants) == 4 and plants["subject_id"].notna().all()
    crowd = b.truth[b.truth["subject_id"].isna()]
    assert len(crowd) == 3 and not set(crowd["person_id"]) & set(b.watchlist["subject_id"])


def test_passages_match_frame_ranges(mit_bundle):
    b = load_bundle(mit_bundle)
    fps = b.raw["synthetic"]["fps"]
    for _, p in b.truth.iterrows():
        ts = np.sort(b.truth_boxes.loc[b.truth_boxes["passage_id"] == p["passage_id"], "t"].to_numpy())
        assert ts[0] == pytest.approx(p["t_start"]) and ts[-1] == pytest.approx(p["t_end"])
        frames = np.round(ts * fps).astype(int)
        assert (np.diff(frames) == 1).all(), f"{p['passage_id']}: frames not contiguous"


def test_every_truth_box_holds_the_rendered_face(mit_bundle):
    """Decode the footage; the detector's faces and the truth boxes must agree both ways."""
    import av

    from fr_eval.replay.matchers.dlib_matcher import DlibMatcher

    b = load_bundle(mit_bundle)
    boxes = b.truth_boxes
    det = DlibMatcher(upsample=1)
    checked = found = 0
    with av.open(str(mit_bundle / "footage" / "scene.mp4")) as c:
        for i, frame in enumerate(c.decode(video=0)):
            if i % 5:
                continue
            t = round(i / 10.0, 4)
            img = frame.to_ndarray(format="rgb24")
            truth = boxes[np.isclose(boxes["t"], t)]
            dets = [d.box for d in det.detect(img)]
            for d in dets:     # no face is drawn where truth has none
                cx, cy = (d[0] + d[2]) / 2, (d[1] + d[3]) / 2
                assert ((truth["x0"] <= cx) & (cx <= truth["x1"]) & (truth["y0"] <= cy) & (cy <= truth["y1"])).any(), \
                    f"frame {i}: a face at {d} is in no truth box"
            for _, r in truth[(truth["visible"] >= 0.95)].iterrows():
                w = r["x1"] - r["x0"]
                if w < 40:
                    continue
                checked += 1
                ious = [_iou(d, (r["x0"], r["y0"], r["x1"], r["y1"])) for d in dets]
                found += bool(ious) and max(ious) >= 0.4
    assert checked >= 10
    assert found / checked >= 0.8, f"only {found}/{checked} fully visible truth faces were detected"


def _iou(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_same_seed_same_bytes_other_seed_other_bytes(mit_bundle, tmp_path):
    from conftest import EXAMPLES

    again = tmp_path / "again"
    synthesize(SynthSpec(seed=5, **SMALL), out=again, faces=MIT_CSV, faces_root=EXAMPLES)
    for rel in ("footage/scene.mp4", "truth.csv", "truth_boxes.csv", "watchlist.csv", "deployment.yaml"):
        assert sha(again / rel) == sha(mit_bundle / rel), rel
    other = tmp_path / "other"
    synthesize(SynthSpec(seed=6, **SMALL), out=other, faces=MIT_CSV, faces_root=EXAMPLES)
    assert sha(other / "footage/scene.mp4") != sha(mit_bundle / "footage/scene.mp4")


def test_recipe_regenerates_identical_bundle(mit_bundle, tmp_path):
    result, differ = synthesize_recipe(mit_bundle / "recipe.yaml", out=tmp_path / "r")
    assert differ == [] and result.passages == len(pd.read_csv(mit_bundle / "truth.csv"))


def test_night_darker_and_noisier_than_day(tmp_path):
    from conftest import EXAMPLES

    if not (EXAMPLES / "obama.jpg").is_file():
        pytest.skip("example photos absent")
    import av

    means, noise = {}, {}
    for lighting in ("day", "night"):
        out = tmp_path / lighting
        synthesize(SynthSpec(lighting=lighting, seed=5, **SMALL), out=out, faces=MIT_CSV, faces_root=EXAMPLES)
        with av.open(str(out / "footage" / "scene.mp4")) as c:
            img = next(iter(c.decode(video=0))).to_ndarray(format="rgb24").astype(float)
        means[lighting] = img.mean()
        noise[lighting] = np.abs(np.diff(img[5:60, :, 1], axis=1)).mean()   # sky: flat by day
    assert means["night"] < 0.6 * means["day"]
    assert noise["night"] > noise["day"]


def test_existing_bundle_kept_without_overwrite(mit_bundle):
    before = sha(mit_bundle / "footage" / "scene.mp4")
    with pytest.raises(InputError, match="already exists"):
        synthesize(SynthSpec(seed=9, **SMALL), out=mit_bundle, faces=MIT_CSV)
    assert sha(mit_bundle / "footage" / "scene.mp4") == before


# -- bad input -----------------------------------------------------------------------------

def _faces_dir(tmp_path, examples, people):
    d = tmp_path / "faces"
    for person, files in people.items():
        (d / person).mkdir(parents=True)
        for f in files:
            shutil.copyfile(examples / f, d / person / f)
    return d


def test_too_few_identities_is_a_clear_error(tmp_path, capsys, examples_dir):
    d = _faces_dir(tmp_path, examples_dir, {"obama": ["obama.jpg", "obama2.jpg"], "biden": ["biden.jpg"]})
    code, _, err = run_cli(["synth", "--faces", str(d), "--out", str(tmp_path / "o"), "--watchlist-size", "2",
                            "--plants", "1", "--duration", "10"], capsys)
    assert code == 2 and "identities" in err and "need" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_single_photo_identities_cannot_be_plants(tmp_path, capsys, examples_dir):
    d = _faces_dir(tmp_path, examples_dir, {"obama": ["obama.jpg"], "biden": ["biden.jpg"],
                                             "miranda": ["lin-manuel-miranda.png"]})
    code, _, err = run_cli(["synth", "--faces", str(d), "--out", str(tmp_path / "o"), "--watchlist-size", "2",
                            "--plants", "1", "--duration", "2", "--crowd-rate", "0.5"], capsys)
    assert code == 2 and "two or more photos" in err and "--plants 1" in err


def test_unreadable_image_is_named(tmp_path, capsys, examples_dir):
    d = _faces_dir(tmp_path, examples_dir, {"obama": ["obama.jpg", "obama2.jpg"], "biden": ["biden.jpg"],
                                             "miranda": ["lin-manuel-miranda.png"]})
    (d / "obama" / "obama2.jpg").write_bytes(b"not a jpeg")
    (d / "biden" / "biden.jpg").write_bytes(b"\x00" * 10)
    code, _, err = run_cli(["synth", "--faces", str(d), "--out", str(tmp_path / "o"), "--watchlist-size", "2",
                            "--plants", "1", "--duration", "2", "--crowd-rate", "0.5"], capsys)
    assert code == 2 and "cannot read image" in err and ".jpg" in err and "Traceback" not in err


def test_bad_parameters_and_missing_faces(tmp_path, capsys):
    code, _, err = run_cli(["synth", "--faces", str(tmp_path / "nope"), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "no such faces folder" in err
    code, _, err = run_cli(["synth", "--faces", str(tmp_path), "--out", str(tmp_path / "o"), "--width", "641"],
                           capsys)
    assert code == 2 and "even" in err
    code, _, err = run_cli(["synth", "--recipe", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "no such recipe" in err


def test_recipe_with_a_single_photo_plant_is_refused(tmp_path, examples_dir):
    spec, cast, _ = load_recipe(TINY)
    plant = sorted(cast.plants)[0]
    rows = MIT_CSV.read_text().splitlines()
    keep = [r for r in rows if not r.startswith(plant + ",") or r.endswith("," + cast.watchlist[plant])]
    faces = tmp_path / "faces.csv"
    faces.write_text("\n".join(keep) + "\n")
    with pytest.raises(InputError, match="a plant needs two"):
        synthesize(spec, out=tmp_path / "o", faces=faces, faces_root=examples_dir, cast=cast)


# -- LFW: gender labels carried into watchlist and truth ---------------------------------------

@pytest.mark.lfw
def test_lfw_bundle_carries_gender_labels(lfw_dir, tmp_path):
    out = tmp_path / "lfw"
    synthesize(SynthSpec(duration=5.0, watchlist_size=6, plants=2, passes=1, seed=2, crowd_rate=1.0), out=out,
               faces=lfw_dir / "images_deepfunneled")
    b = load_bundle(out)
    assert set(b.watchlist["gender"]) <= {"F", "M", ""} and (b.watchlist["gender"] != "").any()
    assert "gender" in b.truth.columns and (b.truth["gender"] != "").all()
    assert "perceived" in (out / "README.md").read_text()


# -- the operator model on a replayed synthetic run -----------------------------------------------

@pytest.mark.slow
def test_operator_simulation_completes_the_funnel(tmp_path, capsys):
    run = tmp_path / "run"
    code, out, err = run_cli(["replay", str(TINY), "--out", str(run), "--quiet"], capsys)
    assert code == 0, err
    code, out, err = run_cli(["synth", "--operator", str(run)], capsys)
    assert code == 0, err
    from fr_eval.counting.load import load_statistics

    stats = load_statistics(run)
    assert stats.has_adjudication and len(stats.alerts)
    a = stats.alerts
    assert (a.loc[a["operator_decision"] == "rejected", "engagement"] == "not_attempted").all()
    stopped = a[a["engagement"] == "stopped"]
    assert ((stopped["verification"] == "correct") == stopped["correct"].astype(bool)).all()
    code, _, err = run_cli(["synth", "--operator", str(run)], capsys)
    assert code == 2 and "already has an adjudication" in err
    # the simulation and its seed are in the signature: another seed never passes for the first
    import json

    sig0 = json.loads(run_cli(["score", str(run), "--json"], capsys)[1])["deployments"][0]["signature"]
    assert "|adj:sim@seed0#" in sig0
    code, _, err = run_cli(["synth", "--operator", str(run), "--operator-seed", "1", "--overwrite"], capsys)
    assert code == 0, err
    sig1 = json.loads(run_cli(["score", str(run), "--json"], capsys)[1])["deployments"][0]["signature"]
    assert "|adj:sim@seed1#" in sig1 and sig1 != sig0
    assert run_cli(["verify", str(run)], capsys)[0] == 0


# -- the committed suite recipes ----------------------------------------------------------------

SUITE = ROOT / "datasets" / "synthetic" / "suite"


def test_suite_recipes_cover_the_four_conditions():
    seen = set()
    for f in sorted(SUITE.glob("*.yaml")):
        spec, cast, raw = load_recipe(f)
        seen.add((spec.lighting, spec.crowd))
        assert f.stem == f"{spec.lighting}-{spec.crowd}"
        assert raw["faces"]["source"].startswith("lfw") and raw["faces"]["labels"] == "lfw-gender"
        assert len(cast.plants) == spec.plants and len(cast.crowd) == spec.n_crowd
        assert set(raw["outputs"]) >= {"footage/scene.mp4", "truth.csv"}
    assert seen == {("day", "sparse"), ("night", "sparse"), ("day", "dense"), ("night", "dense")}


@pytest.mark.lfw
def test_suite_recipe_regenerates_byte_identical(lfw_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("FR_EVAL_SHARED", str(lfw_dir.parents[1]))
    result, differ = synthesize_recipe(SUITE / "day-sparse.yaml", out=tmp_path / "ds")
    assert differ == [], f"{differ} differ from the committed recipe"
    b = load_bundle(tmp_path / "ds")
    assert b.truth["plant"].sum() == 30 and "gender" in b.watchlist.columns
