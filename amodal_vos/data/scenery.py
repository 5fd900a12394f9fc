"""Static scenery for the synthetic generator: the water-and-sand background behind the fish, and the static
occluders in front of them (bars, plants, rocks) as one colour layer plus one mask."""

from __future__ import annotations

import cv2
import numpy as np

OCCLUDER_KINDS = ("bar", "plant", "rock")
OCCLUDER_WEIGHTS = (0.4, 0.35, 0.25)


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int, amplitude: float) -> np.ndarray:
    """Low-frequency noise [h, w] in about [-amplitude, amplitude]: a coarse random grid, upsampled."""
    grid = rng.uniform(-amplitude, amplitude, (cells, cells)).astype(np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)


def render_background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Water (vertical gradient, random blue-green tint, soft noise) over a sand strip: [h, w, 3] uint8."""
    top = np.array([rng.uniform(40, 110), rng.uniform(110, 190), rng.uniform(150, 230)], np.float32)
    bottom = top * rng.uniform(0.35, 0.6)
    ramp = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    img = top * (1 - ramp) + bottom * ramp + _smooth_noise(rng, h, w, 6, 18)[..., None]
    sand_top = int(h * rng.uniform(0.8, 0.92))
    sand = np.array([rng.uniform(150, 210), rng.uniform(130, 180), rng.uniform(80, 130)], np.float32)
    edge = sand_top + _smooth_noise(rng, 1, w, 8, h * 0.03)[0]
    rows = np.arange(h, dtype=np.float32)[:, None]
    is_sand = rows >= edge[None, :]
    grain = rng.normal(0, 10, (h, w)).astype(np.float32)
    img = np.where(is_sand[..., None], sand + grain[..., None], img)
    return np.clip(img, 0, 255).astype(np.uint8)


def _bar(rng, img, mask, h, w, scale):
    width = max(2, int(round(rng.uniform(6, 16) * scale)))
    x0 = int(rng.integers(0, max(1, w - width)))
    color = np.array([rng.uniform(60, 200)] * 3, np.float32) * rng.uniform(0.8, 1.2, 3)
    shade = np.linspace(0.75, 1.15, width, dtype=np.float32)[None, :, None]
    img[:, x0 : x0 + width] = np.clip(color * shade, 0, 255)
    mask[:, x0 : x0 + width] = True


def _plant(rng, img, mask, h, w, scale):
    layer = np.zeros((h, w), np.uint8)
    x = rng.uniform(0.05, 0.95) * w
    top = h * (1 - rng.uniform(0.5, 0.95))
    ys = np.linspace(h + 2, top, 12)
    xs = x + np.sin(np.linspace(0, rng.uniform(2, 5), 12) + rng.uniform(0, 6)) * rng.uniform(3, 10) * scale
    pts = np.stack([xs, ys], 1).round().astype(np.int32)
    cv2.polylines(layer, [pts], False, 255, max(1, int(round(rng.uniform(2, 4) * scale))))
    for k in range(2, 12, 2):
        side = 1 if k % 4 else -1
        leaf = (int(pts[k, 0] + side * 5 * scale), int(pts[k, 1]))
        axes = (max(2, int(rng.uniform(5, 10) * scale)), max(1, int(rng.uniform(2, 3.5) * scale)))
        cv2.ellipse(layer, leaf, axes, side * rng.uniform(20, 50), 0, 360, 255, -1)
    green = np.array([rng.uniform(20, 80), rng.uniform(110, 200), rng.uniform(20, 80)], np.float32)
    tone = _smooth_noise(rng, h, w, 5, 25)[..., None]
    on = layer > 0
    img[on] = np.clip(green + tone, 0, 255)[on]
    mask |= on


def _rock(rng, img, mask, h, w, scale):
    layer = np.zeros((h, w), np.uint8)
    rx, ry = rng.uniform(0.08, 0.18) * w, rng.uniform(0.12, 0.3) * h
    cx, cy = rng.uniform(0.1, 0.9) * w, h - ry * rng.uniform(0.2, 0.6)
    angles = np.sort(rng.uniform(0, 2 * np.pi, 9))
    radius = rng.uniform(0.75, 1.0, 9)
    pts = np.stack([cx + rx * radius * np.cos(angles), cy + ry * radius * np.sin(angles)], 1)
    cv2.fillPoly(layer, [pts.round().astype(np.int32)], 255)
    grey = rng.uniform(70, 150) * rng.uniform(0.85, 1.15, 3).astype(np.float32)
    tone = _smooth_noise(rng, h, w, 10, 30)[..., None] + rng.normal(0, 6, (h, w, 1)).astype(np.float32)
    on = layer > 0
    img[on] = np.clip(grey + tone, 0, 255)[on]
    mask |= on


_DRAW = {"bar": _bar, "plant": _plant, "rock": _rock}


def render_occluders(
    rng: np.random.Generator, h: int, w: int, count: int
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``count`` static occluders of random kinds: colour layer [h, w, 3] uint8, mask [h, w] bool, kind names."""
    img = np.zeros((h, w, 3), np.uint8)
    mask = np.zeros((h, w), bool)
    scale = min(h, w) / 128.0
    kinds = [str(k) for k in rng.choice(OCCLUDER_KINDS, size=count, p=OCCLUDER_WEIGHTS)]
    for kind in kinds:
        _DRAW[kind](rng, img, mask, h, w, scale)
    return img, mask, kinds
