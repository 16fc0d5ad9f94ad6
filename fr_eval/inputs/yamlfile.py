"""Every YAML file fr-eval reads goes through :func:`load_yaml`: safe, small and without aliases.

* ``yaml.SafeLoader`` only: no tag builds a Python object (``!!python/object`` is refused);
* aliases (``*name``) are refused: a few hundred bytes of nested aliases expand to gigabytes
  ("billion laughs"), and none of fr-eval's formats needs them;
* files over :data:`MAX_BYTES` are refused before parsing;
* the text must be UTF-8.

Errors are one line naming the file, the line and the fix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from fr_eval.errors import InputError

MAX_BYTES = 16 * 1024 * 1024


class _NoAliasLoader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            mark = event.start_mark
            raise _AliasRefused(mark.line + 1, getattr(event, "anchor", "") or "")
        return super().compose_node(parent, index)


class _AliasRefused(Exception):
    def __init__(self, line: int, anchor: str):
        super().__init__(line, anchor)
        self.line, self.anchor = line, anchor


def load_yaml_text(text: str, where: str) -> Any:
    """Parse YAML text (see the module docstring); ``where`` names the source in errors."""
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except _AliasRefused as exc:
        raise InputError(f"{where}: line {exc.line}: YAML alias *{exc.anchor} is not allowed",
                         hint="write the value out in full; fr-eval refuses aliases, which can expand without "
                              "bound") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{where}: not valid YAML{at}: {problem}") from None


def load_yaml(path: str | Path, *, what: str = "file") -> Any:
    """Read and parse a YAML file; refuse a missing, non-regular, oversized or non-UTF-8 file."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such {what}")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file", hint=f"give the path of the {what}")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(f"{path}: {size:,} bytes is too large for a {what} (at most {MAX_BYTES:,})")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})", hint="save the file as UTF-8") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    return load_yaml_text(text, str(path))


def check_keys(item: dict, keys: dict[str, bool], where: str) -> None:
    """Refuse a mapping with a key not in ``keys`` or without a key ``keys`` marks required (one line each)."""
    for key in item:
        if key not in keys:
            raise InputError(f"unknown key {key!r}", where=where, hint=f"known keys: {', '.join(keys)}")
    for key, required in keys.items():
        if required and item.get(key) in (None, ""):
            raise InputError(f"missing key {key!r}", where=where)
