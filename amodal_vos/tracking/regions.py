"""Masks at frame size from S x S model logits, with work proportional to the object rather than the frame.

``logits_to_frame(logits, hw) > 0`` (bilinear, align_corners=False) is reproduced by separable interpolation
matrices evaluated only on the frame rows/columns whose source pixels lie within the object's positive low-res box
(plus a margin): outside it every source pixel is <= 0, so the convex combination is <= 0 and the mask is empty.
Inside, values match PyTorch's kernel up to float32 rounding (summation order), so a pixel can differ only where
the logit is within ~1e-6 of 0 (tests/tracking/test_regions.py bounds it).
"""

from __future__ import annotations

import numpy as np
import torch

from amodal_vos.model.search import positive_extent

MARGIN = 2  # low-res pixels around the positive box (1 is enough; 2 for safety)


def _axis(size: int, out: int) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    """Interpolation matrix [out, size] of one axis (as PyTorch's upsample_bilinear, align_corners=False), and the
    two source indices of each output pixel."""
    scale = np.float32(size / out)
    src = np.maximum(scale * (np.arange(out, dtype=np.float32) + np.float32(0.5)) - np.float32(0.5), 0)
    i0 = src.astype(np.int64)
    lam = (src - i0).astype(np.float32)
    i1 = np.minimum(i0 + 1, size - 1)
    weights = np.zeros((out, size), np.float32)
    np.add.at(weights, (np.arange(out), i0), 1 - lam)
    np.add.at(weights, (np.arange(out), i1), lam)
    return torch.from_numpy(weights), i0, i1


class RegionUpsampler:
    """``region(logits)`` -> ((y0, y1, x0, x1), values [y1-y0, x1-x0]) of one [S, S] logit map, or None when no
    low-res pixel is positive; the mask is ``values > 0`` there and False elsewhere."""

    def __init__(self, size: int, hw: tuple[int, int]) -> None:
        self.size, self.hw = size, hw
        self.wy, self.y_i0, self.y_i1 = _axis(size, hw[0])
        self.wx, self.x_i0, self.x_i1 = _axis(size, hw[1])

    def _span(self, lo: int, hi: int, i0: np.ndarray, i1: np.ndarray) -> tuple[int, int, int, int]:
        k0, k1 = max(lo - MARGIN, 0), min(hi + MARGIN, self.size - 1)
        d0 = int(np.searchsorted(i0, k0, "left"))
        d1 = int(np.searchsorted(i1, k1, "right"))
        return k0, k1 + 1, d0, d1

    def region(self, logits: torch.Tensor) -> tuple[tuple[int, int, int, int], torch.Tensor] | None:
        logits = logits.float()
        extent = positive_extent(logits)
        if extent is None:
            return None
        top, bottom, left, right = extent
        ky0, ky1, y0, y1 = self._span(top, bottom, self.y_i0, self.y_i1)
        kx0, kx1, x0, x1 = self._span(left, right, self.x_i0, self.x_i1)
        wy = self.wy[y0:y1, ky0:ky1].to(logits.device)
        wx = self.wx[x0:x1, kx0:kx1].to(logits.device)
        values = wy @ logits[ky0:ky1, kx0:kx1] @ wx.T
        return (y0, y1, x0, x1), values


def _overlap(a: tuple, b: tuple) -> tuple[int, int, int, int] | None:
    y0, y1, x0, x1 = max(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), min(a[3], b[3])
    return (y0, y1, x0, x1) if y0 < y1 and x0 < x1 else None


Region = (
    tuple[tuple[int, int, int, int], torch.Tensor] | None
)  # ((y0, y1, x0, x1), logits there), None: empty


def frame_masks(
    up: RegionUpsampler, amodal: list[torch.Tensor], visible: list[torch.Tensor] | None
) -> tuple[np.ndarray, np.ndarray | None, list[tuple | None]]:
    """Amodal and visible masks [N, H, W] bool of [S, S] whole-frame logits, as ``logits_to_frame(...) > 0`` (see
    ``masks_from_regions``)."""
    found = [up.region(logits) for logits in amodal]
    return masks_from_regions(up.hw, found, None if visible is None else [up.region(v) for v in visible])


def masks_from_regions(
    hw: tuple[int, int], amodal: list[Region], visible: list[Region] | None
) -> tuple[np.ndarray, np.ndarray | None, list[tuple | None]]:
    """Amodal and visible masks [N, H, W] bool (each [i] Fortran-ordered, ready for RLE) and each amodal mask's
    region (None: empty) from each object's frame logits inside its region (``RegionUpsampler.region`` for
    whole-frame models, ``model.search.paste_region`` for search regions); a visible pixel is kept only by the
    object of highest visible logit (the first on ties, as argmax)."""
    n, (h, w) = len(amodal), hw
    amodal_masks = np.zeros((n, w, h), bool).transpose(0, 2, 1)
    regions = []
    for i, found in enumerate(amodal):
        regions.append(None if found is None else found[0])
        if found is not None:
            (y0, y1, x0, x1), values = found
            amodal_masks[i, y0:y1, x0:x1] = (values > 0).cpu().numpy()
    if visible is None:
        return amodal_masks, None, regions
    visible_masks = np.zeros((n, w, h), bool).transpose(0, 2, 1)
    found = visible
    for i, item in enumerate(found):
        if item is None:
            continue
        region, values = item
        keep = values > 0
        for j, other in enumerate(found):
            sub = None if j == i or other is None else _overlap(region, other[0])
            if sub is None:
                continue
            mine = values[sub[0] - region[0] : sub[1] - region[0], sub[2] - region[2] : sub[3] - region[2]]
            r = other[0]
            theirs = other[1][sub[0] - r[0] : sub[1] - r[0], sub[2] - r[2] : sub[3] - r[2]]
            beats = theirs >= mine if j < i else theirs > mine
            keep[sub[0] - region[0] : sub[1] - region[0], sub[2] - region[2] : sub[3] - region[2]] &= ~beats
        y0, y1, x0, x1 = region
        visible_masks[i, y0:y1, x0:x1] = keep.cpu().numpy()
    return amodal_masks, visible_masks, regions
