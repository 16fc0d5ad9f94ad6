"""Build small replay run folders by hand, for tests of anything that reads runs.

Usage::

    from runfactory import make_run, track

    run = make_run(tmp_path / "run", passages=[
        {"passage_id": "p1", "camera": "cam1", "t_start": 0, "t_end": 5, "subject_id": "S1",
         "person_id": "alice", "plant": True},
        {"passage_id": "p2", "camera": "cam1", "t_start": 10, "t_end": 12, "subject_id": "",
         "person_id": "bob", "plant": False},
    ], tracks=[
        track("t1", "cam1", 1, 4, {"S1": 0.8, "S2": 0.3}, n_detections=6),
        track("t2", "cam1", 10.5, 11, {"S2": 0.55}),
    ], watchlist=["S1", "S2"], threshold=0.5,
       adjudication=[{"alert_id": "t1:S1", "operator_decision": "credible", "engagement": "stopped",
                      "verification": "correct", "outcome": "arrest"}])

Each track is one embedded face whose similarities are its ``scores`` (a subject
not named was not compared); candidates and alerts come from them through
:func:`fr_eval.replay.scoring.score_tracks`, the function ``fr-eval replay``
uses, and the folder is sealed with :func:`fr_eval.store.runs.seal`, as a
replay seals it.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from fr_eval import __version__
from fr_eval.store.runs import seal, write_manifest, write_part

START = dt.datetime(2020, 2, 27, 10, 0, tzinfo=dt.timezone.utc)


def track(track_id: str, camera: str, t_start: float, t_end: float, scores: dict[str, float] | None = None,
          *, n_detections: int = 3, box: tuple[int, int, int, int] | None = None, footage: int | None = None,
          face_px: float = 60.0) -> dict[str, Any]:
    """A track row for :func:`make_run`: its time span and similarity to each watchlist subject."""
    return {"track_id": track_id, "camera": camera, "t_start": float(t_start), "t_end": float(t_end),
            "scores": dict(scores or {}), "n_detections": n_detections, "box": box, "footage": footage,
            "face_px": face_px}


def make_run(root: str | Path, *, passages: Sequence[dict] | None = None, tracks: Sequence[dict] = (),
             watchlist: Sequence[str | dict] = ("S1", "S2"), threshold: float = 0.5, top_k: int = 10,
             adjudication: Sequence[dict] | None = None, truth_boxes: Sequence[dict] | None = None,
             detections: Sequence[dict] | None = None, cameras: Sequence[str] | None = None,
             deployment_id: str = "test-deployment", faces_processed: int | None = None,
             lighting: str = "day", crowd: str = "sparse", duration_s: float = 60.0, complete: bool = True,
             demographics: Sequence[str] = (), matcher: str = "scores",
             model_files: dict[str, str] | None = None, media_root: Path | None = None) -> Path:
    """Write a run folder (manifest, Parquet parts, ``bundle/`` metadata) and return its path.

    Parameters
    ----------
    root : the run folder to create.
    passages : truth rows (passage_id, camera, t_start, t_end, subject_id ("" when not watchlisted),
        person_id, plant, optional x0..y1 and demographic columns); None for a run without truth.
    tracks : rows from :func:`track`.
    watchlist : subject ids, or dicts with subject_id and demographic columns.
    threshold : the operated threshold (alerts are derived at it).
    adjudication : rows keyed by alert_id (or camera, t, subject_id); None for none.
    truth_boxes, detections : optional rows for spatial linking.
    cameras : camera ids of the footage list (default: those named by passages and tracks, or cam1).
    complete : the manifest's ``complete`` flag.
    media_root : a folder holding the footage (``footage/CAMERA.mp4``) and watchlist images: recorded as the
        bundle the run was replayed from, with the SHA-256 of those files among its inputs.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    bundle = root / "bundle"
    bundle.mkdir(exist_ok=True)
    cams = list(cameras or sorted({p["camera"] for p in passages or []} | {t["camera"] for t in tracks})
                or ["cam1"])
    foot_index = {c: i for i, c in enumerate(cams)}

    wl = [w if isinstance(w, dict) else {"subject_id": w} for w in watchlist]
    wl = [{**w, "image": w.get("image", f"watchlist/{w['subject_id']}.jpg")} for w in wl]
    _csv(bundle / "watchlist.csv", wl)
    spec: dict[str, Any] = {
        "schema": "fr-eval/bundle/1", "id": deployment_id, "title": f"Test {deployment_id}", "place": "Test street",
        "start_time": START.isoformat(), "conditions": {"lighting": lighting, "crowd": crowd},
        "threshold": threshold, "matcher": matcher, "watchlist": "watchlist.csv",
        "footage": [{"path": f"footage/{c}.mp4", "camera": c} for c in cams],
    }
    if demographics:
        spec["demographics"] = list(demographics)
    if faces_processed is not None:
        spec["faces_processed"] = faces_processed
    if passages is not None:
        _csv(bundle / "truth.csv", [{**p, "plant": str(bool(p.get("plant", False))).lower(),
                                     "subject_id": p.get("subject_id") or ""} for p in passages],
             first=["passage_id", "camera", "t_start", "t_end", "subject_id", "person_id", "plant"])
        spec["truth"] = "truth.csv"
    if truth_boxes is not None:
        _csv(bundle / "truth_boxes.csv", truth_boxes, first=["passage_id", "t", "x0", "y0", "x1", "y1"])
        spec["truth_boxes"] = "truth_boxes.csv"
    if adjudication is not None:
        _csv(bundle / "adjudication.csv", adjudication)
        spec["adjudication"] = "adjudication.csv"
    import yaml

    (bundle / "deployment.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))

    from fr_eval.replay.scoring import score_tracks
    from fr_eval.replay.tracking import TrackerParams
    from fr_eval.signature import for_run

    subjects = [w["subject_id"] for w in wl]
    per_footage: dict[int, tuple[list, list]] = {}
    for t in tracks:
        fi = t["footage"] if t.get("footage") is not None else foot_index[t["camera"]]
        box = t.get("box") or (100, 100, 160, 160)
        mid = (t["t_start"] + t["t_end"]) / 2
        rows, faces = per_footage.setdefault(fi, ([], []))
        rows.append({"track_id": t["track_id"], "t_start": t["t_start"], "t_end": t["t_end"],
                     "n_detections": t["n_detections"], "n_embedded": 0, "best_t": mid, "best_x0": box[0],
                     "best_y0": box[1], "best_x1": box[2], "best_y1": box[3], "face_px": t.get("face_px", 60.0)})
        sims = [float(t["scores"][s]) if s in t["scores"] else float("nan") for s in subjects]
        faces.append({"track_id": t["track_id"], "frame": 0, "t": t.get("t_face", t["t_start"]), "sims": sims,
                      "embedding": None})
    for fi, (rows, faces) in sorted(per_footage.items()):
        tables = score_tracks(pd.DataFrame(rows), pd.DataFrame(faces), subjects, threshold=threshold, top_k=top_k,
                              footage=fi, camera=cams[fi], footage_start=START)
        for name in ("tracks", "candidates", "alerts"):
            if len(tables[name]):
                write_part(root, name, f"{fi:02d}", tables[name])
    if detections:
        det = pd.DataFrame(detections)
        for col, default in (("footage", 0), ("frame", 0), ("det_score", 1.0), ("quality", 1.0), ("embedded", True)):
            if col not in det:
                det[col] = default
        if "camera" not in det:
            det["camera"] = det["track_id"].map({t["track_id"]: t["camera"] for t in tracks})
        write_part(root, "detections", "00", det)

    files = {}
    for p in sorted(bundle.rglob("*")):
        if p.is_file():
            files[str(p.relative_to(bundle))] = hashlib.sha256(p.read_bytes()).hexdigest()
    for c in cams:
        files[f"footage/{c}.mp4"] = "0" * 64
    if media_root is not None:
        for p in sorted(Path(media_root).rglob("*")):
            if p.is_file():
                files[p.relative_to(media_root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    manifest = {
        "schema": "fr-eval/run/2", "complete": complete, "fr_eval_version": __version__,
        "source_kind": "footage",
        "command": f"fr-eval replay {media_root} --out {root}" if media_root is not None else None,
        "bundle": {"id": deployment_id, "path": str(media_root if media_root is not None else bundle)},
        "matcher": {"name": matcher, "version": "test", "model_files": model_files or {"model.dat": "ab" * 32},
                    "parameters": {}, "similarity_range": [0.0, 1.0]},
        "parameters": {"fps": 5.0, "threshold": threshold, "top_k": top_k, "matcher": matcher,
                       "tracker": TrackerParams().as_dict()},
        "inputs": {"bundle_id": deployment_id, "files": files},
        "adjudication": {"kind": "file", "sha256": files.get("adjudication.csv")} if adjudication is not None
        else {"kind": "none"},
        "footage": [{"path": f"footage/{c}.mp4", "camera": c, "duration_s": duration_s,
                     "width": 640, "height": 360} for c in cams],
    }
    if complete:
        seal(root, manifest)
    manifest["signature"] = for_run(manifest).short()
    write_manifest(root, manifest)
    return root


def _csv(path: Path, rows: Sequence[dict], first: Sequence[str] = ()) -> None:
    cols = list(first)
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})
