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
@click.option("--review", "review", type=click.Path(path_type=Path), default=None,
              help="The reviewer's statement (Markdown with front matter, or YAML: author, affiliation, date, "
                   "statement, findings, limitations, not_checked), shown after the findings; its SHA-256 goes "
                   "into the provenance (docs/formats.md).")
@click.option("--no-redact", is_flag=True,
              help="Show bystanders' faces unblurred in the alert gallery (the report then holds personal data).")
@quiet_option
def report(source, out, fmt, review, no_redact, quiet):
    """Render the audit report of SOURCE (a replay run folder or a counts file).

    Page 1 is the answer: each party's figure on this data, the verdicts on
    the published claims and the alert waterfall. Then: every method these
    counts support; the reviewer's statement (--review); reconciliation
    (waterfall, why the numbers differ, claims, base rate); thresholds (DET,
    sweep, alerts per hour); conditions and groups; alert gallery (bystanders
    blurred); method and provenance; an appendix of the methods the counts
    cannot support.
    """
    from fr_eval import api
    from fr_eval.cli.options import command_line

    start = time.perf_counter()
    api.report(source, out, fmt=fmt, redact=not no_redact, command=command_line(), review=review)
    if not quiet:
        click.echo(f"wrote {out} ({time.perf_counter() - start:.1f} s)", err=True)
