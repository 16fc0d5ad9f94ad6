"""Synthetic deployments from real faces (``fr-eval synth``).

>>> from fr_eval.synth import SynthSpec, synthesize                  # doctest: +SKIP
>>> synthesize(SynthSpec(lighting="night", crowd="dense", seed=7),
...            faces="../shared/data/lfw/images_deepfunneled", out="build/night-dense")  # doctest: +SKIP

The generator picks a watchlist, planted volunteers and a crowd from a folder
of real face photos, renders footage in which every passage is known, and
writes a complete deployment bundle with its recipe (the command, the seed,
the identities and photos, and the SHA-256 of what came out).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from fr_eval.errors import InputError
from fr_eval.inputs import shared_data
from fr_eval.inputs.bundle import load_bundle
from fr_eval.synth.bundle_writer import FOOTAGE, RECIPE_SCHEMA, place, truth_tables, write_bundle
from fr_eval.synth.faces import load_face_source, locate_face
from fr_eval.synth.render import Renderer, Sprite, encode
from fr_eval.synth.scene import Cast, SynthSpec, check_cast, choose_cast, plan_passages

__all__ = ["SynthSpec", "SynthResult", "synthesize", "load_recipe", "synthesize_recipe", "build_suite"]


@dataclass
class SynthResult:
    path: Path
    frames: int
    passages: int
    plant_passages: int
    seconds: float
    recipe: dict[str, Any]

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds else float("nan")


def _faces_ref(faces: str | Path | None) -> tuple[Path, str, dict[str, str]]:
    """Resolve ``--faces`` (``lfw`` or None means the shared LFW copy) to a path and its recipe entry."""
    if faces in (None, "", "lfw"):
        lfw = shared_data.lfw_faces()
        if lfw is None:
            raise InputError("Labeled Faces in the Wild is not at ../shared/data/lfw",
                             hint="set FR_EVAL_SHARED to the folder holding data/lfw, or pass --faces DIR")
        return lfw, "lfw", {"source": "lfw (Labeled Faces in the Wild, deep-funnelled)",
                            "url": "http://vis-www.cs.umass.edu/lfw/"}
    path = Path(faces)
    return path, str(faces), {"source": str(faces)}


def _labels_ref(labels: str | Path | None, faces_key: str, faces_path: Path) -> Path | None:
    """Labels: as given; by default LFW's perceived-gender labels when the faces are LFW's."""
    if labels == "none":
        return None
    if labels in (None, "", "lfw-gender"):
        beside = faces_path.parent / "labels" / "identity_gender.tsv"      # an LFW copy given by path
        if faces_path.is_dir() and faces_path.name == "images_deepfunneled" and beside.is_file():
            return beside
        return shared_data.lfw_gender_labels() if faces_key == "lfw" or labels == "lfw-gender" else None
    return Path(labels)


def synthesize(spec: SynthSpec, *, out: str | Path, faces: str | Path | None = None,
               labels: str | Path | None = None, faces_root: str | Path | None = None,
               cast: Cast | None = None, overwrite: bool = False, progress: bool = False,
               command: str | None = None) -> SynthResult:
    """Build one synthetic deployment bundle at ``out``.

    Parameters
    ----------
    spec : the conditions and sizes (``SynthSpec``).
    out : the bundle folder to write (refused if it exists, unless ``overwrite``).
    faces : a folder of identity folders, a faces CSV, or ``"lfw"``/None for ../shared/data/lfw.
    labels : per-identity demographic labels (TSV/CSV with e.g. ``gender``); LFW's perceived-gender
        labels by default when the faces are LFW; ``"none"`` for no labels.
    faces_root : where a faces CSV's image paths start (default: the CSV's folder).
    cast : pin who takes part (from a recipe) instead of choosing by the seed.
    command : the command line that asked for it, recorded in the recipe and the card as given (the library
        never rebuilds one).

    Raises
    ------
    InputError
        Too few identities, identities without a second photo for plants, unreadable photos, bad parameters.
    """
    t_begin = time.perf_counter()
    out = Path(out)
    if out.exists() or out.is_symlink():
        if not overwrite:
            raise InputError(f"{out}: already exists", hint="use --overwrite to replace it, or another --out")
        from fr_eval.store.ownership import check_replaceable

        check_replaceable(out, "synthetic")   # before the work: refuse at once what it could never replace
    faces_path, faces_key, faces_entry = _faces_ref(faces)
    label_path = _labels_ref(labels, faces_key, faces_path)
    source = load_face_source(faces_path, root=faces_root, labels=label_path)
    if cast is None:
        cast = choose_cast(spec, source)
    else:
        check_cast(cast, spec, source, "recipe")
    passages = plan_passages(spec, cast)
    sprites = {p.passage_id: Sprite.from_photo(_face(source.photo(p.person, p.photo))) for p in passages}
    renderer = Renderer(spec, passages, sprites)

    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.with_name(f".{out.name}.fr-eval-work-{uuid.uuid4().hex[:12]}")
    import shutil

    work.mkdir()                         # a new, unique folder: the only one the clean-up below removes
    (work / "footage").mkdir()
    rows: list[tuple] = []
    try:
        def frames():
            from tqdm import tqdm

            for i in tqdm(range(spec.n_frames), desc="synth", unit="frame", disable=not progress):
                img, r = renderer.frame(i)
                rows.extend(r)
                yield img

        encode(frames(), work / FOOTAGE, spec)
        truth, boxes = truth_tables(passages, rows, source, spec)
        recipe = {
            "schema": RECIPE_SCHEMA,
            "command": command,
            "faces": dict(faces_entry, labels=str(labels) if labels else ("lfw-gender" if label_path else "none"),
                          **({"root": str(faces_root)} if faces_root else {})),
            "parameters": spec.to_dict(),
            "cast": cast.to_dict(),
        }
        write_bundle(work, spec=spec, source=source, cast=cast, truth=truth, boxes=boxes, recipe=recipe)
        recipe = yaml.safe_load((work / "recipe.yaml").read_text(encoding="utf-8"))
        load_bundle(work)          # the bundle must pass the same checks as any other before it is placed
        place(work, out, overwrite)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    n_plants = int((truth["plant"] == "true").sum()) if len(truth) else 0
    return SynthResult(path=out, frames=spec.n_frames, passages=len(truth), plant_passages=n_plants,
                       seconds=time.perf_counter() - t_begin, recipe=recipe)


def _face(path: Path):
    """The main face of a photo the cast was chosen for (it was checked to hold one)."""
    face = locate_face(path)
    if face is None:
        raise InputError(f"{path}: no face found", hint="the recipe was made from another face set; regenerate it")
    return face


# -- recipes and the suite ---------------------------------------------------------------------

def load_recipe(path: str | Path) -> tuple[SynthSpec, Cast | None, dict[str, Any]]:
    """A recipe file (``recipe.yaml`` of a synthetic bundle) as spec, pinned cast and the raw mapping."""
    path = Path(path)
    if path.is_dir():
        path = path / "recipe.yaml"
    if not path.is_file():
        raise InputError(f"{path}: no such recipe", hint="give a recipe.yaml written by fr-eval synth")
    from fr_eval.inputs.yamlfile import load_yaml

    raw = load_yaml(path, what="recipe")
    if not isinstance(raw, dict) or raw.get("schema") != RECIPE_SCHEMA:
        raise InputError(f"{path}: not an fr-eval synth recipe (schema {RECIPE_SCHEMA} expected)")
    params = dict(raw.get("parameters") or {})
    known = {f.name for f in fields(SynthSpec)}
    unknown = sorted(set(params) - known)
    if unknown:
        raise InputError(f"{path}: unknown parameter {unknown[0]!r}", hint=f"known: {', '.join(sorted(known))}")
    spec = SynthSpec(**params)
    cast = Cast.from_dict(raw.get("cast") or {}, str(path)) if raw.get("cast") else None
    return spec, cast, raw


def synthesize_recipe(recipe: str | Path, *, out: str | Path, faces: str | Path | None = None,
                      overwrite: bool = False, progress: bool = False,
                      command: str | None = None) -> tuple[SynthResult, list[str]]:
    """Regenerate a bundle from its recipe; also returns the outputs whose SHA-256 differs from the recipe's.
    The new recipe records ``command`` if given, else the command the recipe recorded."""
    spec, cast, raw = load_recipe(recipe)
    f = raw.get("faces") or {}
    if faces is None:
        faces = "lfw" if str(f.get("source", "")).startswith("lfw") else f.get("source")
    result = synthesize(spec, out=out, faces=faces, labels=f.get("labels"), faces_root=f.get("root"), cast=cast,
                        overwrite=overwrite, progress=progress, command=command or raw.get("command"))
    expected = raw.get("outputs") or {}
    got = result.recipe.get("outputs") or {}
    differ = [k for k, v in expected.items() if got.get(k) != v]
    return result, differ


def build_suite(recipes: str | Path, out_root: str | Path, *, faces: str | Path | None = None,
                only: list[str] | None = None, overwrite: bool = True, progress: bool = False
                ) -> list[tuple[str, SynthResult, list[str]]]:
    """Regenerate every ``*.yaml`` recipe in a folder into ``out_root/<name>``."""
    recipes = Path(recipes)
    files = sorted(recipes.glob("*.yaml")) if recipes.is_dir() else []
    if not files:
        raise InputError(f"{recipes}: no recipe files (*.yaml)", hint="the suite's recipes are in "
                                                                     "datasets/synthetic/suite")
    if only:
        files = [f for f in files if f.stem in only]
        if not files:
            raise InputError(f"{recipes}: no recipe named {', '.join(only)}")
    results = []
    for f in files:
        result, differ = synthesize_recipe(f, out=Path(out_root) / f.stem, faces=faces, overwrite=overwrite,
                                           progress=progress)
        results.append((f.stem, result, differ))
    return results
