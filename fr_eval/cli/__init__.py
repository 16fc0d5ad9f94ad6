"""The ``fr-eval`` command line: a thin layer over the Python API.

Each command lives in its own module under :mod:`fr_eval.cli` and is imported
only when it is run, so ``fr-eval --help`` stays fast and a command's heavy
dependencies (dlib, matplotlib, reportlab) load only when needed.

Exit codes: 0 success, 1 the work failed (or a gate failed), 2 bad usage or input.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from fr_eval import __version__
from fr_eval.errors import FrEvalError

# name -> (module, attribute, one-line help).  Add a command by adding a line.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "replay": ("fr_eval.cli.replay_cmd", "replay", "Run deployment footage through a face matcher."),
    "validate": ("fr_eval.cli.replay_cmd", "validate", "Check a deployment bundle without replaying it."),
    "verify": ("fr_eval.cli.replay_cmd", "verify", "Check a run folder against its sealed manifest."),
    "matchers": ("fr_eval.cli.replay_cmd", "matchers", "List installed face matchers."),
    "score": ("fr_eval.cli.count_cmds", "score", "Every counting method on a replay run (or many)."),
    "reconcile": ("fr_eval.cli.count_cmds", "reconcile",
                  "Every party's number from one run or counts file, reconciled."),
    "sweep": ("fr_eval.cli.threshold_cmds", "sweep", "Counting methods as a function of threshold."),
    "compare": ("fr_eval.cli.threshold_cmds", "compare", "Compare two runs on the same footage."),
    "gate": ("fr_eval.cli.threshold_cmds", "gate", "Pass or fail a run against a policy (for CI)."),
    "report": ("fr_eval.cli.report_cmd", "report", "Render a PDF or HTML audit report."),
    "record": ("fr_eval.cli.record_cmd", "record", "A force's whole record: deployments pooled, compared, over time."),
    "synth": ("fr_eval.cli.synth_cmd", "synth", "Build a synthetic deployment from real face photos."),
    "metrics": ("fr_eval.cli.metrics_cmd", "metrics", "EER, AUC, FNMR @ FMR, FNIR @ FPIR, CMC of a score list."),
    "scores": ("fr_eval.cli.metrics_cmd", "scores", "Import a score list as a run (fr-eval scores import)."),
}


class LazyGroup(click.Group):
    """A click group that imports each command's module on first use."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        rows = [(name, help_text) for name, (_, _, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fr-eval")
@click.option("--debug", is_flag=True, envvar="FR_EVAL_DEBUG", help="Show tracebacks on errors.")
@click.pass_context
def cli(ctx, debug):
    """fr-eval: audit the accuracy of live facial recognition deployments.

    Replay recorded footage through a face matcher, count the results the way
    each party does (vendor, police, NPL, Essex reviewers, campaigners, ISO/NIST),
    reconcile the numbers, sweep thresholds and write an audit report.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def main(argv=None):
    """Console entry point: run the CLI and map errors to exit codes."""
    from fr_eval.cli import options

    options.ARGV = list(argv if argv is not None else sys.argv[1:])
    debug = os.environ.get("FR_EVAL_DEBUG") or "--debug" in options.ARGV
    try:
        cli.main(args=argv, prog_name="fr-eval", standalone_mode=False)
    except FrEvalError as exc:
        if debug:
            raise
        click.echo(f"fr-eval: error: {exc.one_line()}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("fr-eval: aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except KeyboardInterrupt:
        click.echo("fr-eval: interrupted; finished chunks are kept (use --resume)", err=True)
        sys.exit(130)
    except Exception as exc:  # an unexpected failure: one line, not a traceback
        if debug:
            raise
        click.echo(f"fr-eval: error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", err=True)
        sys.exit(1)
    sys.exit(0)
