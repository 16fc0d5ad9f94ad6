"""``fr-eval score`` and ``fr-eval reconcile``: parse options, call :mod:`fr_eval.api`, render."""

from __future__ import annotations

from pathlib import Path

import click

from fr_eval.cli.options import (
    ci_option,
    cluster_option,
    echo_json,
    json_option,
    plants_option,
    quiet_option,
    seed_option,
    show_progress,
    strict_option,
    wide_option,
)


@click.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(path_type=Path))
@plants_option
@ci_option
@cluster_option
@seed_option
@strict_option
@json_option
@wide_option
@quiet_option
def score(runs, plants_only, ci, cluster_by, seed, strict, as_json, wide, quiet):
    """Every counting method on replay RUN folder(s).

    With several runs: every method per deployment, then overall on the summed
    counts with a cluster bootstrap by deployment.
    """
    from fr_eval import api
    from fr_eval.report.text import scores_text

    result = api.score(runs, plants_only=plants_only, ci=ci, cluster_by=cluster_by, seed=seed, strict=strict,
                       progress=show_progress(quiet) and len(runs) > 1)
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(scores_text(result, wide=wide))


@click.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@plants_option
@ci_option
@cluster_option
@seed_option
@strict_option
@json_option
@wide_option
def reconcile(sources, plants_only, ci, cluster_by, seed, strict, as_json, wide):
    """Every party's number from SOURCE (a replay run folder or a counts file), reconciled.

    Shows every counting method the counts allow (and what is missing for the
    others), the alert waterfall, the base-rate explanation, the check of the
    claims in a counts file, and why the numbers differ.

    With several SOURCES: one table, a row per method and a column per
    deployment (the same numbers as each source alone), the claims of each,
    and the figures published elsewhere with each method.
    """
    from fr_eval import api

    opts = dict(ci=ci, plants_only=plants_only, cluster_by=cluster_by, seed=seed, strict=strict)
    if len(sources) > 1:
        from fr_eval.report.text import side_by_side_text

        sbs = api.reconcile_many(sources, **opts)
        click.echo(dumps_json(sbs.to_dict()) if as_json else side_by_side_text(sbs, wide=wide))
        return
    from fr_eval.report.text import reconciliation_text

    rec = api.reconcile(sources[0], **opts)
    click.echo(dumps_json(rec.to_dict()) if as_json else reconciliation_text(rec, wide=wide))


def dumps_json(obj) -> str:
    from fr_eval.report.jsonout import dumps

    return dumps(obj)
