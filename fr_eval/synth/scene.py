"""What a synthetic deployment contains: its parameters, its cast and its passages.

Everything random is drawn from numpy generators seeded by ``(seed, stream)``,
one stream per purpose (cast, scene, background, noise), so the same seed
gives the same cast, the same passages and byte-identical footage, and a
recipe that pins the cast reproduces the bundle exactly.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from fr_eval.errors import InputError
from fr_eval.synth.faces import FaceSource, enrolable, locate_face, safe_id

STREAM_CAST, STREAM_SCENE, STREAM_BACKGROUND, STREAM_NOISE, STREAM_OPERATOR = 1, 2, 3, 4, 5

#: per crowd density: passages per second, face width range (px) at entry, growth while crossing, crossing time (s)
CROWD_PRESETS: dict[str, dict[str, Any]] = {
    "sparse": {"rate": 0.35, "face_px": (50, 84), "growth": (0.10, 0.35), "crossing_s": (3.0, 5.0)},
    "dense": {"rate": 1.6, "face_px": (34, 62), "growth": (0.05, 0.25), "crossing_s": (4.0, 7.0)},
}
#: exposure time (s): sets motion blur; night adds under-exposure and sensor noise
EXPOSURE_S = {"day": 1 / 500, "night": 1 / 25}


@dataclass
class SynthSpec:
    """The parameters of ``fr-eval synth`` (all recorded in deployment.yaml and the recipe)."""

    lighting: str = "day"
    crowd: str = "sparse"
    duration: float = 60.0
    width: int = 640
    height: int = 360
    fps: float = 10.0
    watchlist_size: int = 50
    plants: int = 8
    passes: int = 3
    crowd_rate: float | None = None      # crowd passages per second; None: the density's preset
    seed: int = 0
    threshold: float = 0.5
    id: str | None = None

    def __post_init__(self):
        if self.lighting not in EXPOSURE_S:
            raise InputError(f"--lighting {self.lighting!r}: use day or night")
        if self.crowd not in CROWD_PRESETS:
            raise InputError(f"--crowd {self.crowd!r}: use sparse or dense")
        checks = [("duration", self.duration > 0), ("width", 160 <= self.width <= 3840),
                  ("height", 120 <= self.height <= 2160), ("fps", 1 <= self.fps <= 60),
                  ("watchlist-size", self.watchlist_size >= 1), ("plants", 0 <= self.plants <= self.watchlist_size),
                  ("passes", self.passes >= 1), ("seed", self.seed >= 0)]
        for name, ok in checks:
            if not ok:
                raise InputError(f"--{name} {getattr(self, name.replace('-', '_'))!r} is out of range",
                                 hint="see fr-eval synth --help")
        if self.width % 2 or self.height % 2:
            raise InputError(f"frame size {self.width}x{self.height}: width and height must be even (H.264)")
        if self.crowd_rate is not None and self.crowd_rate < 0:
            raise InputError(f"--crowd-rate {self.crowd_rate}: must be >= 0")

    @property
    def bundle_id(self) -> str:
        return self.id or f"synth-{self.lighting}-{self.crowd}-s{self.seed}"

    @property
    def rate(self) -> float:
        return CROWD_PRESETS[self.crowd]["rate"] if self.crowd_rate is None else float(self.crowd_rate)

    @property
    def n_frames(self) -> int:
        return int(round(self.duration * self.fps))

    @property
    def n_crowd(self) -> int:
        return int(round(self.rate * self.duration))

    @property
    def start_time(self) -> dt.datetime:
        hour = 13 if self.lighting == "day" else 22
        return dt.datetime(2026, 1, 15, hour, 0, 0, tzinfo=dt.UTC)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["crowd_rate"] = self.rate
        d["id"] = self.bundle_id
        return d


@dataclass
class Cast:
    """Who takes part: photo file names per identity (enough to regenerate the bundle)."""

    watchlist: dict[str, str] = field(default_factory=dict)          # person -> enrolment photo
    plants: dict[str, list[str]] = field(default_factory=dict)       # person -> photos of their passes
    crowd: list[tuple[str, str]] = field(default_factory=list)       # (person, photo), one passage each

    def to_dict(self) -> dict[str, Any]:
        return {"watchlist": dict(self.watchlist), "plants": {k: list(v) for k, v in self.plants.items()},
                "crowd": [[p, f] for p, f in self.crowd]}

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str) -> Cast:
        try:
            return cls(watchlist={str(k): str(v) for k, v in d["watchlist"].items()},
                       plants={str(k): [str(x) for x in v] for k, v in (d.get("plants") or {}).items()},
                       crowd=[(str(p), str(f)) for p, f in (d.get("crowd") or [])])
        except (KeyError, TypeError, ValueError, AttributeError):
            raise InputError(f"{where}: cast must hold watchlist {{person: photo}}, plants {{person: [photos]}} "
                             "and crowd [[person, photo], ...]") from None


@dataclass
class Passage:
    """One person crossing the camera's view (the geometry the renderer draws)."""

    passage_id: str
    person: str
    photo: str
    subject_id: str | None
    plant: bool
    t0: float               # enters (s)
    crossing_s: float
    direction: int          # +1 left to right, -1 right to left
    face_px: float          # face width at entry
    growth: float           # relative growth of the face while crossing (walking towards the camera)
    y_frac: float           # face centre height, as a share of the frame height
    clothing: tuple[int, int, int]
    speed_px_s: float = 0.0

    def face_width(self, u: float) -> float:
        return self.face_px * (1.0 + self.growth * u)

    def centre(self, t: float, width: int, height: int) -> tuple[float, float, float]:
        """Face centre (x, y) and face width at time t (u outside [0, 1] is off screen)."""
        u = (t - self.t0) / self.crossing_s
        fw = self.face_width(min(max(u, 0.0), 1.0))
        margin = 1.6 * self.face_width(1.0)
        x_a, x_b = -margin, width + margin
        x = x_a + (x_b - x_a) * u if self.direction > 0 else x_b - (x_b - x_a) * u
        bob = 0.04 * fw * math.sin(2 * math.pi * 1.8 * (t - self.t0))
        return x, height * self.y_frac + bob, fw


def choose_cast(spec: SynthSpec, source: FaceSource) -> Cast:
    """Pick watchlist, plants and crowd from the face source, reproducibly from the seed."""
    ids = source.identities
    multi = [p for p in ids if len(source.photos[p]) >= 2]
    need = spec.watchlist_size + spec.n_crowd
    if len(ids) < need:
        raise InputError(f"{source.root}: {len(ids)} identities, but a watchlist of {spec.watchlist_size} and a crowd "
                         f"of {spec.n_crowd} need {need} different people",
                         hint="use a larger face set, a smaller --watchlist-size, or a shorter --duration / "
                              "lower --crowd-rate")
    if len(multi) < spec.plants:
        raise InputError(f"{source.root}: only {len(multi)} identities have two or more photos, but --plants "
                         f"{spec.plants} needs {spec.plants} (a plant is enrolled with one photo and walks past "
                         "with another)", hint="lower --plants or add photos")
    rng = np.random.default_rng([spec.seed, STREAM_CAST])
    cast = Cast()
    taken: set[str] = set()
    for person in (multi[i] for i in rng.permutation(len(multi))):
        if len(cast.plants) == spec.plants:
            break
        photos = [p for p in source.photos[person] if locate_face(p) is not None]
        if len(photos) < 2:
            continue
        order = [photos[i] for i in rng.permutation(len(photos))]
        enrol = _enrolable(order)
        if enrol is None:
            continue
        others = [p.name for p in order if p != enrol]
        cast.watchlist[person] = enrol.name
        cast.plants[person] = [others[k % len(others)] for k in range(spec.passes)]
        taken.add(person)
    if len(cast.plants) < spec.plants:
        raise InputError(f"{source.root}: only {len(cast.plants)} identities have two photos in which a face is "
                         f"found, but --plants {spec.plants} needs {spec.plants}", hint="lower --plants")
    for person in (ids[i] for i in rng.permutation(len(ids))):
        if len(cast.watchlist) == spec.watchlist_size:
            break
        if person in taken:
            continue
        photos = [source.photos[person][i] for i in rng.permutation(len(source.photos[person]))]
        enrol = _enrolable(photos)
        if enrol is not None:
            cast.watchlist[person] = enrol.name
            taken.add(person)
    rest = [p for p in ids if p not in taken]
    for person in (rest[i] for i in rng.permutation(len(rest))):
        if len(cast.crowd) == spec.n_crowd:
            break
        photos = [source.photos[person][i] for i in rng.permutation(len(source.photos[person]))]
        usable = next((p for p in photos if locate_face(p) is not None), None)
        if usable is not None:
            cast.crowd.append((person, usable.name))
    if len(cast.watchlist) < spec.watchlist_size or len(cast.crowd) < spec.n_crowd:
        raise InputError(f"{source.root}: faces were found in photos of only {len(cast.watchlist)} watchlist and "
                         f"{len(cast.crowd)} crowd identities ({spec.watchlist_size} and {spec.n_crowd} needed)",
                         hint="use a larger face set or fewer people")
    return cast


def _enrolable(photos):
    """The first photo whose enrolment crop holds exactly one face."""
    for p in photos:
        face = locate_face(p)
        if face is not None and enrolable(face):
            return p
    return None


def check_cast(cast: Cast, spec: SynthSpec, source: FaceSource, where: str) -> None:
    """A pinned cast (from a recipe) must fit the spec and the face source."""
    if len(cast.watchlist) != spec.watchlist_size or len(cast.plants) != spec.plants \
            or len(cast.crowd) != spec.n_crowd:
        raise InputError(f"{where}: the cast has {len(cast.watchlist)} watchlist, {len(cast.plants)} plants and "
                         f"{len(cast.crowd)} crowd, the parameters ask for {spec.watchlist_size}, {spec.plants} "
                         f"and {spec.n_crowd}", hint="regenerate the recipe with fr-eval synth")
    for person, _photos in cast.plants.items():
        if person not in cast.watchlist:
            raise InputError(f"{where}: plant {person!r} is not on the watchlist")
        if len(source.photos.get(person, [])) < 2:
            raise InputError(f"{where}: plant {person!r} has {len(source.photos.get(person, []))} photo(s) in "
                             f"{source.root}; a plant needs two (one to enrol, another to walk past)")
    people = list(cast.watchlist) + [p for p, _ in cast.crowd]
    dup = {p for p in people if people.count(p) > 1}
    if dup:
        raise InputError(f"{where}: {sorted(dup)[0]!r} appears twice in the cast (each person once)")
    for person, name in list(cast.watchlist.items()) + list(cast.crowd) + \
            [(p, n) for p, ns in cast.plants.items() for n in ns]:
        if person not in source.photos:
            raise InputError(f"{where}: identity {person!r} is not in {source.root}",
                             hint="the recipe was made from a different face set; check --faces")
        if locate_face(source.photo(person, name)) is None:
            raise InputError(f"{where}: no face found in {source.photo(person, name)}")


def plan_passages(spec: SynthSpec, cast: Cast) -> list[Passage]:
    """The passages: plants' passes spread evenly over the footage, the crowd at random times."""
    rng = np.random.default_rng([spec.seed, STREAM_SCENE])
    preset = CROWD_PRESETS[spec.crowd]
    subject = {p: safe_id(p) for p in cast.watchlist}
    out: list[Passage] = []

    def draw(person, photo, plant, t0=None):
        crossing = float(rng.uniform(*preset["crossing_s"]))
        face = float(rng.uniform(*preset["face_px"])) * spec.height / 360
        growth = float(rng.uniform(*preset["growth"]))
        z = (face / (spec.height / 360) - preset["face_px"][0]) / (preset["face_px"][1] - preset["face_px"][0])
        y_frac = 0.28 + 0.30 * z + float(rng.uniform(-0.05, 0.05))
        direction = 1 if rng.random() < 0.5 else -1
        clothing = tuple(int(c) for c in rng.integers(20, 235, size=3))
        if t0 is None:
            t0 = float(rng.uniform(0.0, max(0.0, spec.duration - crossing)))
        p = Passage(passage_id="", person=person, photo=photo, subject_id=subject.get(person), plant=plant,
                    t0=t0, crossing_s=crossing, direction=direction, face_px=face, growth=growth, y_frac=y_frac,
                    clothing=clothing)
        p.speed_px_s = (spec.width + 3.2 * p.face_width(1.0)) / crossing
        return p

    plant_people = list(cast.plants)
    n_slots = len(plant_people) * spec.passes
    free_at: dict[str, float] = {}
    for k in range(n_slots):
        person = plant_people[k % len(plant_people)]
        photo = cast.plants[person][k // len(plant_people)]
        slot = spec.duration / n_slots
        p = draw(person, photo, True)
        t0 = (k + float(rng.uniform(0.15, 0.85))) * slot - p.crossing_s / 2
        t0 = max(free_at.get(person, 0.0), min(max(0.0, t0), spec.duration - p.crossing_s))
        if t0 + p.crossing_s > spec.duration:
            raise InputError(f"--duration {spec.duration:g} s is too short for {len(plant_people)} plants walking "
                             f"past {spec.passes} times each (a pass takes {preset['crossing_s'][0]:g}-"
                             f"{preset['crossing_s'][1]:g} s and one person passes once at a time)",
                             hint="raise --duration or lower --plants / --passes")
        p.t0 = t0
        free_at[person] = t0 + p.crossing_s + 0.5
        out.append(p)
    for person, photo in cast.crowd:
        out.append(draw(person, photo, False))
    out.sort(key=lambda p: (p.t0, p.person))
    for i, p in enumerate(out, start=1):
        p.passage_id = f"p{i:04d}"
    return out
