"""Keeping tracked objects apart (issue 10: two objects collapse onto one).

When one object passes behind another, the model's mask of the hidden one often jumps onto the one in front, and from
then on both masks follow the same object. ``KeepApart`` looks at each pair of objects after a step: where their new
masks overlap at IoU ``iou`` or more while their masks of the last step (moved with their pixels where shape_flow.py
trusts that move, else where they were) did not, the object whose new mask kept less of its own last mask is the
one that jumped, and it keeps its last mask instead. A pair that was already together on the last step is left as
it is. Masks are compared in each object's model grid (its crop, shape_flow.model_grid), resampled with OpenCV.
"""

from __future__ import annotations

import numpy as np

from amodal_vos.tracking.shape_flow import STILL, ShapeFlow

APART = (
    0.7  # the measured ``apart`` (the trackers' default is off): new masks at this IoU or more are a collapse
)


def resample(logits: np.ndarray, grid_from: np.ndarray, grid_to: np.ndarray) -> np.ndarray:
    """Logits [S, S] on model grid ``grid_from`` read on ``grid_to`` (outside the first grid: no object)."""
    return ShapeFlow.warp(logits, grid_from, STILL, grid_to)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of the masks ``a > 0`` and ``b > 0`` (0 when both are empty)."""
    a, b = a > 0, b > 0
    union = np.count_nonzero(a | b)
    return np.count_nonzero(a & b) / union if union else 0.0


class KeepApart:
    """``jumped(new, last, grids)`` -> indices of objects whose new mask jumped onto another object's."""

    def __init__(self, iou: float = APART) -> None:
        self.iou = float(iou)

    def jumped(
        self, new: list[np.ndarray], last: list[np.ndarray | None], grids: list[np.ndarray]
    ) -> list[int]:
        """``new``: each object's new logits [S, S] on its grid; ``last``: its last step's logits on the same grid
        (None: no last step, never judged); returns the objects that should keep ``last``, in order."""
        out: list[int] = []
        for a in range(len(new)):
            for b in range(a + 1, len(new)):
                if a in out or b in out or last[a] is None or last[b] is None:
                    continue
                if iou(new[a], resample(new[b], grids[b], grids[a])) < self.iou:
                    continue
                if iou(last[a], resample(last[b], grids[b], grids[a])) >= self.iou:
                    continue  # together already on the last step: nothing tells which one is right
                out.append(a if iou(new[a], last[a]) < iou(new[b], last[b]) else b)
        return sorted(out)
