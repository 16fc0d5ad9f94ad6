"""Render a synthetic deployment's footage: real faces crossing a street, day or night.

Each person is a head cut from a real photo (an elliptical, feathered mask
around the detected face) on a plain torso, walking across the frame and
towards the camera.  Nearer people (larger faces) are drawn over farther
ones, so dense crowds occlude faces the way real ones do.  Conditions act on
the image only, never on scores:

* **night**: four stops under-exposed, sensor read and shot noise, then the
  camera's gain (which amplifies the noise), a sodium-lamp colour cast, and
  motion blur from the longer exposure (1/25 s against 1/500 s by day);
* **dense**: more people at once, smaller faces, partial occlusion.

Truth boxes are where the face is drawn, at the scale of the detector's box
in the source photo; ``visible`` is the share of that box not hidden by a
nearer person or the frame edge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from fr_eval.synth.faces import FacePhoto
from fr_eval.synth.scene import EXPOSURE_S, STREAM_BACKGROUND, STREAM_NOISE, Passage, SynthSpec

#: a passage is in view while at least this share of its face box is inside the frame
IN_VIEW = 0.5


@dataclass
class Sprite:
    """A head cut from a photo: RGB, alpha, and the face box inside it (source pixels)."""

    rgb: np.ndarray
    alpha: np.ndarray
    face: tuple[float, float, float, float]

    @classmethod
    def from_photo(cls, photo: FacePhoto) -> Sprite:
        import cv2

        x0, y0, x1, y1 = photo.box
        w, h = x1 - x0, y1 - y0
        ex0, ey0 = int(round(x0 - 0.22 * w)), int(round(y0 - 0.55 * h))
        ex1, ey1 = int(round(x1 + 0.22 * w)), int(round(y1 + 0.18 * h))
        H, W = photo.image.shape[:2]
        pad = max(0, -ex0, -ey0, ex1 - W, ey1 - H)
        img = cv2.copyMakeBorder(photo.image, pad, pad, pad, pad, cv2.BORDER_REPLICATE) if pad else photo.image
        rgb = np.ascontiguousarray(img[ey0 + pad:ey1 + pad, ex0 + pad:ex1 + pad]).astype(np.float32)
        hh, ww = rgb.shape[:2]
        mask = np.zeros((hh, ww), np.float32)
        cv2.ellipse(mask, (ww // 2, hh // 2), (int(ww * 0.47), int(hh * 0.48)), 0, 0, 360, 1.0, -1)
        alpha = np.asarray(cv2.GaussianBlur(mask, (0, 0), max(1.0, 0.05 * w)), dtype=np.float32)
        return cls(rgb=rgb, alpha=alpha, face=(x0 - ex0, y0 - ey0, x1 - ex0, y1 - ey0))


def background(spec: SynthSpec) -> np.ndarray:
    """A street: sky, building fronts with windows, pavement (float32 RGB, 0-255)."""
    import cv2

    rng = np.random.default_rng([spec.seed, STREAM_BACKGROUND])
    W, H = spec.width, spec.height
    img = np.zeros((H, W, 3), np.float32)
    sky = np.linspace(0, 1, H, dtype=np.float32)[:, None, None]
    img[:] = (1 - sky) * np.array([150, 180, 215], np.float32) + sky * np.array([200, 210, 220], np.float32)
    x = 0
    while x < W:
        bw = int(rng.integers(W // 8, W // 3))
        top = int(rng.integers(int(0.02 * H), int(0.3 * H)))
        colour = rng.integers(90, 200, size=3).astype(float)
        cv2.rectangle(img, (x, top), (x + bw, H), colour.tolist(), -1)
        win = colour * 0.55
        for wy in range(top + 10, int(0.75 * H), max(12, H // 14)):
            for wx in range(x + 8, x + bw - 12, max(14, W // 30)):
                cv2.rectangle(img, (wx, wy), (wx + max(5, W // 80), wy + max(6, H // 40)), win.tolist(), -1)
        x += bw
    cv2.rectangle(img, (0, int(0.78 * H)), (W, H), (120, 118, 112), -1)
    img += rng.normal(0, 4, img.shape).astype(np.float32)
    return np.clip(img, 0, 255)


def _motion_blur(rgb, alpha, length):
    import cv2

    if length < 2:
        return rgb, alpha
    k = np.full((1, int(length)), 1.0 / int(length), np.float32)
    pre = rgb * alpha[..., None]
    pre = cv2.filter2D(pre, -1, k, borderType=cv2.BORDER_CONSTANT)
    a = cv2.filter2D(alpha, -1, k, borderType=cv2.BORDER_CONSTANT)
    return pre / np.maximum(a[..., None], 1e-4), a


class Renderer:
    """Draws frame after frame and records the truth boxes."""

    def __init__(self, spec: SynthSpec, passages: list[Passage], sprites: dict[str, Sprite]):
        self.spec = spec
        self.passages = passages
        self.sprites = sprites
        self.bg = background(spec)
        self.exposure = EXPOSURE_S[spec.lighting]

    def frame(self, index: int) -> tuple[np.ndarray, list[tuple]]:
        """Frame ``index`` as RGB uint8, and its truth rows (passage_id, t, x0, y0, x1, y1, in_frame, visible)."""
        import cv2

        spec = self.spec
        W, H = spec.width, spec.height
        t = index / spec.fps
        img = self.bg.copy()
        owner = np.full((H, W), -1, np.int32)
        active = []
        for i, p in enumerate(self.passages):
            if p.t0 - 0.5 <= t <= p.t0 + p.crossing_s + 0.5:
                cx, cy, fw = p.centre(t, W, H)
                active.append((fw, i, p, cx, cy))
        active.sort(key=lambda a: (a[0], a[1]))            # far (small) first, near last
        boxes = {}
        for fw, i, p, cx, cy in active:
            sp = self.sprites[p.passage_id]
            fx0, fy0, fx1, fy1 = sp.face
            s = fw / (fx1 - fx0)
            fh = (fy1 - fy0) * s
            box = (cx - fw / 2, cy - fh / 2, cx + fw / 2, cy + fh / 2)
            # torso below the head
            neck = int(round(box[3] + 0.1 * fh))
            axes = (int(round(1.1 * fw)), int(round(2.0 * fw)))
            centre = (int(round(cx)), int(round(neck + axes[1])))
            cv2.ellipse(img, centre, axes, 0, 0, 360, [float(c) for c in p.clothing], -1)
            cv2.ellipse(owner, centre, axes, 0, 0, 360, int(i), -1)
            # head
            sw, sh = max(1, int(round(sp.rgb.shape[1] * s))), max(1, int(round(sp.rgb.shape[0] * s)))
            interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
            rgb = cv2.resize(sp.rgb, (sw, sh), interpolation=interp)
            alpha = cv2.resize(sp.alpha, (sw, sh), interpolation=interp)
            rgb, alpha = _motion_blur(rgb, alpha, p.speed_px_s * self.exposure)
            ox = int(round(cx - (fx0 + fx1) / 2 * s - (rgb.shape[1] - sw) / 2))
            oy = int(round(cy - (fy0 + fy1) / 2 * s))
            x_a, y_a = max(0, ox), max(0, oy)
            x_b, y_b = min(W, ox + rgb.shape[1]), min(H, oy + rgb.shape[0])
            if x_b > x_a and y_b > y_a:
                a = alpha[y_a - oy:y_b - oy, x_a - ox:x_b - ox, None]
                roi = img[y_a:y_b, x_a:x_b]
                roi[:] = a * rgb[y_a - oy:y_b - oy, x_a - ox:x_b - ox] + (1 - a) * roi
            bx0, by0 = max(0, int(math.floor(box[0]))), max(0, int(math.floor(box[1])))
            bx1, by1 = min(W, int(math.ceil(box[2]))), min(H, int(math.ceil(box[3])))
            if bx1 > bx0 and by1 > by0:
                owner[by0:by1, bx0:bx1] = i
            boxes[i] = box
        rows = []
        for _fw, i, p, _cx, _cy in active:
            x0, y0, x1, y1 = boxes[i]
            area = (x1 - x0) * (y1 - y0)
            cx0, cy0, cx1, cy1 = max(0.0, x0), max(0.0, y0), min(float(W), x1), min(float(H), y1)
            if cx1 <= cx0 or cy1 <= cy0:
                continue
            in_frame = (cx1 - cx0) * (cy1 - cy0) / area
            ix0, iy0, ix1, iy1 = int(math.floor(cx0)), int(math.floor(cy0)), int(math.ceil(cx1)), int(math.ceil(cy1))
            visible = float((owner[iy0:iy1, ix0:ix1] == i).sum()) / max(area, 1.0)
            rows.append((p.passage_id, round(t, 4), round(cx0, 1), round(cy0, 1), round(cx1, 1), round(cy1, 1),
                         in_frame, min(1.0, visible)))
        return self._camera(img, index), rows

    def _camera(self, img: np.ndarray, index: int) -> np.ndarray:
        """Exposure, noise and gain of the camera (night) and a little sensor noise (day)."""
        rng = np.random.default_rng([self.spec.seed, STREAM_NOISE, index])
        if self.spec.lighting == "night":
            lin = (np.clip(img, 0, 255) / 255.0) ** 2.2 * 0.06             # four stops under
            lin = lin * np.array([1.0, 0.85, 0.6], np.float32)             # sodium lamps
            noise = rng.normal(0.0, 1.0, lin.shape).astype(np.float32)
            lin = lin + noise * np.sqrt(lin * 0.004 + 0.0025 ** 2)         # shot + read noise
            out = np.clip(lin * 2.0, 0, 1) ** (1 / 2.2) * 255.0            # camera gain
        else:
            out = img + rng.normal(0.0, 2.0, img.shape).astype(np.float32)
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def encode(frames, path: Path, spec: SynthSpec) -> None:
    """Encode RGB frames as H.264 MP4 with PyAV, bit-exact (same frames, same bytes)."""
    import av

    rate = Fraction(spec.fps).limit_denominator(1001)
    with av.open(str(path), mode="w", format="mp4", options={"fflags": "+bitexact"}) as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, "yuv420p"
        stream.options = {"crf": "20", "preset": "fast", "threads": "1"}
        stream.codec_context.flags |= av.codec.context.Flags.bitexact
        for arr in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(arr, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
