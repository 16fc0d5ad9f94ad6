"""A score list as a run: ``fr-eval scores import FILE... --out RUN``.

A score list (:mod:`fr_eval.inputs.scorelists`: verification comparisons or open-set identification
searches) becomes a sealed run folder that every command reads -- score, reconcile, sweep, targets,
compare, gate, metrics and the report -- through the same rows, the same alert rule and the same counter
as a replay of footage.  Nothing is counted here: the list is turned into truth passages and face tracks,
and each track's candidate list comes from :func:`fr_eval.replay.scoring.track_candidates` (the one
candidate rule) and its alerts from :func:`fr_eval.replay.scoring.alert_table` (the one alert rule).

**Mapping** (docs/formats.md, "Run from a score list"):

* a *verification comparison* is one passage on camera ``scores`` with one face scored against the
  compared subject only: a genuine comparison is a passage of that (watchlisted) subject, an impostor one
  a passage of someone who is not that subject (not watchlisted for the claim).  So, at any threshold,
  TPIR = 1 - FNMR and FPIR = FMR, counted per comparison;
* an *identification search* is one passage whose face is scored against every candidate the search
  returned: a mated search is a passage of its (watchlisted) true subject, a non-mated one a passage of
  someone not on the watchlist.  So TPIR = 1 - FNIR (any rank) and FPIR = FPIR, per search.  Ranks are
  recomputed from the scores by the one rule (ties to the smaller subject id); ranks given in the file
  that disagree are counted in the manifest;
* a *failure to acquire* (no score) is a passage with no track: it never alerts and stays in the
  denominators (ISO/IEC 19795-1's count convention, ``fta="count"`` of the metrics);
* ``person_id`` is the compared subject for a genuine comparison; for an impostor one the probe's true
  subject where the list names it (bob's real_id, ``true_subject``), else the probe label, else a
  per-comparison id: the cluster bootstrap resamples people; ``group`` becomes a passage column
  (``--by group``).

Each passage has its own ten-second slot; the slots follow a canonical order of the list's content (not
its row order), so shuffling the rows of the file changes no byte of the run but the manifest's times.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fr_eval import __version__
from fr_eval.errors import InputError
from fr_eval.inputs.scorelists import ScoreList
from fr_eval.replay.pipeline import MAX_TOP_K, ReplayResult
from fr_eval.replay.run_folder import OutLock, jsonable, now, prepare_folders, swap_into_place
from fr_eval.replay.scoring import alert_table, track_candidates
from fr_eval.signature import for_run
from fr_eval.store.atomic import write_bytes
from fr_eval.store.runs import SCHEMA, seal, table_rows, write_manifest, write_part

CAMERA = "scores"
SLOT_S = 10.0            # each passage owns [SLOT_S * i, SLOT_S * i + 1]; its track sits inside it
START = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)   # nominal: a score list has no clock


def import_scorelist(sl: ScoreList, out: str | Path, *, threshold: float, threshold_source: str = "given",
                     top_k: int = 10, deployment_id: str | None = None, overwrite: bool = False,
                     command: str | None = None, on_event: Callable[[str], None] | None = None) -> ReplayResult:
    """Write the score list ``sl`` (read by :func:`fr_eval.inputs.scorelists.read_scorelist`) as the run folder
    ``out`` (built beside it, sealed, then renamed).  :func:`fr_eval.api.import_scores` reads the files and
    chooses the default threshold.

    Parameters
    ----------
    threshold : the run's operated threshold (float64, as given); ``threshold_source`` says where it came
        from (``given`` or ``eer``), recorded in the manifest.
    top_k : candidates kept per search beside every one at or above the threshold (as a replay's).
    deployment_id : the run's deployment id (default ``scorelist-`` and the first file's SHA-256).
    """
    say = on_event or (lambda msg: None)
    started = time.perf_counter()
    files = [Path(p) for p in sl.paths]
    if not isinstance(top_k, int) or isinstance(top_k, bool) or not 1 <= top_k <= MAX_TOP_K:
        raise InputError(f"--top-k must be a whole number in [1, {MAX_TOP_K:,}], got {top_k!r}")
    if not len(sl):
        raise InputError(f"{files[0]}: the score list has no comparisons")
    threshold = float(threshold)
    if not np.isfinite(threshold):
        raise InputError(f"--threshold must be a finite number, got {threshold!r}")
    source = threshold_source
    say(f"read {len(sl):,} comparisons ({sl.format}); threshold {threshold!r} ({source})")
    bundle_id = deployment_id or f"scorelist-{sl.sha256[0][:12]}"
    _check_id(bundle_id)
    kind = "identification" if sl.format == "openset" else "verification"
    passages, faces = (_searches(sl) if kind == "identification" else _comparisons(sl))
    out = Path(out)
    work = out.with_name(out.name + ".partial")
    protect = sorted({f.resolve().parent for f in files})
    with OutLock(out):
        prepare_folders(out, work, overwrite=overwrite, resume=False, bundle_root=protect[0])
        try:
            manifest = _manifest(sl, files, kind, bundle_id, threshold, source, top_k, command)
            work.mkdir(parents=True, exist_ok=True)
            write_manifest(work, manifest)
            _write_bundle(work / "bundle", sl, passages, bundle_id, threshold)
            tables = _tables(passages, faces, threshold, top_k)
            manifest["scorelist"]["ranks_reordered"] = tables.pop("ranks_reordered")
            for name in ("tracks", "candidates", "alerts"):
                if len(tables[name]):
                    write_part(work, name, "00", tables[name])
            wall = time.perf_counter() - started
            manifest["timings"] = {"wall_s": round(wall, 3), "finished": now()}
            manifest["complete"] = True
            seal(work, manifest)
            manifest["summary"] = {"footage_s": 0.0, "frames": 0, "faces": 0,
                                   "tracks": table_rows(work, "tracks", manifest),
                                   "candidates": table_rows(work, "candidates", manifest),
                                   "alerts": table_rows(work, "alerts", manifest), "wall_s": round(wall, 3),
                                   "passages": len(passages)}
            manifest["signature"] = for_run(manifest).short()
            write_manifest(work, manifest)
        except BaseException:
            from fr_eval.store.ownership import remove_own_folder

            if work.exists():
                remove_own_folder(work, "run", protect=protect)
            raise
        swap_into_place(work, out, protect[0])
    return ReplayResult(out, manifest)


# -- passages and faces ----------------------------------------------------------------------------

def _labels(values: np.ndarray | None, n: int) -> np.ndarray:
    return np.full(n, "", dtype=object) if values is None else np.asarray(values, dtype=object).astype(str)


def _comparisons(sl: ScoreList) -> tuple[pd.DataFrame, list[tuple[np.ndarray, np.ndarray]]]:
    """One passage per comparison, and its face: (subjects compared, scores)."""
    n = len(sl)
    subject = _labels(sl.reference if sl.reference is not None else sl.subject, n)
    if sl.subject is None and sl.reference is None:
        subject[:] = "enrolled"            # a list without labels compares every probe with one reference
    true = _labels(sl.true_subject, n)
    probe = _labels(sl.probe, n)
    group = _labels(sl.group, n)
    genuine = np.asarray(sl.genuine, dtype=bool)
    score = np.asarray(sl.score, dtype=np.float64)
    key = np.lexsort((np.nan_to_num(score, nan=np.inf), group, probe, true, subject, ~genuine))
    person = np.where(true != "", true, np.where(probe != "", probe, ""))
    rows, faces = [], []
    for i, r in enumerate(key):
        pid = subject[r] if genuine[r] else (person[r] or f"comparison-{i + 1}")
        rows.append({"passage_id": f"c{i + 1:07d}", "subject_id": subject[r] if genuine[r] else "",
                     "person_id": pid, "group": group[r], "score": score[r]})
        faces.append((np.array([subject[r]], dtype=object), np.array([score[r]])))
    return pd.DataFrame(rows), faces


def _searches(sl: ScoreList) -> tuple[pd.DataFrame, list[tuple[np.ndarray, np.ndarray]]]:
    """One passage per search, and its face: (candidates returned, their scores)."""
    s = sl.searches
    assert s is not None
    n = len(s)
    probe = _labels(s.probe, n)
    true = _labels(s.true_subject, n)
    group = _labels(_search_groups(sl), n)
    rows, faces = [], []
    for i, r in enumerate(np.argsort(probe, kind="stable")):
        a, b = s.start[r], s.start[r + 1]
        rows.append({"passage_id": f"s{i + 1:07d}", "subject_id": true[r] if s.mated[r] else "",
                     "person_id": true[r] or probe[r], "group": group[r],
                     "score": np.nan if s.fta[r] else 0.0, "_file_rank": s.rank[a:b] if s.rank_given else None})
        faces.append((np.asarray(s.subject[a:b], dtype=object).astype(str), np.asarray(s.score[a:b], np.float64)))
    return pd.DataFrame(rows), faces


def _search_groups(sl: ScoreList) -> np.ndarray | None:
    """The group of each search (searches in order of first appearance); every row of a probe must agree."""
    if sl.group is None or sl.probe is None:
        return None
    codes, _ = pd.factorize(np.asarray(sl.probe, dtype=object), sort=False)
    first = np.unique(codes, return_index=True)[1]
    groups = np.asarray(sl.group, dtype=object).astype(str)
    bad = np.flatnonzero(groups != groups[first][codes])
    if len(bad):
        row = int(bad[0])
        raise InputError(f"probe {sl.probe[row]!r} has a different group here than on its first row",
                         where=sl.where(row), hint="group describes the probe: give the same value on all its rows")
    return groups[first]


def _tables(passages: pd.DataFrame, faces: list[tuple[np.ndarray, np.ndarray]], threshold: float,
            top_k: int) -> dict[str, Any]:
    track_rows, cand_rows, reordered = [], [], 0
    for i, (p, (subjects, scores)) in enumerate(zip(passages.to_dict("records"), faces, strict=True)):
        ok = ~np.isnan(scores)
        if not ok.any():
            continue                                   # a failure to acquire: a passage with no track
        t = SLOT_S * i + 0.5
        tid = f"{CAMERA}-00-{p['passage_id']}"
        scored = track_candidates(scores[ok][None, :], np.array([t]), subjects[ok], top_k=top_k,
                                  threshold=threshold)
        file_rank = p.get("_file_rank")
        if file_rank is not None:
            given = dict(zip(subjects[ok], np.asarray(file_rank)[ok], strict=True))
            if any(given[c["subject_id"]] != c["rank"] for c in scored.candidates):
                reordered += 1
        track_rows.append({"track_id": tid, "t_start": t - 0.25, "t_end": t + 0.25, "n_detections": 0,
                           "n_embedded": 1, "best_t": t, "best_x0": None, "best_y0": None, "best_x1": None,
                           "best_y1": None, "face_px": np.nan, "footage": 0, "camera": CAMERA,
                           "top_subject": scored.top_subject, "top_similarity": scored.top_similarity,
                           "alerted": scored.alerted, "embedding": None})
        cand_rows += [{"track_id": tid, "camera": CAMERA, **c} for c in scored.candidates]
    candidates = pd.DataFrame(cand_rows, columns=["track_id", "camera", "rank", "subject_id", "similarity", "t",
                                                  "face_t", "face_similarity"])
    return {"tracks": pd.DataFrame(track_rows), "candidates": candidates,
            "alerts": alert_table(candidates, threshold, footage=0, footage_start=START),
            "ranks_reordered": reordered}


# -- the bundle copy and the manifest ---------------------------------------------------------------

def _write_bundle(dest: Path, sl: ScoreList, passages: pd.DataFrame, bundle_id: str, threshold: float) -> None:
    """deployment.yaml, watchlist.csv and truth.csv of the list, as a bundle the run's readers validate."""
    import yaml

    enrolled = sorted(set(passages["subject_id"]) - {""} | _compared(sl))
    has_group = sl.group is not None
    spec: dict[str, Any] = {
        "schema": "fr-eval/bundle/1", "id": bundle_id,
        "title": f"Score list {', '.join(Path(p).name for p in sl.paths)} ({sl.format})",
        "place": "not applicable: a score list, not a deployment",
        "start_time": START.isoformat().replace("+00:00", "Z"),
        "conditions": {"lighting": "unknown", "crowd": "unknown"},
        "threshold": threshold, "matcher": "scorelist", "watchlist": "watchlist.csv",
        "footage": [{"path": "scores", "camera": CAMERA}], "truth": "truth.csv",
        "faces_processed": int(np.count_nonzero(~np.isnan(passages["score"].to_numpy(np.float64)))),
        "notes": ("Generated by fr-eval scores import from a score list: one truth passage per comparison or "
                  "search on camera 'scores', each in its own 10-second slot; start_time is nominal. "
                  "Subjects have no images."),
    }
    if has_group:
        spec["demographics"] = ["group"]
    write_bytes(dest / "deployment.yaml", yaml.safe_dump(spec, sort_keys=False, allow_unicode=True).encode())
    wl = pd.DataFrame({"subject_id": enrolled, "image": [f"no-image/{i}" for i in range(len(enrolled))]})
    write_bytes(dest / "watchlist.csv", _csv(wl))
    n = len(passages)
    truth = pd.DataFrame({"passage_id": passages["passage_id"], "camera": CAMERA,
                          "t_start": SLOT_S * np.arange(n), "t_end": SLOT_S * np.arange(n) + 1.0,
                          "subject_id": passages["subject_id"], "person_id": passages["person_id"],
                          "plant": "false"})
    if has_group:
        truth["group"] = passages["group"]
    write_bytes(dest / "truth.csv", _csv(truth))


def _compared(sl: ScoreList) -> set[str]:
    if sl.searches is not None:
        return set(np.asarray(sl.searches.subject, dtype=object).astype(str))
    labels = sl.reference if sl.reference is not None else sl.subject
    return {"enrolled"} if labels is None else set(np.asarray(labels, dtype=object).astype(str))


def _csv(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False, lineterminator="\n", float_format="%.17g")
    return buf.getvalue().encode()


def _manifest(sl: ScoreList, files: list[Path], kind: str, bundle_id: str, threshold: float, source: str,
              top_k: int, command: str | None) -> dict[str, Any]:
    names = _input_names(files)
    return {
        "schema": SCHEMA, "complete": False, "fr_eval_version": __version__, "created": now(), "command": command,
        "source_kind": "scorelist",
        "bundle": {"id": bundle_id, "title": f"Score list ({sl.format})", "place": None,
                   "path": str(files[0].resolve()), "lighting": "unknown", "crowd": "unknown",
                   "start_time": START.isoformat(), "operated_threshold": threshold, "operated_matcher": "scorelist"},
        "matcher": {"name": "scorelist", "version": __version__,
                    "description": f"scores read from a {sl.format} score list (no footage, no matcher run)",
                    "parameters": {"format": sl.format}},
        "parameters": jsonable({"threshold": threshold, "threshold_source": source, "top_k": top_k,
                                "matcher": "scorelist", "format": sl.format, "kind": kind}),
        "inputs": {"bundle_id": bundle_id, "files": dict(zip(names, sl.sha256, strict=True))},
        "adjudication": {"kind": "none"},
        "scorelist": {**sl.describe(), "kind": kind, "files": [{"name": n, "sha256": h}
                                                               for n, h in zip(names, sl.sha256, strict=True)]},
        "footage": [{"path": "scores", "camera": CAMERA, "start_time": START.isoformat(), "kind": "scorelist",
                     "duration_s": None, "fps": None}],
    }


def _input_names(files: list[Path]) -> list[str]:
    names = [f"scorelist:{f.name}" for f in files]
    if len(set(names)) < len(names):
        names = [f"scorelist:{i + 1}:{f.name}" for i, f in enumerate(files)]
    return names


def _check_id(bundle_id: str) -> None:
    from fr_eval.inputs.bundle import ID_RE

    if not ID_RE.match(bundle_id):
        raise InputError(f"--id {bundle_id!r} may only hold letters, digits, '.', '_' and '-'")


__all__ = ["import_scorelist"]
