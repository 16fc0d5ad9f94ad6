"""Face matchers: the pluggable part of a replay.

A matcher detects faces in a frame, embeds them and compares embeddings.
Built-in matchers and third-party ones are found through the setuptools
entry-point group ``fr_eval.matchers`` (see :mod:`fr_eval.replay.matchers.registry`).
"""

from fr_eval.replay.matchers.base import Detection, Matcher, MatcherInfo  # noqa: F401
from fr_eval.replay.matchers.registry import available_matchers, load_matcher  # noqa: F401
