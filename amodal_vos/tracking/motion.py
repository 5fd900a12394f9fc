"""Where each object's box moved between two frames, from the pixels themselves (sparse optical flow).

The tracker's Mspec prior and search crop come from the last frame's predicted box, so a mask that drifts or jumps
to another object takes the next prior with it. ``BoxFlow`` gives a second, model-free estimate: corners inside the
last box are followed by pyramidal Lucas-Kanade flow (OpenCV), kept where the backward flow returns them to within
``fb_max`` pixels, and the box is shifted by their median motion and scaled by the median change of their pairwise
distances (the median-flow tracker of Kalal et al.). Propagation uses it to move the prior before a frame is
segmented and to refuse a predicted box that disagrees with it (see propagation.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from amodal_vos.model.transforms import IMAGENET_MEAN, IMAGENET_STD

AGREE = 0.5  # the trackers' default ``motion``: a predicted box below this IoU with the flow's box is refused
MAX_SIDE = 320  # flow runs on the frame downscaled to at most this many pixels on its longer side
LK = {"winSize": (11, 11), "maxLevel": 2}  # Lucas-Kanade window and pyramid levels above the image


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Row-wise IoU of two [N, 4] xyxy box sets."""
    lo, hi = torch.maximum(a[:, :2], b[:, :2]), torch.minimum(a[:, 2:], b[:, 2:])
    inter = (hi - lo).clamp(min=0).prod(dim=1)
    area = (a[:, 2:] - a[:, :2]).clamp(min=0).prod(dim=1) + (b[:, 2:] - b[:, :2]).clamp(min=0).prod(dim=1)
    return inter / (area - inter).clamp(min=1e-6)


@dataclass
class FlowFrame:
    """One frame as the flow reads it: uint8 grey image and its scale from input pixels."""

    grey: np.ndarray
    scale: float


def flow_step(hw: tuple[int, int], max_side: int = MAX_SIDE) -> int:
    """Every how many input pixels the grey frame keeps one, so that its longer side is at most ``max_side``."""
    return max(1, int(np.ceil(max(hw) / max_side)))


def gray_frame(image: torch.Tensor, max_side: int = MAX_SIDE) -> FlowFrame:
    """A normalised model input [1, 3, H, W] -> its ``FlowFrame`` (grey at most ``max_side`` px on a side)."""
    step = flow_step(image.shape[-2:], max_side)
    x = image[0, :, ::step, ::step].float()  # every step-th pixel: cheap, and sharp enough for the flow
    # the channel mean of the unnormalised frame, in one weighted sum
    weights = torch.as_tensor(IMAGENET_STD, device=x.device) * (255 / 3)
    grey = torch.tensordot(weights, x, dims=1).add_(sum(IMAGENET_MEAN) * 255 / 3)
    grey = grey.clamp_(0, 255).to(torch.uint8)
    return FlowFrame(np.ascontiguousarray(grey.cpu().numpy()), 1.0 / step)


def gray_frames(image: torch.Tensor, coarse: int, fine: int) -> tuple[FlowFrame, FlowFrame]:
    """``gray_frame`` at two longer sides; the coarse one is every k-th pixel of the fine one when its step is a
    multiple of the fine step (the same pixels, read once)."""
    big = gray_frame(image, fine)
    step, k = flow_step(image.shape[-2:], coarse), flow_step(image.shape[-2:], fine)
    if step % k:
        return gray_frame(image, coarse), big
    grey = np.ascontiguousarray(big.grey[:: step // k, :: step // k])
    return FlowFrame(grey, 1.0 / step), big


def corners_in_box(grey: np.ndarray, box, count: int) -> np.ndarray | None:
    """Up to ``count`` corners [K, 2] (grey pixels, float32) of ``grey`` inside the xyxy ``box`` clipped to it;
    None when the clipped box is under 3 px on a side or has no corner."""
    h, w = grey.shape
    x0, y0 = max(int(np.floor(box[0])), 0), max(int(np.floor(box[1])), 0)
    x1, y1 = min(int(np.ceil(box[2])), w), min(int(np.ceil(box[3])), h)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    corners = cv2.goodFeaturesToTrack(
        grey[y0:y1, x0:x1], count, qualityLevel=0.01, minDistance=2, blockSize=3
    )
    if corners is None:
        return None
    return (corners.reshape(-1, 2) + np.float32([x0, y0])).astype(np.float32)


def follow(
    prev: np.ndarray, cur: np.ndarray, pts: np.ndarray, fb_max: float, **lk
) -> tuple[np.ndarray, np.ndarray]:
    """Points [K, 2] of grey frame ``prev`` followed into ``cur`` by pyramidal Lucas-Kanade (``lk``: its window
    and levels): (kept points, where they went), those found both ways whose backward flow returns within
    ``fb_max`` pixels."""
    fwd, ok1, _ = cv2.calcOpticalFlowPyrLK(prev, cur, pts[:, None], None, **lk)
    back, ok2, _ = cv2.calcOpticalFlowPyrLK(cur, prev, fwd, None, **lk)
    fwd, back = fwd.reshape(-1, 2), back.reshape(-1, 2)
    keep = (ok1.ravel() == 1) & (ok2.ravel() == 1)
    keep &= np.linalg.norm(back - pts, axis=1) < fb_max
    return pts[keep], fwd[keep]


@dataclass
class FlowSettings:
    """Thresholds of ``BoxFlow``: points per box, forward-backward error (grey px), fewest points to trust."""

    max_points: int = 60
    fb_max: float = 1.0
    min_points: int = 8
    max_scale: float = 1.25


class BoxFlow:
    """``move(prev, cur, boxes)`` -> (moved boxes [N, 4], trusted [N] bool) for boxes in input pixels."""

    def __init__(self, settings: FlowSettings | None = None) -> None:
        self.settings = settings or FlowSettings()

    def _move_one(self, prev: FlowFrame, cur: FlowFrame, box: np.ndarray) -> np.ndarray | None:
        pts = corners_in_box(prev.grey, box, self.settings.max_points)
        if pts is None or len(pts) < self.settings.min_points:
            return None
        old, new = follow(prev.grey, cur.grey, pts, self.settings.fb_max, **LK)
        if len(old) < self.settings.min_points:
            return None
        shift = np.median(new - old, axis=0)
        i, j = np.triu_indices(len(old), k=1)
        d_old = np.linalg.norm(old[i] - old[j], axis=1)
        d_new = np.linalg.norm(new[i] - new[j], axis=1)
        far = d_old > 2.0
        scale = float(np.median(d_new[far] / d_old[far])) if far.any() else 1.0
        scale = float(np.clip(scale, 1 / self.settings.max_scale, self.settings.max_scale))
        centre = (box[:2] + box[2:]) / 2 + shift
        half = (box[2:] - box[:2]) / 2 * scale
        return np.concatenate([centre - half, centre + half])

    def move(
        self, prev: FlowFrame, cur: FlowFrame, boxes: torch.Tensor, skip: list[bool] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Boxes [N, 4] (input px) moved from frame ``prev`` to ``cur`` (``gray_frame`` outputs); untrusted boxes
        (too few points survive the checks) and those ``skip`` marks are returned unmoved and untrusted."""
        src = boxes.detach().cpu().float().numpy() * prev.scale
        out, trusted = boxes.detach().cpu().float().clone(), torch.zeros(len(src), dtype=torch.bool)
        for i, box in enumerate(src):
            if skip is not None and skip[i]:
                continue
            moved = self._move_one(prev, cur, box)
            if moved is not None:
                out[i] = torch.from_numpy(moved / prev.scale).float()
                trusted[i] = True
        return out, trusted
