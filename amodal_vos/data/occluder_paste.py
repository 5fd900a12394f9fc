"""The image operations of TAOS: cut an occluder patch from an image, find paste positions with a wanted overlap
with a target mask, paste it, and Gaussian-blur the seam (Amodal SAM Eq. 6) so only pixels near it change."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class Patch:
    """An occluder cut-out: RGB [h, w, 3] uint8 and its mask [h, w] bool."""

    rgb: np.ndarray
    mask: np.ndarray

    @property
    def area(self) -> int:
        return int(self.mask.sum())


def cut_patch(
    image: np.ndarray, mask: np.ndarray, rng: np.random.Generator, part_prob: float
) -> Patch | None:
    """The object ``mask`` of ``image`` cropped to its box; with probability ``part_prob`` only the part on one
    side of a random line through its centroid (the paper's "an object, or a portion of it")."""
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return None
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    m = mask[y0:y1, x0:x1].copy()
    if rng.random() < part_prob:
        angle = rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[y0:y1, x0:x1]
        side = (xx - xs.mean()) * np.cos(angle) + (yy - ys.mean()) * np.sin(angle) >= 0
        if (m & side).sum() >= 0.3 * m.sum():
            m &= side
    ys, xs = np.nonzero(m)
    crop = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    return Patch(image[y0:y1, x0:x1][crop].copy(), m[crop])


def scale_patch(patch: Patch, area: float, flip: bool) -> Patch:
    """Resize ``patch`` so its mask has about ``area`` pixels (optionally mirrored left-right)."""
    f = float(np.sqrt(area / max(patch.area, 1)))
    h, w = patch.mask.shape
    size = (max(1, int(round(w * f))), max(1, int(round(h * f))))
    rgb = cv2.resize(patch.rgb, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    mask = cv2.resize(patch.mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    if flip:
        rgb, mask = rgb[:, ::-1], mask[:, ::-1]
    return Patch(np.ascontiguousarray(rgb), np.ascontiguousarray(mask))


def _correlate(image: np.ndarray, templ: np.ndarray) -> np.ndarray:
    """Sum of image * templ for every placement of templ overlapping image: map [H + h - 1, W + w - 1] whose
    entry (py, px) is the top-left position (py - h + 1, px - w + 1)."""
    h, w = templ.shape
    padded = cv2.copyMakeBorder(
        image.astype(np.float32), h - 1, h - 1, w - 1, w - 1, cv2.BORDER_CONSTANT, value=0
    )
    return cv2.matchTemplate(padded, templ.astype(np.float32), cv2.TM_CCORR)


def candidate_positions(
    target: np.ndarray,
    occluder: np.ndarray,
    overlap: tuple[float, float],
    min_inside: float,
    near: int = 0,
    search_side: int = 256,
) -> np.ndarray:
    """Top-left (y, x) positions [K, 2] where ``occluder`` covers a share of ``target`` within ``overlap``
    (inclusive) and at least ``min_inside`` of the occluder lies in the image. With overlap (0, 0), ``near`` > 0
    keeps only positions within ``near`` pixels of the target (a distractor next to it). The search runs on a
    grid downscaled to ``search_side``, so the positions are approximate: verify them with ``overlap_at``."""
    h, w = target.shape
    f = min(1.0, search_side / max(h, w))
    small = (
        cv2.resize(target.astype(np.uint8), None, fx=f, fy=f, interpolation=cv2.INTER_NEAREST)
        if f < 1
        else target
    )
    occ = (
        cv2.resize(occluder.astype(np.uint8), None, fx=f, fy=f, interpolation=cv2.INTER_NEAREST)
        if f < 1
        else occluder
    )
    occ = occ.astype(bool)
    if not occ.any():
        return np.zeros((0, 2), np.int64)
    t_area, o_area = max(small.sum(), 1), occ.sum()
    share = _correlate(small, occ) / t_area
    inside = _correlate(np.ones_like(small), occ) / o_area
    ok = (inside >= min_inside) & (share >= overlap[0] - 1e-6) & (share <= overlap[1] + 1e-6)
    if overlap[1] <= 0 and near > 0:
        k = 2 * max(1, int(round(near * f))) + 1
        grown = cv2.dilate(small.astype(np.uint8), np.ones((k, k), np.uint8))
        ok &= (share <= 0) & (_correlate(grown, occ) > 0)
    py, px = np.nonzero(ok)
    pos = np.stack([py - occ.shape[0] + 1, px - occ.shape[1] + 1], 1)
    return np.round(pos / f).astype(np.int64)


def place_mask(mask: np.ndarray, hw: tuple[int, int], y: int, x: int) -> np.ndarray:
    """The patch mask placed with its top-left at (y, x) in an [H, W] frame (clipped at the border)."""
    out = np.zeros(hw, bool)
    h, w = mask.shape
    ys, xs = max(y, 0), max(x, 0)
    ye, xe = min(y + h, hw[0]), min(x + w, hw[1])
    if ye > ys and xe > xs:
        out[ys:ye, xs:xe] = mask[ys - y : ye - y, xs - x : xe - x]
    return out


def paste(frames: np.ndarray, patch: Patch, y: int, x: int) -> tuple[np.ndarray, np.ndarray]:
    """Hard composite of ``patch`` onto every frame [T, H, W, 3] at top-left (y, x): (frames, placed mask [H, W])."""
    hw = frames.shape[1:3]
    placed = place_mask(patch.mask, hw, y, x)
    canvas = np.zeros((*hw, 3), np.uint8)
    h, w = patch.mask.shape
    ys, xs = max(y, 0), max(x, 0)
    ye, xe = min(y + h, hw[0]), min(x + w, hw[1])
    if ye > ys and xe > xs:
        canvas[ys:ye, xs:xe] = patch.rgb[ys - y : ye - y, xs - x : xe - x]
    out = frames.copy()
    out[:, placed] = canvas[placed]
    return out, placed


def seam_band(mask: np.ndarray, width: int) -> np.ndarray:
    """Pixels within ``width`` pixels (chessboard distance) of the mask's boundary, on either side."""
    k = np.ones((2 * width + 1, 2 * width + 1), np.uint8)
    m = mask.astype(np.uint8)
    return (cv2.dilate(m, k) > 0) & ~(cv2.erode(m, k, borderType=cv2.BORDER_REPLICATE) > 0)


def blur_seam(frames: np.ndarray, mask: np.ndarray, width: int, kernel: int, sigma: float) -> np.ndarray:
    """Eq. 6: replace the pixels of the seam band by their Gaussian-blurred value (kernel k x k, sigma); every
    other pixel is left as it is."""
    band = seam_band(mask, width)
    if not band.any():
        return frames
    ys, xs = np.nonzero(band)
    pad = kernel // 2 + 1
    y0, y1 = max(ys.min() - pad, 0), min(ys.max() + 1 + pad, mask.shape[0])
    x0, x1 = max(xs.min() - pad, 0), min(xs.max() + 1 + pad, mask.shape[1])
    out = frames.copy()
    sub = band[y0:y1, x0:x1]
    for t in range(len(frames)):
        blurred = cv2.GaussianBlur(
            frames[t, y0:y1, x0:x1], (kernel, kernel), sigma, borderType=cv2.BORDER_REFLECT
        )
        out[t, y0:y1, x0:x1][sub] = blurred[sub]
    return out
