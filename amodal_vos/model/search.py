"""Search regions: object-centred square crops, so the model sees every object at about the same scale whatever the
video's size (a 30x70 px pedestrian in a 768x576 frame fills a 128 px input instead of 5x16 px of it).

Each object's crop is a square centred on its box (the prompt box, then its last predicted amodal box), ``context``
times the box's geometric mean side sqrt(w h) but at least ``min_context`` times its longer side (a 28x87 px
pedestrian gets a 123 px crop, not a 218 px one in which it is a thin sliver), never smaller than ``size / max_zoom``
frame pixels (no more than ``max_zoom``x upsampling). Crops may reach past the frame border; that part reads as the
normalised mean colour (zeros), as the model was trained. Boxes are xyxy floats with pixel edges at integers, as in
model/prior.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

OUTSIDE = -1024.0  # logit pasted outside a crop (SAM-2 writes -1024 for "no object" too)
PASTE_MARGIN = 2  # crop pixels around the positive ones whose frame pixels are pasted (1 is enough)


@dataclass(frozen=True)
class SearchConfig:
    """How crops follow an object: side = max(``context`` x sqrt(w h), ``min_context`` x longer side), at least
    ``size / max_zoom`` frame pixels; while an object is lost its crop grows ``lost_growth``x per frame for at most
    ``lost_frames`` frames (much larger crops than training showed make false re-acquisitions likely)."""

    context: float = 2.5
    min_context: float = 1.3
    max_zoom: float = 4.0
    lost_growth: float = 1.5
    lost_frames: float = 3.0

    @classmethod
    def from_config(cls, cfg) -> SearchConfig | None:
        """The ``search`` section of a model config (None: whole-frame input, the original SAM-2 way)."""
        if cfg is None or not cfg.get("search"):
            return None
        return cls(**{k: float(v) for k, v in dict(cfg["search"]).items()})


def square_crops(
    boxes: torch.Tensor, hw: tuple[int, int], size: int, cfg: SearchConfig, grow: torch.Tensor | None = None
) -> torch.Tensor:
    """[N, 4] object boxes (frame px) -> [N, 4] square crop boxes; ``grow`` [N] multiplies each side (lost objects,
    training jitter), capped at 1.5x the frame's longer side."""
    boxes = torch.as_tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    wh = (boxes[:, 2:] - boxes[:, :2]).clamp(min=1.0)
    side = torch.maximum(cfg.context * wh.prod(dim=1).sqrt(), cfg.min_context * wh.amax(dim=1))
    side = side.clamp(min=size / cfg.max_zoom)
    if grow is not None:
        side = side * torch.as_tensor(grow, dtype=torch.float32)
    side = side.clamp(max=1.5 * max(hw))
    half = (side / 2)[:, None]
    return torch.cat([centre - half, centre + half], dim=1)


def _scale(crops: torch.Tensor, size: int) -> torch.Tensor:
    return (crops[:, 2] - crops[:, 0]) / size  # frame px per model px, [N]


def boxes_to_crop(boxes: torch.Tensor, crops: torch.Tensor, size: int) -> torch.Tensor:
    """[N, 4] xyxy frame px -> model px of each object's crop."""
    boxes = torch.as_tensor(boxes, dtype=torch.float32)
    return (boxes - crops[:, [0, 1, 0, 1]]) / _scale(crops, size)[:, None]


def boxes_from_crop(boxes: torch.Tensor, crops: torch.Tensor, size: int) -> torch.Tensor:
    """[N, 4] xyxy model px of each crop -> frame px."""
    return torch.as_tensor(boxes, dtype=torch.float32) * _scale(crops, size)[:, None] + crops[:, [0, 1, 0, 1]]


def points_to_crop(points: torch.Tensor, crops: torch.Tensor, size: int) -> torch.Tensor:
    """[N, P, 2] (x, y) frame px -> model px of each object's crop."""
    points = torch.as_tensor(points, dtype=torch.float32)
    return (points - crops[:, None, :2]) / _scale(crops, size)[:, None, None]


def _grid(crops: torch.Tensor, size: int, hw: tuple[int, int], device) -> torch.Tensor:
    """grid_sample grid [N, S, S, 2] (align_corners=False) reading each crop's pixel centres from an [H, W] image."""
    h, w = hw
    u = (torch.arange(size, dtype=torch.float32) + 0.5) / size  # [S] in 0..1 across the crop
    x = crops[:, 0:1] + u[None] * (crops[:, 2:3] - crops[:, 0:1])  # [N, S] frame px
    y = crops[:, 1:2] + u[None] * (crops[:, 3:4] - crops[:, 1:2])
    gx, gy = 2 * x / w - 1, 2 * y / h - 1
    n = len(crops)
    grid = torch.stack([gx[:, None, :].expand(n, size, size), gy[:, :, None].expand(n, size, size)], dim=-1)
    return grid.to(device)


def _pool_span(edges: torch.Tensor, length: int, k: int) -> tuple[int, int]:
    """Frame rows (or columns) [a, b) to pool by ``k`` so that bilinear reads of crops spanning ``edges`` [N, 2]
    stay inside: one pooled cell of margin, starts on the k-grid, ends on it or at the frame's edge."""
    lo = max(int(edges[:, 0].min().floor()) // k - 1, 0) * k
    hi = min((int(edges[:, 1].max().ceil()) // k + 2) * k, length)
    return lo, max(hi, min(lo + k, length))


def crop_images(images: torch.Tensor, crops: torch.Tensor, size: int) -> torch.Tensor:
    """[1 or N, C, H, W] normalised images -> [N, C, S, S] crops (bilinear; a crop much larger than S reads an
    average-pooled image so that it does not alias; outside the frame is 0, the mean colour)."""
    crops = (
        torch.as_tensor(crops, dtype=torch.float32).reshape(-1, 4).cpu()
    )  # box arithmetic stays on the CPU
    n = len(crops)
    h, w = images.shape[-2:]
    pools = _scale(crops, size).floor().clamp(min=1).int().tolist()
    out = images.new_empty(n, images.shape[1], size, size)
    for k in sorted(set(pools)):
        idx = [i for i, p in enumerate(pools) if p == k]
        grid = _grid(crops[idx], size, (h, w), images.device)  # -1..1 spans the frame
        if k == 1:
            src = images
        else:  # pool only the part of the frame the crops read (cells aligned with a whole-frame pooling)
            (r0, r1), (c0, c1) = _pool_span(crops[idx, 1::2], h, k), _pool_span(crops[idx, 0::2], w, k)
            src = F.avg_pool2d(images[..., r0:r1, c0:c1], k, ceil_mode=True)
            ph, pw = src.shape[-2:]
            grid = grid.clone()  # frame -1..1 -> the pooled span's -1..1 (ceil_mode pads its last cell)
            grid[..., 0] = ((grid[..., 0] + 1) * w - 2 * c0) / (k * pw) - 1
            grid[..., 1] = ((grid[..., 1] + 1) * h - 2 * r0) / (k * ph) - 1
        src = src if src.shape[0] == 1 else src[idx]
        sampled = F.grid_sample(src.expand(len(idx), -1, -1, -1) if src.shape[0] == 1 else src, grid,
                                mode="bilinear", padding_mode="zeros", align_corners=False)  # fmt: skip
        out[idx] = sampled
    return out


def crop_masks(masks: torch.Tensor, crops: torch.Tensor, size: int) -> torch.Tensor:
    """[N, H, W] bool masks -> [N, S, S] bool in each object's crop (a model pixel is set when half of it is)."""
    m = masks.float()[:, None]
    return crop_images(m, crops, size)[:, 0] >= 0.5


def positive_extent(logits: torch.Tensor) -> tuple[int, int, int, int] | None:
    """(first row, last row, first column, last column) of the positive logits of an [S, S] map; None: none."""
    positive = logits > 0
    rows = torch.nonzero(positive.any(dim=1)).flatten()
    if rows.numel() == 0:
        return None
    cols = torch.nonzero(positive.any(dim=0)).flatten()
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def paste_region(
    logits: torch.Tensor, crop: torch.Tensor, hw: tuple[int, int]
) -> tuple[tuple[int, int, int, int], torch.Tensor] | None:
    """[S, S] crop logits -> ((y0, y1, x0, x1), frame logits there): the part of the crop's frame pixels whose
    bilinear reads can reach a positive logit (``PASTE_MARGIN`` crop pixels around them), the only part where the mask
    can be non-empty; None when that part misses the frame or no logit is positive."""
    size = logits.shape[-1]
    h, w = hw
    extent = positive_extent(logits)
    if extent is None:
        return None
    top, bottom, left, right = extent
    x0, y0, x1, y1 = crop.tolist()
    scale = (x1 - x0) / size
    # frame pixel c reads crop pixels around (c + 0.5 - x0) / scale - 0.5: those within the margin of the positive ones
    c0 = max(int(x0), 0, math.floor(x0 + (left - PASTE_MARGIN) * scale))
    r0 = max(int(y0), 0, math.floor(y0 + (top - PASTE_MARGIN) * scale))
    c1 = min(int(x1) + 1, w, math.ceil(x0 + (right + 1 + PASTE_MARGIN) * scale) + 1)
    r1 = min(int(y1) + 1, h, math.ceil(y0 + (bottom + 1 + PASTE_MARGIN) * scale) + 1)
    if c1 <= c0 or r1 <= r0:
        return None
    padded = F.pad(logits.float()[None, None], (1, 1, 1, 1), value=OUTSIDE)  # edges fade to "outside"
    xs = ((torch.arange(c0, c1, dtype=torch.float32) + 0.5 - x0) / scale + 1) / (size + 2) * 2 - 1
    ys = ((torch.arange(r0, r1, dtype=torch.float32) + 0.5 - y0) / scale + 1) / (size + 2) * 2 - 1
    grid = torch.stack(torch.meshgrid(ys, xs, indexing="ij")[::-1], dim=-1)[None].to(logits.device)
    values = F.grid_sample(padded, grid, mode="bilinear", padding_mode="border", align_corners=False)[0, 0]
    return (r0, r1, c0, c1), values


def paste_logits(logits: torch.Tensor, crops: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    """[N, S, S] crop logits -> [N, H, W] frame logits; only the crop's part of the frame is resampled, the rest is
    OUTSIDE (work scales with the object, not the frame)."""
    out = logits.new_full((logits.shape[0], *hw), OUTSIDE)
    for i in range(len(logits)):
        found = paste_region(logits[i], crops[i], hw)
        if found is not None:
            (y0, y1, x0, x1), values = found
            out[i, y0:y1, x0:x1] = values
    return out
