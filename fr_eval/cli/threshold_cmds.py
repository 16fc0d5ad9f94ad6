"""``fr-eval sweep``, ``fr-eval compare`` and ``fr-eval gate``: thin wrappers over sweep, groups, compare, gate."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

from fr_eval.cli.count_cmds import ci_option, plants_option
from fr_eval.cli.options import json_option


def _load(run, plants_only=False):
    from fr_eval.counting.statistics import load_statistics

    return load_statistics(run, plants_only=plants_only)


def _rate(r) -> str:
    from fr_eval.counting.rates import Rate
    from fr_eval.report.text import pct

    if not isinstance(r, Rate):
        return "-"
    if not r.denominator:
        return f"{r.numerator}/0"
    return f"{r.numerator}/{r.denominator} = {pct(r.value)} [{pct(r.ci95[0])}, {pct(r.ci95[1])}]"


def _dumps(obj) -> str:
    """JSON with NaN and infinities as null (strict JSON parsers reject them)."""
    return json.dumps(_clean(obj), indent=2, default=lambda o: o.item() if hasattr(o, "item") else str(o))


def _clean(obj):
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


@click.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--thresholds", "n_thresholds", type=int, default=15, show_default=True,
              help="Thresholds in the table, spread over the stored scores (the operated one is added).")
@click.option("--at", "at", type=float, multiple=True, help="Explicit threshold (repeatable; replaces --thresholds).")
@click.option("--target-fpir", type=float, default=None, help="Report the lowest threshold with FPIR at most this.")
@click.option("--target-tpir", type=float, default=None, help="Report the highest threshold with TPIR at least this.")
@click.option("--on", "on", type=click.Choice(["point", "ci"]), default="point", show_default=True,
              help="Judge the target on the point value or on the 95% bound.")
@click.option("--by", "by", multiple=True,
              help="Break TPIR and FPIR down by a condition (lighting, crowd, camera, face_size) or a demographic "
                   "column, with a test of difference (repeatable).")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), default=None, help="Write the sweep table as CSV.")
@click.option("--plot", type=click.Path(path_type=Path), default=None, help="Write the DET curve (.png or .svg).")
@plants_option
@ci_option
@json_option
def sweep(run, n_thresholds, at, target_fpir, target_tpir, on, by, csv_path, plot, plants_only, ci, as_json):
    """Every counting method of RUN as a function of threshold, from stored scores (no re-replay)."""
    from fr_eval.store.atomic import write_text
    from fr_eval.counting.groups import breakdown
    from fr_eval.thresholds.sweep import sweep as run_sweep, threshold_for_target

    stats = _load(run, plants_only)
    result = run_sweep(stats, list(at) if at else n_thresholds, ci=ci)
    choices = []
    if target_fpir is not None:
        choices.append(threshold_for_target(stats, target_fpir=target_fpir, on=on, ci=ci))
    if target_tpir is not None:
        choices.append(threshold_for_target(stats, target_tpir=target_tpir, on=on, ci=ci))
    groups = [breakdown(stats, m, b, ci=ci) for b in by for m in ("tpir", "fpir")]
    if csv_path:
        write_text(csv_path, result.table().to_csv(index=False))
    if plot:
        from fr_eval.report.det_figure import det_figure

        det_figure(result, plot)
    if as_json:
        out = result.to_dict()
        out["targets"] = [c.to_dict() for c in choices]
        out["groups"] = [g.to_dict() for g in groups]
        click.echo(_dumps(out))
        return
    from fr_eval.report.text import table

    rows = []
    for p in result.points:
        aph = "-" if p.alerts_per_hour is None else f"{p.alerts_per_hour[0]:.3g} [{p.alerts_per_hour[1]:.3g}, " \
                                                     f"{p.alerts_per_hour[2]:.3g}]"
        rows.append([f"{p.threshold:.4g}{' *' if p.operated else ''}", _rate(p.rates["tpir"]), _rate(p.rates["fpir"]),
                     _rate(p.rates["false_alert_rate"]), _rate(p.rates["precision"]), str(p.alerts), aph])
    click.echo(table(["threshold", "tpir (per passage)", "fpir (per passage)", "false alerts per face",
                      "precision (per alert)", "alerts", "alerts/hour"], rows, "lllllrl"))
    click.echo("* operated threshold.  95% intervals: " + ci + " (false alerts per face and alerts/hour: exact "
               "Poisson)"
               + (f".  Alert counts are exact at thresholds >= {result.lowest_exact:.4g} (top-k stored per track)."
                  if math.isfinite(result.lowest_exact) else "."))
    for c in choices:
        if c.threshold is None:
            click.echo(f"target {c.target} ({c.on}): {c.reason}")
        else:
            click.echo(f"target {c.target} ({'on the 95% bound' if c.on == 'ci' else 'point value'}): threshold "
                       f"{c.threshold:.4g}  tpir {_rate(c.rates['tpir'])}  fpir {_rate(c.rates['fpir'])}")
    for g in groups:
        click.echo(f"\n{g.method} by {g.by}" + (f" ({g.note})" if g.note else ""))
        for name, r in g.rates.items():
            warn = f"  ! {g.warnings[name]}" if name in g.warnings else ""
            click.echo(f"  {name:<16} {_rate(r)}{warn}")
        if g.test is not None:
            p = "-" if g.test.p_value is None else f"{g.test.p_value:.3g}"
            click.echo(f"  {g.test.test}: p = {p}" + ("  SIGNIFICANT DIFFERENCE" if g.test.significant else ""))
    click.echo(f"signature  {result.signature}")


@click.command()
@click.argument("run_a", type=click.Path(path_type=Path))
@click.argument("run_b", type=click.Path(path_type=Path))
@click.option("--allow-different-footage", is_flag=True, help="Compare runs whose footage hashes differ.")
@ci_option
@json_option
def compare(run_a, run_b, allow_different_footage, ci, as_json):
    """Compare two runs on the same footage: methods side by side and paired McNemar tests."""
    from fr_eval.thresholds.compare import compare as run_compare
    from fr_eval.report.text import table

    result = run_compare(_load(run_a), _load(run_b), allow_different_footage=allow_different_footage, ci=ci)
    if as_json:
        click.echo(_dumps(result.to_dict()))
        return
    rows = []
    for r in result.rows:
        a, b = r["a"], r["b"] or {}

        def fmt(d):
            if not d or d.get("value") is None:
                return "-"
            return f"{d['numerator']}/{d['denominator']} = {d['value']:.1%}"
        diff = "-" if r["difference"] is None else f"{r['difference'] * 100:+.1f} pts"
        rows.append([r["id"], fmt(a), fmt(b), diff])
    click.echo(table(["method", "A", "B", "B - A"], rows, "lllr"))
    for t in result.tests:
        click.echo(f"McNemar, {t.what}: A only {t.a_only}, B only {t.b_only}, p = {t.p_value:.3g}"
                   + ("  SIGNIFICANT" if t.significant else ""))
    for n in result.notes:
        click.echo(f"note: {n}")
    click.echo(f"A  {result.a}\nB  {result.b}")


@click.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--policy", required=True, type=click.Path(path_type=Path), help="Policy YAML (docs/formats.md).")
@click.option("--junit", type=click.Path(path_type=Path), default=None, help="Also write JUnit XML here.")
@ci_option
@json_option
def gate(run, policy, junit, ci, as_json):
    """Pass or fail RUN against a POLICY of rules: exit 0 when every rule passes, 1 when one fails."""
    from fr_eval.thresholds.gate import judge, load_policy, summary, write_junit

    pol = load_policy(policy)
    stats = _load(run)
    verdicts = judge(stats, pol, ci=ci)
    if junit:
        write_junit(junit, verdicts, suite=pol.name, signature=stats.signature)
    if as_json:
        click.echo(_dumps({**summary(verdicts), "signature": stats.signature}))
    else:
        for v in verdicts:
            click.echo(v.line())
        failed = sum(not v.passed for v in verdicts)
        click.echo(f"{'FAILED' if failed else 'PASSED'}: {len(verdicts) - failed} of {len(verdicts)} rules pass "
                   f"({stats.signature})")
    if not all(v.passed for v in verdicts):
        sys.exit(1)
