"""Nothing lost, nothing silently wrong: each case of the "Nothing lost" issue, pinned.

Damaged run folders are refused (never scored), hostile inputs are bounded, bad inputs are one line and exit 2,
and nothing fr-eval writes is left half-done or readable by others.  (The --overwrite cases are in
test_overwrite.py, the process cases in test_scale.py.)
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bundlefactory import copy_photo, write_bundle
from cliutil import run_cli
from runfactory import make_run, track
from test_outcomes import ADJUDICATION, PASSAGES, TRACKS, WATCHLIST

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run(tmp_path):
    return make_run(tmp_path / "run", passages=PASSAGES, tracks=TRACKS, watchlist=WATCHLIST,
                    adjudication=ADJUDICATION)


def one_line_exit_2(code, err, *needles):
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    for n in needles:
        assert n in err, (n, err)


# -- sealed run folders: a damaged run is refused, never scored ------------------------------------

@pytest.mark.parametrize("table", ["tracks", "candidates"])
def test_a_deleted_table_part_is_refused(run, capsys, table):
    """With the tracks part deleted, `score` printed TPIR 0% (true 100%) and a false-alert rate of 133%."""
    part = next((run / table).glob("part-*.parquet"))
    part.unlink()
    code, out, err = run_cli(["score", str(run)], capsys)
    one_line_exit_2(code, err, f"{table}/{part.name}", "missing")
    code, out, err = run_cli(["verify", str(run)], capsys)
    assert code == 1 and "missing" in out


def test_every_single_byte_flip_of_a_part_is_refused(run, capsys):
    """17 of 319 single-byte flips of a candidates part changed the data without an error."""
    part = next((run / "candidates").glob("part-*.parquet"))
    original = part.read_bytes()
    rng = np.random.default_rng(0)
    for offset in sorted(set(rng.integers(0, len(original), 40).tolist()) | {0, len(original) // 2, len(original) - 1}):
        damaged = bytearray(original)
        damaged[offset] ^= 0x01
        part.write_bytes(bytes(damaged))
        code, _, err = run_cli(["score", str(run)], capsys)
        one_line_exit_2(code, err, "changed since the run was written")
    part.write_bytes(original)
    assert run_cli(["score", str(run)], capsys)[0] == 0


@pytest.mark.parametrize("how", ["truncated", "empty"])
def test_a_truncated_or_empty_part_is_refused(run, capsys, how):
    part = next((run / "alerts").glob("part-*.parquet"))
    data = part.read_bytes()
    part.write_bytes(data[: len(data) // 2] if how == "truncated" else b"")
    code, _, err = run_cli(["score", str(run)], capsys)
    one_line_exit_2(code, err, "alerts/")


def test_an_extra_file_in_a_run_is_refused(run, capsys):
    shutil.copyfile(next((run / "alerts").glob("part-*.parquet")), run / "alerts" / "part-99.parquet")
    code, _, err = run_cli(["score", str(run)], capsys)
    one_line_exit_2(code, err, "part-99.parquet", "extra")


def test_an_edited_truth_copy_is_refused_not_scored(run, capsys):
    """An edited RUN/bundle/truth.csv was scored under the unchanged signature."""
    truth = run / "bundle" / "truth.csv"
    truth.write_text(truth.read_text().replace("alice", "someone"))
    code, _, err = run_cli(["score", str(run)], capsys)
    one_line_exit_2(code, err, "bundle/truth.csv")


@pytest.mark.parametrize("text, needle", [("[]", "expected a JSON object"), ("{", "not valid JSON"),
                                          ('{"schema": "fr-eval/run/2"}', "key 'complete' is missing")])
def test_a_broken_manifest_is_one_line(run, capsys, text, needle):
    (run / "manifest.json").write_text(text)
    code, _, err = run_cli(["score", str(run)], capsys)
    one_line_exit_2(code, err, needle)


def test_run_files_are_private_like_the_rest(run, tmp_path, capsys, examples_dir):
    """Copied bundle files were world-readable (0644) while the rest of the run was 0600."""
    root = tmp_path / "b"
    wl = [{"subject_id": "obama", "image": copy_photo(examples_dir / "obama.jpg", root / "watchlist")}]
    (root / "footage" / "cam1").mkdir(parents=True)
    for i in range(2):
        Image.fromarray(np.full((60, 80, 3), 100, np.uint8)).save(root / "footage" / "cam1" / f"{i}.png")
    write_bundle(root, footage=[{"path": "footage/cam1", "camera": "cam1", "fps": 5}], watchlist=wl)
    out = tmp_path / "r"
    assert run_cli(["replay", str(root), "--out", str(out), "-q", "-j", "1"], capsys)[0] == 0
    modes = {p.relative_to(out).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in out.rglob("*") if p.is_file()}
    assert modes and all(m & 0o077 == 0 for m in modes.values()), modes


# -- every setting that changes a number is checked and signed -----------------------------------------

def bundle_of_frames(tmp_path, examples_dir) -> Path:
    root = tmp_path / "b"
    wl = [{"subject_id": "obama", "image": copy_photo(examples_dir / "obama.jpg", root / "watchlist")}]
    (root / "footage" / "cam1").mkdir(parents=True)
    for i in range(3):
        Image.fromarray(np.full((60, 80, 3), 120 + i, np.uint8)).save(root / "footage" / "cam1" / f"{i:03d}.png")
    write_bundle(root, footage=[{"path": "footage/cam1", "camera": "cam1", "fps": 5}], watchlist=wl)
    return root


@pytest.mark.parametrize("args, needle", [
    (["--faces-per-track", "0"], "--faces-per-track"),
    (["--matcher-option", "bogus=1"], "unknown option 'bogus'"),
    (["--matcher-option", "jitters=abc"], "jitters must be a whole number"),
    (["--fps", "nan"], "--fps"),
    (["--fps", "0"], "--fps"),
    (["--chunk-seconds", "0.001"], "--chunk-seconds"),
    (["--threshold", "inf"], "threshold"),
    (["--top-k", "0"], "--top-k"),
])
def test_bad_replay_settings_are_one_line(tmp_path, capsys, examples_dir, args, needle):
    bundle = bundle_of_frames(tmp_path, examples_dir)
    code, _, err = run_cli(["replay", str(bundle), "--out", str(tmp_path / "r"), "-q", *args], capsys)
    one_line_exit_2(code, err, needle)
    assert not (tmp_path / "r").exists() and not (tmp_path / "r.partial").exists()


def test_the_replay_settings_that_change_numbers_are_in_the_signature(tmp_path, capsys, examples_dir):
    bundle = bundle_of_frames(tmp_path, examples_dir)
    sigs = {}
    for name, args in (("base", []), ("fpt", ["--faces-per-track", "5"]), ("k", ["--top-k", "3"]),
                       ("fps", ["--fps", "2"]), ("jit", ["--matcher-option", "jitters=1"])):
        code, out, err = run_cli(["replay", str(bundle), "--out", str(tmp_path / name), "-q", "-j", "1", "--json",
                                  *args], capsys)
        assert code == 0, err
        sigs[name] = json.loads(out)["signature"]
    assert len(set(sigs.values())) == len(sigs), sigs
    assert "|fpt:5|" in sigs["fpt"] and "|k:3|" in sigs["k"] and "|fps:2|" in sigs["fps"]


def test_a_refused_replay_leaves_nothing_to_resume(tmp_path, capsys, examples_dir):
    """After fixing a refused watchlist photo the rerun was refused as "an interrupted replay"."""
    bundle = bundle_of_frames(tmp_path, examples_dir)
    photo = bundle / "watchlist" / "obama.jpg"
    good = photo.read_bytes()
    Image.fromarray(np.full((80, 80, 3), 128, np.uint8)).save(photo, format="JPEG")   # no face
    code, _, err = run_cli(["replay", str(bundle), "--out", str(tmp_path / "r"), "-q", "-j", "1"], capsys)
    one_line_exit_2(code, err, "no face")
    photo.write_bytes(good)
    code, _, err = run_cli(["replay", str(bundle), "--out", str(tmp_path / "r"), "-q", "-j", "1"], capsys)
    assert code == 0, err


def test_validate_refuses_what_replay_refuses(tmp_path, capsys, examples_dir):
    """`validate` passed a bundle that `replay` then refused (a watchlist photo without a face)."""
    bundle = bundle_of_frames(tmp_path, examples_dir)
    Image.fromarray(np.full((80, 80, 3), 128, np.uint8)).save(bundle / "watchlist" / "obama.jpg", format="JPEG")
    code, _, err = run_cli(["validate", str(bundle)], capsys)
    one_line_exit_2(code, err, "no face")
    assert run_cli(["validate", str(bundle), "--no-enrol"], capsys)[0] == 0


# -- concurrency --------------------------------------------------------------------------------------

def test_a_second_replay_into_the_same_folder_refuses(tmp_path, capsys, examples_dir):
    """Two replays into one --out could both print "replayed", leaving a run without bundle/ (3 of 8 tries)."""
    from fr_eval.replay.run_folder import OutLock

    bundle = bundle_of_frames(tmp_path, examples_dir)
    out = tmp_path / "r"
    with OutLock(out):
        code, _, err = run_cli(["replay", str(bundle), "--out", str(out), "-q", "-j", "1"], capsys)
        one_line_exit_2(code, err, "another replay is writing this folder", f"pid {os.getpid()}")
    assert not out.exists()
    assert run_cli(["replay", str(bundle), "--out", str(out), "-q", "-j", "1"], capsys)[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b", "r"]


# -- hostile inputs --------------------------------------------------------------------------------

def test_nested_yaml_aliases_are_refused_at_once(tmp_path, capsys):
    """A 968-byte deployment.yaml of nested aliases exhausted memory (about 7 GB)."""
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 12):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [*{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, "
                     f"*{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}, *{chr(96 + i)}]")
    bomb = "\n".join(lines) + "\n"
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "deployment.yaml").write_text(bomb)
    (tmp_path / "counts.yaml").write_text(bomb)
    for args in (["validate", str(tmp_path / "b")], ["reconcile", str(tmp_path / "counts.yaml")]):
        code, _, err = run_cli(args, capsys)
        one_line_exit_2(code, err, "alias")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_named_mp4_is_refused_not_read_forever(tmp_path, examples_dir):
    """A FIFO named .mp4 as footage: `replay` and `validate` never returned."""
    root = tmp_path / "b"
    wl = [{"subject_id": "obama", "image": copy_photo(examples_dir / "obama.jpg", root / "watchlist")}]
    (root / "footage").mkdir(parents=True)
    os.mkfifo(root / "footage" / "cam.mp4")
    write_bundle(root, footage=[{"path": "footage/cam.mp4", "camera": "cam1"}], watchlist=wl)
    for cmd in (["validate", str(root)], ["replay", str(root), "--out", str(tmp_path / "r"), "-q"]):
        proc = subprocess.run([sys.executable, "-m", "fr_eval", *cmd], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and "not a regular file" in proc.stderr, proc.stderr


@pytest.mark.parametrize("patch, needle", [
    ({"sources": ["just a string"]}, "sources[0] must be a mapping"),
    ({"sources": [{"citation": "x", "colour": "red"}]}, "sources[0] must be a mapping"),
])
def test_malformed_sources_are_refused_by_validate(tmp_path, capsys, examples_dir, patch, needle):
    """`sources` given as strings passed validate and replay, then crashed report."""
    import yaml

    bundle = bundle_of_frames(tmp_path, examples_dir)
    spec = yaml.safe_load((bundle / "deployment.yaml").read_text())
    spec.update(patch)
    (bundle / "deployment.yaml").write_text(yaml.safe_dump(spec))
    code, _, err = run_cli(["validate", str(bundle), "--no-enrol"], capsys)
    one_line_exit_2(code, err, needle)


@pytest.mark.parametrize("row, needle", [("obama,watchlist/obama.jpg,\n", "3 fields, but the header has 2"),
                                         ("obama,watchlist/obama.jpg,extra,more\n", "4 fields")])
def test_a_csv_row_with_extra_fields_is_one_line(tmp_path, capsys, examples_dir, row, needle):
    """A CSV row with a trailing comma or extra fields raised TypeError."""
    bundle = bundle_of_frames(tmp_path, examples_dir)
    (bundle / "watchlist.csv").write_text("subject_id,image\n" + row)
    code, _, err = run_cli(["validate", str(bundle), "--no-enrol"], capsys)
    one_line_exit_2(code, err, "watchlist.csv: line 2", needle)


@pytest.mark.parametrize("text, needle", [
    ("alerts: 100000000000000000000000000000000000000000\n", "larger than any deployment's count"),
    ("alerts: .nan\n", "whole number"),
    ("alerts: 3\nfalse_alerts: 5\n", "stage 'alerts'"),
])
def test_absurd_counts_are_one_line(tmp_path, capsys, text, needle):
    """`alerts: 10^41` raised a TypeError from scipy."""
    p = tmp_path / "c.yaml"
    p.write_text("id: c\n" + text)
    code, _, err = run_cli(["reconcile", str(p)], capsys)
    one_line_exit_2(code, err, needle)


def test_a_report_to_an_unwritable_place_is_one_line(capsys, tmp_path):
    """`report -o /proc/version` raised an internal exception."""
    essex = str(ROOT / "datasets" / "published" / "essex-2019.yaml")
    for target in ("/proc/version", str(tmp_path / "missing-dir" / "x" / "r.pdf")):
        code, _, err = run_cli(["report", essex, "-o", target, "-q"], capsys)
        if target.startswith("/proc"):
            one_line_exit_2(code, err, "/proc/version")
        else:
            assert code == 0, err      # a new folder for a new report is fine


def test_a_killed_report_leaves_no_temporary_file_behind(tmp_path):
    """A killed `report` left hidden .tmp files (one a 262 KB partial PDF)."""
    from fr_eval.store.atomic import write_bytes

    target = tmp_path / "r.pdf"
    # what a writer killed mid-write leaves (its pid no longer runs)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".r.pdf.fr-eval-{dead.pid}-abc123.tmp"
    stale.write_bytes(b"%PDF-partial")
    other = tmp_path / ".r.pdf.someone-elses.tmp"       # not fr-eval's naming: never touched
    other.write_bytes(b"keep")
    write_bytes(target, b"%PDF-1.7 whole")
    assert target.read_bytes() == b"%PDF-1.7 whole"
    assert not stale.exists() and other.read_bytes() == b"keep"


def test_gate_junit_does_not_create_folders(run, tmp_path, capsys):
    pol = tmp_path / "p.yaml"
    pol.write_text("rules:\n  - {metric: alerts_per_hour, max: 1000000}\n")
    code, _, err = run_cli(["gate", str(run), "--policy", str(pol), "--junit", str(tmp_path / "no" / "g.xml")],
                           capsys)
    one_line_exit_2(code, err, "does not exist")
    assert not (tmp_path / "no").exists()


def test_reports_write_nothing_into_home(tmp_path):
    """`report` wrote a matplotlib cache into $HOME."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "MPLCONFIGDIR"} | {"HOME": str(home), "XDG_CACHE_HOME": "",
                                                                          "XDG_CONFIG_HOME": ""}
    essex = ROOT / "datasets" / "published" / "essex-2019.yaml"
    proc = subprocess.run([sys.executable, "-m", "fr_eval", "report", str(essex), "-o", str(tmp_path / "e.pdf"), "-q"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert not any(home.rglob("*")), list(home.rglob("*"))


# -- coverage: what was never decoded is never counted ----------------------------------------------------

@pytest.mark.slow
def test_a_truncated_clip_counts_only_decoded_time(tmp_path, capsys, examples_dir):
    """A truncated clip decoded 4.4 of 9.2 s; passages after the break still counted as misses and true
    negatives (FPIR 0/4 came entirely from footage never decoded)."""
    import av
    import yaml

    src = ROOT / "datasets" / "hamilton"
    bundle = tmp_path / "h"
    shutil.copytree(src, bundle)
    clip = next((bundle / "footage").glob("*.mp4"))
    mkv = clip.with_suffix(".mkv")           # the same H.264 stream, remuxed: Matroska keeps its duration up front
    with av.open(str(clip)) as inp, av.open(str(mkv), "w") as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is None:
                continue
            packet.stream = stream
            out.mux(packet)
    data = mkv.read_bytes()
    mkv.write_bytes(data[: int(len(data) * 0.5)])
    clip.unlink()
    spec = yaml.safe_load((bundle / "deployment.yaml").read_text())
    for f in spec["footage"]:
        f["path"] = f"footage/{mkv.name}"
    (bundle / "deployment.yaml").write_text(yaml.safe_dump(spec))
    out = tmp_path / "r"
    code, text, err = run_cli(["replay", str(bundle), "--out", str(out), "-q", "-j", "1"], capsys)
    assert code == 0, err
    m = json.loads((out / "manifest.json").read_text())
    cov = m["coverage"][0]
    assert cov["gaps"] and cov["decoded_s"] < cov["duration_s"] - 2, cov
    assert "not decoded" in text
    code, score_text, _ = run_cli(["score", str(out)], capsys)
    assert "not decoded" in score_text and "not counted" in score_text
    code, out_text, _ = run_cli(["score", str(out), "--json"], capsys)
    d = json.loads(out_text)["deployments"][0]
    from fr_eval.counting.load import load_statistics

    stats = load_statistics(out)
    assert stats.uncovered, "passages after the break are left out"
    truth = stats.bundle.truth
    later = truth[truth["t_start"] > cov["gaps"][0][0]]
    assert set(later["passage_id"]) <= set(stats.uncovered)
    total = d["counts"].get("watchlisted_passages", 0) + d["counts"].get("nonwatchlist_passages", 0)
    assert total == len(truth) - len(stats.uncovered)
