"""Options shared by several commands, defined once."""

from __future__ import annotations

import sys

import click

quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


def show_progress(quiet: bool) -> bool:
    """Progress bars only for a person watching: not with --quiet, not when stderr is not a TTY."""
    return not quiet and sys.stderr.isatty()
