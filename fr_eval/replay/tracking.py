"""Face tracks: link per-frame detections into one track per passage.

Association is frame to frame: the cost of pairing an open track with a new
detection mixes box overlap (IoU), centre distance relative to face size and
appearance (a colour histogram of the face crop, far cheaper than an
embedding); pairs are chosen with scipy's ``linear_sum_assignment``.  A track
closes when it has not been seen for ``max_gap_s`` seconds, and takes no new
detection once its last face touched an edge of the frame while moving
towards it (``exit_at_edge``): someone who walked out at the right edge is not
the person who walks in there next.

Each track's ``keep_best`` best-quality faces (quality = face size x sharpness
x detector confidence; ties to the earlier face) are chosen once the track is
complete (:func:`best_faces`) and only those are embedded: the point of
tracking is to embed a few good faces per passage instead of every face in
every frame.  The tracker itself sees only boxes, qualities and appearance
histograms, so it can run over a whole footage in one pass after the chunks
have been detected in parallel: the tracks, and so the faces embedded, do not
depend on how the footage was cut into chunks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from fr_eval.replay.matchers.base import Detection


@dataclass(frozen=True)
class TrackerParams:
    max_gap_s: float = 1.0        # close a track unseen for this long
    min_iou: float = 0.05         # gate: boxes must overlap this much ...
    max_centre_dist: float = 1.5  # ... or centres be within this many face heights
    max_size_ratio: float = 2.0   # gate: face heights within this factor
    w_iou: float = 0.5
    w_dist: float = 0.3
    w_app: float = 0.2
    w_gap: float = 0.3            # penalty for a track unseen for max_gap_s (prefer recently seen tracks)
    max_cost: float = 0.9
    keep_best: int = 3            # faces per track to embed
    crop_margin: float = 0.6      # crop = box grown by this share of its size on each side
    exit_at_edge: bool = True     # a track whose last face touched an edge, moving out, takes no detection

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class FaceObs:
    """One detection as the tracker sees it."""

    frame: int
    t: float
    det: Detection
    quality: float
    hist: np.ndarray
    index: int = 0                # position among the frame's detections (the detector's order)


@dataclass
class Track:
    local_id: int
    obs: list[FaceObs] = field(default_factory=list)

    @property
    def last(self) -> FaceObs:
        return self.obs[-1]


def best_faces(track: Track, keep: int) -> list[FaceObs]:
    """The ``keep`` best-quality faces of a track, ties broken by earlier time then detector order."""
    return sorted(track.obs, key=lambda o: (-o.quality, o.t, o.index))[:keep]


def face_quality(image: np.ndarray, det: Detection) -> tuple[float, np.ndarray]:
    """Quality score and appearance histogram of one detected face.

    quality = face height (px) x sharpness x confidence, where sharpness is
    ``1 - exp(-var(Laplacian)/100)`` of the grey face and confidence is the
    logistic of the detector score.  The histogram is an 8x8 hue/saturation
    histogram of the face box, L1-normalised.
    """
    face = image[det.y0:det.y1, det.x0:det.x1]
    if face.size == 0:
        return 0.0, np.zeros(64, dtype=np.float32)
    f = face.astype(np.float32)
    grey = f @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if grey.shape[0] >= 3 and grey.shape[1] >= 3:
        lap = (grey[1:-1, 1:-1] * -4 + grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:])
        sharp = 1.0 - math.exp(-float(lap.var()) / 100.0)
    else:
        sharp = 0.0
    conf = 1.0 / (1.0 + math.exp(-det.score))
    hist = _hs_hist(f)
    return float(det.height * sharp * conf), hist


def _hs_hist(rgb: np.ndarray) -> np.ndarray:
    r, g, b = rgb[..., 0] / 255, rgb[..., 1] / 255, rgb[..., 2] / 255
    mx, mn = np.maximum(np.maximum(r, g), b), np.minimum(np.minimum(r, g), b)
    delta = mx - mn
    sat = np.where(mx > 0, delta / np.maximum(mx, 1e-6), 0)
    safe = np.maximum(delta, 1e-6)
    hue = np.where(mx == r, ((g - b) / safe) % 6, np.where(mx == g, (b - r) / safe + 2, (r - g) / safe + 4)) / 6
    h, _, _ = np.histogram2d(hue.ravel(), sat.ravel(), bins=8, range=[[0, 1], [0, 1]])
    total = h.sum()
    return (h.ravel() / total).astype(np.float32) if total else h.ravel().astype(np.float32)


def iou(a: Detection, b: Detection) -> float:
    ix = max(0, min(a.x1, b.x1) - max(a.x0, b.x0))
    iy = max(0, min(a.y1, b.y1) - max(a.y0, b.y0))
    inter = ix * iy
    union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter
    return inter / union if union > 0 else 0.0


class Tracker:
    """Online IoU + appearance tracker over sampled frames (deterministic)."""

    def __init__(self, params: TrackerParams | None = None, first_id: int = 0,
                 frame_size: tuple[int, int] | None = None):
        self.p = params or TrackerParams()
        #: (width, height) of the frames, for the exit rule (None: unknown, the rule is off)
        self.frame_size = frame_size
        self.open: list[Track] = []
        self.closed: list[Track] = []
        self._next = first_id

    def _cost(self, track: Track, ob: FaceObs) -> float:
        b = ob.det
        a = _predict(track, ob.t)
        if self.p.exit_at_edge and self.frame_size and _left_view(track, self.frame_size):
            return math.inf          # the person walked out of view: whoever appears there next is someone else
        ha, hb = max(a.height, 1), max(b.height, 1)
        if max(ha, hb) / min(ha, hb) > self.p.max_size_ratio:
            return math.inf
        ov = iou(a, b)
        ca = ((a.x0 + a.x1) / 2, (a.y0 + a.y1) / 2)
        cb = ((b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2)
        dist = math.hypot(ca[0] - cb[0], ca[1] - cb[1]) / ((ha + hb) / 2)
        if ov < self.p.min_iou and dist > self.p.max_centre_dist:
            return math.inf
        app = float(np.minimum(track.last.hist, ob.hist).sum())  # histogram intersection in [0, 1]
        gap = (ob.t - track.last.t) / self.p.max_gap_s if self.p.max_gap_s > 0 else 0.0
        return (self.p.w_iou * (1 - ov) + self.p.w_dist * min(dist / self.p.max_centre_dist, 1.0)
                + self.p.w_app * (1 - app) + self.p.w_gap * min(max(gap - 0.2, 0.0), 1.0))

    def step(self, t: float, observations: list[FaceObs]) -> list[tuple[Track, FaceObs]]:
        """Feed the detections of one sampled frame (time ``t``); return which track took each."""
        still: list[Track] = []
        for tr in self.open:
            (still if t - tr.last.t <= self.p.max_gap_s + 1e-9 else self.closed).append(tr)
        self.open = still
        taken: list[tuple[Track, FaceObs]] = []
        matched_obs: set[int] = set()
        if self.open and observations:
            cost = np.array([[self._cost(tr, ob) for ob in observations] for tr in self.open])
            finite = np.where(np.isfinite(cost), cost, 1e6)
            from scipy.optimize import linear_sum_assignment  # loaded on first use: 0.3 s of start-up

            rows, cols = linear_sum_assignment(finite)
            for r, c in zip(rows, cols):
                if cost[r, c] <= self.p.max_cost:
                    self._add(self.open[r], observations[c])
                    matched_obs.add(c)
                    taken.append((self.open[r], observations[c]))
        for i, ob in enumerate(observations):
            if i not in matched_obs:
                tr = Track(self._next)
                self._next += 1
                self._add(tr, ob)
                self.open.append(tr)
                taken.append((tr, ob))
        return taken

    def _add(self, tr: Track, ob: FaceObs) -> None:
        tr.obs.append(ob)

    def finish(self) -> list[Track]:
        """Close every track and return all of them in order of creation."""
        self.closed.extend(self.open)
        self.open = []
        return sorted(self.closed, key=lambda tr: tr.local_id)


def _left_view(track: Track, frame_size: tuple[int, int]) -> bool:
    """Whether the track's last face touched an edge of the frame while moving towards it (the person is
    walking out of view)."""
    if len(track.obs) < 2:
        return False
    last, prev = track.obs[-1].det, track.obs[-2].det
    w, h = frame_size
    dx, dy = (last.x0 + last.x1) - (prev.x0 + prev.x1), (last.y0 + last.y1) - (prev.y0 + prev.y1)
    return ((last.x1 >= w and dx > 0) or (last.x0 <= 0 and dx < 0)
            or (last.y1 >= h and dy > 0) or (last.y0 <= 0 and dy < 0))


def _predict(track: Track, t: float) -> Detection:
    """The track's box moved to time ``t`` at its last velocity (constant-velocity model)."""
    last = track.last.det
    if len(track.obs) < 2:
        return last
    prev = track.obs[-2]
    dt = track.last.t - prev.t
    if dt <= 0:
        return last
    vx = ((last.x0 + last.x1) - (prev.det.x0 + prev.det.x1)) / 2 / dt
    vy = ((last.y0 + last.y1) - (prev.det.y0 + prev.det.y1)) / 2 / dt
    ahead = t - track.last.t
    dx, dy = int(round(vx * ahead)), int(round(vy * ahead))
    return Detection(last.x0 + dx, last.y0 + dy, last.x1 + dx, last.y1 + dy, last.score)


def crop_face(image: np.ndarray, det: Detection, margin: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The face box grown by ``margin`` on each side (clipped), and the crop's top-left corner."""
    h, w = image.shape[:2]
    mx, my = int(round((det.x1 - det.x0) * margin)), int(round((det.y1 - det.y0) * margin))
    x0, y0 = max(0, det.x0 - mx), max(0, det.y0 - my)
    x1, y1 = min(w, det.x1 + mx), min(h, det.y1 + my)
    return np.ascontiguousarray(image[y0:y1, x0:x1]), (x0, y0)
