"""The funnel of counts that every counting method divides.

A :class:`Funnel` is the single input type of :mod:`fr_eval.counting.methods`: a
replay run (through :func:`fr_eval.counting.counter.funnel`) and a counts file
(:func:`fr_eval.inputs.counts_file.load_counts`, for when only published figures
exist) both produce one.  Every count is
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
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from fr_eval.errors import InputError

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


@dataclass(frozen=True)
class Claim:
    """A figure a party published, to be checked against the counts.

    ``reported`` is kept as written ("19%", 0.19, "1 in 1,000").  ``kind`` is ``published`` (a figure a
    party published) or ``derived`` (a figure computed from the published counts, e.g. by a reviewer or by
    fr-eval): the two are counted and shown apart.
    """

    id: str
    method: str
    reported: Any
    text: str = ""
    source: str = ""
    by: str = ""
    kind: str = "published"


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
    #: SHA-256 of the counts file the figures were read from (empty when built in memory)
    source_sha256: str = field(default="", compare=False)

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

    def __add__(self, other: Funnel) -> Funnel:
        """Sum two funnels: a count is known in the sum only when known in both."""
        if not isinstance(other, Funnel):
            return NotImplemented
        values: dict[str, Any] = {}
        for key in list(COUNT_KEYS) + ["footage_hours"]:
            a, b = getattr(self, key), getattr(other, key)
            values[key] = None if a is None or b is None else a + b
        if self.watchlist_size is not None and self.watchlist_size == other.watchlist_size:
            values["watchlist_size"] = self.watchlist_size
        return replace(Funnel(), id=f"{self.id}+{other.id}", **values)

    @classmethod
    def total(cls, funnels: Iterable[Funnel], id: str = "overall") -> Funnel:
        """The sum of several funnels (see :meth:`__add__`), independent of their order: counts are whole
        numbers, and hours are summed exactly rounded (:func:`math.fsum`), so no ordering changes a digit."""
        import math

        funnels = list(funnels)
        if not funnels:
            return cls(id=id)
        values: dict[str, Any] = {}
        for key in list(COUNT_KEYS) + ["footage_hours"]:
            vals = [getattr(f, key) for f in funnels]
            values[key] = None if any(v is None for v in vals) else (
                math.fsum(vals) if key == "footage_hours" else sum(vals))
        sizes = {f.watchlist_size for f in funnels}
        values["watchlist_size"] = sizes.pop() if len(sizes) == 1 else None
        return replace(Funnel(), id=id, title=id, **values)


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


def funnel_fields() -> list[str]:
    """Names of every field of :class:`Funnel` (for tests and docs)."""
    return [f.name for f in fields(Funnel)]
