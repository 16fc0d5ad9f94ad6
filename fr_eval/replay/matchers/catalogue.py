"""What ``fr-eval matchers`` lists: every installed matcher, detector and embedder, loaded with its defaults.

Each row gives the plug-in's kind, name, the software's version, the weights' licence, the SHA-256 of each
weight file (what the signature records) and its options; a plug-in that cannot load here (a missing model
package, weights not available offline) is listed with the one-line reason.
"""

from __future__ import annotations

from typing import Any

from fr_eval.errors import FrEvalError
from fr_eval.replay.matchers.registry import DETECTORS, EMBEDDERS, GROUP, available, load_component, load_matcher
from fr_eval.store.hashing import sha256_file


def _describe(kind: str, entry, obj) -> dict[str, Any]:
    return {"kind": kind, "name": entry.name, "package": f"{entry.package} {entry.version}", "target": entry.target,
            "version": obj.version(), "licence": getattr(obj, "licence", "unknown"),
            "description": obj.description,
            "weights": {k: sha256_file(p) for k, p in obj.model_files().items()},
            "options": dict(getattr(obj, "OPTIONS", {})), "problem": None}


def catalogue() -> list[dict[str, Any]]:
    rows = []
    for group, kind in ((GROUP, "matcher"), (DETECTORS, "detector"), (EMBEDDERS, "embedder")):
        for entry in available(group):
            try:
                obj = load_matcher(entry.name) if kind == "matcher" else load_component(group, entry.name)
                rows.append(_describe(kind, entry, obj))
            except Exception as exc:    # listed with its reason; one broken plug-in never hides the others
                problem = exc.one_line() if isinstance(exc, FrEvalError) else f"cannot load: {exc}"
                rows.append({"kind": kind, "name": entry.name, "package": f"{entry.package} {entry.version}",
                             "target": entry.target,
                             "version": entry.version, "licence": "?", "description": "", "weights": {},
                             "options": {}, "problem": problem})
    return rows
