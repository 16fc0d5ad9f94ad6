"""SHA-256 of files and folders: the one way fr-eval fingerprints what it reads and writes."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while True:
            block = fh.read(chunk)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def sha256_files(named: list[tuple[str, Path]]) -> str:
    """One SHA-256 over several files: each file's name and SHA-256, in the order given."""
    h = hashlib.sha256()
    for name, path in named:
        h.update(name.encode() + b"\0" + sha256_file(path).encode() + b"\n")
    return h.hexdigest()
