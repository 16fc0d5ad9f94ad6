"""The signature: one line that names everything that changes a number, so that two figures can be compared.

The sacrebleu pattern (``sacrebleu/metrics/base.py``, ``Signature``): each field has a long name and a short
alias, the text is built from the data (never the data from the text), and the JSON form is the data.
Every printed headline, every JSON result, every JUnit case and the report carry it::

    tpir|fr-eval:0.2.0|src:run|m:dlib@dlib-20.0.1#3a53a096|thr:0.5|fps:5|k:10|fpt:3|trk:6b1d0c2e|ci:cp
        |plants:no|adj:none|in:e993dd43 = 2/5 = ...            (one line; broken here to fit)

=============== ======= ================================================================================
field           short   what it holds
=============== ======= ================================================================================
fr-eval         fr-eval the fr-eval version that counted
source          src     ``run`` (replayed footage), ``scores`` (a system's score log imported by replay),
                        ``scorelist`` (``fr-eval scores import``), ``counts`` (a counts file)
matcher         m       name@version#hash of its model files and every matcher setting
threshold       thr     the threshold the counts were taken at (as given: float64, shortest exact form)
fps             fps     frames sampled per second of footage
top-k           k       candidate scores stored per track
faces-per-track fpt     best faces embedded per track
tracker         trk     hash of the tracker's settings
interval        ci      ``cp`` Clopper-Pearson, ``wilson``, ``boot`` cluster bootstrap
bootstrap       boot    replicates, seed and cluster key, when ``ci`` is ``boot``
plants-only     plants  ``yes`` when watchlisted passages are restricted to planted volunteers
adjudication    adj     ``none``, ``file#sha`` (a recorded file), ``sim@seedN#sha`` (simulated operator)
inputs          in      hash of every input that is scored (footage, watchlist, truth, adjudication,
                        the imported log); a counts file or score list by name and SHA-256
=============== ======= ================================================================================

Execution settings (workers, chunk size, scheduler, the order of rows or files) change no number
(tests check it), so they are not in it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

FIELDS: tuple[tuple[str, str, str], ...] = (
    ("version", "fr-eval", "fr-eval"), ("source", "src", "source"), ("matcher", "m", "matcher"),
    ("threshold", "thr", "threshold"), ("fps", "fps", "fps"), ("top_k", "k", "top-k"),
    ("faces_per_track", "fpt", "faces-per-track"), ("tracker", "trk", "tracker"), ("ci", "ci", "interval"),
    ("bootstrap", "boot", "bootstrap"), ("plants_only", "plants", "plants-only"),
    ("adjudication", "adj", "adjudication"), ("inputs", "in", "inputs"),
)
CI_SHORT = {"clopper-pearson": "cp", "wilson": "wilson", "bootstrap": "boot"}
#: fields two runs compared by ``fr-eval compare`` must share (what is compared is everything else)
COMPARE_SAME = ("source", "ci", "bootstrap", "plants_only", "adjudication", "inputs")


def number(x: Any) -> str:
    """A number's shortest exact text: ``0.5``, ``0.72``, ``0.6399999999``, ``5`` (never float32-rounded)."""
    if x is None:
        return "?"
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def short_hash(*parts: Any) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update((p if isinstance(p, str) else json.dumps(p, sort_keys=True, default=str)).encode())
        h.update(b"\0")
    return h.hexdigest()[:8]


@dataclass(frozen=True)
class Signature:
    """The values of :data:`FIELDS` (None: the field does not apply and is left out)."""

    version: str
    source: str
    inputs: str
    ci: str = "clopper-pearson"
    matcher: str | None = None
    threshold: float | None = None
    fps: float | None = None
    top_k: int | None = None
    faces_per_track: int | None = None
    tracker: str | None = None
    bootstrap: str | None = None
    plants_only: bool | None = None
    adjudication: str | None = None

    def items(self, long: bool = False) -> list[tuple[str, str]]:
        out = []
        for name, short, longname in FIELDS:
            v = getattr(self, name)
            if v is None:
                continue
            if name == "threshold" or name == "fps":
                text = number(v)
            elif name == "ci":
                text = v if long else CI_SHORT.get(v, v)
            elif name == "plants_only":
                text = "yes" if v else "no"
            else:
                text = str(v)
            out.append((longname if long else short, text))
        return out

    def short(self) -> str:
        return "|".join(f"{k}:{v}" for k, v in self.items())

    def long(self) -> str:
        return "|".join(f"{k}:{v}" for k, v in self.items(long=True))

    def __str__(self) -> str:
        return self.short()

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name, _, _ in FIELDS if getattr(self, name) is not None} | {
            "short": self.short(), "long": self.long()}

    def for_method(self, method_id: str) -> str:
        """``method|signature``: what every headline figure is printed with."""
        return f"{method_id}|{self.short()}"

    def differences(self, other: Signature) -> list[str]:
        """Fields whose values differ (long names)."""
        return [long for name, _, long in FIELDS if getattr(self, name) != getattr(other, name)]


def inputs_hash(manifest: dict[str, Any]) -> str:
    """SHA-256 over the sorted input file hashes (footage, watchlist, bundle metadata, imported logs)."""
    files = manifest.get("inputs", {}).get("files", {})
    h = hashlib.sha256()
    for name, digest in sorted(files.items()):
        h.update(f"{name}\0{digest}\n".encode())
    return h.hexdigest()


def footage_hash(manifest: dict[str, Any]) -> str:
    """SHA-256 over the footage files only."""
    paths = {f["path"] for f in manifest.get("footage", [])}
    files = manifest.get("inputs", {}).get("files", {})
    h = hashlib.sha256()
    for name in sorted(paths):
        h.update(f"{name}\0{files.get(name, '')}\n".encode())
    return h.hexdigest()


def matcher_id(manifest: dict[str, Any]) -> str:
    """``name@version#hash`` of the matcher: its model files and every setting that changes its numbers."""
    m = manifest.get("matcher", {})
    models = "".join(v for _, v in sorted(m.get("model_files", {}).items()))
    version = str(m.get("version", "?")).replace(" ", "-").replace("|", "/")
    return f"{m.get('name', '?')}@{version}#{short_hash(models, m.get('parameters', {}))}"


def adjudication_id(source: dict[str, Any] | None) -> str:
    """``none``, ``file#sha8`` or ``sim@seedN#sha8``: where the run's adjudication came from."""
    source = source or {"kind": "none"}
    kind = source.get("kind", "none")
    sha = str(source.get("sha256") or "")[:8]
    if kind == "simulated":
        return f"sim@seed{source.get('seed', '?')}#{sha}"
    if kind == "file":
        return f"file#{sha}" if sha else "file"
    return "none"


def bootstrap_id(ci: str, *, n_boot: int, seed: int, cluster_by: str | None) -> str | None:
    return f"n{n_boot}+seed{seed}+{cluster_by or 'unit'}" if ci == "bootstrap" else None


def for_run(manifest: dict[str, Any], *, threshold: float | None = None, ci: str = "clopper-pearson",
            seed: int = 0, n_boot: int = 2000, cluster_by: str | None = "subject", plants_only: bool = False,
            adjudication: dict[str, Any] | None = None) -> Signature:
    """The signature of counts taken from a run (``threshold`` defaults to the operated one)."""
    from fr_eval import __version__

    p = manifest.get("parameters", {})
    tracker = p.get("tracker") or {}
    kind = manifest.get("source_kind")
    source = kind if kind in ("scores", "scorelist") else "run"
    inputs = inputs_hash(manifest)[:8]
    if source == "scorelist":     # the score files themselves, named with their SHA-256
        inputs = "+".join(f"{name.split(':')[-1]}#{sha[:8]}"
                          for name, sha in manifest.get("inputs", {}).get("files", {}).items()) or inputs
    return Signature(
        version=__version__, source=source, inputs=inputs, ci=ci,
        matcher=matcher_id(manifest),
        threshold=float(p.get("threshold") if threshold is None else threshold),
        fps=p.get("fps") if source == "run" else None,
        top_k=p.get("top_k"),
        faces_per_track=tracker.get("keep_best") if source == "run" else None,
        tracker=short_hash({k: v for k, v in tracker.items() if k != "keep_best"}) if tracker else None,
        bootstrap=bootstrap_id(ci, n_boot=n_boot, seed=seed, cluster_by=cluster_by),
        plants_only=bool(plants_only), adjudication=adjudication_id(adjudication or manifest.get("adjudication")))


def for_counts(counts_id: str, sha256: str, *, ci: str = "clopper-pearson", seed: int = 0, n_boot: int = 2000,
               threshold: float | None = None) -> Signature:
    """The signature of figures computed from a counts file (one spelling everywhere)."""
    from fr_eval import __version__

    return Signature(version=__version__, source="counts", inputs=f"{counts_id}#{sha256[:8]}", ci=ci,
                     threshold=threshold,
                     bootstrap=bootstrap_id(ci, n_boot=n_boot, seed=seed, cluster_by=None))
