"""``fr-eval metrics`` and ``fr-eval scores import``: score lists in (thin wrappers over fr_eval.api)."""

from __future__ import annotations

from pathlib import Path

import click

from fr_eval.cli.options import command_line, echo_json, json_option, quiet_option, strict_option

FORMAT_CHOICES = ("csv", "bob2", "bob4", "bob5", "pyeer", "openset")
format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMAT_CHOICES), default=None,
    help="Score-list format (default: detected from the content; docs/metrics.md). pyeer takes two files: "
         "genuine, then impostor.")


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@format_option
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
                                      "(else probe; a run's person), for lists that name who is who.")
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed (printed with the results).")
@click.option("--n-boot", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Bootstrap replicates for EER, ROCCH-EER and AUC intervals (0: none; cost grows with the list).")
@strict_option
@click.option("--wide", is_flag=True, help="Every column on one line (no fitting to 100 columns).")
@json_option
def metrics(files, fmt, fta, target_fmr, target_fnmr, target_fpir, identification, ci, seed, n_boot, strict, wide,
            as_json):
    """EER, ROCCH-EER, AUC, FNMR @ FMR, FMR @ FNMR and FTA of a score list; FNIR @ FPIR, DIR and CMC of
    an open-set list.  FILES may also be one run made by `fr-eval scores import`.  Every rate with its
    counts and 95% interval.

    \b
    Examples:
      fr-eval metrics scores.csv
      fr-eval metrics dev-4col.txt --target-fmr 0.001 --json
      fr-eval metrics genuine.txt impostor.txt --format pyeer
      fr-eval metrics searches.csv --target-fpir 0.01
      fr-eval metrics runs/bob-dev
    """
    from fr_eval import api

    result = api.metrics(files, fmt=fmt, fta=fta, ci=ci, seed=seed, n_boot=n_boot, fmr_targets=target_fmr,
                         fnmr_targets=target_fnmr, fpir_targets=target_fpir,
                         identification=True if identification or target_fpir else None, strict=strict)
    if as_json:
        echo_json(result.to_dict())
    else:
        from fr_eval.report.metrics_text import metrics_text

        click.echo(metrics_text(result, wide=wide))


@click.group()
def scores():
    """Score lists as runs."""


@scores.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The run folder to write.")
@format_option
@click.option("--threshold", type=float, default=None,
              help="The run's operated threshold (default: the list's EER threshold, bob.measure's rule).")
@click.option("--top-k", type=int, default=10, show_default=True,
              help="Candidates kept per identification search beside every one at or above the threshold.")
@click.option("--id", "deployment_id", default=None, help="Deployment id (default scorelist-SHA256 prefix).")
@click.option("--overwrite", is_flag=True, help="Replace an existing run fr-eval made at --out.")
@quiet_option
@json_option
def import_(files, out, fmt, threshold, top_k, deployment_id, overwrite, quiet, as_json):
    """Import a score list (verification comparisons or open-set searches) as a run that score, reconcile,
    sweep, targets, compare, gate, metrics and report read.  Each comparison or search becomes one passage
    (docs/formats.md, "Run from a score list"); scores stay exactly float64; the signature names the file's
    SHA-256.

    \b
    Examples:
      fr-eval scores import dev-1.txt --out runs/bob-dev
      fr-eval scores import genuine.txt impostor.txt --format pyeer --out runs/exp1 --threshold 0.5
      fr-eval scores import searches.csv --out runs/search --threshold 0.7
    """
    from fr_eval import api

    result = api.import_scores(files, out, fmt=fmt, threshold=threshold, top_k=top_k, deployment_id=deployment_id,
                               overwrite=overwrite, command=command_line())
    m = result.manifest
    if as_json:
        echo_json({"run": str(result.run), "summary": m["summary"], "signature": m["signature"],
                   "scorelist": m["scorelist"], "threshold": m["parameters"]["threshold"],
                   "threshold_source": m["parameters"]["threshold_source"]})
        return
    sl, s, p = m["scorelist"], m["summary"], m["parameters"]
    how = "the EER threshold" if p["threshold_source"] == "eer" else "given"
    click.echo("\n".join([
        f"imported {', '.join(f['name'].split(':')[-1] for f in sl['files'])} ({sl['format']}, {sl['kind']}) "
        f"-> {result.run}",
        f"  comparisons {sl['comparisons']:,}: {sl['genuine']:,} genuine, {sl['impostor']:,} impostor; "
        f"missing scores {sl['missing_genuine']:,} genuine, {sl['missing_impostor']:,} impostor",
        f"  passages    {s['passages']:,} ({s['tracks']:,} scored), {s['candidates']:,} candidate scores, "
        f"{s['alerts']:,} alerts at threshold {p['threshold']!r} ({how})",
        *([f"  ranks       {sl['ranks_reordered']:,} searches list candidates in another order than their scores "
           "(the run ranks by score)"] if sl.get("ranks_reordered") else []),
        f"  signature   {m['signature']}"]))
