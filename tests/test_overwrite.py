"""--overwrite replaces only what fr-eval made: never a user's folder, never the input bundle.

Each case here deleted user data on the main branch before this test was written
(issue "Nothing lost": `fr-eval replay datasets/hamilton --out out --overwrite`
deleted `out/thesis.docx`; `--out` naming the bundle deleted its footage).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bundlefactory import copy_photo, write_bundle
from cliutil import run_cli

pytestmark = pytest.mark.slow   # real matchers, footage or rendering: not in the core suite

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def bundle(tmp_path, examples_dir):
    """A tiny real bundle: one watchlist photo, three blank frames (replays in about a second)."""
    root = tmp_path / "b"
    wl = [{"subject_id": "obama", "image": copy_photo(examples_dir / "obama.jpg", root / "watchlist")}]
    frames = root / "footage" / "cam1"
    frames.mkdir(parents=True)
    for i in range(3):
        Image.fromarray(np.full((60, 80, 3), 120 + i, np.uint8)).save(frames / f"{i:03d}.png")
    write_bundle(root, footage=[{"path": "footage/cam1", "camera": "cam1", "fps": 5}], watchlist=wl)
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def replay_args(bundle: Path, out: Path, *extra: str) -> list[str]:
    return ["replay", str(bundle), "--out", str(out), "-q", "--workers", "1", *extra]


def test_overwrite_refuses_a_folder_of_user_files(bundle, tmp_path, capsys):
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    (out / "thesis.docx").write_text("keep")
    (out / "sub" / "notes.txt").write_text("keep too")
    before = snapshot(out)
    code, _, err = run_cli(replay_args(bundle, out, "--overwrite"), capsys)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "thesis.docx" in err, err
    assert snapshot(out) == before


def test_overwrite_refuses_a_run_folder_holding_a_user_file(bundle, tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run_cli(replay_args(bundle, out), capsys)
    assert code == 0, err
    (out / "my-notes.txt").write_text("an auditor's notes, put beside the tables")
    before = snapshot(out)
    code, _, err = run_cli(replay_args(bundle, out, "--overwrite"), capsys)
    assert code == 2, err
    assert "my-notes.txt" in err and len(err.strip().splitlines()) == 1
    assert snapshot(out) == before


@pytest.mark.parametrize("where", ["bundle", "parent"])
def test_overwrite_never_deletes_the_input_bundle(bundle, tmp_path, capsys, where):
    out = bundle if where == "bundle" else bundle.parent
    before = snapshot(bundle)
    code, _, err = run_cli(replay_args(bundle, out, "--overwrite"), capsys)
    assert code == 2, err
    assert "bundle" in err and len(err.strip().splitlines()) == 1
    assert snapshot(bundle) == before


def test_overwrite_refuses_a_user_folder_named_like_the_work_folder(bundle, tmp_path, capsys):
    out = tmp_path / "run"
    partial = tmp_path / "run.partial"
    partial.mkdir()
    (partial / "data.csv").write_text("a user's file that happens to sit in run.partial")
    code, _, err = run_cli(replay_args(bundle, out, "--overwrite"), capsys)
    assert code == 2, err
    assert (partial / "data.csv").read_text().startswith("a user's file")


def test_overwrite_replaces_a_run_and_leaves_neighbours_alone(bundle, tmp_path, capsys):
    out = tmp_path / "run"
    assert run_cli(replay_args(bundle, out), capsys)[0] == 0
    neighbour = tmp_path / "run.old"          # the name the old code used for its scratch copy
    neighbour.mkdir()
    (neighbour / "keep.txt").write_text("keep")
    first = json.loads((out / "manifest.json").read_text())["created"]
    code, _, err = run_cli(replay_args(bundle, out, "--overwrite", "--threshold", "0.9"), capsys)
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["threshold"] == 0.9 and manifest["created"] >= first
    assert (neighbour / "keep.txt").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b", "run", "run.old"]


def test_synth_overwrite_refuses_a_folder_of_user_files(tmp_path, capsys, examples_dir):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("keep")
    code, _, err = run_cli(["synth", "--faces", str(ROOT / "datasets" / "synthetic" / "mit-faces.csv"),
                            "--faces-root", str(examples_dir), "--duration", "4", "--watchlist-size", "3",
                            "--plants", "1", "--passes", "1", "--out", str(out), "--overwrite", "-q"], capsys)
    assert code == 2, err
    assert "thesis.docx" in err
    assert (out / "thesis.docx").read_text() == "keep"


def test_synth_overwrite_replaces_its_own_bundle(tmp_path, capsys, examples_dir):
    out = tmp_path / "tiny"
    shutil.copytree(ROOT / "datasets" / "synthetic" / "mit-tiny", out)
    args = ["synth", "--faces", str(ROOT / "datasets" / "synthetic" / "mit-faces.csv"),
            "--faces-root", str(examples_dir), "--duration", "8", "--watchlist-size", "3", "--plants", "1",
            "--passes", "1", "--seed", "9", "--out", str(out), "-q"]
    (out / "my-notes.md").write_text("notes a user put in the bundle folder")
    code, _, err = run_cli(args + ["--overwrite"], capsys)
    assert code == 2 and "my-notes.md" in err, err
    (out / "my-notes.md").unlink()
    code, _, err = run_cli(args + ["--overwrite"], capsys)
    assert code == 0, err
    assert "seed: 9" in (out / "recipe.yaml").read_text()
