"""Options shared by several commands, defined once."""

from __future__ import annotations

import shlex
import sys

import click

quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
wide_option = click.option("--wide", is_flag=True,
                           help="Every column on one line, however wide (default: fit 100 columns, wrapping cells or "
                                "leaving columns out, and saying which).")
ci_option = click.option("--ci", "ci", type=click.Choice(["clopper-pearson", "wilson", "bootstrap"]),
                         default="clopper-pearson", show_default=True,
                         help="95% interval: exact Clopper-Pearson, Wilson, or a cluster bootstrap (in the signature).")
plants_option = click.option("--plants-only", is_flag=True,
                             help="Count only planted watchlisted volunteers as watchlisted passages (tpir family).")
cluster_option = click.option("--cluster-by", type=click.Choice(["subject", "camera"]), default="subject",
                              show_default=True, help="With --ci bootstrap: resample whole subjects or cameras.")
seed_option = click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed (in the signature).")
strict_option = click.option("--strict", is_flag=True,
                             help="Refuse a run whose truth links are ambiguous instead of resolving them by the "
                                  "stated rule (docs/formats.md).")


def show_progress(quiet: bool) -> bool:
    """Progress bars only for a person watching: not with --quiet, not when stderr is not a TTY."""
    return not quiet and sys.stderr.isatty()


#: the arguments of this invocation (set by :func:`fr_eval.cli.main`)
ARGV: list[str] = []


def command_line() -> str:
    """The command line as the user typed it (recorded in manifests and reports as given)."""
    return " ".join(shlex.quote(a) for a in ["fr-eval", *ARGV])


def echo_json(obj) -> None:
    from fr_eval.report.jsonout import dumps

    click.echo(dumps(obj))
