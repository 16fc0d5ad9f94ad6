"""``fr-eval report``: a thin wrapper over :func:`fr_eval.report.write_report`."""

from __future__ import annotations

import time
from pathlib import Path

import click

from fr_eval.cli.options import quiet_option


@click.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--output", "-o", "out", required=True, type=click.Path(path_type=Path),
              help="Report file to write, e.g. reports/audit.pdf (written whole or not at all).")
@click.option("--format", "fmt", type=click.Choice(["pdf", "html"]), default=None,
              help="pdf, or html (one self-contained file); default: from the suffix of --output, else pdf.")
@click.option("--no-redact", is_flag=True,
              help="Show bystanders' faces unblurred in the alert gallery (the report then holds personal data).")
@quiet_option
def report(source, out, fmt, no_redact, quiet):
    """Render the audit report of SOURCE (a replay run folder or a counts file).

    Sections: summary with every party's number side by side; reconciliation
    (waterfall, base rate, why the numbers differ, claims); thresholds (DET,
    sweep, alerts per hour); conditions and groups; alert gallery (bystanders
    blurred); method and provenance.
    """
    from fr_eval import api
    from fr_eval.cli.options import command_line

    start = time.perf_counter()
    api.report(source, out, fmt=fmt, redact=not no_redact, command=command_line())
    if not quiet:
        click.echo(f"wrote {out} ({time.perf_counter() - start:.1f} s)", err=True)
