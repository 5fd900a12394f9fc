"""Moving each object's last mask to the next frame with its own pixels (issue 10: masks that leave their object).

``motion.BoxFlow`` moves an object's box; ``ShapeFlow`` moves its mask. Corners inside the last amodal mask (not its
box, so background and occluders around the object vote less) are followed by pyramidal Lucas-Kanade flow, kept
where the backward flow returns them within ``fb_max`` grey pixels, and a similarity (shift, scale, rotation) is
fitted to them with RANSAC; it is trusted when most of them agree with it. The last step's logits are resampled
into this step's model grid (the object's crop, or the squeezed whole frame) through that similarity: the object's
shape where its pixels went, hidden parts included. Propagation keeps the model's new mask where it overlaps the
moved one at IoU ``agree`` or more and the moved one otherwise, so a mask that jumps to a neighbour, shrinks onto a
part or vanishes while the object's pixels are still followed is replaced (measured in docs/tracking.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from amodal_vos.model.search import OUTSIDE
from amodal_vos.tracking.motion import FlowFrame, corners_in_box, follow

SHAPE_AGREE = (
    0.8  # the trackers' default ``shape``: a new mask below this IoU with the moved last mask is replaced
)
STILL = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # the move of a last mask that flow did not move


def model_grid(crop: torch.Tensor | None, hw: tuple[int, int], size: int) -> np.ndarray:
    """The 2x3 affine map from frame pixels to model pixels (pixel centres at integers, as OpenCV counts): an
    object's square crop (x0, y0, x1, y1) resampled to ``size``, or the whole frame squeezed to ``size``."""
    if crop is None:
        h, w = hw
        sx, sy, ox, oy = size / w, size / h, 0.0, 0.0
    else:
        x0, y0, x1, _ = (float(v) for v in crop)
        sx = sy = size / (x1 - x0)
        ox, oy = x0, y0
    return np.array([[sx, 0.0, (0.5 - ox) * sx - 0.5], [0.0, sy, (0.5 - oy) * sy - 0.5]])


def model_grids(crops: torch.Tensor | None, n: int, hw: tuple[int, int], size: int) -> list[np.ndarray]:
    """``model_grid`` of each of ``n`` objects: their crops [n, 4], or the whole frame for all (crops None)."""
    return [model_grid(None if crops is None else crops[i], hw, size) for i in range(n)]


def _compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """outer(inner(x)) for 2x3 affine maps."""
    return np.hstack([outer[:, :2] @ inner[:, :2], outer[:, :2] @ inner[:, 2:] + outer[:, 2:]])


def move_box(box: np.ndarray, move: np.ndarray) -> np.ndarray:
    """The xyxy box around ``box``'s corners moved by the 2x3 map ``move``."""
    x0, y0, x1, y1 = (float(v) for v in box)
    moved = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]]) @ move[:, :2].T + move[:, 2]
    return np.concatenate([moved.min(0), moved.max(0)]).astype(np.float32)


@dataclass
class ShapeSettings:
    """Corners per mask; forward-backward error (grey px); fewest RANSAC inliers, and their least share of the
    followed corners, to trust a move; RANSAC tolerance (grey px); largest scale change per frame; the grey frame's
    longer side and the Lucas-Kanade window and pyramid levels."""

    max_points: int = 40
    fb_max: float = 1.0
    min_points: int = 6
    min_inliers: float = 0.8
    ransac: float = 2.0
    max_scale: float = 1.25
    max_side: int = 640
    window: int = 15
    levels: int = 3


class ShapeFlow:
    """Moves last masks with their pixels (``moves``, ``boxes``) and picks each object's mask (``choose``)."""

    def __init__(self, agree: float = SHAPE_AGREE, settings: ShapeSettings | None = None) -> None:
        self.agree = float(agree)
        self.settings = settings or ShapeSettings()

    def _corners(self, prev: FlowFrame, logits: np.ndarray, grid: np.ndarray) -> np.ndarray | None:
        """Corners of the grey frame inside the mask ``logits > 0`` (model grid ``grid``), grey pixels [K, 2]."""
        ys, xs = np.nonzero(logits > 0)
        if len(xs) < 4:
            return None
        back = cv2.invertAffineTransform(grid)  # model -> frame pixels
        ends = np.array([[xs.min(), ys.min()], [xs.max() + 1, ys.max() + 1]], dtype=np.float64)
        (fx0, fy0), (fx1, fy1) = (ends @ back[:, :2].T + back[:, 2]) * prev.scale
        pts = corners_in_box(prev.grey, (fx0, fy0, fx1 + 1, fy1 + 1), self.settings.max_points * 2)
        if pts is None:
            return None
        model = (pts / prev.scale) @ grid[:, :2].T + grid[:, 2]  # grey -> frame -> model pixels
        col = np.clip(np.rint(model[:, 0]).astype(int), 0, logits.shape[1] - 1)
        row = np.clip(np.rint(model[:, 1]).astype(int), 0, logits.shape[0] - 1)
        pts = pts[logits[row, col] > 0][: self.settings.max_points]
        return pts.astype(np.float32) if len(pts) >= self.settings.min_points else None

    def transform(
        self, prev: FlowFrame, cur: FlowFrame, logits: np.ndarray, grid: np.ndarray
    ) -> np.ndarray | None:
        """The similarity (2x3, frame pixels) that moved the object's pixels from ``prev`` to ``cur``; None when
        too few corners inside its mask survive the checks or agree on one move (no texture, an occluder as
        large as the object, the mask off the frame)."""
        pts = self._corners(prev, logits, grid)
        if pts is None or prev.scale != cur.scale:
            return None
        s = self.settings
        lk = {"winSize": (s.window, s.window), "maxLevel": s.levels}
        # only the part of the frames the flow can reach from the corners is read (pyramids of that part alone)
        reach = s.window * 2**s.levels
        h, w = prev.grey.shape
        x0, y0 = np.maximum(np.floor(pts.min(0)).astype(int) - reach, 0)
        x1, y1 = np.minimum(np.ceil(pts.max(0)).astype(int) + reach + 1, [w, h])
        before, after = prev.grey[y0:y1, x0:x1], cur.grey[y0:y1, x0:x1]
        offset = np.float32([x0, y0])
        old, new = follow(before, after, pts - offset, s.fb_max, **lk)
        if len(old) < s.min_points:
            return None
        move, inliers = cv2.estimateAffinePartial2D(
            old, new, method=cv2.RANSAC, ransacReprojThreshold=s.ransac
        )
        if move is None or inliers is None or inliers.sum() < max(s.min_points, s.min_inliers * len(old)):
            return None
        scale = float(np.sqrt(abs(np.linalg.det(move[:, :2]))))
        if not 1 / s.max_scale <= scale <= s.max_scale:
            return None
        move = move.astype(np.float64)
        move[:, 2] += offset - move[:, :2] @ offset  # back from the part's pixels to the whole grey frame's
        move[:, 2] /= cur.scale  # grey -> frame pixels (the linear part is the same at both scales)
        return move

    def moves(self, prev: FlowFrame, cur: FlowFrame, shapes: list) -> list[np.ndarray | None]:
        """``transform`` of each object's last (logits, grid), None where it has none or is not trusted."""
        return [None if shape is None else self.transform(prev, cur, *shape) for shape in shapes]

    @staticmethod
    def boxes(last: torch.Tensor, moves: list, fallback: torch.Tensor) -> torch.Tensor:
        """Boxes [N, 4]: each ``last`` box moved like its mask where that move is trusted, else ``fallback``'s."""
        out = fallback.clone()
        for i, move in enumerate(moves):
            if move is not None:
                out[i] = torch.from_numpy(move_box(last[i].detach().cpu().numpy(), move)).to(out)
        return out

    @staticmethod
    def warp(logits: np.ndarray, grid_prev: np.ndarray, move: np.ndarray, grid_cur: np.ndarray) -> np.ndarray:
        """Last step's logits [S, S] (model grid ``grid_prev``) moved by ``move`` into ``grid_cur``; model pixels
        that come from outside the last grid are ``OUTSIDE`` (no object)."""
        to_cur = _compose(grid_cur, _compose(move, cv2.invertAffineTransform(grid_prev)))
        size = logits.shape[-1]
        return cv2.warpAffine(
            logits.astype(np.float32),
            to_cur,
            (size, size),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=float(OUTSIDE),
        )

    def choose(
        self, logits: torch.Tensor, shapes: list | None, moves: list | None, grids: list[np.ndarray]
    ) -> torch.Tensor:
        """The model's logits [N, S, S], with each object's last mask moved by ``moves`` (into ``grids``) in place
        of those whose overlap with it is below IoU ``agree``."""
        if shapes is None or moves is None:
            return logits
        logits = logits.clone()
        for i, move in enumerate(moves):
            if move is None or shapes[i] is None:
                continue
            last, grid = shapes[i]
            moved = torch.from_numpy(self.warp(last, grid, move, grids[i])).to(logits)
            a, b = logits[i] > 0, moved > 0
            union = int((a | b).sum())
            if union and int((a & b).sum()) < self.agree * union:
                logits[i] = moved
        return logits
