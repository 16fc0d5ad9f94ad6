"""``fr-eval sweep``, ``fr-eval compare`` and ``fr-eval gate``: parse options, call :mod:`fr_eval.api`, render."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click

from fr_eval.cli.options import ci_option, echo_json, json_option, plants_option, strict_option


def _cell(r) -> str:
    from fr_eval.counting.rates import Rate

    if not isinstance(r, Rate):
        return "-"
    return r.format(unit=False)


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
def sweep(run, n_thresholds, at, target_fpir, target_tpir, on, by, csv_path, plot, plants_only, ci, strict, as_json):
    """Every counting method of RUN as a function of threshold, from stored scores (no re-replay)."""
    from fr_eval import api
    from fr_eval.report.text import table
    from fr_eval.signature import number

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
    rows = []
    for p in res.sweep.points:
        aph = "-" if p.alerts_per_hour is None else p.alerts_per_hour.format()
        rows.append([number(p.threshold) + (" *" if p.operated else ""), _cell(p.rates["tpir"]),
                     _cell(p.rates["fpir"]), _cell(p.rates["false_alert_rate"]), _cell(p.rates["precision"]),
                     str(p.alerts), aph])
    click.echo(table(["threshold", "tpir (per passage)", "fpir (per passage)", "false alerts per face",
                      "precision (per alert)", "alerts", "alerts/hour"], rows, "lllllrl"))
    exact = res.sweep.exact_above
    click.echo("* operated threshold.  Thresholds are used exactly as printed; a score equal to the threshold "
               f"alerts.  95% intervals: {ci} (per face and per hour: exact Poisson)"
               + (f".  Alert counts are exact above {number(exact)} (top-k stored per track)."
                  if math.isfinite(exact) else "."))
    for c in res.targets:
        if c.threshold is None:
            click.echo(f"target {c.target} ({c.on}): {c.reason}")
            continue
        click.echo(f"target {c.target} ({'on the 95% bound' if c.on == 'ci' else 'point value'}): thresholds "
                   f"{c.interval.text() if c.interval else '-'} meet it; recommended {number(c.threshold)}: "
                   f"tpir {_cell(c.rates['tpir'])}, fpir {_cell(c.rates['fpir'])}")
        click.echo(f"  why: {c.rule}" + (f"; bob.measure's point: {number(c.bob_threshold)}"
                                         if c.bob_threshold is not None else ""))
        if c.reason:
            click.echo(f"  note: {c.reason}")
    for g in res.groups:
        click.echo(f"\n{g.method} by {g.by} at threshold {number(g.threshold)}" + (f" ({g.note})" if g.note else ""))
        for name, r in g.rates.items():
            warn = f"  ! {g.warnings[name]}" if name in g.warnings else ""
            click.echo(f"  {name:<16} {_cell(r)}{warn}")
        if g.test is not None:
            p = "-" if g.test.p_value is None else f"{g.test.p_value:.3g}"
            click.echo(f"  {g.test.test}: p = {p}" + ("  SIGNIFICANT DIFFERENCE" if g.test.significant else ""))
    click.echo(f"signature  {res.sweep.signature.short()}")


@click.command()
@click.argument("run_a", type=click.Path(path_type=Path))
@click.argument("run_b", type=click.Path(path_type=Path))
@click.option("--allow-mismatch", "--allow-different-footage", "allow_mismatch", is_flag=True,
              help="Compare runs whose signatures differ in what is counted (inputs, adjudication, interval).")
@ci_option
@strict_option
@json_option
def compare(run_a, run_b, allow_mismatch, ci, strict, as_json):
    """Compare two runs on the same footage: methods side by side and paired McNemar tests."""
    from fr_eval import api
    from fr_eval.report.text import table

    result = api.compare(run_a, run_b, allow_mismatch=allow_mismatch, ci=ci, strict=strict)
    if as_json:
        echo_json(result.to_dict())
        return
    rows = []
    for r in result.rows:
        a, b = r["a"], r["b"] or {}
        diff = "-" if r["difference"] is None else r["difference"]["text"]
        rows.append([r["id"], a.get("text", "-") if a.get("available") else "-",
                     b.get("text", "-") if b.get("available") else "-", diff])
    click.echo(table(["method", "A", "B", "B - A (Newcombe 95%)"], rows, "llll"))
    for t in result.tests:
        click.echo(f"McNemar, {t.what}: A only {t.a_only}, B only {t.b_only}, p = {t.p_value:.3g}"
                   + ("  SIGNIFICANT" if t.significant else ""))
    for n in result.notes:
        click.echo(f"note: {n}")
    if result.differs:
        click.echo(f"what differs: {', '.join(result.differs)}")
    click.echo(f"A  {result.a}\nB  {result.b}")


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
