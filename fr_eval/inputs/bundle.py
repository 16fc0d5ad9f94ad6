"""The deployment bundle: load it, validate every file, refuse what is wrong.

A bundle is a folder that describes one deployment (format: docs/formats.md).
:func:`load_bundle` reads ``deployment.yaml`` and the CSVs it names, checks
every key, column and type, and returns a :class:`Bundle`.  Anything wrong is
an :class:`~fr_eval.errors.InputError` naming the file, the row or key, and
the fix, so the CLI can print one line and exit 2.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fr_eval.errors import InputError

#: the matcher of a bundle that names none: YuNet finds the faces, dlib embeds them (docs/matchers.md,
#: "Which detector to choose", gives the figures); ``fr-eval synth`` writes it into the bundles it makes
DEFAULT_MATCHER = "yunet+dlib"

SCHEMA_ID = "fr-eval/bundle/1"
LIGHTING = ("day", "night", "indoor", "unknown")
CROWD = ("sparse", "dense", "unknown")
BUILTIN_DEMOGRAPHICS = ("gender", "age_group", "ethnicity", "skin_tone")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

TOP_KEYS = {
    "schema": False, "id": True, "title": False, "place": True, "start_time": True, "conditions": True,
    "threshold": True, "matcher": False, "watchlist": True, "footage": True, "truth": False,
    "truth_boxes": False, "adjudication": False, "faces_processed": False, "demographics": False,
    "sources": False, "notes": False, "synthetic": False, "simulated": False,
}
#: inputs a bundle may declare simulated (``simulated: {adjudication: "why"}``); reports flag them
SIMULATED_INPUTS = ("adjudication", "truth", "footage", "watchlist")
FOOTAGE_KEYS = {"path": True, "camera": True, "start_time": False, "fps": False}

WATCHLIST_COLUMNS = {"subject_id": True, "image": True, "category": False}
TRUTH_COLUMNS = {"passage_id": True, "camera": True, "t_start": True, "t_end": True, "subject_id": True,
                 "person_id": True, "plant": True, "x0": False, "y0": False, "x1": False, "y1": False}
TRUTH_BOX_COLUMNS = {"passage_id": True, "t": True, "x0": True, "y0": True, "x1": True, "y1": True,
                     "visible": False}
ADJUDICATION_VALUES = {
    "operator_decision": ("credible", "rejected"),
    "engagement": ("stopped", "lost", "not_attempted"),
    "verification": ("correct", "incorrect", "unverified"),
}
ADJUDICATION_COLUMNS = {"alert_id": False, "camera": False, "t": False, "subject_id": False,
                        "operator_decision": True, "engagement": True, "verification": True, "outcome": False}
METADATA_KEYS = ("watchlist", "truth", "truth_boxes", "adjudication")


@dataclass
class Footage:
    """One recording named in ``deployment.yaml``."""

    index: int
    path: Path            # absolute
    rel: str              # as written in the bundle
    camera: str
    start_time: dt.datetime
    fps: float | None     # frame folders only

    @property
    def is_frame_folder(self) -> bool:
        return self.path.is_dir()


@dataclass
class Bundle:
    """A validated deployment bundle."""

    root: Path
    id: str
    title: str
    place: str
    start_time: dt.datetime
    lighting: str
    crowd: str
    threshold: float
    matcher: str
    watchlist: pd.DataFrame
    footage: list[Footage]
    truth: pd.DataFrame | None = None
    truth_boxes: pd.DataFrame | None = None
    adjudication: pd.DataFrame | None = None
    faces_processed: int | None = None
    demographics: list[str] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)
    notes: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def simulated(self) -> dict[str, str]:
        """The inputs this bundle declares simulated, each with the line saying how (``simulated:``)."""
        return {str(k): str(v).strip() for k, v in (self.raw.get("simulated") or {}).items()}

    @property
    def demographic_columns(self) -> list[str]:
        return list(BUILTIN_DEMOGRAPHICS) + [d for d in self.demographics if d not in BUILTIN_DEMOGRAPHICS]

    @property
    def cameras(self) -> list[str]:
        return sorted({f.camera for f in self.footage})

    def metadata_files(self) -> dict[str, Path]:
        """``deployment.yaml`` and the CSVs it names (what a run keeps a copy of)."""
        files = {"deployment.yaml": self.root / "deployment.yaml"}
        for key in METADATA_KEYS:
            if self.raw.get(key):
                files[self.raw[key]] = self.root / self.raw[key]
        return files

    def image_path(self, subject_id: str) -> Path:
        row = self.watchlist.loc[self.watchlist["subject_id"] == subject_id].iloc[0]
        return safe_path(self.root, row["image"], f"{self.raw['watchlist']}: subject {subject_id}")


def load_bundle(path: str | Path, *, check_media: bool = True) -> Bundle:
    """Load and validate a deployment bundle.

    Parameters
    ----------
    path : folder holding ``deployment.yaml`` (or the path of that file).
    check_media : also check that watchlist images and footage files exist.
        Off for the metadata copy kept in a run folder (``RUN/bundle``).

    Raises
    ------
    InputError
        With one line naming the file, the key or row, and the fix.

    Examples
    --------
    >>> b = load_bundle("datasets/hamilton")        # doctest: +SKIP
    >>> b.threshold, [f.camera for f in b.footage]  # doctest: +SKIP
    (0.5, ['stage-cam'])
    """
    root = Path(path)
    if root.is_file() and root.name.endswith((".yaml", ".yml")):
        root = root.parent
    if not root.exists():
        raise InputError(f"{root}: no such bundle folder", hint="give the folder that holds deployment.yaml")
    spec_path = root / "deployment.yaml"
    if not spec_path.is_file():
        raise InputError(f"{spec_path}: missing", hint="a bundle folder needs a deployment.yaml (docs/formats.md)")
    where = str(spec_path)
    from fr_eval.inputs.yamlfile import load_yaml

    raw = load_yaml(spec_path, what="deployment.yaml")
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected a mapping of keys (id, place, footage, ...)")
    _check_keys(raw, TOP_KEYS, where)

    bundle_id = _string(raw, "id", where)
    if not ID_RE.match(bundle_id):
        raise InputError(f"{where}: id {bundle_id!r} may only hold letters, digits, '.', '_' and '-'")
    start = _datetime(raw["start_time"], f"{where}: start_time")
    cond = raw["conditions"]
    if not isinstance(cond, dict):
        raise InputError(f"{where}: conditions must be a mapping with lighting and crowd")
    _check_keys(cond, {"lighting": True, "crowd": True}, f"{where}: conditions")
    lighting = _choice(cond["lighting"], LIGHTING, f"{where}: conditions.lighting")
    crowd = _choice(cond["crowd"], CROWD, f"{where}: conditions.crowd")
    threshold = _number(raw["threshold"], f"{where}: threshold")
    demographics = raw.get("demographics") or []
    if not isinstance(demographics, list) or not all(isinstance(d, str) for d in demographics):
        raise InputError(f"{where}: demographics must be a list of column names")
    faces_processed = raw.get("faces_processed")
    if faces_processed is not None and (not isinstance(faces_processed, int) or isinstance(faces_processed, bool)
                                        or faces_processed < 0):
        raise InputError(f"{where}: faces_processed must be a non-negative integer, got {faces_processed!r}")
    sources = raw.get("sources") or []
    if not isinstance(sources, list):
        raise InputError(f"{where}: sources must be a list of {{citation, url}}")
    for i, src in enumerate(sources):
        if not isinstance(src, dict) or not isinstance(src.get("citation"), str) or not src["citation"].strip() \
                or not isinstance(src.get("url", ""), str) or set(src) - {"citation", "url"}:
            raise InputError(f"{where}: sources[{i}] must be a mapping {{citation: text, url: text}}, got {src!r}",
                             hint="e.g. - {citation: 'Force, deployment report, 2020', url: https://...}")
    simulated = raw.get("simulated") or {}
    if not isinstance(simulated, dict) or not all(isinstance(v, str) and v.strip() for v in simulated.values()):
        raise InputError(f"{where}: simulated must map an input to one line saying how it was made",
                         hint="e.g. simulated: {adjudication: 'a hand-written demo log'}")
    _check_keys(simulated, dict.fromkeys(SIMULATED_INPUTS, False), f"{where}: simulated")

    footage = _footage(raw, root, start, where, check_media)
    demo_cols = list(BUILTIN_DEMOGRAPHICS) + [d for d in demographics if d not in BUILTIN_DEMOGRAPHICS]

    watchlist_rel = _string(raw, "watchlist", where)
    watchlist = _watchlist(root, watchlist_rel, demo_cols, check_media)
    cameras = {f.camera for f in footage}
    truth = truth_boxes = adjudication = None
    if raw.get("truth"):
        truth = _truth(root, raw["truth"], demo_cols, cameras, set(watchlist["subject_id"]))
    if raw.get("truth_boxes"):
        if truth is None:
            raise InputError(f"{where}: truth_boxes needs truth", hint="add a truth CSV or drop truth_boxes")
        truth_boxes = _truth_boxes(root, raw["truth_boxes"], set(truth["passage_id"]))
    if raw.get("adjudication"):
        adjudication = _adjudication(root, raw["adjudication"], cameras)

    return Bundle(root=root, id=bundle_id, title=str(raw.get("title") or bundle_id), place=_string(raw, "place", where),
                  start_time=start, lighting=lighting, crowd=crowd, threshold=threshold,
                  matcher=str(raw.get("matcher") or DEFAULT_MATCHER), watchlist=watchlist, footage=footage, truth=truth,
                  truth_boxes=truth_boxes, adjudication=adjudication, faces_processed=faces_processed,
                  demographics=demographics, sources=sources, notes=str(raw.get("notes") or ""), raw=raw)


# -- paths -------------------------------------------------------------------------

def safe_path(root: Path, rel: Any, where: str) -> Path:
    """Resolve ``rel`` inside ``root``; refuse absolute paths, ``..`` escapes and links leading out."""
    if not isinstance(rel, str) or not rel.strip():
        raise InputError(f"{where}: expected a relative path, got {rel!r}")
    p = Path(rel)
    if p.is_absolute():
        raise InputError(f"{where}: path {rel!r} is absolute", hint="paths are relative to the bundle folder")
    base = root.resolve()
    full = (root / p).resolve()
    try:
        full.relative_to(base)
    except ValueError:
        raise InputError(f"{where}: path {rel!r} leaves the bundle folder",
                         hint="keep every file inside the bundle; '../' is not allowed") from None
    return root / p


# -- sections ----------------------------------------------------------------------

def _footage(raw, root, start, where, check_media) -> list[Footage]:
    items = raw["footage"]
    if not isinstance(items, list) or not items:
        raise InputError(f"{where}: footage must be a non-empty list of {{path, camera}}")
    out = []
    seen = set()
    for i, item in enumerate(items):
        w = f"{where}: footage[{i}]"
        if not isinstance(item, dict):
            raise InputError(f"{w}: expected a mapping with path and camera")
        _check_keys(item, FOOTAGE_KEYS, w)
        path = safe_path(root, item["path"], w)
        if path in seen:
            raise InputError(f"{w}: {item['path']} is listed twice")
        seen.add(path)
        camera = str(item["camera"])
        if not ID_RE.match(camera):
            raise InputError(f"{w}: camera {camera!r} may only hold letters, digits, '.', '_' and '-'")
        fstart = _datetime(item["start_time"], f"{w}.start_time") if item.get("start_time") else start
        fps = item.get("fps")
        if fps is not None:
            fps = _number(fps, f"{w}.fps")
            if fps <= 0:
                raise InputError(f"{w}: fps must be positive")
        if check_media:
            if not path.exists():
                raise InputError(f"{w}: {item['path']} does not exist", hint="check the path (relative to the bundle)")
            if not (path.is_file() or path.is_dir()):
                raise InputError(f"{w}: {item['path']} is not a regular file or a folder of frames",
                                 hint="a pipe or device would never end; copy the recording to a file")
            if path.is_file() and path.suffix.lower() not in VIDEO_SUFFIXES:
                raise InputError(f"{w}: {item['path']} is not a video file ({', '.join(VIDEO_SUFFIXES)}) "
                                 "or a folder of frames")
        out.append(Footage(i, path, item["path"], camera, fstart, fps))
    return out


def _watchlist(root, rel, demo_cols, check_media) -> pd.DataFrame:
    path = safe_path(root, rel, f"{root / 'deployment.yaml'}: watchlist")
    allowed = dict(WATCHLIST_COLUMNS, **{c: False for c in demo_cols})
    df = read_csv(path, allowed, f"{rel}")
    if df.empty:
        raise InputError(f"{path}: the watchlist has no subjects")
    _non_empty(df, "subject_id", path)
    dup = df["subject_id"][df["subject_id"].duplicated()]
    if len(dup):
        row = int(dup.index[0]) + 2
        raise InputError(f"{path}: line {row}: duplicate subject_id {dup.iloc[0]!r}",
                         hint="each watchlist subject needs a unique id")
    for i, image in df["image"].items():
        img = safe_path(root, image, f"{path}: line {i + 2}")
        if check_media and not img.is_file():
            raise InputError(f"{path}: line {i + 2}: image {image!r} does not exist",
                             hint=f"subject {df.at[i, 'subject_id']!r}; paths are relative to the bundle")
    return df


def _truth(root, rel, demo_cols, cameras, subjects) -> pd.DataFrame:
    path = safe_path(root, rel, f"{root / 'deployment.yaml'}: truth")
    allowed = dict(TRUTH_COLUMNS, **{c: False for c in demo_cols})
    df = read_csv(path, allowed, rel)
    _non_empty(df, "passage_id", path)
    _unique(df, "passage_id", path)
    _known(df, "camera", cameras, path, "a camera of the footage list")
    for col in ("t_start", "t_end"):
        df[col] = numeric_column(df, col, path)
    bad = df.index[df["t_start"] > df["t_end"]]
    if len(bad):
        raise InputError(f"{path}: line {bad[0] + 2}: t_start is after t_end")
    if (df[["t_start", "t_end"]] < 0).any().any():
        raise InputError(f"{path}: times must be seconds from the footage start (>= 0)")
    for col in ("x0", "y0", "x1", "y1"):
        if col in df.columns:
            df[col] = numeric_column(df, col, path, allow_empty=True)
    df["plant"] = _bool_column(df, "plant", path)
    df["subject_id"] = df["subject_id"].where(df["subject_id"] != "", None)
    unknown = df["subject_id"].dropna()
    unknown = unknown[~unknown.isin(subjects)]
    if len(unknown):
        raise InputError(f"{path}: line {unknown.index[0] + 2}: subject_id {unknown.iloc[0]!r} is not on the watchlist",
                         hint="leave subject_id empty for people not on the watchlist")
    plants = df.index[df["plant"] & df["subject_id"].isna()]
    if len(plants):
        raise InputError(f"{path}: line {plants[0] + 2}: a plant must have a subject_id (plants are watchlisted)")
    _non_empty(df, "person_id", path)
    from fr_eval.inputs.truth import check_truth

    check_truth(df, where=str(path))
    return df


def _truth_boxes(root, rel, passages) -> pd.DataFrame:
    path = safe_path(root, rel, f"{root / 'deployment.yaml'}: truth_boxes")
    df = read_csv(path, TRUTH_BOX_COLUMNS, rel)
    _known(df, "passage_id", passages, path, "a passage_id of the truth CSV")
    for col in ("t", "x0", "y0", "x1", "y1"):
        df[col] = numeric_column(df, col, path)
    if "visible" in df.columns:
        df["visible"] = numeric_column(df, "visible", path, allow_empty=True)
        bad = df.index[(df["visible"] < 0) | (df["visible"] > 1)]
        if len(bad):
            raise InputError(f"{path}: line {bad[0] + 2}: visible must be a share between 0 and 1")
    bad = df.index[(df["x1"] <= df["x0"]) | (df["y1"] <= df["y0"])]
    if len(bad):
        raise InputError(f"{path}: line {bad[0] + 2}: empty box (x1 <= x0 or y1 <= y0)")
    return df


def _adjudication(root, rel, cameras) -> pd.DataFrame:
    path = safe_path(root, rel, f"{root / 'deployment.yaml'}: adjudication")
    df = read_csv(path, ADJUDICATION_COLUMNS, rel)
    by_id = "alert_id" in df.columns
    by_log = all(c in df.columns for c in ("camera", "t", "subject_id"))
    if not by_id and not by_log:
        raise InputError(f"{path}: no key columns", hint="key each row by alert_id, or by camera, t and subject_id")
    if by_id:
        _non_empty(df, "alert_id", path)
        _unique(df, "alert_id", path)
    else:
        _known(df, "camera", cameras, path, "a camera of the footage list")
        df["t"] = numeric_column(df, "t", path)
    for col, values in ADJUDICATION_VALUES.items():
        bad = df.index[~df[col].isin(values)]
        if len(bad):
            raise InputError(f"{path}: line {bad[0] + 2}: {col} {df.at[bad[0], col]!r} is not one of "
                             f"{', '.join(values)}")
    # the funnel must be possible: a rejected alert is not stopped; only a stop can verify
    rejected_engaged = df.index[(df["operator_decision"] == "rejected") & (df["engagement"] != "not_attempted")]
    if len(rejected_engaged):
        raise InputError(f"{path}: line {rejected_engaged[0] + 2}: an alert the operator rejected cannot be engaged",
                         hint="use engagement not_attempted for rejected alerts")
    unstopped_verified = df.index[(df["engagement"] != "stopped") & (df["verification"] != "unverified")]
    if len(unstopped_verified):
        raise InputError(f"{path}: line {unstopped_verified[0] + 2}: only a stopped person can be verified",
                         hint="use verification unverified when the person was not stopped")
    if "outcome" not in df.columns:
        df["outcome"] = ""
    return df


# -- CSV and value checks -------------------------------------------------------

def read_csv(path: Path, columns: dict[str, bool], label: str) -> pd.DataFrame:
    """Read a CSV as strings and check its header against ``columns`` (name -> required).

    Strict, with Python's ``csv`` module: every row must have exactly the header's number of fields (pandas
    would silently turn a trailing comma into an index column and shift every value one column left).
    """
    import csv
    import io

    if not path.exists():
        raise InputError(f"{path}: does not exist", hint=f"the bundle names {label} but the file is missing")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file", hint=f"{label} must be a CSV file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a UTF-8 text CSV (byte {exc.start})", hint="save it as UTF-8") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    if "\0" in text:
        raise InputError(f"{path}: holds a NUL byte: not a text CSV")
    lines: list[tuple[int, list[str]]] = []     # (line number as an editor shows it, fields)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                lines.append((reader.line_num, row))
    except csv.Error as exc:
        raise InputError(f"{path}: line {reader.line_num}: not a readable CSV ({exc})") from None
    if not lines:
        required = ", ".join(c for c, r in columns.items() if r)
        raise InputError(f"{path}: empty", hint=f"a CSV with a header row ({required})")
    header = [c.strip() for c in lines[0][1]]
    if "" in header:
        raise InputError(f"{path}: line {lines[0][0]}: an empty column name", hint="remove the trailing comma")
    dup = sorted({c for c in header if header.count(c) > 1})
    if dup:
        raise InputError(f"{path}: column {dup[0]!r} appears twice in the header")
    unknown = [c for c in header if c not in columns]
    if unknown:
        raise InputError(f"{path}: unknown column {unknown[0]!r}",
                         hint=f"known columns: {', '.join(columns)}; declare extra demographic columns under "
                              "`demographics:` in deployment.yaml")
    missing = [c for c, required in columns.items() if required and c not in header]
    if missing:
        raise InputError(f"{path}: missing column {missing[0]!r}", hint=f"required: "
                         f"{', '.join(c for c, r in columns.items() if r)}")
    body = []
    for number, row in lines[1:]:
        if len(row) != len(header):
            raise InputError(f"{path}: line {number}: {len(row)} fields, but the header has {len(header)}",
                             hint="check for a trailing or missing comma, or quote a value that holds a comma")
        body.append([cell.strip() for cell in row])
    # the index is the line number minus 2, so that every "line {i + 2}" message names the editor's line
    index = [number - 2 for number, _ in lines[1:]]
    return pd.DataFrame(body, columns=header, index=index, dtype=object)


def exact_float(text: str) -> float:
    """A decimal string as the nearest float64 (Python's correctly rounded parser: ``0.6399999999`` stays
    itself); NaN for anything that is not a finite number."""
    try:
        x = float(text)
    except (TypeError, ValueError):
        return math.nan
    return x if math.isfinite(x) else math.nan


def numeric_column(df, col, path, allow_empty=False) -> pd.Series:
    """A CSV column as exact float64; a value that is not a finite number is a one-line error naming its line."""
    values = pd.Series([exact_float(v) for v in df[col]], index=df.index, dtype="float64")
    empty = df[col] == ""
    bad = df.index[values.isna() & ~(empty & allow_empty)]
    if len(bad):
        raise InputError(f"{path}: line {bad[0] + 2}: {col} {df.at[bad[0], col]!r} is not a finite number")
    return values




def _bool_column(df, col, path) -> pd.Series:
    lowered = df[col].str.lower()
    truthy, falsy = {"true", "1", "yes"}, {"false", "0", "no", ""}
    bad = df.index[~lowered.isin(truthy | falsy)]
    if len(bad):
        raise InputError(f"{path}: line {bad[0] + 2}: {col} {df.at[bad[0], col]!r} is not true or false")
    return lowered.isin(truthy)


def _non_empty(df, col, path) -> None:
    bad = df.index[df[col] == ""]
    if len(bad):
        raise InputError(f"{path}: line {bad[0] + 2}: {col} is empty")


def _unique(df, col, path) -> None:
    dup = df[col][df[col].duplicated()]
    if len(dup):
        raise InputError(f"{path}: line {dup.index[0] + 2}: duplicate {col} {dup.iloc[0]!r}")


def _known(df, col, allowed, path, what) -> None:
    bad = df.index[~df[col].isin(allowed)]
    if len(bad):
        raise InputError(f"{path}: line {bad[0] + 2}: {col} {df.at[bad[0], col]!r} is not {what}",
                         hint=f"known: {', '.join(sorted(map(str, allowed))[:10])}")


def _check_keys(d: dict, spec: dict[str, bool], where: str) -> None:
    unknown = [k for k in d if k not in spec]
    if unknown:
        raise InputError(f"{where}: unknown key {unknown[0]!r}", hint=f"known keys: {', '.join(spec)}")
    missing = [k for k, required in spec.items() if required and d.get(k) in (None, "")]
    if missing:
        raise InputError(f"{where}: missing key {missing[0]!r}", hint="see docs/formats.md")


def _string(d: dict, key: str, where: str) -> str:
    value = d.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}: {key} must be a non-empty string, got {value!r}")
    return value.strip()


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise InputError(f"{where}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _datetime(value: Any, where: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        out = value
    elif isinstance(value, dt.date):
        out = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            out = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(f"{where}: {value!r} is not an ISO 8601 date-time",
                             hint="e.g. 2020-02-27T10:00:00Z") from None
    else:
        raise InputError(f"{where}: expected an ISO 8601 date-time, got {value!r}")
    return out if out.tzinfo else out.replace(tzinfo=dt.UTC)
