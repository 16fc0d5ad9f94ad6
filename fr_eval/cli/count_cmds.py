"""``fr-eval score`` and ``fr-eval reconcile``: thin wrappers over fr_eval.counting.score and fr_eval.counting.reconcile."""

from __future__ import annotations

import json
from pathlib import Path

import click

from fr_eval.cli.options import json_option, quiet_option, show_progress

ci_option = click.option("--ci", "ci", type=click.Choice(["clopper-pearson", "wilson", "bootstrap"]),
                         default="clopper-pearson", show_default=True,
                         help="95% interval: exact Clopper-Pearson, Wilson, or a cluster bootstrap.")
plants_option = click.option("--plants-only", is_flag=True,
                             help="Count only planted watchlisted volunteers as watchlisted passages (tpir family).")
cluster_option = click.option("--cluster-by", type=click.Choice(["subject", "camera"]), default="subject",
                              show_default=True, help="With --ci bootstrap: resample whole subjects or cameras.")


@click.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(path_type=Path))
@plants_option
@ci_option
@cluster_option
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@json_option
@quiet_option
def score(runs, plants_only, ci, cluster_by, seed, as_json, quiet):
    """Every counting method on replay RUN folder(s).

    With several runs: every method per deployment, then overall on the summed
    counts with a cluster bootstrap by deployment.
    """
    from fr_eval.report.text import scores_text
    from fr_eval.counting.score import score_runs

    result = score_runs(runs, plants_only=plants_only, ci=ci, cluster_by=cluster_by, seed=seed,
                        progress=show_progress(quiet) and len(runs) > 1)
    if as_json:
        click.echo(_dumps(result.to_dict()))
    else:
        click.echo(scores_text(result))


@click.command()
@click.argument("source", type=click.Path(path_type=Path))
@plants_option
@ci_option
@cluster_option
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@json_option
def reconcile(source, plants_only, ci, cluster_by, seed, as_json):
    """Every party's number from SOURCE (a replay run folder or a counts file), reconciled.

    Shows every counting method the counts allow (and what is missing for the
    others), the alert waterfall, the base-rate explanation, the check of the
    claims in a counts file, and why the numbers differ.
    """
    from fr_eval.counting.reconcile import reconcile as run_reconcile
    from fr_eval.report.text import reconciliation_text

    rec = run_reconcile(source, ci=ci, plants_only=plants_only, cluster_by=cluster_by, seed=seed)
    if as_json:
        click.echo(_dumps(rec.to_dict()))
    else:
        click.echo(reconciliation_text(rec))


def _dumps(obj) -> str:
    """Strict JSON (NaN becomes null)."""
    return json.dumps(_clean(obj), indent=2, allow_nan=False, default=_json_default)


def _clean(obj):
    import math

    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def _json_default(obj):
    import math

    import numpy as np

    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return None if math.isnan(obj) else float(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, tuple):
        return list(obj)
    return str(obj)
