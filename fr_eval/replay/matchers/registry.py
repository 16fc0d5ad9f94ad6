"""Find matchers, detectors and embedders through their entry-point groups.

``fr_eval.matchers`` holds whole matchers (``dlib``, ``opencv-lbph``, ``scores``); ``fr_eval.detectors`` and
``fr_eval.embedders`` hold the halves that :func:`load_matcher` composes from a spec ``DETECTOR+EMBEDDER``
(:mod:`fr_eval.replay.matchers.composed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points

from fr_eval.errors import InputError

GROUP = "fr_eval.matchers"
DETECTORS = "fr_eval.detectors"
EMBEDDERS = "fr_eval.embedders"
KINDS = {GROUP: "matcher", DETECTORS: "detector", EMBEDDERS: "embedder"}


@dataclass
class MatcherEntry:
    name: str
    target: str           # module:Class
    package: str          # distribution that declared it
    version: str          # version of that distribution
    kind: str = "matcher"


def available(group: str = GROUP) -> list[MatcherEntry]:
    """Every plug-in of ``group`` declared by an installed package, sorted by name."""
    found = []
    for ep in entry_points(group=group):
        dist = getattr(ep, "dist", None)
        found.append(MatcherEntry(ep.name, ep.value, dist.name if dist else "?", dist.version if dist else "?",
                                  KINDS[group]))
    return sorted(found, key=lambda m: m.name)


def available_matchers() -> list[MatcherEntry]:
    return available(GROUP)


def _load_class(group: str, name: str):
    for ep in entry_points(group=group):
        if ep.name == name:
            return ep.load()
    names = ", ".join(m.name for m in available(group)) or "none"
    raise InputError(f"unknown {KINDS[group]} {name!r}", hint=f"installed {KINDS[group]}s: {names}; "
                                                               f"see `fr-eval matchers`")


def matcher_spec(matcher: str | None, detector: str | None, embedder: str | None, default: str) -> str:
    """The matcher spec from ``--matcher`` / ``--detector`` / ``--embedder`` (``default``: the bundle's)."""
    if matcher and (detector or embedder):
        raise InputError("give --matcher, or --detector and --embedder, not both",
                         hint="e.g. --detector yunet --embedder dlib, or --matcher yunet+dlib")
    if detector or embedder:
        base_det, _, base_emb = (default if "+" in default else "hog+dlib" if default == "dlib" else "+").partition("+")
        det, emb = detector or base_det, embedder or base_emb
        if not det or not emb:
            raise InputError(f"the bundle's matcher {default!r} has no detector/embedder halves",
                             hint="give both --detector and --embedder")
        return f"{det}+{emb}"
    return matcher or default


#: matchers already loaded in this process (loading dlib's models takes about 0.4 s); matchers are
#: deterministic and hold no state between calls, so one instance serves every caller with the same options
_LOADED: dict[tuple, object] = {}


def load_matcher(name: str, **options):
    """The matcher ``name`` (an entry of ``fr_eval.matchers``, or ``DETECTOR+EMBEDDER``) with ``options``."""
    if not isinstance(name, str) or not name:
        raise InputError(f"matcher {name!r} is not a name", hint="see `fr-eval matchers`")
    key = (name, tuple(sorted((str(k), str(v)) for k, v in options.items())))
    if key in _LOADED:
        return _LOADED[key]
    if "+" in name:
        from fr_eval.replay.matchers.composed import ComposedMatcher, split_options

        det_name, _, emb_name = name.partition("+")
        if not det_name or not emb_name or "+" in emb_name:
            raise InputError(f"matcher {name!r}: a composed matcher is DETECTOR+EMBEDDER", hint="e.g. yunet+dlib")
        det_cls, emb_cls = _load_class(DETECTORS, det_name), _load_class(EMBEDDERS, emb_name)
        det_opts, emb_opts = split_options(det_cls, emb_cls, options, name)
        matcher = ComposedMatcher(det_cls(**det_opts), emb_cls(**emb_opts), name=name)
    else:
        try:
            cls = _load_class(GROUP, name)
        except InputError:
            names = ", ".join(m.name for m in available(GROUP)) or "none"
            raise InputError(f"unknown matcher {name!r}",
                             hint=f"installed matchers: {names}, or DETECTOR+EMBEDDER (e.g. yunet+dlib); "
                                  f"see `fr-eval matchers`") from None
        matcher = cls(**options)
    if len(_LOADED) >= 4:
        _LOADED.pop(next(iter(_LOADED)))
    _LOADED[key] = matcher
    return matcher


def load_component(group: str, name: str, **options):
    """One detector or embedder (for ``fr-eval matchers`` and benchmarks)."""
    return _load_class(group, name)(**options)
