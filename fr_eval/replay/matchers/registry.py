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


def load_matcher(name: str, **options):
    """Instantiate the matcher registered under ``name``."""
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            cls = ep.load()
            return cls(**options)
    names = ", ".join(m.name for m in available_matchers()) or "none"
    raise InputError(f"unknown matcher {name!r}", hint=f"installed matchers: {names}; see `fr-eval matchers`")
