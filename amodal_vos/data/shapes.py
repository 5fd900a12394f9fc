"""Procedural object shapes for the realistic generator: stars, crescents, rings, L-shapes, crosses, ellipses,
rounded rectangles and blobs as soft-edged alpha masks, and their fills (a texture cut from a photograph, a flat
colour or a gradient, with a little shading). Sprites are premultiplied RGBA uint8, as the clip-art sprites of
amodal_vos.data.assets, so the generator treats both alike."""

from __future__ import annotations

import cv2
import numpy as np

SHAPE_KINDS = ("star", "crescent", "ring", "L", "cross", "ellipse", "roundrect", "blob")
_SS = 3  # supersampling of the rasterisation: soft (anti-aliased) edges after INTER_AREA


def _poly(canvas: np.ndarray, pts: np.ndarray, value: int = 255) -> None:
    cv2.fillPoly(canvas, [np.round(pts).astype(np.int32)], value)


def _draw(kind: str, rng: np.random.Generator, n: int) -> np.ndarray:
    """The shape filling most of an n x n canvas (uint8 0/255), centred, unrotated."""
    m = np.zeros((n, n), np.uint8)
    c = n / 2.0
    r = 0.47 * n
    if kind == "star":
        k = int(rng.integers(4, 9))
        inner = rng.uniform(0.38, 0.6)
        ang = np.arange(2 * k) * np.pi / k - np.pi / 2
        rad = np.where(np.arange(2 * k) % 2 == 0, r, r * inner)
        _poly(m, np.stack([c + rad * np.cos(ang), c + rad * np.sin(ang)], 1))
    elif kind == "crescent":
        cv2.circle(m, (int(c), int(c)), int(r), 255, -1)
        off = rng.uniform(0.3, 0.6) * r
        cv2.circle(m, (int(c + off), int(c - 0.2 * off)), int(r * rng.uniform(0.8, 0.95)), 0, -1)
    elif kind == "ring":
        cv2.circle(m, (int(c), int(c)), int(r), 255, -1)
        cv2.circle(m, (int(c), int(c)), int(r * rng.uniform(0.35, 0.65)), 0, -1)
    elif kind == "L":
        t1, t2 = rng.uniform(0.3, 0.5, 2) * 2 * r
        x0, y0, x1, y1 = c - r, c - r, c + r, c + r
        _poly(m, np.array([[x0, y0], [x0 + t1, y0], [x0 + t1, y1 - t2], [x1, y1 - t2], [x1, y1], [x0, y1]]))
    elif kind == "cross":
        t = rng.uniform(0.25, 0.45) * r
        m[int(c - t) : int(c + t), int(c - r) : int(c + r)] = 255
        m[int(c - r) : int(c + r), int(c - t) : int(c + t)] = 255
    elif kind == "ellipse":
        cv2.ellipse(m, (int(c), int(c)), (int(r), int(r * rng.uniform(0.35, 1.0))), 0, 0, 360, 255, -1)
    elif kind == "roundrect":
        hw, hh = r, r * rng.uniform(0.4, 1.0)
        rr = min(hw, hh) * rng.uniform(0.15, 0.6)
        x0, y0, x1, y1 = c - hw, c - hh, c + hw, c + hh
        m[int(y0 + rr) : int(y1 - rr), int(x0) : int(x1)] = 255
        m[int(y0) : int(y1), int(x0 + rr) : int(x1 - rr)] = 255
        for cx, cy in ((x0 + rr, y0 + rr), (x1 - rr, y0 + rr), (x0 + rr, y1 - rr), (x1 - rr, y1 - rr)):
            cv2.circle(m, (int(cx), int(cy)), int(rr), 255, -1)
    elif kind == "blob":
        k = 10
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        rad = r * rng.uniform(0.55, 1.0, k)
        pts = np.stack([c + rad * np.cos(ang), c + rad * np.sin(ang)], 1)
        _poly(m, pts)
        m = cv2.GaussianBlur(m, (0, 0), n * 0.06)
        m = np.where(m >= 128, 255, 0).astype(np.uint8)
    else:
        raise ValueError(f"unknown shape kind {kind!r}")
    return m


def shape_alpha(kind: str, rng: np.random.Generator, size: int, aspect: float = 1.0) -> np.ndarray:
    """Alpha uint8 [h, w] of a shape whose longer side is about ``size`` px (soft edges), stretched to
    ``aspect`` = width / height, cropped to the shape with a 1-px margin."""
    size = max(4, int(round(size)))
    n = size * _SS
    big = _draw(kind, rng, n)
    w, h = (
        (size, max(2, int(round(size / aspect))))
        if aspect >= 1
        else (max(2, int(round(size * aspect))), size)
    )
    alpha = cv2.resize(big, (w, h), interpolation=cv2.INTER_AREA)
    ys, xs = np.nonzero(alpha)
    if len(ys) == 0:
        return alpha
    return np.pad(alpha[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1], 1)


def random_colour(rng: np.random.Generator) -> np.ndarray:
    hsv = np.array([[[rng.uniform(0, 179), rng.uniform(60, 255), rng.uniform(60, 255)]]], np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)


def photo_crop(rng: np.random.Generator, photo: np.ndarray, h: int, w: int, zoom: float) -> np.ndarray:
    """A random ``zoom`` * (h, w) crop of ``photo`` resized to (h, w), float32 RGB."""
    ph, pw = photo.shape[:2]
    ch = int(min(ph, max(2, h * zoom)))
    cw = int(min(pw, max(2, w * zoom)))
    y0 = int(rng.integers(0, ph - ch + 1))
    x0 = int(rng.integers(0, pw - cw + 1))
    crop = photo[y0 : y0 + ch, x0 : x0 + cw]
    interp = cv2.INTER_AREA if ch > h else cv2.INTER_LINEAR
    return cv2.resize(crop, (w, h), interpolation=interp).astype(np.float32)


def fill_shape(
    rng: np.random.Generator, alpha: np.ndarray, photo: np.ndarray | None, fill: str
) -> np.ndarray:
    """Premultiplied RGBA uint8 [h, w, 4]: ``alpha`` filled by ``fill`` in ("texture", "flat", "gradient")
    (a texture needs ``photo``), with soft directional shading and, sometimes, a darker rim."""
    h, w = alpha.shape
    if fill == "texture" and photo is not None:
        rgb = photo_crop(rng, photo, h, w, rng.uniform(0.6, 3.0))
        rgb = rgb * rng.uniform(0.8, 1.25, 3).astype(np.float32)  # a tint, so it differs from the background
    elif fill == "gradient":
        a, b = random_colour(rng), random_colour(rng)
        ang = rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        u = (np.cos(ang) * xx / max(w, 1) + np.sin(ang) * yy / max(h, 1)) * 0.7 + 0.5
        u = np.clip(u, 0, 1)[..., None]
        rgb = a * (1 - u) + b * u
    else:
        rgb = np.broadcast_to(random_colour(rng), (h, w, 3)).astype(np.float32)
        rgb = rgb + rng.normal(0, 4, (h, w, 1)).astype(np.float32)
    # light from a random side: brighter there, darker opposite; a darker rim where the alpha falls off
    ang = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 1 + rng.uniform(0.05, 0.3) * (
        (xx / max(w, 1) - 0.5) * np.cos(ang) + (yy / max(h, 1) - 0.5) * np.sin(ang)
    )
    if rng.random() < 0.5:
        k = max(3, (min(h, w) // 6) | 1)
        inner = cv2.blur(alpha, (k, k)).astype(np.float32) / 255
        light = light * (0.7 + 0.3 * inner)
    rgb = np.clip(rgb * light[..., None], 0, 255)
    a = alpha.astype(np.float32)[..., None] / 255
    out = np.empty((h, w, 4), np.uint8)
    out[..., :3] = np.round(rgb * a).astype(np.uint8)
    out[..., 3] = alpha
    return out
