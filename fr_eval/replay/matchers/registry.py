"""Find matchers through the ``fr_eval.matchers`` entry-point group."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points

from fr_eval.errors import InputError

GROUP = "fr_eval.matchers"


@dataclass
class MatcherEntry:
    name: str
    target: str           # module:Class
    package: str          # distribution that declared it
    version: str          # version of that distribution


def available_matchers() -> list[MatcherEntry]:
    """Every matcher declared by an installed package, sorted by name."""
    found = []
    for ep in entry_points(group=GROUP):
        dist = getattr(ep, "dist", None)
        found.append(MatcherEntry(ep.name, ep.value, dist.name if dist else "?", dist.version if dist else "?"))
    return sorted(found, key=lambda m: m.name)


#: matchers already loaded in this process (loading dlib's models takes about 0.4 s); matchers are
#: deterministic and hold no state between calls, so one instance serves every caller with the same options
_LOADED: dict[tuple, object] = {}


def load_matcher(name: str, **options):
    """The matcher registered under ``name``, with ``options`` (validated by the matcher)."""
    if not isinstance(name, str) or not name:
        raise InputError(f"matcher {name!r} is not a name", hint="see `fr-eval matchers`")
    key = (name, tuple(sorted((str(k), str(v)) for k, v in options.items())))
    if key in _LOADED:
        return _LOADED[key]
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            cls = ep.load()
            matcher = cls(**options)
            if len(_LOADED) >= 4:
                _LOADED.pop(next(iter(_LOADED)))
            _LOADED[key] = matcher
            return matcher
    names = ", ".join(m.name for m in available_matchers()) or "none"
    raise InputError(f"unknown matcher {name!r}", hint=f"installed matchers: {names}; see `fr-eval matchers`")
