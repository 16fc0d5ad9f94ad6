"""Provenance signatures: one line that says whether two figures are comparable.

Like sacrebleu's signatures, a run's signature names everything that changes
its numbers::

    fr-eval:0.1.0|matcher:dlib@dlib-20.0.1#c4b1e980|thr:0.5|fps:5|k:10|inputs:1f0c2a9e

``#c4b1e980`` hashes the matcher's model files together with its settings.

Counting methods prefix their id (``tpir|fr-eval:0.1.0|...``).  ``compare``
refuses two runs whose inputs differ unless asked.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def inputs_hash(manifest: dict[str, Any]) -> str:
    """SHA-256 over the sorted input file hashes (footage, watchlist, bundle metadata)."""
    files = manifest.get("inputs", {}).get("files", {})
    h = hashlib.sha256()
    for name, digest in sorted(files.items()):
        h.update(f"{name}\0{digest}\n".encode())
    return h.hexdigest()


def footage_hash(manifest: dict[str, Any]) -> str:
    """SHA-256 over the footage files only (what `compare` requires to be equal)."""
    paths = {f["path"] for f in manifest.get("footage", [])}
    files = manifest.get("inputs", {}).get("files", {})
    h = hashlib.sha256()
    for name in sorted(paths):
        h.update(f"{name}\0{files.get(name, '')}\n".encode())
    return h.hexdigest()


def run_signature(manifest: dict[str, Any]) -> str:
    m = manifest.get("matcher", {})
    models = "".join(v for _, v in sorted(m.get("model_files", {}).items()))
    settings = json.dumps(m.get("parameters", {}), sort_keys=True, default=str)
    # model files and matcher settings (e.g. dlib's upsampling) both change the numbers
    model_hash = hashlib.sha256((models + settings).encode()).hexdigest()[:8]
    version = str(m.get("version", "?")).replace(" ", "-")
    p = manifest.get("parameters", {})
    return (f"fr-eval:{manifest.get('fr_eval_version', '?')}|matcher:{m.get('name', '?')}@{version}#{model_hash}"
            f"|thr:{_num(p.get('threshold'))}|fps:{_num(p.get('fps'))}|k:{p.get('top_k', '?')}"
            f"|inputs:{inputs_hash(manifest)[:8]}")


def method_signature(method_id: str, manifest: dict[str, Any] | None) -> str:
    """``method|run signature`` (or ``method|counts`` for a counts file)."""
    if manifest is None:
        return f"{method_id}|counts"
    return f"{method_id}|{manifest.get('signature') or run_signature(manifest)}"


def _num(x) -> str:
    if x is None:
        return "?"
    return f"{float(x):g}"
