"""COCO segmentations (polygons or RLE; the RLE codec is amodal_vos.io.rle) and the box conventions of every loader.

Box conventions met in the datasets, all converted here to float xyxy pixels with an exclusive max edge (the
convention of amodal_vos.model.prior):
- COCO ``[x, y, w, h]`` with x the column;
- C2F-Seg / SaVos row-first ``[x_min, x_max, y_min, y_max]`` where x is the ROW, y the COLUMN, max inclusive;
- Kubric normalised ``(y_min, x_min, y_max, x_max)`` with the max edge exclusive.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pycocotools import mask as mask_utils

from amodal_vos.io import rle


def decode_segmentation(seg, height: int, width: int) -> np.ndarray:
    """Any COCO ``segmentation`` value -> [H, W] bool: polygons (a list of flat [x1, y1, ...] lists, or one flat
    list as in the original COCOA), an RLE dict, or a list of RLE dicts."""
    if seg is None:
        return np.zeros((height, width), bool)
    if isinstance(seg, dict):
        return rle.decode(seg)
    if len(seg) == 0:
        return np.zeros((height, width), bool)
    if isinstance(seg[0], dict):
        return rle.decode(seg)
    polys = [seg] if isinstance(seg[0], (int, float)) else seg
    polys = [[float(v) for v in p] for p in polys if len(p) >= 6]
    if not polys:
        return np.zeros((height, width), bool)
    return rle.decode(mask_utils.frPyObjects(polys, height, width))


def xywh_to_xyxy(box: Sequence[float]) -> np.ndarray:
    """COCO [x, y, w, h] (x = column) -> xyxy, max exclusive."""
    x, y, w, h = (float(v) for v in box)
    return np.array([x, y, x + w, y + h], np.float32)


def rowfirst_to_xyxy(box: Sequence[float]) -> np.ndarray:
    """C2F-Seg/SaVos [x_min, x_max, y_min, y_max] (x = ROW, y = COLUMN, inclusive) -> xyxy (x = column), exclusive."""
    r0, r1, c0, c1 = (float(v) for v in box)
    return np.array([c0, r0, c1 + 1, r1 + 1], np.float32)


def xyxy_to_rowfirst(box: Sequence[float]) -> list[int]:
    """xyxy (exclusive, x = column) -> row-first inclusive [x_min, x_max, y_min, y_max] (x = ROW)."""
    c0, r0, c1, r1 = (int(round(float(v))) for v in box)
    return [r0, r1 - 1, c0, c1 - 1]


def kubric_to_xyxy(box: Sequence[float], height: int, width: int) -> np.ndarray:
    """Kubric normalised (y_min, x_min, y_max, x_max), max exclusive -> xyxy in pixels."""
    y0, x0, y1, x1 = (float(v) for v in box)
    return np.array([x0 * width, y0 * height, x1 * width, y1 * height], np.float32)


def mask_box(mask: np.ndarray) -> np.ndarray:
    """[H, W] bool -> xyxy (exclusive) of its pixels; NaN where the mask is empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if len(rows) == 0:
        return np.full(4, np.nan, np.float32)
    cols = np.flatnonzero(mask.any(axis=0))
    return np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], np.float32)


def nan_boxes(num_frames: int) -> np.ndarray:
    """[T, 4] boxes all NaN: the 'no box stored for this frame' value of loader metadata."""
    return np.full((num_frames, 4), np.nan, np.float32)
