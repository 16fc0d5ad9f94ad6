"""``fr-eval metrics``: the field's standard metrics of a score list (a thin wrapper over thresholds.summary)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from fr_eval.cli.options import json_option

FORMAT_CHOICES = ("csv", "bob2", "bob4", "bob5", "pyeer", "openset")


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default=None,
              help="Score-list format (default: detected from the content; docs/metrics.md). "
                   "pyeer takes two files: genuine, then impostor.")
@click.option("--fta", type=click.Choice(["count", "exclude"]), default="count", show_default=True,
              help="Missing scores (failures to acquire): count them as errors (ISO/IEC 19795-1 FAR/FRR) or "
                   "leave them out (FMR/FNMR of the acquired comparisons). Either way they are reported.")
@click.option("--target-fmr", type=float, multiple=True,
              help="FNMR at the threshold with FMR at most this (repeatable; default 0.01 and 0.001).")
@click.option("--target-fnmr", type=float, multiple=True,
              help="FMR at the threshold with FNMR at most this (repeatable; default 0.01 and 0.1).")
@click.option("--target-fpir", type=float, multiple=True,
              help="FNIR at the threshold with FPIR at most this (repeatable; default 0.01, 0.001); implies "
                   "--identification.")
@click.option("--identification", is_flag=True,
              help="Also treat a bob4/bob5/csv list as identification searches (one per probe label).")
@click.option("--ci", type=click.Choice(["clopper-pearson", "bootstrap"]), default="clopper-pearson",
              show_default=True, help="95% interval of rates: exact binomial, or a bootstrap clustered by subject "
                                      "(else probe), for lists that name who is who.")
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed (printed with the results).")
@click.option("--n-boot", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Bootstrap replicates for EER, ROCCH-EER and AUC intervals (0: none; cost grows with the list).")
@json_option
def metrics(files, fmt, fta, target_fmr, target_fnmr, target_fpir, identification, ci, seed, n_boot, as_json):
    """EER, ROCCH-EER, AUC, FNMR @ FMR, FMR @ FNMR and FTA of a score list; FNIR @ FPIR, DIR and CMC of
    an open-set list.  Every rate with its counts and 95% interval.

    \b
    Examples:
      fr-eval metrics scores.csv
      fr-eval metrics dev-4col.txt --target-fmr 0.001 --json
      fr-eval metrics genuine.txt impostor.txt --format pyeer
      fr-eval metrics searches.csv --target-fpir 0.01
    """
    from fr_eval.inputs.scorelists import read_scorelist
    from fr_eval.thresholds import summary as s

    sl = read_scorelist([str(f) for f in files], fmt)
    result = s.summarize(sl, fta=fta, ci=ci, seed=seed, n_boot=n_boot,
                         fmr_targets=target_fmr or s.DEFAULT_FMR_TARGETS,
                         fnmr_targets=target_fnmr or s.DEFAULT_FNMR_TARGETS,
                         fpir_targets=target_fpir or s.DEFAULT_FPIR_TARGETS,
                         identification=True if identification or target_fpir else None)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    else:
        click.echo(s.format_text(result))
