"""``fr-eval replay``, ``fr-eval validate``, ``fr-eval verify`` and ``fr-eval matchers``."""

from __future__ import annotations

from pathlib import Path

import click

from fr_eval.cli.options import command_line, echo_json, json_option, quiet_option, show_progress, wide_option


def _matcher_options(pairs: tuple[str, ...]) -> dict:
    from fr_eval.errors import InputError

    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise InputError(f"--matcher-option {pair!r} is not KEY=VALUE")
        k, v = pair.split("=", 1)
        if not k.strip():
            raise InputError(f"--matcher-option {pair!r} has no key", hint="write KEY=VALUE, e.g. upsample=1")
        out[k.strip().replace("-", "_")] = v.strip()
    return out


@click.command()
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Run folder to write.")
@click.option("--matcher", "-m", default=None,
              help="Matcher name, or DETECTOR+EMBEDDER such as yunet+dlib (default: the bundle's; see "
                   "`fr-eval matchers`).")
@click.option("--detector", default=None, help="Face detector, e.g. yunet, hog (the embedder stays the bundle's).")
@click.option("--embedder", default=None, help="Face embedder, e.g. dlib (the detector stays the bundle's).")
@click.option("--matcher-option", "matcher_opts", multiple=True, metavar="KEY=VALUE",
              help="Matcher setting, e.g. upsample=0, or detector.KEY=VALUE (repeatable).")
@click.option("--scores", type=click.Path(path_type=Path), default=None,
              help="With --matcher scores: the CSV of recorded scores to import.")
@click.option("--fps", type=float, default=5.0, show_default=True, help="Frames sampled per second of footage.")
@click.option("--threshold", type=float, default=None, help="Alert threshold (default: the bundle's operated one).")
@click.option("--top-k", type=int, default=10, show_default=True, help="Candidate scores kept per track.")
@click.option("--faces-per-track", type=int, default=3, show_default=True,
              help="Best-quality faces embedded per track.")
@click.option("--chunk-seconds", type=float, default=None,
              help="Length of a work chunk (default: from the footage and the workers; changes no number).")
@click.option("--workers", "-j", type=int, default=None, help="Local worker processes (default: every core).")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT", help="Run chunks on a dask.distributed cluster.")
@click.option("--keep-embeddings", is_flag=True,
              help="Keep embeddings of every track (default: only of tracks that alerted).")
@click.option("--resume", is_flag=True, help="Finish an interrupted replay (RUN.partial).")
@click.option("--overwrite", is_flag=True,
              help="Replace an existing run fr-eval made (the old one is kept until the new one is complete).")
@json_option
@quiet_option
def replay(bundle, out, matcher, detector, embedder, matcher_opts, scores, fps, threshold, top_k, faces_per_track,
           chunk_seconds, workers, scheduler, keep_embeddings, resume, overwrite, as_json, quiet):
    """Replay BUNDLE's footage through a face matcher into the run folder OUT.

    Detects faces in sampled frames, links them into face tracks, embeds the
    best faces of each track, scores them against the watchlist and raises one
    alert per track and subject whose similarity reaches the threshold.
    """
    from fr_eval.replay.pipeline import ExecOptions, ReplayOptions
    from fr_eval.replay.pipeline import replay as run_replay
    from fr_eval.replay.tracking import TrackerParams

    opts = _matcher_options(matcher_opts)
    if scores is not None:
        opts["path"] = str(scores.resolve())
        matcher = matcher or "scores"
    options = ReplayOptions(matcher=matcher, detector=detector, embedder=embedder, matcher_options=opts, fps=fps,
                            threshold=threshold, top_k=top_k,
                            keep_embeddings=keep_embeddings, tracker=TrackerParams(keep_best=faces_per_track))
    execution = ExecOptions(workers=workers, scheduler=scheduler, chunk_s=chunk_seconds, resume=resume,
                            overwrite=overwrite, progress=show_progress(quiet))
    say = (lambda msg: None) if quiet else (lambda msg: click.echo(msg, err=True))
    result = run_replay(bundle, out, options, execution, on_event=say, command=command_line())
    if as_json:
        echo_json({"run": str(result.run), "summary": result.summary, "signature": result.manifest["signature"],
                   "coverage": result.manifest.get("coverage", [])})
        return
    click.echo(format_summary(result.run, result.manifest))


def format_summary(run: Path, manifest: dict) -> str:
    from fr_eval.replay.coverage import describe
    from fr_eval.store.runs import open_run, read_table

    s = manifest["summary"]
    lines = [f"replayed {manifest['bundle']['id']} -> {run}",
             f"  matcher    {manifest['matcher']['name']} ({manifest['matcher']['version']}), "
             f"threshold {manifest['parameters']['threshold']:g}, {manifest['parameters']['fps']:g} fps sampled"]
    if s["footage_s"]:
        rtf = s["realtime_factor"]
        lines.append(f"  footage    {s['footage_s']:.1f} s, {s['frames']} frames sampled, {s['faces']} faces, "
                     f"{s['tracks']} tracks, {s['alerts']} alerts")
        lines.append(f"  time       {s['wall_s']:.1f} s wall, real-time factor {rtf:.2f} "
                     f"({'faster' if rtf < 1 else 'slower'} than real time: {s['speed_x_realtime']:.2f}x)")
    else:
        lines.append(f"  imported   {s['tracks']} face events, {s['candidates']} candidate scores, "
                     f"{s['alerts']} alerts")
    for p in manifest.get("decode_problems", []):
        lines.append(f"  warning    {p['footage']}: decoding broke at {p['broke_at_s']:.2f} s ({p['error']}); "
                     "frames before it were used")
    for line in describe(manifest.get("coverage", [])):
        lines.append(f"  coverage   {line}; passages there are not counted")
    alerts = read_table(run, "alerts", manifest=open_run(run))
    if len(alerts):
        lines.append("  alerts:")
        for a in alerts.sort_values(["camera", "t"]).itertuples():
            lines.append(f"    {a.alert_id:<32} {a.camera:<12} t={a.t:7.2f}s  {a.subject_id:<20} "
                         f"similarity {a.similarity:.3f}")
    lines.append(f"  signature  {manifest['signature']}")
    return "\n".join(lines)


@click.command()
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--matcher", "-m", default=None, help="Matcher to check against (default: the bundle's).")
@click.option("--detector", default=None, help="Face detector (with the bundle's embedder).")
@click.option("--embedder", default=None, help="Face embedder (with the bundle's detector).")
@click.option("--no-enrol", is_flag=True, help="Skip enrolling the watchlist (faster; a photo without a face "
                                                "is then found only by replay).")
def validate(bundle, matcher, detector, embedder, no_enrol):
    """Check a deployment BUNDLE as a replay would (files, columns, types, paths, footage, matcher, enrolment)."""
    from fr_eval.replay.pipeline import ReplayOptions
    from fr_eval.replay.pipeline import validate as run_validate

    v = run_validate(bundle, ReplayOptions(matcher=matcher, detector=detector, embedder=embedder),
                     enrol=not no_enrol)
    b = v["bundle"]
    n_truth = 0 if b.truth is None else len(b.truth)
    click.echo(f"{b.root}: valid bundle {b.id!r}: {len(b.watchlist)} watchlist subjects"
               f"{' enrolled' if v['enrolled'] else ''} with {v['matcher']} (threshold {v['threshold']:g}), "
               f"{len(b.footage)} footage ({v['footage_s']:.1f} s), {n_truth} truth passages, "
               f"{0 if b.adjudication is None else len(b.adjudication)} adjudicated alerts")


@click.command()
@wide_option
@json_option
def matchers(wide, as_json):
    """List installed matchers, detectors and embedders (with version, licence and weights' SHA-256)."""
    from fr_eval.replay.matchers.catalogue import catalogue

    rows = catalogue()
    if as_json:
        echo_json(rows)
        return
    click.echo(catalogue_text(rows, wide=wide))


def catalogue_text(rows: list[dict], wide: bool = False) -> str:
    from fr_eval.report.tables import dropped_note, fit

    body = []
    for r in rows:
        weights = ", ".join(f"{k} {v[:12]}" for k, v in r["weights"].items()) or "none"
        what = r["problem"] or r["description"]
        body.append([r["kind"], r["name"], r["package"], r["version"], r["licence"], weights, what])
    out, dropped = fit(["kind", "name", "from", "version", "licence", "weights (SHA-256, first 12)", "what"], body,
                       priority=[0, 0, 2, 4, 1, 3, 5], align="lllllll", wide=wide, wrap={4: 14, 5: 24, 6: 24})
    note = dropped_note(dropped) if dropped else ""
    return (out + ("\n" + note if note else "") + "\n\nCompose a detector and an embedder with --detector/--embedder "
            "or -m DETECTOR+EMBEDDER (e.g. yunet+dlib); docs/matchers.md says which to choose when.")


@click.command()
@click.argument("run", type=click.Path(path_type=Path))
@json_option
def verify(run, as_json):
    """Check that every part of a RUN folder is as its sealed manifest lists it (exit 1 when not)."""
    import sys

    from fr_eval import api

    problems = api.verify(run)
    if as_json:
        echo_json({"run": str(run), "ok": not problems, "problems": problems})
    elif problems:
        for p in problems:
            click.echo(f"{run}: {p}")
    else:
        click.echo(f"{run}: every part is as sealed (SHA-256 of each part, rows of each table)")
    if problems:
        sys.exit(1)
