"""The funnel of counts that every counting method divides, and the counts file that holds one.

A :class:`Funnel` is the single input type of :mod:`fr_eval.counting.methods`: a
replay run (through :func:`fr_eval.counting.statistics.to_funnel`) and a counts file
(YAML, for when only published figures exist) both produce one.  Every count is
optional; a method that needs a missing count says which one.

The funnel of an LFR deployment::

    faces processed
      -> alerts ---------------------------- true_alerts / false_alerts (with truth)
           -> judged credible (alerts - operator_rejected - not_adjudicated)
                -> stop_attempted
                     -> stopped (stop_attempted - lost)
                          -> verified_correct / verified_incorrect / unverified

plus the per-passage counts an evaluation with truth gives (watchlisted and
non-watchlisted passages, and how many of them alerted), per subject and per
frame.  The file format is documented in ``docs/formats.md`` ("Counts file").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Iterable

import yaml

from fr_eval.errors import InputError

SCHEMA_ID = "fr-eval/counts/1"

#: count keys of a counts file and of a :class:`Funnel`, with their meaning (docs/formats.md quotes these).
COUNT_KEYS: dict[str, str] = {
    "faces_processed": "faces the system processed (the Met's 'faces seen'); with truth: non-watchlist passages "
                       "plus tracks matching no passage",
    "watchlist_size": "subjects on the watchlist",
    "alerts": "alerts raised by the system",
    "true_alerts": "alerts naming the person truly present",
    "false_alerts": "alerts naming someone who was not present",
    "nonwatchlist_false_alerts": "false alerts on people not on the watchlist (non-watchlist passages and tracks "
                                 "matching no passage); with truth only",
    "not_adjudicated": "alerts with no adjudication record",
    "operator_rejected": "alerts the operators rejected at once (judged not credible)",
    "stop_attempted": "alerts on which officers tried to stop the person (stopped + lost)",
    "lost": "stop attempts where the person was lost in the crowd",
    "stopped": "people stopped after an alert",
    "verified_correct": "stopped people verified to be the person on the watchlist",
    "verified_incorrect": "stopped people verified not to be the person on the watchlist",
    "unverified": "stopped people whose identity was never settled",
    "arrests": "arrests after an alert",
    "plant_passages": "passages of planted watchlisted volunteers ('blue list')",
    "plant_alerts": "planted passages that raised a correct alert",
    "watchlisted_passages": "passages of people on the watchlist (plants or not)",
    "watchlisted_alerted": "watchlisted passages that raised a correct alert (any rank)",
    "watchlisted_rank1": "watchlisted passages whose own subject was the rank-1 candidate at or above the threshold",
    "nonwatchlist_passages": "passages of people not on the watchlist",
    "nonwatchlist_alerted": "non-watchlist passages that raised at least one alert",
    "watchlisted_subjects": "distinct watchlisted people seen (at least one passage)",
    "watchlisted_subjects_alerted": "watchlisted people with at least one correct alert",
    "frames_processed": "face detections (one per sampled frame with a face): the per-frame 'faces processed'",
    "watchlisted_frames": "face detections in watchlisted passages",
    "watchlisted_frames_alerted": "face detections in watchlisted passages, in tracks that raised a correct alert",
    "nonwatchlist_frames": "face detections in non-watchlist passages",
    "nonwatchlist_frames_alerted": "face detections in non-watchlist passages, in tracks that raised an alert",
}
#: non-count values a counts file may hold (numbers that need not be integers).
NUMBER_KEYS: dict[str, str] = {
    "footage_hours": "hours of footage (or of operation)",
    "threshold": "the operated alert threshold, in the matcher's similarity scale",
}
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
CLAIM_KEYS = {"id": True, "text": False, "method": True, "reported": True, "source": False, "by": False}

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Claim:
    """A figure a party published, to be checked against the counts.

    ``reported`` is kept as written ("19%", 0.19, "1 in 1,000").
    """

    id: str
    method: str
    reported: Any
    text: str = ""
    source: str = ""
    by: str = ""


@dataclass(frozen=True)
class Funnel:
    """The counts of one deployment (or of several, summed).

    Every count is ``None`` when unknown.  :meth:`get` also derives a count
    from others where the funnel fixes it (e.g. ``false_alerts = alerts -
    true_alerts``); methods call :meth:`get`, never the attributes directly.
    """

    id: str = "counts"
    title: str = ""
    date: str = ""
    place: str = ""
    matcher: str = ""
    sources: tuple = ()
    claims: tuple = ()
    notes: str = ""
    footage_hours: float | None = None
    threshold: float | None = None
    faces_processed: int | None = None
    watchlist_size: int | None = None
    alerts: int | None = None
    true_alerts: int | None = None
    false_alerts: int | None = None
    not_adjudicated: int | None = None
    operator_rejected: int | None = None
    stop_attempted: int | None = None
    lost: int | None = None
    stopped: int | None = None
    verified_correct: int | None = None
    verified_incorrect: int | None = None
    unverified: int | None = None
    arrests: int | None = None
    plant_passages: int | None = None
    plant_alerts: int | None = None
    watchlisted_passages: int | None = None
    watchlisted_alerted: int | None = None
    watchlisted_rank1: int | None = None
    nonwatchlist_passages: int | None = None
    nonwatchlist_false_alerts: int | None = None
    nonwatchlist_alerted: int | None = None
    watchlisted_subjects: int | None = None
    watchlisted_subjects_alerted: int | None = None
    frames_processed: int | None = None
    watchlisted_frames: int | None = None
    watchlisted_frames_alerted: int | None = None
    nonwatchlist_frames: int | None = None
    nonwatchlist_frames_alerted: int | None = None
    #: where the counts came from ("counts file PATH" or "run PATH"), for messages
    origin: str = field(default="", compare=False)

    # -- derived counts --------------------------------------------------------------

    def get(self, key: str) -> int | None:
        """The count ``key``, given or derived from the others; None when neither.

        >>> Funnel(alerts=42, operator_rejected=16).get("judged_credible")
        26
        """
        if key == "judged_credible":
            a, r = self.alerts, self.operator_rejected
            if a is None or r is None:
                return None
            return a - r - (self.not_adjudicated or 0)
        value = getattr(self, key)
        if value is not None:
            return value
        derive = _DERIVED.get(key)
        return derive(self) if derive else None

    def known(self) -> dict[str, int]:
        """Every count that is given or derivable."""
        out = {}
        for key in list(COUNT_KEYS) + ["judged_credible"]:
            v = self.get(key)
            if v is not None:
                out[key] = v
        return out

    def counts(self) -> dict[str, Any]:
        """The given counts (not derived) and numbers, as a plain dict."""
        return {k: getattr(self, k) for k in list(COUNT_KEYS) + list(NUMBER_KEYS) if getattr(self, k) is not None}

    def __add__(self, other: "Funnel") -> "Funnel":
        """Sum two funnels: a count is known in the sum only when known in both."""
        if not isinstance(other, Funnel):
            return NotImplemented
        values = {}
        for key in list(COUNT_KEYS) + ["footage_hours"]:
            a, b = getattr(self, key), getattr(other, key)
            values[key] = None if a is None or b is None else a + b
        if self.watchlist_size is not None and self.watchlist_size == other.watchlist_size:
            values["watchlist_size"] = self.watchlist_size
        return replace(Funnel(), id=f"{self.id}+{other.id}", **values)

    @classmethod
    def total(cls, funnels: Iterable["Funnel"], id: str = "overall") -> "Funnel":
        """The sum of several funnels (see :meth:`__add__`)."""
        funnels = list(funnels)
        if not funnels:
            return cls(id=id)
        out = funnels[0]
        for f in funnels[1:]:
            out = out + f
        return replace(out, id=id, title=id)


def _derive_false(f: Funnel):
    return None if f.alerts is None or f.true_alerts is None else f.alerts - f.true_alerts


def _derive_true(f: Funnel):
    return None if f.alerts is None or f.false_alerts is None else f.alerts - f.false_alerts


def _derive_stop_attempted(f: Funnel):
    return None if f.stopped is None or f.lost is None else f.stopped + f.lost


def _derive_lost(f: Funnel):
    return None if f.stop_attempted is None or f.stopped is None else f.stop_attempted - f.stopped


def _derive_stopped(f: Funnel):
    return None if f.stop_attempted is None or f.lost is None else f.stop_attempted - f.lost


def _derive_unverified(f: Funnel):
    s, c, i = f.get("stopped"), f.verified_correct, f.verified_incorrect
    return None if s is None or c is None or i is None else s - c - i


_DERIVED = {
    "false_alerts": _derive_false,
    "true_alerts": _derive_true,
    "stop_attempted": _derive_stop_attempted,
    "lost": _derive_lost,
    "stopped": _derive_stopped,
    "unverified": _derive_unverified,
}


# -- validation -----------------------------------------------------------------------

#: (stage name, parts that may not exceed the whole, whole) -- checked in this order.
_AT_MOST = [
    ("alerts", ("true_alerts", "false_alerts"), "alerts"),
    ("operator decision", ("operator_rejected", "not_adjudicated"), "alerts"),
    ("stop attempts", ("stop_attempted",), "judged_credible"),
    ("stops", ("stopped", "lost"), "stop_attempted"),
    ("verification", ("verified_correct", "verified_incorrect", "unverified"), "stopped"),
    ("arrests", ("arrests",), "stopped"),
    ("arrests", ("arrests",), "alerts"),
    ("verification", ("verified_correct",), "alerts"),
    ("false alerts", ("false_alerts",), "faces_processed"),
    ("false alerts", ("nonwatchlist_false_alerts",), "false_alerts"),
    ("plants", ("plant_alerts",), "plant_passages"),
    ("plants", ("plant_passages",), "watchlisted_passages"),
    ("watchlisted passages", ("watchlisted_alerted",), "watchlisted_passages"),
    ("watchlisted passages", ("watchlisted_rank1",), "watchlisted_passages"),
    ("watchlisted passages", ("watchlisted_rank1",), "watchlisted_alerted"),
    ("non-watchlist passages", ("nonwatchlist_alerted",), "nonwatchlist_passages"),
    ("watchlisted subjects", ("watchlisted_subjects_alerted",), "watchlisted_subjects"),
    ("watchlisted subjects", ("watchlisted_subjects",), "watchlisted_passages"),
    ("watchlisted subjects", ("watchlisted_subjects",), "watchlist_size"),
    ("frames", ("watchlisted_frames_alerted",), "watchlisted_frames"),
    ("frames", ("nonwatchlist_frames_alerted",), "nonwatchlist_frames"),
    ("frames", ("watchlisted_frames", "nonwatchlist_frames"), "frames_processed"),
]
#: stages whose parts must add up exactly to the whole when every part is given.
_EXACT = [
    ("alerts", ("true_alerts", "false_alerts"), "alerts"),
    ("stops", ("stopped", "lost"), "stop_attempted"),
    ("verification", ("verified_correct", "verified_incorrect", "unverified"), "stopped"),
]


def check_funnel(funnel: Funnel, where: str = "", *, alerts_per_face: bool = True) -> Funnel:
    """Refuse counts whose stages do not add up; return the funnel unchanged.

    ``alerts_per_face=False`` skips the check that false alerts do not exceed
    faces processed (a replay run can raise several alerts on one face).

    Raises
    ------
    InputError
        Naming the stage and the counts, e.g. ``stops: stopped + lost = 30 is
        more than stop_attempted = 26``.
    """
    where = where or funnel.origin or funnel.id
    for key in COUNT_KEYS:
        v = getattr(funnel, key)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
            raise InputError(f"{key} must be a non-negative integer, got {v!r}", where=where)
    for stage, parts, whole in _EXACT:
        values = [getattr(funnel, p) for p in parts]
        total = getattr(funnel, whole)
        if total is not None and all(v is not None for v in values) and sum(values) != total:
            raise InputError(f"stage '{stage}': {' + '.join(parts)} = {sum(values)} but {whole} = {total}",
                             where=where, hint="the stages of the funnel must add up; fix the counts")
    for stage, parts, whole in _AT_MOST:
        if not alerts_per_face and whole == "faces_processed":
            continue
        # parts as given (a derived part could hide the excess); the whole as given or derived
        values = [getattr(funnel, p) for p in parts]
        total = funnel.get(whole)
        known = [(p, v) for p, v in zip(parts, values) if v is not None]
        if total is None or not known:
            continue
        s = sum(v for _, v in known)
        if s > total:
            names = " + ".join(p for p, _ in known)
            raise InputError(f"stage '{stage}': {names} = {s} is more than {whole} = {total}",
                             where=where, hint="a later stage of the funnel cannot hold more than the one before it")
    if funnel.footage_hours is not None and not (funnel.footage_hours >= 0 and math.isfinite(funnel.footage_hours)):
        raise InputError(f"footage_hours must be a non-negative number, got {funnel.footage_hours!r}", where=where)
    return funnel


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
    where = str(path)
    if not path.is_file():
        raise InputError(f"{path}: no such counts file", hint="give a YAML counts file or a replay run folder")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"not valid YAML{at}: {getattr(exc, 'problem', None) or exc}", where=where) from None
    return counts_from_dict(raw, where=where)


def counts_from_dict(raw: Any, *, where: str = "counts") -> Funnel:
    """Validate a counts mapping (as read from YAML) and build a :class:`Funnel`."""
    if not isinstance(raw, dict):
        raise InputError("expected a mapping of counts (alerts: 42, ...)", where=where)
    allowed = {**META_KEYS, **COUNT_KEYS, **NUMBER_KEYS}
    for key in raw:
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
        values[key] = int(v)
    for key in NUMBER_KEYS:
        if raw.get(key) is None:
            continue
        v = raw[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise InputError(f"{key} must be a non-negative number, got {v!r}", where=where)
        values[key] = float(v)
    ident = str(raw.get("id") or Path(where).stem)
    if not _ID_RE.match(ident):
        raise InputError(f"id {ident!r} may only hold letters, digits, '.', '_' and '-'", where=where)
    sources = raw.get("sources") or []
    if not isinstance(sources, list) or not all(isinstance(s, dict) and s.get("citation") for s in sources):
        raise InputError("sources must be a list of {citation, url}", where=where)
    claims = _claims(raw.get("claims") or [], where)
    funnel = Funnel(id=ident, title=str(raw.get("title") or ident), date=str(raw.get("date") or ""),
                    place=str(raw.get("place") or ""), matcher=str(raw.get("matcher") or ""),
                    sources=tuple(dict(s) for s in sources), claims=tuple(claims),
                    notes=str(raw.get("notes") or ""), origin=where, **values)
    return check_funnel(funnel, where)


def _claims(items: Any, where: str) -> list[Claim]:
    from fr_eval.counting.methods import METHODS, parse_reported

    if not isinstance(items, list):
        raise InputError("claims must be a list of {id, text, method, reported, source}", where=where)
    out, seen = [], set()
    for i, item in enumerate(items):
        w = f"{where}: claims[{i}]"
        if not isinstance(item, dict):
            raise InputError("a claim must be a mapping {id, text, method, reported, source}", where=w)
        for key in item:
            if key not in CLAIM_KEYS:
                raise InputError(f"unknown key {key!r}", where=w, hint=f"known keys: {', '.join(CLAIM_KEYS)}")
        for key, required in CLAIM_KEYS.items():
            if required and item.get(key) in (None, ""):
                raise InputError(f"missing key {key!r}", where=w)
        cid = str(item["id"])
        if cid in seen:
            raise InputError(f"duplicate claim id {cid!r}", where=w)
        seen.add(cid)
        if item["method"] not in METHODS:
            raise InputError(f"method {item['method']!r} is not a counting method", where=w,
                             hint=f"one of: {', '.join(METHODS)}")
        parse_reported(item["reported"], where=w)  # refuses what cannot be read
        out.append(Claim(id=cid, method=str(item["method"]), reported=item["reported"],
                         text=str(item.get("text") or ""), source=str(item.get("source") or ""),
                         by=str(item.get("by") or "")))
    return out


def funnel_fields() -> list[str]:
    """Names of every field of :class:`Funnel` (for tests and docs)."""
    return [f.name for f in fields(Funnel)]
