"""The counts file: published figures of a deployment, read into a :class:`~fr_eval.counting.funnel.Funnel`.

Format: ``docs/formats.md`` ("Counts file").  Every count is optional and must be a non-negative whole
number; unknown keys are an error with a suggestion for near misses; stages that do not add up are refused
(:func:`fr_eval.counting.funnel.check_funnel`, the same rules a run's counts follow).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from fr_eval.counting.funnel import COUNT_KEYS, NUMBER_KEYS, Claim, Funnel, check_funnel
from fr_eval.errors import InputError
from fr_eval.inputs.yamlfile import check_keys, load_yaml

SCHEMA_ID = "fr-eval/counts/1"

META_KEYS: dict[str, str] = {
    "schema": f"'{SCHEMA_ID}'",
    "id": "short identifier",
    "title": "human title",
    "date": "date (or period) of the deployment",
    "place": "where",
    "matcher": "the system or algorithm, when known",
    "sources": "list of {citation, url}",
    "claims": "list of {id, text, method, reported, source}",
    "notes": "free text",
}
CLAIM_KEYS = {"id": True, "text": False, "method": True, "reported": True, "source": False, "by": False,
              "kind": False}
CLAIM_KINDS = ("published", "derived")
#: the largest count accepted (a trillion): larger numbers are typing errors, and they overflow the intervals
MAX_COUNT = 10**12

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


# -- the counts file --------------------------------------------------------------------

def load_counts(path: str | Path) -> Funnel:
    """Read and validate a counts file (YAML; format in docs/formats.md).

    Parameters
    ----------
    path : the ``.yaml`` file.

    Returns
    -------
    Funnel
        With ``claims`` as :class:`Claim` objects and ``sources`` as dicts.

    Raises
    ------
    InputError
        For unknown keys, negative or non-integer counts, claims naming an
        unknown method, or stages that do not add up (naming the stage).

    Examples
    --------
    >>> f = load_counts("datasets/published/essex-2019.yaml")   # doctest: +SKIP
    >>> f.alerts, f.verified_correct                            # doctest: +SKIP
    (42, 8)
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such counts file", hint="give a YAML counts file or a replay run folder")
    raw = load_yaml(path, what="counts file")
    from dataclasses import replace

    from fr_eval.store.hashing import sha256_file

    return replace(counts_from_dict(raw, where=str(path)), source_sha256=sha256_file(path))


def counts_from_dict(raw: Any, *, where: str = "counts") -> Funnel:
    """Validate a counts mapping (as read from YAML) and build a :class:`Funnel`."""
    if not isinstance(raw, dict):
        raise InputError("expected a mapping of counts (alerts: 42, ...)", where=where)
    allowed = {**META_KEYS, **COUNT_KEYS, **NUMBER_KEYS}
    for key in raw:
        if not isinstance(key, str):
            raise InputError(f"key {key!r} is not a name", where=where, hint="keys are names such as alerts")
        if key not in allowed:
            close = [k for k in allowed if k.replace("_", "") == str(key).replace("_", "").lower()]
            hint = f"did you mean {close[0]!r}?" if close else "see 'Counts file' in docs/formats.md for the keys"
            raise InputError(f"unknown key {key!r}", where=where, hint=hint)
    if raw.get("schema") not in (None, SCHEMA_ID):
        raise InputError(f"schema {raw['schema']!r} is not {SCHEMA_ID!r}", where=where)
    values: dict[str, Any] = {}
    for key in COUNT_KEYS:
        if raw.get(key) is None:
            continue
        v = raw[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not v.is_integer()):
            raise InputError(f"{key} must be a whole number, got {v!r}", where=where,
                             hint="counts are numbers of faces, alerts or people; write e.g. 42")
        if v < 0:
            raise InputError(f"{key} must not be negative, got {v!r}", where=where)
        if v > MAX_COUNT:
            raise InputError(f"{key} = {v!r} is larger than any deployment's count (at most {MAX_COUNT:,})",
                             where=where, hint="check the number for a typing error")
        values[key] = int(v)
    for key in NUMBER_KEYS:
        if raw.get(key) is None:
            continue
        v = raw[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise InputError(f"{key} must be a non-negative number, got {v!r}", where=where)
        values[key] = float(v)
    text = {k: text_value(raw, k, where) for k in ("id", "title", "date", "place", "matcher", "notes")}
    ident = text["id"] or Path(where).stem
    if not _ID_RE.match(ident):
        raise InputError(f"id {ident!r} may only hold letters, digits, '.', '_' and '-'", where=where)
    sources = raw.get("sources") or []
    if not isinstance(sources, list) or not all(
            isinstance(s, dict) and isinstance(s.get("citation"), str) and s["citation"].strip()
            and isinstance(s.get("url", ""), str) and not set(s) - {"citation", "url"} for s in sources):
        raise InputError("sources must be a list of {citation: text, url: text}", where=where)
    claims = _claims(raw.get("claims") or [], where)
    funnel = Funnel(id=ident, title=text["title"] or ident, date=text["date"], place=text["place"],
                    matcher=text["matcher"], sources=tuple(dict(s) for s in sources), claims=tuple(claims),
                    notes=text["notes"], origin=where, **values)
    return check_funnel(funnel, where)


def text_value(raw: dict, key: str, where: str) -> str:
    """A text field: text, a number or a date (YAML reads 2020-02-27 as a date) as written; "" when absent."""
    import datetime as dt

    v = raw.get(key)
    if v is None:
        return ""
    if isinstance(v, bool) or not isinstance(v, (str, int, float, dt.date)):
        raise InputError(f"{key} must be text, got {v!r}", where=where)
    return str(v).strip()


def _claims(items: Any, where: str) -> list[Claim]:
    from fr_eval.counting.claims import parse_reported
    from fr_eval.counting.methods import METHODS

    if not isinstance(items, list):
        raise InputError("claims must be a list of {id, text, method, reported, source}", where=where)
    out, seen = [], set()
    for i, item in enumerate(items):
        w = f"{where}: claims[{i}]"
        if not isinstance(item, dict):
            raise InputError("a claim must be a mapping {id, text, method, reported, source}", where=w)
        check_keys(item, CLAIM_KEYS, w)
        fields = {k: text_value(item, k, w) for k in ("id", "method", "text", "source", "by", "kind")}
        cid = fields["id"]
        if cid in seen:
            raise InputError(f"duplicate claim id {cid!r}", where=w)
        seen.add(cid)
        if fields["method"] not in METHODS:
            raise InputError(f"method {fields['method']!r} is not a counting method", where=w,
                             hint=f"one of: {', '.join(METHODS)}")
        parse_reported(item["reported"], where=w)  # refuses what cannot be read
        kind = fields["kind"] or "published"
        if kind not in CLAIM_KINDS:
            raise InputError(f"kind {kind!r} is not one of {', '.join(CLAIM_KINDS)}", where=w,
                             hint="published: a party's figure; derived: computed from the published counts")
        out.append(Claim(id=cid, method=fields["method"], reported=item["reported"], text=fields["text"],
                         source=fields["source"], by=fields["by"], kind=kind))
    return out


