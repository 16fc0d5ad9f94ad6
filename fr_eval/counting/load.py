"""Load what is counted: a run folder as :class:`~fr_eval.counting.statistics.RunStatistics`, or a counts file
as a :class:`~fr_eval.counting.funnel.Funnel`.

A run folder is read through :mod:`fr_eval.store.runs`, which checks every part against the sealed manifest
first (a missing, extra or changed part is refused, never scored), and its bundle copy through
:func:`fr_eval.inputs.bundle.load_bundle`, which validates it like any bundle.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fr_eval.counting.counts_file import load_counts
from fr_eval.counting.funnel import Funnel
from fr_eval.errors import InputError

if TYPE_CHECKING:   # NumPy and pandas load only when a run folder is read, not for a counts file
    from fr_eval.counting.statistics import RunStatistics


def load_statistics(run: str | Path, *, plants_only: bool = False, strict: bool = False) -> RunStatistics:
    """Load a replay run folder as per-passage, per-track and per-candidate rows.

    Parameters
    ----------
    run : the run folder written by ``fr-eval replay`` (or ``fr-eval scores import``).
    plants_only : restrict watchlisted passages to planted volunteers (``--plants-only``).
    strict : refuse a run whose truth links are ambiguous (``--strict``).

    Raises
    ------
    InputError
        Not a complete run; a part missing, extra or changed; an invalid bundle copy; overlapping truth;
        adjudication naming unknown alerts; ambiguous links with ``strict``.

    Examples
    --------
    >>> stats = load_statistics("runs/demo")              # doctest: +SKIP
    >>> stats.passages[["passage_id", "mated_score"]]      # doctest: +SKIP
    """
    from fr_eval.counting.statistics import RunStatistics, footage_hours_of
    from fr_eval.inputs.bundle import load_bundle
    from fr_eval.store.runs import open_run, read_table, verify_parts

    run = Path(run)
    manifest = open_run(run)
    verify_parts(run, manifest, "bundle/")        # an edited truth or adjudication copy is refused, not scored
    bundle_dir = run / "bundle"
    bundle = load_bundle(bundle_dir, check_media=False)
    tracks = read_table(run, "tracks", manifest=manifest)
    candidates = read_table(run, "candidates", manifest=manifest)
    detections = None
    if bundle.truth_boxes is not None:
        detections = read_table(run, "detections", columns=["track_id", "t", "x0", "y0", "x1", "y1"],
                                manifest=manifest)
    params = manifest.get("parameters", {})
    threshold = float(params.get("threshold", bundle.threshold))
    source = dict(manifest.get("adjudication") or {"kind": "file" if bundle.adjudication is not None else "none"})
    stats = RunStatistics.from_frames(
        tracks=tracks, candidates=candidates, threshold=threshold, truth=bundle.truth,
        truth_boxes=bundle.truth_boxes, adjudication=bundle.adjudication, detections=detections,
        watchlist=bundle.watchlist, deployment=bundle.id, lighting=bundle.lighting, crowd=bundle.crowd,
        footage_hours=footage_hours_of(manifest), faces_processed=bundle.faces_processed,
        demographics=bundle.demographic_columns, plants_only=plants_only, manifest=manifest, bundle=bundle,
        adjudication_source=source, coverage=manifest.get("coverage") or [], strict=strict,
        where=str(bundle_dir))
    _check_recorded_alerts(run, manifest, stats)
    return stats


def _check_recorded_alerts(run: Path, manifest: dict, stats: RunStatistics) -> None:
    """The alerts table a run records must be exactly what the alert rule gives on its candidates."""
    from fr_eval.store.runs import read_table

    recorded = read_table(run, "alerts", columns=["alert_id"], manifest=manifest)
    derived = set(stats.alerts["alert_id"])
    got = set(recorded["alert_id"])
    if got != derived:
        odd = sorted(got ^ derived)[0]
        raise InputError(f"{run}: the alerts table does not follow the alert rule on the stored candidates "
                         f"({len(got ^ derived)} differ, e.g. {odd})",
                         hint="the run is damaged or was edited; replay it again")


def load_source(path: str | Path, *, plants_only: bool = False, strict: bool = False) -> RunStatistics | Funnel:
    """A counts file (``.yaml``) as a :class:`Funnel`, or a run folder as :class:`RunStatistics`."""
    path = Path(path)
    if path.is_dir():
        return load_statistics(path, plants_only=plants_only, strict=strict)
    if path.suffix.lower() in (".yaml", ".yml"):
        if plants_only:
            raise InputError("--plants-only applies to replay runs",
                             hint="a counts file gives plant_passages and plant_alerts directly")
        return load_counts(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder", hint="give a replay run folder or a counts file (.yaml)")
    raise InputError(f"{path}: neither a run folder nor a counts file", hint="counts files end in .yaml")
