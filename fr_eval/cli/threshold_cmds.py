"""``fr-eval sweep``, ``fr-eval compare`` and ``fr-eval gate``: parse options, call :mod:`fr_eval.api`, render."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from fr_eval.cli.options import ci_option, echo_json, json_option, plants_option, strict_option, wide_option


@click.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--thresholds", "n_thresholds", type=click.IntRange(2, 1000), default=15, show_default=True,
              help="Thresholds in the table, spread over the stored scores (the operated one is added).")
@click.option("--at", "at", type=float, multiple=True,
              help="Explicit threshold, used exactly as written (repeatable; replaces --thresholds).")
@click.option("--target-fpir", type=float, default=None,
              help="The interval of thresholds with FPIR at most this (and the best TPIR), and a recommended point.")
@click.option("--target-tpir", type=float, default=None,
              help="The interval of thresholds with TPIR at least this (and the lowest FPIR), and a recommended point.")
@click.option("--on", "on", type=click.Choice(["point", "ci"]), default="point", show_default=True,
              help="Judge the target on the point value or on the 95% bound.")
@click.option("--by", "by", multiple=True,
              help="Break TPIR, FPIR and precision down by a condition (lighting, crowd, camera, face_size) or a "
                   "demographic column, with a test of difference (repeatable).")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), default=None, help="Write the sweep table as CSV.")
@click.option("--plot", type=click.Path(path_type=Path), default=None, help="Write the DET curve (.png or .svg).")
@plants_option
@ci_option
@strict_option
@json_option
@wide_option
def sweep(run, n_thresholds, at, target_fpir, target_tpir, on, by, csv_path, plot, plants_only, ci, strict, as_json,
          wide):
    """Every counting method of RUN as a function of threshold, from stored scores (no re-replay)."""
    from fr_eval import api
    from fr_eval.report.text import sweep_text

    res = api.sweep(run, thresholds=n_thresholds, at=at, target_fpir=target_fpir, target_tpir=target_tpir, on=on,
                    by=by, plants_only=plants_only, ci=ci, strict=strict)
    if csv_path:
        from fr_eval.store.atomic import write_text

        write_text(csv_path, res.sweep.table().to_csv(index=False))
    if plot:
        from fr_eval.report.det_figure import det_figure

        det_figure(res.sweep, plot)
    if as_json:
        echo_json(res.to_dict())
        return
    click.echo(sweep_text(res, ci, wide=wide))


@click.command()
@click.argument("run_a", type=click.Path(path_type=Path))
@click.argument("run_b", type=click.Path(path_type=Path))
@click.option("--allow-mismatch", "--allow-different-footage", "allow_mismatch", is_flag=True,
              help="Compare runs whose signatures differ in what is counted (inputs, adjudication, interval).")
@ci_option
@strict_option
@json_option
@wide_option
def compare(run_a, run_b, allow_mismatch, ci, strict, as_json, wide):
    """Compare two runs on the same footage: methods side by side and paired McNemar tests."""
    from fr_eval import api
    from fr_eval.report.text import compare_text

    result = api.compare(run_a, run_b, allow_mismatch=allow_mismatch, ci=ci, strict=strict)
    if as_json:
        echo_json(result.to_dict())
        return
    click.echo(compare_text(result, wide=wide))


@click.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--policy", required=True, type=click.Path(path_type=Path), help="Policy YAML (docs/formats.md).")
@click.option("--junit", type=click.Path(path_type=Path), default=None,
              help="Also write JUnit XML here (its folder must exist).")
@ci_option
@strict_option
@json_option
def gate(run, policy, junit, ci, strict, as_json):
    """Pass or fail RUN against a POLICY of rules: exit 0 when every rule passes, 1 when one fails."""
    from fr_eval import api
    from fr_eval.thresholds.gate import summary, write_junit

    pol, judgement = api.gate(run, policy, ci=ci, strict=strict)
    if junit:
        write_junit(junit, judgement, suite=pol.name)
    if as_json:
        echo_json(summary(judgement))
    else:
        for v in judgement.verdicts:
            click.echo(v.line())
        failed = sum(not v.passed for v in judgement.verdicts)
        click.echo(f"{'FAILED' if failed else 'PASSED'}: {len(judgement.verdicts) - failed} of "
                   f"{len(judgement.verdicts)} rules pass ({judgement.signature})")
    if not judgement.passed:
        sys.exit(1)
