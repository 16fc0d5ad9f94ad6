"""The real sample bundle datasets/hamilton: files, formats and the hand-annotated truth.

These checks need no replay.  The dlib check on the enrolment photos runs the
HOG detector on five photos (a few seconds).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

pytestmark = pytest.mark.slow   # real matchers, footage or rendering: not in the core suite

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "datasets" / "hamilton"
FORMATS = ROOT / "docs" / "formats.md"

WIDTH, HEIGHT = 640, 360
FPS = 29.97                  # 30000/1001: frame n is at n / 29.97 s
N_FRAMES = 275
DURATION = N_FRAMES / FPS    # 9.176 s

# Columns as listed in docs/formats.md (required ones first)
DEPLOYMENT_KEYS = {"schema", "id", "title", "place", "start_time", "conditions", "threshold", "matcher", "watchlist",
                   "footage", "truth", "truth_boxes", "adjudication", "faces_processed", "demographics", "sources",
                   "notes", "synthetic"}
WATCHLIST_REQUIRED = ["subject_id", "image"]
WATCHLIST_OPTIONAL = ["category", "gender", "age_group", "ethnicity", "skin_tone"]
TRUTH_REQUIRED = ["passage_id", "camera", "t_start", "t_end", "subject_id", "person_id", "plant"]
TRUTH_OPTIONAL = ["x0", "y0", "x1", "y1", "gender", "age_group", "ethnicity", "skin_tone"]
TRUTH_BOXES_COLUMNS = ["passage_id", "t", "x0", "y0", "x1", "y1"]
ADJUDICATION_VALUES = {
    "operator_decision": {"credible", "rejected"},
    "engagement": {"stopped", "lost", "not_attempted"},
    "verification": {"correct", "incorrect", "unverified"},
}

# From ../shared/README.md: dlib (HOG, 1 upsample) on every 10th frame finds a face within distance 0.6 of
# Miranda's reference photo in frames 0-10 and 90-210.
MIRANDA_DETECTED_FRAMES = [0, 10] + list(range(90, 211, 10))


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(BUNDLE / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load((BUNDLE / "deployment.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    df = _csv("truth.csv")
    for c in ("t_start", "t_end", "x0", "y0", "x1", "y1"):
        df[c] = df[c].astype(float)
    return df


@pytest.fixture(scope="module")
def boxes() -> pd.DataFrame:
    df = _csv("truth_boxes.csv")
    for c in ("t", "x0", "y0", "x1", "y1"):
        df[c] = df[c].astype(float)
    return df


# -- files ---------------------------------------------------------------------------

def test_files_exist_and_are_small(spec):
    for rel in ("deployment.yaml", "watchlist.csv", "truth.csv", "truth_boxes.csv", "adjudication.csv",
                "LICENSE", "README.md", "footage/short_hamilton_clip.mp4"):
        assert (BUNDLE / rel).is_file(), rel
    for rel in _csv("watchlist.csv")["image"]:
        assert (BUNDLE / rel).is_file(), rel
    for f in BUNDLE.rglob("*"):
        if f.is_file():
            assert f.stat().st_size < 1_000_000, f"{f} is over 1 MB"
    assert [f["path"] for f in spec["footage"]] == ["footage/short_hamilton_clip.mp4"]
    for key in ("watchlist", "truth", "truth_boxes", "adjudication"):
        assert (BUNDLE / spec[key]).is_file()


def test_licence_and_card():
    licence = (BUNDLE / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence and "Adam Geitgey" in licence
    card = (BUNDLE / "README.md").read_text(encoding="utf-8")
    for needle in ("ageitgey/face_recognition", "2e2dccea9dd0ce730c8d464d0f67c6eebb40c9d1", "simulated",
                   "public figures", "not a real deployment"):
        assert needle.lower() in card.lower(), needle


def test_clip_is_the_expected_video():
    av = pytest.importorskip("av")
    with av.open(str(BUNDLE / "footage" / "short_hamilton_clip.mp4")) as c:
        s = c.streams.video[0]
        assert (s.codec_context.width, s.codec_context.height) == (WIDTH, HEIGHT)
        assert abs(float(s.average_rate) - FPS) < 1e-6
        assert sum(1 for _ in c.decode(video=0)) == N_FRAMES


# -- formats (docs/formats.md) -------------------------------------------------------

def _doc_columns(section: str) -> set[str]:
    """Backticked names in the first column of the table under ``### section``."""
    text = FORMATS.read_text(encoding="utf-8")
    body = text.split(f"### {section}", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    names = set()
    for line in body.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Za-z0-9_.]+)`", line.split("|")[1]))
    return names


def test_deployment_keys_match_formats(spec):
    documented = _doc_columns("deployment.yaml")
    assert DEPLOYMENT_KEYS <= documented | {"conditions"}
    top = {k.split(".")[0] for k in documented}
    assert set(spec) <= top, set(spec) - top
    assert spec["id"] == "hamilton-2016"
    assert spec["conditions"] == {"lighting": "indoor", "crowd": "sparse"}
    assert spec["threshold"] == 0.5 and spec["matcher"] == "dlib"
    assert all(f["camera"] == "stage-cam" for f in spec["footage"])
    assert "nominal" in spec["notes"] and "SIMULATED" in spec["notes"]


def test_csv_columns_match_formats():
    assert set(WATCHLIST_REQUIRED + WATCHLIST_OPTIONAL) <= _doc_columns("watchlist.csv")
    assert set(TRUTH_REQUIRED + ["x0", "y0", "x1", "y1"]) <= _doc_columns("truth.csv (optional)")
    wl = _csv("watchlist.csv")
    assert list(wl.columns[:2]) == WATCHLIST_REQUIRED
    assert set(wl.columns) <= set(WATCHLIST_REQUIRED + WATCHLIST_OPTIONAL)
    tr = _csv("truth.csv")
    assert list(tr.columns[:len(TRUTH_REQUIRED)]) == TRUTH_REQUIRED
    assert set(tr.columns) <= set(TRUTH_REQUIRED + TRUTH_OPTIONAL)
    assert list(_csv("truth_boxes.csv").columns) == TRUTH_BOXES_COLUMNS
    adj = _csv("adjudication.csv")
    assert {"camera", "t", "subject_id"} <= set(adj.columns)
    assert set(adj.columns) <= {"alert_id", "camera", "t", "subject_id", *ADJUDICATION_VALUES, "outcome"}
    for col, values in ADJUDICATION_VALUES.items():
        assert set(adj[col]) <= values, col


# -- watchlist ------------------------------------------------------------------------

def test_watchlist_subjects():
    wl = _csv("watchlist.csv")
    assert wl["subject_id"].is_unique
    assert set(wl["subject_id"]) == {"miranda", "lacamoire", "obama", "harington", "leslie"}
    assert set(wl["category"]) == {"demo"}


def test_every_watchlist_image_has_exactly_one_face():
    face_recognition = pytest.importorskip("face_recognition")
    for _, row in _csv("watchlist.csv").iterrows():
        img = face_recognition.load_image_file(str(BUNDLE / row["image"]))
        faces = face_recognition.face_locations(img, number_of_times_to_upsample=1)
        assert len(faces) == 1, f"{row['subject_id']}: {row['image']} has {len(faces)} faces"


# -- truth -----------------------------------------------------------------------------

def test_truth_values(truth):
    assert truth["passage_id"].is_unique
    assert set(truth["camera"]) == {"stage-cam"}
    assert set(truth["plant"]) == {"false"}
    assert (truth["t_start"] <= truth["t_end"]).all()
    subjects = set(_csv("watchlist.csv")["subject_id"])
    named = set(truth["subject_id"]) - {""}
    assert named <= subjects
    # who is in the clip (by eye) and who is not
    assert named == {"miranda", "lacamoire", "obama"}
    # a person is one subject throughout
    assert (truth.groupby("person_id")["subject_id"].nunique() == 1).all()
    watchlisted = truth[truth["subject_id"] != ""]
    assert (watchlisted["person_id"] == watchlisted["subject_id"]).all()


def test_passages_of_one_person_do_not_overlap(truth):
    for (person, camera), g in truth.sort_values("t_start").groupby(["person_id", "camera"]):
        starts, ends = g["t_start"].to_numpy(), g["t_end"].to_numpy()
        assert (starts[1:] > ends[:-1]).all(), f"{person} on {camera}"


def test_truth_times_within_the_clip(truth, boxes):
    assert (truth["t_start"] >= 0).all() and (truth["t_end"] <= DURATION).all()
    assert (boxes["t"] >= 0).all() and (boxes["t"] <= DURATION).all()
    # times are frame times n / 29.97 (to the millisecond)
    for t in pd.concat([truth["t_start"], truth["t_end"], boxes["t"]]):
        assert abs(t * FPS - round(t * FPS)) < 0.05, t


def _inside_frame(df):
    return ((df["x0"] >= 0) & (df["y0"] >= 0) & (df["x1"] <= WIDTH) & (df["y1"] <= HEIGHT)
            & (df["x0"] < df["x1"]) & (df["y0"] < df["y1"]))


def test_every_truth_box_lies_inside_the_frame(truth, boxes):
    assert _inside_frame(truth).all()
    assert _inside_frame(boxes).all()


def test_truth_boxes_lie_within_their_passage(truth, boxes):
    by_id = truth.set_index("passage_id")
    assert set(boxes["passage_id"]) == set(truth["passage_id"]), "every passage has boxes"
    for _, b in boxes.iterrows():
        p = by_id.loc[b["passage_id"]]
        assert p["t_start"] - 1e-6 <= b["t"] <= p["t_end"] + 1e-6, (b["passage_id"], b["t"])
        assert p["x0"] <= b["x0"] and p["y0"] <= b["y0"] and b["x1"] <= p["x1"] and b["y1"] <= p["y1"], \
            (b["passage_id"], b["t"])
    # at least every 5th frame of each passage
    for pid, g in boxes.groupby("passage_id"):
        p = by_id.loc[pid]
        frames = sorted(round(t * FPS) for t in g["t"])
        assert frames[0] <= round(p["t_start"] * FPS) + 4 and frames[-1] >= round(p["t_end"] * FPS) - 4
        assert max(b - a for a, b in zip(frames, frames[1:])) <= 5, pid


def test_miranda_passages_cover_the_frames_where_dlib_finds_him(truth):
    miranda = truth[truth["subject_id"] == "miranda"]
    for frame in MIRANDA_DETECTED_FRAMES:
        t = frame / FPS
        assert ((miranda["t_start"] <= t + 1e-3) & (t - 1e-3 <= miranda["t_end"])).any(), frame


def test_shots_are_separate_passages(truth):
    # cuts at frames 20, 82 and 211: no passage spans a cut
    for _, p in truth.iterrows():
        first, last = round(p["t_start"] * FPS), round(p["t_end"] * FPS)
        assert not any(first < cut <= last for cut in (20, 82, 211)), p["passage_id"]


# -- adjudication -----------------------------------------------------------------------

def test_adjudication_is_keyed_to_a_miranda_passage(truth):
    adj = _csv("adjudication.csv")
    assert set(adj["camera"]) == {"stage-cam"} and set(adj["subject_id"]) == {"miranda"}
    miranda = truth[truth["subject_id"] == "miranda"]
    for t in adj["t"].astype(float):
        assert ((miranda["t_start"] <= t) & (t <= miranda["t_end"])).any(), t
    # a coherent funnel: rejected -> not engaged; only a stopped person is verified
    assert not ((adj["operator_decision"] == "rejected") & (adj["engagement"] != "not_attempted")).any()
    assert not ((adj["engagement"] != "stopped") & (adj["verification"] != "unverified")).any()
    assert adj["outcome"].str.contains("simulated").all()


# -- the project's loader ------------------------------------------------------------------

def test_load_bundle_validates():
    from fr_eval.inputs.bundle import load_bundle

    b = load_bundle(BUNDLE)
    assert b.id == "hamilton-2016" and b.threshold == 0.5 and b.matcher == "dlib"
    assert b.lighting == "indoor" and b.crowd == "sparse"
    assert [f.camera for f in b.footage] == ["stage-cam"]
    assert len(b.watchlist) == 5
    assert len(b.truth) == len(_csv("truth.csv")) and not b.truth["plant"].any()
    assert len(b.truth_boxes) == len(_csv("truth_boxes.csv"))
    assert len(b.adjudication) == len(_csv("adjudication.csv"))
