"""``fr-eval record``: a thin wrapper over :func:`fr_eval.counting.record_summary.summarise_record`."""

from __future__ import annotations

import datetime as dt
import shlex
from pathlib import Path

import click

from fr_eval.cli.options import json_option
from fr_eval.errors import InputError


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD", ctx, param) from None


@click.command()
@click.argument("table", type=click.Path(path_type=Path))
@click.option("--force", "forces", multiple=True, help="Keep this force's deployments (repeatable; exact name).")
@click.option("--year", "years", type=int, multiple=True, help="Keep deployments of this year (repeatable).")
@click.option("--from", "date_from", callback=_date, help="Keep deployments on or after this date (YYYY-MM-DD).")
@click.option("--to", "date_to", callback=_date, help="Keep deployments on or before this date (YYYY-MM-DD).")
@click.option("--place", default="", help="Keep deployments whose place contains this text (any case).")
@click.option("--threshold", "thresholds", type=float, multiple=True, help="Keep deployments at this threshold.")
@click.option("--exclude", multiple=True, help="Leave out this deployment_id (repeatable).")
@click.option("--by", type=click.Choice(["year", "month", "force", "threshold"]), default=None,
              help="Also pool per year, month, force or threshold setting.")
@click.option("--method", "methods", multiple=True,
              help="Counting method(s) (repeatable; default: every method some deployment has the counts for).")
@click.option("--totals", type=click.Path(path_type=Path), default=None,
              help="A published-totals file (YAML) to compare with the record's rows.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the Monte Carlo p-values.")
@click.option("--plot", type=click.Path(path_type=Path), default=None,
              help="Write the funnel plot(s) to this .png or .svg file.")
@click.option("--report", "report_out", type=click.Path(path_type=Path), default=None,
              help="Write the record report to this .pdf or .html file.")
@click.option("--wide", is_flag=True, help="Show every column (default: fit 100 columns).")
@json_option
def record(table, forces, years, date_from, date_to, place, thresholds, exclude, by, methods, totals, seed, plot,
           report_out, wide, as_json):
    """A force's whole record: TABLE (a deployment record CSV, or a folder of counts files).

    Every counting method per deployment and pooled over the selection (counts summed, exact intervals); a test
    of whether the deployments share one rate; funnel-plot limits around the pooled rate with the deployments
    outside them; rates per year or month; before and after each change of threshold setting.
    """
    from fr_eval.counting.pooling import Selection
    from fr_eval.counting.record_summary import summarise_record

    for path, kinds in ((plot, (".png", ".svg")), (report_out, (".pdf", ".html", ".htm"))):
        if path is not None and path.suffix.lower() not in kinds:
            raise InputError(f"{path}: unknown file type", hint=f"give a {' or '.join(kinds)} file")
    selection = Selection(forces=tuple(forces), years=tuple(years), date_from=date_from, date_to=date_to,
                          place=place, thresholds=tuple(thresholds), exclude=tuple(exclude))
    command = _command(click.get_current_context().params)
    summary = summarise_record(table, selection, by=by, methods=methods or None, seed=seed, totals=totals,
                               command=command)
    if plot is not None:
        from fr_eval.report.record_figures import funnel_figure
        from fr_eval.store.atomic import write_bytes

        data = funnel_figure(summary.funnel_plots, fmt=plot.suffix.lower()[1:])
        if data is None:
            raise InputError("no funnel plot to draw: fewer than two deployments have a method's counts")
        write_bytes(plot, data)
        click.echo(f"wrote {plot}", err=True)
    if report_out is not None:
        from fr_eval.report.record_report import write_record_report

        write_record_report(summary, report_out)
        click.echo(f"wrote {report_out}", err=True)
    if as_json:
        from fr_eval.cli.options import echo_json

        echo_json(summary.to_dict())
    else:
        from fr_eval.report.record_text import record_text

        click.echo(record_text(summary, wide=wide))


def _command(params: dict) -> str:
    """The command line equivalent to these options (printed in the report)."""
    args = ["fr-eval", "record", str(params["table"])]
    for name, opt in (("forces", "--force"), ("years", "--year"), ("thresholds", "--threshold"),
                      ("exclude", "--exclude"), ("methods", "--method")):
        for v in params[name]:
            args += [opt, str(v)]
    for name, opt in (("date_from", "--from"), ("date_to", "--to"), ("by", "--by"), ("totals", "--totals"),
                      ("plot", "--plot"), ("report_out", "--report")):
        if params[name] is not None:
            args += [opt, str(params[name])]
    if params["place"]:
        args += ["--place", params["place"]]
    if params["seed"]:
        args += ["--seed", str(params["seed"])]
    return " ".join(shlex.quote(a) for a in args)
