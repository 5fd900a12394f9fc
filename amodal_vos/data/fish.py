"""Fish sprites for the synthetic generator: several body kinds, random colours and patterns, a few tail-wag
phases. A sprite faces +x with its back up; the generator rotates (and mirrors) it into the frame."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# (type_name, body aspect range a/b, tail length / a, dorsal+ventral fins, semi-axis multiplier)
FISH_KINDS: list[tuple[str, tuple[float, float], float, bool, float]] = [
    ("oval", (1.9, 2.6), 0.55, False, 1.0),
    ("slender", (3.4, 4.6), 0.35, False, 1.25),
    ("disc", (1.1, 1.4), 0.40, True, 0.85),
    ("angel", (1.5, 1.9), 0.50, True, 0.95),
]
TAIL_PHASES = (-0.35, 0.0, 0.35)  # tail rotation (rad) of the pre-rendered wag phases


@dataclass
class FishSprite:
    """Pre-rendered RGBA images of one fish, one per tail phase, [P, h, w, 4] uint8 (alpha 0/255), with the
    body centre at ``center`` (x, y) in sprite pixels and the body semi-axes (a, b)."""

    rgba: np.ndarray
    center: tuple[float, float]
    axes: tuple[float, float]
    type_id: int
    type_name: str


def _hsv_color(h: float, s: float, v: float) -> np.ndarray:
    hsv = np.array([[[h * 179, s * 255, v * 255]]], np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.int32)


def _rotate(points: np.ndarray, pivot: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    d = points - pivot
    return pivot + d @ np.array([[c, s], [-s, c]])


def _texture(
    rng: np.random.Generator, h: int, w: int, cx: float, cy: float, a: float, b: float
) -> np.ndarray:
    """The colour layer: base colour with a lighter belly, then stripes, spots or a band, or plain."""
    base = _hsv_color(rng.random(), rng.uniform(0.45, 1.0), rng.uniform(0.55, 1.0))
    accent = _hsv_color(rng.random(), rng.uniform(0.3, 1.0), rng.uniform(0.2, 1.0))
    img = np.empty((h, w, 3), np.int32)
    img[:] = base
    rows = np.arange(h)[:, None]
    belly = np.clip((rows - cy) / max(b, 1.0), 0, 1)[..., None]
    img = (img * (1 - 0.45 * belly) + 255 * 0.45 * belly).astype(np.int32)
    pattern = rng.integers(0, 4)
    color = tuple(int(c) for c in accent)
    if pattern == 1:  # vertical stripes
        n = int(rng.integers(2, 5))
        width = max(1, int(round(a * rng.uniform(0.12, 0.25))))
        for k in range(n):
            x = int(cx - a * 0.6 + (k + 0.5) * 1.4 * a / n)
            cv2.line(img, (x, 0), (x + int(rng.integers(-2, 3)), h - 1), color, width)
    elif pattern == 2:  # spots
        for _ in range(int(rng.integers(4, 10))):
            p = (int(cx + rng.uniform(-0.8, 0.6) * a), int(cy + rng.uniform(-0.7, 0.7) * b))
            cv2.circle(img, p, max(1, int(round(b * rng.uniform(0.12, 0.25)))), color, -1)
    elif pattern == 3:  # one lengthwise band
        cv2.line(img, (0, int(cy)), (w - 1, int(cy)), color, max(1, int(round(b * 0.35))))
    return img


def render_fish(rng: np.random.Generator, semi_axis: float) -> FishSprite:
    """A random fish of a random kind with body semi-major axis about ``semi_axis`` pixels."""
    type_id = int(rng.integers(0, len(FISH_KINDS)))
    name, aspect_range, tail_len, fins, size_mul = FISH_KINDS[type_id]
    a = semi_axis * size_mul
    b = a / rng.uniform(*aspect_range)
    tail = a * tail_len * rng.uniform(0.85, 1.15)
    fin = b * 0.9 if fins else 0.0
    pad = 2
    w = int(np.ceil(2 * a + tail + 2 * pad))
    h = int(np.ceil(2 * max(b + fin, tail * 0.75) + 2 * pad))
    cx, cy = pad + tail + a, h / 2.0
    color = _texture(rng, h, w, cx, cy, a, b)
    eye_r = max(1, int(round(b * 0.22)))
    eye = (int(cx + a * 0.55), int(cy - b * 0.2))
    fin_color = _hsv_color(rng.random(), 0.7, 0.8)
    joint = np.array([cx - a * 0.85, cy])
    spread = tail * rng.uniform(0.55, 0.75)
    body = np.zeros((h, w), np.uint8)
    cv2.ellipse(
        body, (int(round(cx)), int(round(cy))), (int(round(a)), max(1, int(round(b)))), 0, 0, 360, 255, -1
    )
    fin_mask = np.zeros((h, w), np.uint8)
    if fins:
        top = np.array(
            [[cx - a * 0.5, cy - b * 0.6], [cx - a * 0.55, cy - b - fin], [cx + a * 0.35, cy - b * 0.6]]
        )
        bottom = top * [1, -1] + [0, 2 * cy]
        cv2.fillPoly(fin_mask, [top.round().astype(np.int32), bottom.round().astype(np.int32)], 255)
    rgba = np.zeros((len(TAIL_PHASES), h, w, 4), np.uint8)
    for p, phase in enumerate(TAIL_PHASES):
        tail_pts = np.array(
            [joint, [cx - a - tail, cy - spread], [cx - a - tail * 0.8, cy], [cx - a - tail, cy + spread]]
        )
        tail_mask = np.zeros((h, w), np.uint8)
        cv2.fillPoly(tail_mask, [_rotate(tail_pts, joint, phase).round().astype(np.int32)], 255)
        fin_like = (tail_mask | fin_mask) > 0
        img = np.where(fin_like[..., None] & (body == 0)[..., None], fin_color, color)
        cv2.circle(img, eye, eye_r, (245, 245, 245), -1)
        cv2.circle(img, eye, max(1, eye_r // 2), (10, 10, 10), -1)
        rgba[p, ..., :3] = np.clip(img, 0, 255)
        rgba[p, ..., 3] = body | tail_mask | fin_mask
    return FishSprite(rgba, (cx, cy), (a, b), type_id, name)
