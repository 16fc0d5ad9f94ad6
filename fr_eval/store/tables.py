"""Arrow schemas of the run tables (documented in docs/formats.md).  Scores and thresholds are float64."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

SCHEMAS: dict[str, pa.Schema] = {
    "detections": pa.schema([
        ("track_id", pa.string()), ("footage", pa.int32()), ("camera", pa.string()),
        ("frame", pa.int64()), ("t", pa.float64()),
        ("x0", pa.int32()), ("y0", pa.int32()), ("x1", pa.int32()), ("y1", pa.int32()),
        ("det_score", pa.float32()), ("quality", pa.float32()), ("embedded", pa.bool_()),
    ]),
    "tracks": pa.schema([
        ("track_id", pa.string()), ("footage", pa.int32()), ("camera", pa.string()),
        ("t_start", pa.float64()), ("t_end", pa.float64()),
        ("n_detections", pa.int32()), ("n_embedded", pa.int32()),
        ("best_t", pa.float64()),
        ("best_x0", pa.int32()), ("best_y0", pa.int32()), ("best_x1", pa.int32()), ("best_y1", pa.int32()),
        ("face_px", pa.float64()),
        ("top_subject", pa.string()), ("top_similarity", pa.float64()),
        ("alerted", pa.bool_()),
        ("embedding", pa.list_(pa.float32())),
    ]),
    "candidates": pa.schema([
        ("track_id", pa.string()), ("camera", pa.string()), ("rank", pa.int32()),
        ("subject_id", pa.string()), ("similarity", pa.float64()), ("t", pa.float64()),
        # the track's embedded faces: their times and similarities to this subject (alert timing at any threshold)
        ("face_t", pa.list_(pa.float64())), ("face_similarity", pa.list_(pa.float64())),
    ]),
    "alerts": pa.schema([
        ("alert_id", pa.string()), ("track_id", pa.string()), ("footage", pa.int32()),
        ("camera", pa.string()), ("subject_id", pa.string()), ("similarity", pa.float64()),
        ("t", pa.float64()), ("wall_time", pa.string()), ("threshold", pa.float64()),
    ]),
}


def conform(name: str, table: pa.Table | pd.DataFrame) -> pa.Table:
    """Cast a table (or DataFrame) to the declared schema, column order included."""
    schema = SCHEMAS[name]
    if isinstance(table, pd.DataFrame):
        missing = [f.name for f in schema if f.name not in table.columns]
        if missing:
            raise ValueError(f"{name}: missing columns {missing}")
        return pa.Table.from_pandas(table[[f.name for f in schema]], schema=schema, preserve_index=False)
    return table.select([f.name for f in schema]).cast(schema)
