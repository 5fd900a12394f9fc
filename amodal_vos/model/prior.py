"""Boxes and the spatial prior Mspec: box -> box enlarged by 20% per side (clipped) -> binary mask; mask -> box.

Boxes are float xyxy in pixels with an exclusive max edge (x1 = x + w); a box covers the pixel columns
floor(x0) .. ceil(x1)-1, so even a sub-pixel box covers at least one pixel.
"""

from __future__ import annotations

import numpy as np
import torch

ENLARGE = 0.2


def xywh_to_xyxy(box: torch.Tensor) -> torch.Tensor:
    """[..., 4] (x, y, w, h) -> (x0, y0, x1, y1)."""
    box = torch.as_tensor(box, dtype=torch.float32)
    return torch.cat([box[..., :2], box[..., :2] + box[..., 2:]], dim=-1)


def xyxy_to_xywh(box: torch.Tensor) -> torch.Tensor:
    """[..., 4] (x0, y0, x1, y1) -> (x, y, w, h)."""
    box = torch.as_tensor(box, dtype=torch.float32)
    return torch.cat([box[..., :2], box[..., 2:] - box[..., :2]], dim=-1)


def enlarge_box(box: torch.Tensor, hw: tuple[int, int], ratio: float = ENLARGE) -> torch.Tensor:
    """Grow an xyxy box by ``ratio`` of its width/height on every side, clipped to an image of size hw=(H, W)."""
    box = torch.as_tensor(box, dtype=torch.float32)
    wh = (box[..., 2:] - box[..., :2]).clamp(min=0)
    grown = torch.cat([box[..., :2] - ratio * wh, box[..., 2:] + ratio * wh], dim=-1)
    h, w = hw
    limit = torch.tensor([w, h, w, h], dtype=grown.dtype)
    return torch.minimum(grown.clamp(min=0), limit)


def box_to_mask(box: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    """[B, 4] xyxy boxes -> [B, 1, H, W] float masks, 1 on the pixels the box covers."""
    box = torch.as_tensor(box, dtype=torch.float32).reshape(-1, 4)
    h, w = hw
    cols = torch.arange(w, dtype=torch.float32)
    rows = torch.arange(h, dtype=torch.float32)
    x0, y0 = box[:, 0:1].floor(), box[:, 1:2].floor()
    x1, y1 = box[:, 2:3].ceil(), box[:, 3:4].ceil()
    inside_x = (cols >= x0) & (cols < x1)  # [B, W]
    inside_y = (rows >= y0) & (rows < y1)  # [B, H]
    return (inside_y[:, :, None] & inside_x[:, None, :]).float()[:, None]


def spec_from_box(box: torch.Tensor, hw: tuple[int, int], ratio: float = ENLARGE) -> torch.Tensor:
    """Mspec: the box enlarged by ``ratio`` per side, as a [B, 1, H, W] binary mask."""
    return box_to_mask(enlarge_box(box, hw, ratio), hw)


def mask_to_box(mask: torch.Tensor | np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """[B, H, W] (or [H, W]) masks -> ([B, 4] xyxy boxes, [B] bool non-empty). Empty masks give a zero box."""
    mask = torch.as_tensor(np.asarray(mask) if isinstance(mask, np.ndarray) else mask).bool()
    if mask.dim() == 2:
        mask = mask[None]
    rows = mask.any(dim=2)  # [B, H]
    cols = mask.any(dim=1)  # [B, W]
    valid = rows.any(dim=1)
    h, w = mask.shape[1:]
    ar_h = torch.arange(h)
    ar_w = torch.arange(w)
    y0 = torch.where(rows, ar_h, h).amin(dim=1)
    y1 = torch.where(rows, ar_h, -1).amax(dim=1) + 1
    x0 = torch.where(cols, ar_w, w).amin(dim=1)
    x1 = torch.where(cols, ar_w, -1).amax(dim=1) + 1
    boxes = torch.stack([x0, y0, x1, y1], dim=1).float()
    boxes[~valid] = 0
    return boxes, valid


def next_boxes(pred_mask: torch.Tensor, last_boxes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Progressive Mspec (paper III-E): each object's next box is the box of its predicted mask [B, H, W], or its
    last good box where the prediction is empty (object lost). Returns (boxes [B, 4], found [B])."""
    boxes, found = mask_to_box(pred_mask)
    return torch.where(found[:, None], boxes, torch.as_tensor(last_boxes, dtype=boxes.dtype)), found
