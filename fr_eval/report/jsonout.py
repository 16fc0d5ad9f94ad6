"""The one JSON encoder of every ``--json`` output: strict JSON (NaN and infinities become null)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any


def clean(obj: Any) -> Any:
    """Plain JSON values: NaN/inf -> None, numpy scalars and arrays -> Python, tuples -> lists, objects with
    ``to_dict`` -> their dict."""
    if isinstance(obj, float):
        return None if math.isnan(obj) or math.isinf(obj) else obj
    if isinstance(obj, (bool, int, str)) or obj is None:
        return obj
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [clean(v) for v in obj]
    np = sys.modules.get("numpy")     # no NumPy value can exist unless NumPy was imported: never import it here
    if np is None:
        return _plain(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return clean(float(obj))
    if isinstance(obj, np.ndarray):
        return clean(obj.tolist())
    return _plain(obj)


def _plain(obj: Any) -> Any:
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "to_dict"):
        return clean(obj.to_dict())
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return str(obj)


def dumps(obj: Any) -> str:
    return json.dumps(clean(obj), indent=2, allow_nan=False)
