"""Synthetic FISHBOWL-like clips, in memory: textured fish of several kinds on smooth paths that cross, occlude each
other, leave and re-enter the frame, with static occluders (bars, plants, rocks) in front in part of the clips.

Amodal masks are single-fish renders (unoccluded by other fish and by static occluders, clipped at the border),
visible masks are what remains in the composite and never overlap, as in the real FISHBOWL. ``generate_clip`` is
fast enough to run on the fly in training; the on-disk FISHBOWL writer is fishbowl_writer.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from amodal_vos.data.fish import TAIL_PHASES, FishSprite, render_fish
from amodal_vos.data.sample import Clip, ObjectTrack
from amodal_vos.data.scenery import render_background, render_occluders


@dataclass(frozen=True)
class SynthConfig:
    """Generator settings. Lengths in pixels are given for a 128-pixel frame and scale with min(H, W)."""

    width: int = 128
    height: int = 128
    num_frames: int = 8
    fps: float = 30.0
    num_fish: tuple[int, int] = (2, 4)  # inclusive range
    semi_axis: tuple[float, float] = (11.0, 20.0)  # body semi-major axis, before the per-kind factor
    speed: tuple[float, float] = (1.5, 4.0)  # px per frame
    max_turn: float = 0.15  # rad per frame
    cluster_spread: float = 0.16  # start positions: N(cluster centre, spread * min(H, W)), so paths cross
    school_radius: float = (
        0.25  # fish farther than this * min(H, W) from the others steer back (keeps long clips crossing)
    )
    occluder_prob: float = 0.5  # share of clips with static occluders in front
    num_occluders: tuple[int, int] = (1, 2)
    min_visible_px: int | None = (
        None  # fish with fewer visible pixels over the clip are dropped; None: scaled 100 px at 480x320
    )


def _scale(cfg: SynthConfig) -> float:
    return min(cfg.width, cfg.height) / 128.0


def min_visible_pixels(cfg: SynthConfig) -> int:
    """FISHBOWL drops fish with <= 100 visible pixels over a 480x320 video; the same share of the frame here."""
    if cfg.min_visible_px is not None:
        return cfg.min_visible_px
    return max(20, int(round(100 * cfg.width * cfg.height / (480 * 320))))


def _angle_diff(a: np.ndarray | float, b: np.ndarray | float):
    return (np.asarray(a) - b + np.pi) % (2 * np.pi) - np.pi


def simulate_paths(
    rng: np.random.Generator, cfg: SynthConfig, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Positions [N, T, 2] (x, y) and headings [N, T] for N fish of body lengths ``lengths``: smooth random turns,
    a pull towards swimming level, a turn back towards the centre once a fish is past the frame edge plus half
    its length (so fish leave the frame and come back), and a turn towards the other fish when far from them."""
    n, t = len(lengths), cfg.num_frames
    s = _scale(cfg)
    w, h = cfg.width, cfg.height
    centre = np.array([rng.uniform(0.25, 0.75) * w, rng.uniform(0.25, 0.7) * h])
    pos = centre + rng.normal(0, cfg.cluster_spread * min(w, h), (n, 2))
    heading = np.where(rng.random(n) < 0.5, 0.0, np.pi) + rng.normal(0, 0.3, n)
    speed = rng.uniform(*cfg.speed, n) * s
    wobble = rng.uniform(0, 2 * np.pi, n)
    omega = np.zeros(n)
    margin = 0.5 * lengths
    positions, headings = np.empty((n, t, 2)), np.empty((n, t))
    for k in range(t):
        positions[:, k], headings[:, k] = pos, heading
        outside = (
            (pos[:, 0] < -margin)
            | (pos[:, 0] > w + margin)
            | (pos[:, 1] < -margin)
            | (pos[:, 1] > h + margin)
        )
        to_centre = np.arctan2(h / 2 - pos[:, 1], w / 2 - pos[:, 0])
        steer = np.where(outside, np.clip(_angle_diff(to_centre, heading), -1, 1) * cfg.max_turn, 0.0)
        if n > 1:  # loose schooling: a fish far from the others turns back towards them
            others = (pos.sum(0) - pos) / (n - 1)
            gap = others - pos
            far = ~outside & (np.hypot(gap[:, 0], gap[:, 1]) > cfg.school_radius * min(w, h))
            to_school = np.arctan2(gap[:, 1], gap[:, 0])
            steer = steer + np.where(
                far, np.clip(_angle_diff(to_school, heading), -1, 1) * 0.5 * cfg.max_turn, 0.0
            )
        level = -0.04 * np.sin(2 * heading)
        omega = 0.7 * omega + rng.normal(0, cfg.max_turn * 0.4, n) + level + steer
        omega = np.clip(omega, -cfg.max_turn, cfg.max_turn)
        heading = heading + omega
        v = speed * (1 + 0.25 * np.sin(0.3 * k + wobble))
        pos = pos + v[:, None] * np.stack([np.cos(heading), np.sin(heading)], 1)
    return positions, headings


def _place(sprite: FishSprite, phase: int, pos: np.ndarray, heading: float, h: int, w: int):
    """Warp one sprite phase into the frame: (y0, x0, rgb [h', w', 3], mask [h', w']) on its clipped bounding box,
    or None when it is out of frame. Fish heading left are mirrored so their back stays up."""
    rgba = sprite.rgba[phase]
    flip = -1.0 if np.cos(heading) < 0 else 1.0
    c, s = np.cos(heading), np.sin(heading)
    lin = np.array([[c, -s], [s, c]]) @ np.diag([1.0, flip])
    m = np.hstack([lin, (pos - lin @ np.array(sprite.center))[:, None]])
    sh, sw = rgba.shape[:2]
    corners = np.array([[0, 0], [sw, 0], [0, sh], [sw, sh]], np.float64) @ lin.T + m[:, 2]
    x0, y0 = np.floor(corners.min(0)).astype(int)
    x1, y1 = np.ceil(corners.max(0)).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return None
    m[:, 2] -= (x0, y0)
    out = cv2.warpAffine(rgba, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return y0, x0, out[..., :3], out[..., 3] >= 128


def generate_clip(rng_or_seed: np.random.Generator | int, cfg: SynthConfig | None = None) -> Clip:
    """One synthetic clip. Objects are ordered by fish id; fish with too few visible pixels are dropped.
    ``meta["fish"]`` has each fish's FISHBOWL fields (id, type_id, type_name, speed, scale) plus depth order;
    ``meta["occluders"]`` the static occluder kinds."""
    cfg = cfg or SynthConfig()
    rng = rng_or_seed if isinstance(rng_or_seed, np.random.Generator) else np.random.default_rng(rng_or_seed)
    h, w, t = cfg.height, cfg.width, cfg.num_frames
    n = int(rng.integers(cfg.num_fish[0], cfg.num_fish[1] + 1))
    depth = rng.permutation(n)  # 0 = farthest; drawn far to near
    size_mul = 0.8 + 0.4 * depth / max(n - 1, 1)
    sprites = [render_fish(rng, rng.uniform(*cfg.semi_axis) * _scale(cfg) * size_mul[i]) for i in range(n)]
    lengths = np.array([sp.rgba.shape[2] for sp in sprites], np.float64)
    positions, headings = simulate_paths(rng, cfg, lengths)
    ids = np.sort(rng.choice(np.arange(4 * cfg.num_fish[1] + 8), n, replace=False))
    wag = rng.uniform(0, 2 * np.pi, n)
    background = render_background(rng, h, w)
    occ_count = (
        int(rng.integers(cfg.num_occluders[0], cfg.num_occluders[1] + 1))
        if rng.random() < cfg.occluder_prob
        else 0
    )
    occ_img, occ_mask, occ_kinds = render_occluders(rng, h, w, occ_count)

    frames = np.repeat(background[None], t, axis=0)
    amodal = np.zeros((n, t, h, w), bool)
    order = np.argsort(depth)
    for k in range(t):
        for i in order:
            phase = int((np.sin(0.9 * k + wag[i]) + 1) / 2 * (len(TAIL_PHASES) - 1e-6))
            placed = _place(sprites[i], phase, positions[i, k], headings[i, k], h, w)
            if placed is None:
                continue
            y0, x0, rgb, m = placed
            amodal[i, k, y0 : y0 + m.shape[0], x0 : x0 + m.shape[1]] = m
            roi = frames[k, y0 : y0 + m.shape[0], x0 : x0 + m.shape[1]]
            roi[m] = rgb[m]
    if occ_count:
        frames[:, occ_mask] = occ_img[occ_mask]
    covered = np.broadcast_to(occ_mask, (t, h, w)).copy()
    visible = np.zeros_like(amodal)
    for i in order[::-1]:  # near to far
        visible[i] = amodal[i] & ~covered
        covered |= amodal[i]

    keep = visible.reshape(n, -1).sum(1) >= min_visible_pixels(cfg)
    objects, fish_meta = [], []
    for i in np.argsort(ids):
        if not keep[i]:
            continue
        name = sprites[i].type_name
        objects.append(ObjectTrack(int(ids[i]), amodal[i], visible[i], name))
        step = np.linalg.norm(np.diff(positions[i], axis=0), axis=1)
        fish_meta.append(
            {
                "id": int(ids[i]),
                "type_id": sprites[i].type_id,
                "type_name": name,
                "speed": round(float(step.mean()) if len(step) else 0.0, 4),
                "scale": round(float(size_mul[i]), 4),
                "depth": int(depth[i]),
            }
        )
    return Clip(
        frames=frames,
        objects=objects,
        source="synthetic",
        clip_id="synthetic",
        fps=cfg.fps,
        meta={"fish": fish_meta, "occluders": occ_kinds},
    )
