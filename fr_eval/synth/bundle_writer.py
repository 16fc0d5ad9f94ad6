"""Write a synthetic deployment as a bundle (docs/formats.md): all files, then one rename."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from fr_eval import __version__
from fr_eval.errors import InputError
from fr_eval.inputs.bundle import DEFAULT_MATCHER
from fr_eval.store.hashing import sha256_file
from fr_eval.synth.faces import FaceSource, enrolable, enrolment_jpeg, locate_face, safe_id
from fr_eval.synth.render import IN_VIEW
from fr_eval.synth.scene import Cast, Passage, SynthSpec

CAMERA = "cam-1"
FOOTAGE = "footage/scene.mp4"
RECIPE_SCHEMA = "fr-eval/synth-recipe/1"
LABEL_NOTE = ("gender is a binary perceived-gender label given by annotators (Afifi & Abdelhamed 2019 for LFW), "
              "not self-reported")


def truth_tables(passages: list[Passage], rows: list[tuple], source: FaceSource, spec: SynthSpec
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Passage truth and per-frame boxes from the renderer's rows (only frames where the face is in view)."""
    boxes = pd.DataFrame(rows, columns=["passage_id", "t", "x0", "y0", "x1", "y1", "in_frame", "visible"])
    boxes = boxes[boxes["in_frame"] >= IN_VIEW].drop(columns="in_frame")
    boxes["visible"] = boxes["visible"].round(3)
    demo = source.demographic_columns
    recs = []
    for p in passages:
        b = boxes[boxes["passage_id"] == p.passage_id]
        if not len(b):
            continue
        best = b.loc[b["visible"].idxmax()]
        rec = {"passage_id": p.passage_id, "camera": CAMERA, "t_start": float(b["t"].min()),
               "t_end": float(b["t"].max()), "subject_id": p.subject_id or "", "person_id": safe_id(p.person),
               "plant": "true" if p.plant else "false", "x0": best["x0"], "y0": best["y0"], "x1": best["x1"],
               "y1": best["y1"]}
        for c in demo:
            rec[c] = source.label(p.person, c)
        recs.append(rec)
    truth = pd.DataFrame(recs)
    keep = set(truth["passage_id"]) if len(truth) else set()
    return truth, boxes[boxes["passage_id"].isin(keep)].reset_index(drop=True)


def write_bundle(work: Path, *, spec: SynthSpec, source: FaceSource, cast: Cast, truth: pd.DataFrame,
                 boxes: pd.DataFrame, recipe: dict[str, Any]) -> None:
    """Everything but the footage (already encoded into ``work/footage``)."""
    demo = source.demographic_columns
    (work / "watchlist").mkdir(parents=True, exist_ok=True)
    rows = []
    for person in sorted(cast.watchlist, key=safe_id):
        sid = safe_id(person)
        photo = source.photo(person, cast.watchlist[person])
        face = locate_face(photo)
        if face is None or not enrolable(face):
            raise InputError(f"{photo}: the enrolment photo of {person!r} does not hold exactly one face",
                             hint="the recipe was made from a different face set or detector; regenerate it")
        (work / "watchlist" / f"{sid}.jpg").write_bytes(enrolment_jpeg(face))
        row = {"subject_id": sid, "image": f"watchlist/{sid}.jpg",
               "category": "plant" if person in cast.plants else "wanted"}
        for c in demo:
            row[c] = source.label(person, c)
        rows.append(row)
    pd.DataFrame(rows).to_csv(work / "watchlist.csv", index=False)
    truth.to_csv(work / "truth.csv", index=False)
    boxes.to_csv(work / "truth_boxes.csv", index=False)
    recipe = dict(recipe, outputs={rel: sha256_file(work / rel) for rel in (FOOTAGE, "truth.csv", "truth_boxes.csv",
                                                                        "watchlist.csv")})
    (work / "recipe.yaml").write_text(yaml.safe_dump(recipe, sort_keys=False, width=120), encoding="utf-8")
    deployment = {
        "schema": "fr-eval/bundle/1",
        "id": spec.bundle_id,
        "title": f"Synthetic deployment: {spec.lighting}, {spec.crowd} crowd, seed {spec.seed}",
        "place": "Synthetic street scene (fr-eval synth; no real place)",
        "start_time": spec.start_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "conditions": {"lighting": spec.lighting, "crowd": spec.crowd},
        "threshold": spec.threshold,
        "matcher": DEFAULT_MATCHER,
        "watchlist": "watchlist.csv",
        "footage": [{"path": FOOTAGE, "camera": CAMERA}],
        "truth": "truth.csv",
        "truth_boxes": "truth_boxes.csv",
        "synthetic": {"generator": f"fr-eval {__version__}", "recipe": "recipe.yaml", **spec.to_dict()},
        "sources": [{"citation": f"faces: {recipe['faces']['source']}", "url": recipe["faces"].get("url", "")}],
        "notes": ("Synthetic footage rendered by fr-eval synth from real face photos: every passage, box and "
                  "identity is known exactly. Nobody was scanned, stopped or arrested. "
                  + (LABEL_NOTE + "." if demo else "")),
    }
    (work / "deployment.yaml").write_text(yaml.safe_dump(deployment, sort_keys=False, width=120), encoding="utf-8")
    card = dataset_card(spec, cast, truth, recipe)
    if source.license is not None:
        shutil.copyfile(source.license, work / "LICENSE")
        card += ("\nThe face photos, and so this bundle's watchlist crops and footage, are under the licence in "
                 "`LICENSE` (from the faces list's `" + source.license.name + "`).\n")
    (work / "README.md").write_text(card, encoding="utf-8")


def dataset_card(spec: SynthSpec, cast: Cast, truth: pd.DataFrame, recipe: dict[str, Any]) -> str:
    plants = truth[truth["plant"] == "true"] if len(truth) else truth
    crowd = truth[truth["subject_id"] == ""] if len(truth) else truth
    lines = [
        f"# {spec.bundle_id}", "",
        f"Synthetic LFR deployment made by `fr-eval synth` (fr-eval {__version__})"
        + (":" if recipe.get("command") else " through the Python API (`fr_eval.synth.synthesize`)."), "",
        *(["```", recipe["command"], "```", ""] if recipe.get("command") else []),
        "Regenerate it exactly (the same cast, the same bytes) from its recipe:", "",
        "```", "fr-eval synth --recipe recipe.yaml --out OUT", "```", "",
        "| | |", "|---|---|",
        f"| conditions | lighting {spec.lighting}, crowd {spec.crowd} |",
        f"| footage | {spec.duration:g} s, {spec.width}x{spec.height}, {spec.fps:g} fps, H.264, camera {CAMERA} |",
        f"| watchlist | {len(cast.watchlist)} subjects enrolled with one photo each, {len(cast.plants)} of them "
        f"planted volunteers |",
        f"| passages | {len(truth)}: {len(plants)} by plants ({spec.passes} passes each, with other photos of "
        f"themselves), {len(crowd)} by people not on the watchlist |",
        f"| faces | {recipe['faces']['source']} |",
        f"| seed | {spec.seed} |", "",
        "Truth is exact by construction: `truth.csv` has one row per passage (times while at least half the face "
        "box is in the frame), `truth_boxes.csv` the face box in every frame and the share of it not hidden by "
        "a nearer person (`visible`).",
        "",
        "Conditions act on the image only (exposure, noise, motion blur, face size, occlusion), never on scores.",
    ]
    if "gender" in truth.columns:
        lines += ["", f"The `gender` column: {LABEL_NOTE}."]
    if "lfw" in recipe["faces"]["source"].lower():
        lines += ["", "Faces: Labeled Faces in the Wild (Huang et al. 2007; deep-funnelled, Huang et al. 2012). "
                  "LFW has no redistribution licence: do not commit this bundle's footage, watchlist or crops; "
                  "commit the recipe only."]
    return "\n".join(lines) + "\n"


def place(work: Path, out: Path, overwrite: bool) -> None:
    """Move the finished bundle into place; an existing bundle is only replaced when asked, only when it is a
    synthetic bundle fr-eval made (nothing else in it), and only at the end."""
    from fr_eval.store.ownership import replace_folder

    if (out.exists() or out.is_symlink()) and not overwrite:
        raise InputError(f"{out}: already exists", hint="use --overwrite to replace it, or another --out")
    replace_folder(work, out, "synthetic")
