"""FrameMasks: the objects of one frame at frame size (amodal, visible, occluded masks), what annotators draw."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


def mask_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """Bounding box (x0, y0, x1, y1), exclusive max edge, of a [H, W] bool mask; None if it is empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


@dataclass
class FrameMasks:
    """N objects on one frame: ids, amodal [N, H, W] bool and visible [N, H, W] bool (None without a visible pass)."""

    ids: list[int]
    amodal: np.ndarray
    visible: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.amodal.ndim != 3 or len(self.amodal) != len(self.ids):
            raise ValueError(f"amodal masks {self.amodal.shape} for {len(self.ids)} objects")
        if self.visible is not None and self.visible.shape != self.amodal.shape:
            raise ValueError(f"visible masks {self.visible.shape} != amodal masks {self.amodal.shape}")

    def __len__(self) -> int:
        return len(self.ids)

    def known(self, boxes: list, occlusion_rates: list[float] | None) -> FrameMasks:
        """Set ``boxes`` and ``occlusion_rates`` when already known (as computed from these masks), sparing the
        full-frame passes; returns self."""
        self.__dict__["boxes"] = list(boxes)
        if occlusion_rates is not None and self.visible is not None:
            self.__dict__["occlusion_rates"] = np.array(occlusion_rates, dtype=float)
        return self

    @property
    def occluded(self) -> np.ndarray | None:
        """Hidden part of each object: amodal minus visible; None without a visible pass."""
        return None if self.visible is None else self.amodal & ~self.visible

    @cached_property
    def occlusion_rates(self) -> np.ndarray | None:
        """Share of each amodal mask that is hidden, [N] (0 where the amodal mask is empty; computed once)."""
        if self.visible is None:
            return None
        area = self.amodal.reshape(len(self), -1).sum(1)
        hidden = self.occluded.reshape(len(self), -1).sum(1)
        return np.where(area > 0, hidden / np.maximum(area, 1), 0.0)

    @cached_property
    def boxes(self) -> list[tuple[int, int, int, int] | None]:
        """Amodal bounding box (x0, y0, x1, y1) of each object, None where its mask is empty (computed once)."""
        return [mask_box(m) for m in self.amodal]
