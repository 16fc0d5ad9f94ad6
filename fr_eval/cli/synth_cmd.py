"""``fr-eval synth``: synthetic deployments from real face photos, their suite, and a simulated operator."""

from __future__ import annotations

from pathlib import Path

import click

from fr_eval.cli.options import command_line, json_option, quiet_option, show_progress


@click.command()
@click.option("--faces", default=None, metavar="DIR|CSV|lfw",
              help="Real face photos, one folder per identity (or a CSV person_id,image). "
                   "Default: ../shared/data/lfw.")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None, help="Bundle folder to write.")
@click.option("--labels", default=None, metavar="TSV|none",
              help="Per-identity demographic labels (first column the identity, e.g. a gender column). "
                   "Default with LFW: its perceived-gender labels.")
@click.option("--faces-root", type=click.Path(path_type=Path), default=None,
              help="Where a faces CSV's image paths start (default: the CSV's folder).")
@click.option("--lighting", type=click.Choice(["day", "night"]), default="day", show_default=True)
@click.option("--crowd", type=click.Choice(["sparse", "dense"]), default="sparse", show_default=True)
@click.option("--duration", type=float, default=60.0, show_default=True, help="Seconds of footage.")
@click.option("--width", type=int, default=640, show_default=True)
@click.option("--height", type=int, default=360, show_default=True)
@click.option("--fps", type=float, default=10.0, show_default=True, help="Frame rate of the footage.")
@click.option("--watchlist-size", type=int, default=50, show_default=True)
@click.option("--plants", type=int, default=8, show_default=True,
              help="Watchlisted volunteers who walk past (need two photos each).")
@click.option("--passes", type=int, default=3, show_default=True, help="Passes per plant.")
@click.option("--crowd-rate", type=float, default=None,
              help="Crowd passages per second (default: 0.35 sparse, 1.6 dense).")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, byte-identical footage and truth.")
@click.option("--threshold", type=float, default=0.5, show_default=True, help="Operated threshold (dlib similarity).")
@click.option("--id", "bundle_id", default=None, help="Bundle id (default synth-LIGHTING-CROWD-sSEED).")
@click.option("--recipe", type=click.Path(path_type=Path), default=None,
              help="Regenerate a bundle from its recipe.yaml (same cast, same bytes).")
@click.option("--suite", type=click.Path(path_type=Path), default=None,
              help="Regenerate every recipe in this folder (datasets/synthetic/suite) into --out-root.")
@click.option("--out-root", type=click.Path(path_type=Path), default=Path("datasets/synthetic/build"),
              show_default=True, help="With --suite: where the bundles go.")
@click.option("--only", multiple=True, help="With --suite: just these recipes (repeatable).")
@click.option("--operator", "operator_run", type=click.Path(path_type=Path), default=None,
              help="Simulate the operator on this replayed synthetic RUN (writes its adjudication).")
@click.option("--operator-seed", type=int, default=0, show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace an existing bundle (only once the new one is complete).")
@json_option
@quiet_option
def synth(faces, out, labels, faces_root, lighting, crowd, duration, width, height, fps, watchlist_size, plants,
          passes, crowd_rate, seed, threshold, bundle_id, recipe, suite, out_root, only, operator_run,
          operator_seed, overwrite, as_json, quiet):
    """Build a synthetic deployment from real face photos.

    Picks a watchlist, planted volunteers and a crowd from --faces, renders an
    MP4 in which they cross a street (day or night, sparse or dense), and
    writes a complete bundle whose truth is exact, with its recipe.

    \b
    fr-eval synth --out build/day-sparse                       # LFW, defaults
    fr-eval synth --lighting night --crowd dense --seed 7 --out build/nd
    fr-eval synth --recipe datasets/synthetic/suite/night-dense.yaml --out build/nd
    fr-eval synth --suite datasets/synthetic/suite --out-root datasets/synthetic/build
    fr-eval synth --operator runs/nd                           # simulated adjudication
    """
    import json

    from fr_eval.errors import InputError

    modes = [m for m, on in (("--recipe", recipe), ("--suite", suite), ("--operator", operator_run)) if on]
    if len(modes) > 1:
        raise InputError(f"{' and '.join(modes)} cannot be combined", hint="run them one at a time")
    progress = show_progress(quiet)
    if operator_run:
        from fr_eval.synth.operator import OperatorModel, simulate_operator

        rows = simulate_operator(operator_run, OperatorModel(seed=operator_seed), overwrite=overwrite)
        sizes = rows.groupby(["operator_decision", "engagement", "verification"]).size()
        funnel = {"/".join(k): int(v) for k, v in sizes.items()}
        if as_json:
            click.echo(json.dumps({"run": str(operator_run), "alerts": len(rows), "funnel": funnel}, indent=2))
        else:
            click.echo(f"simulated operator on {len(rows)} alerts of {operator_run} (written to its bundle copy):")
            for k, v in funnel.items():
                click.echo(f"  {v:5d}  {k}")
        return
    if suite:
        from fr_eval.synth import build_suite

        results = build_suite(suite, out_root, faces=faces, only=list(only) or None, progress=progress)
        _report([(name, r, d) for name, r, d in results], as_json)
        return
    if out is None:
        raise InputError("--out is missing", hint="give the bundle folder to write, e.g. --out build/day-sparse")
    if recipe:
        from fr_eval.synth import synthesize_recipe

        result, differ = synthesize_recipe(recipe, out=out, faces=faces, overwrite=overwrite, progress=progress,
                                           command=command_line())
        _report([(out.name, result, differ)], as_json)
        return
    from fr_eval.synth import SynthSpec, synthesize

    spec = SynthSpec(lighting=lighting, crowd=crowd, duration=duration, width=width, height=height, fps=fps,
                     watchlist_size=watchlist_size, plants=plants, passes=passes, crowd_rate=crowd_rate, seed=seed,
                     threshold=threshold, id=bundle_id)
    result = synthesize(spec, out=out, faces=faces, labels=labels, faces_root=faces_root, overwrite=overwrite,
                        progress=progress, command=command_line())
    _report([(out.name, result, None)], as_json)


def _report(results, as_json: bool) -> None:
    import json

    if as_json:
        click.echo(json.dumps([{"name": n, "path": str(r.path), "frames": r.frames, "passages": r.passages,
                                "plant_passages": r.plant_passages, "seconds": round(r.seconds, 2),
                                "frames_per_second": round(r.frames_per_second, 1),
                                "differs_from_recipe": d} for n, r, d in results], indent=2))
        return
    for name, r, differ in results:
        click.echo(f"{name}: {r.path}  {r.frames} frames, {r.passages} passages ({r.plant_passages} by plants), "
                   f"{r.seconds:.1f} s ({r.frames_per_second:.1f} frames/s)")
        if differ:
            click.echo(f"  note: {', '.join(differ)} differ from the recipe's SHA-256 (another fr-eval, PyAV or "
                       "x264 version renders different bytes; the cast and truth times are the same)")
        elif differ is not None:
            click.echo("  identical to the recipe (SHA-256 of footage, truth and watchlist)")
