"""The command line: help on every command, version, exit codes, matcher listing."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fr_eval import __version__
from fr_eval.cli import COMMANDS, main


def run(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    cap = capsys.readouterr()
    return exc.value.code, cap.out, cap.err


def test_version(capsys):
    code, out, _ = run(["--version"], capsys)
    assert code == 0 and __version__ in out


def test_top_level_help_lists_every_command(capsys):
    code, out, _ = run(["--help"], capsys)
    assert code == 0
    for name in COMMANDS:
        assert name in out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_has_help(name, capsys):
    code, out, _ = run([name, "--help"], capsys)
    assert code == 0
    assert f"Usage: fr-eval {name}" in out


def test_unknown_command_is_usage_error(capsys):
    code, _, err = run(["frobnicate"], capsys)
    assert code == 2 and "No such command" in err


def test_matchers_lists_builtins_with_package_and_version(capsys):
    code, out, _ = run(["matchers"], capsys)
    assert code == 0
    for name in ("dlib", "opencv-lbph", "scores"):
        assert name in out
    assert "fr-eval" in out and __version__ in out
    for kind, name in (("detector", "hog"), ("detector", "yunet"), ("detector", "dlib-cnn"), ("embedder", "dlib")):
        assert any(line.split()[:2] == [kind, name] for line in out.splitlines()), (kind, name)
    assert "8f2383e4dd3c" in out          # YuNet's weights, by the SHA-256 the signature records


def test_console_script_runs_as_module():
    proc = subprocess.run([sys.executable, "-m", "fr_eval", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and __version__ in proc.stdout
