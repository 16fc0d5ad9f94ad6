"""The ``scores`` matcher: audit a system's recorded output without its footage.

It imports candidate scores from a CSV exported by another system (a vendor's
alert or match log) so that fr-eval can recount them under every counting
method.  Columns (one row per face event and candidate subject):

========== ======== ==========================================================
column     required meaning
========== ======== ==========================================================
camera     yes      camera id, as in the bundle's footage list
t          yes      seconds from that footage's start
subject_id yes      watchlist subject the system compared the face with
score      yes      the system's similarity (higher = more alike)
event_id   no       groups rows of one face event (one track); default: a row
t_end      no       end of the face event (seconds); default: ``t``
========== ======== ==========================================================

The scores keep the vendor's own scale: give it with the matcher option
``range=LOW,HIGH`` (default ``0,1``).  A log that holds only alerts (scores at or
above the vendor's threshold) cannot be re-thresholded below that threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fr_eval.errors import InputError
from fr_eval.replay.matchers.base import Detection, Matcher

COLUMNS = {"camera": True, "t": True, "subject_id": True, "score": True, "event_id": False, "t_end": False}


class ScoresMatcher(Matcher):
    name = "scores"
    description = "imports candidate scores from another system's CSV log (no footage decoded)"
    licence = "none (no model)"
    imports_scores = True
    default_threshold = 0.5

    OPTIONS = {"path": "the CSV log to import (also --scores)", "range": "LOW,HIGH of the log's score scale"}

    def __init__(self, path: str | None = None, range: str | Sequence[float] = "0,1", **options: Any):
        import math

        super().__init__(path=path, range=range, **options)
        parts = range.split(",") if isinstance(range, str) else list(range)
        try:
            low, high = (float(x) for x in parts)
        except (TypeError, ValueError):
            raise InputError(f"scores matcher: range {range!r} must be LOW,HIGH (two numbers)") from None
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise InputError(f"scores matcher: range {range!r} must be LOW,HIGH with LOW < HIGH")
        self.similarity_range = (low, high)
        self.range_text = f"{low!r},{high!r}"
        self.path = path

    def parameters(self) -> dict[str, Any]:
        # the log's path differs between machines; its content is hashed into the run's inputs instead
        return {"range": self.range_text}

    def input_files(self, bundle_root: Path) -> dict[str, Path]:
        return {f"scores-log:{Path(self.path).name}": self._log_path(bundle_root)} if self.path else {}

    def _log_path(self, root: Path) -> Path:
        path = Path(self.path or "")
        return path if path.is_absolute() else root / path

    def version(self) -> str:
        return "csv-import 1"

    def package(self) -> str:
        return "fr-eval"

    def detect(self, image: np.ndarray) -> list[Detection]:
        raise InputError("the scores matcher reads recorded scores; it does not look at images",
                         hint="use --matcher dlib or opencv-lbph to replay footage")

    def embed(self, image, detections):
        return self.detect(image)

    def compare(self, probes: np.ndarray, gallery: np.ndarray) -> np.ndarray:
        raise InputError("the scores matcher compares nothing; it imports scores")

    def read_scores(self, root: Path, cameras: set[str], subjects: set[str]) -> pd.DataFrame:
        """Read and validate the scores CSV (path relative to the bundle, or absolute)."""
        from fr_eval.inputs.bundle import numeric_column, read_csv

        if not self.path:
            raise InputError("the scores matcher needs the CSV to import",
                             hint="pass --scores FILE (or --matcher-option path=FILE)")
        path = self._log_path(root)
        df = read_csv(path, COLUMNS, str(self.path))
        for col in ("t", "score") + (("t_end",) if "t_end" in df.columns else ()):
            df[col] = numeric_column(df, col, path)
        low, high = self.similarity_range
        out = df.index[(df["score"] < low) | (df["score"] > high)]
        if len(out):
            raise InputError(f"{path}: line {out[0] + 2}: score {df.at[out[0], 'score']} is outside the range "
                             f"[{low}, {high}]", hint="set the scale with --matcher-option range=LOW,HIGH")
        bad = df.index[~df["camera"].isin(cameras)]
        if len(bad):
            raise InputError(f"{path}: line {bad[0] + 2}: camera {df.at[bad[0], 'camera']!r} is not in the bundle's "
                             "footage list")
        bad = df.index[~df["subject_id"].isin(subjects)]
        if len(bad):
            raise InputError(f"{path}: line {bad[0] + 2}: subject_id {df.at[bad[0], 'subject_id']!r} is not on the "
                             "watchlist")
        if "event_id" not in df.columns or (df["event_id"] == "").all():
            df["event_id"] = [f"row{i + 2:06d}" for i in range(len(df))]
        if "t_end" not in df.columns:
            df["t_end"] = df["t"]
        return df
