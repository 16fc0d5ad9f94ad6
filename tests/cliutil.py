"""Run the fr-eval CLI in-process and collect its exit code and output."""

from __future__ import annotations

import pytest

from fr_eval.cli import main


def run_cli(args, capsys):
    """``(exit code, stdout, stderr)`` of ``fr-eval ARGS``."""
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    cap = capsys.readouterr()
    return exc.value.code, cap.out, cap.err
