"""Dropping stray parts of a mask that lie on another tracked object (issue 10: masks that grow over neighbours).

An amodal mask is one whole shape, but the model's mask of an object often comes in pieces: its object, and a blob
on a neighbour. That blob widens the box the next crop and Mspec are made from, so the mask grows over the
neighbour and the two collapse. ``DropStrays`` looks at each object's new mask after a step: a connected part other
than its largest that lies mostly (``share``) on another object's new mask, and that the other objects' last masks
covered more than its own last mask did, is removed. Parts over scenery (a pole cutting an object in two) are kept,
and so is a part that was the object's own on the last step. Masks are compared in each object's model grid (its
crop, shape_flow.model_grid), as apart.py does.
"""

from __future__ import annotations

import cv2
import numpy as np

from amodal_vos.model.search import OUTSIDE
from amodal_vos.tracking.apart import resample

STRAYS = (
    0.8  # the trackers' default ``strays``: a part with at least this share on another object's mask may go
)


class DropStrays:
    """``clean(new, last, grids)`` removes stray parts from the objects' new masks (in place)."""

    def __init__(self, share: float = STRAYS) -> None:
        self.share = float(share)

    def clean(
        self, new: list[np.ndarray], last: list[np.ndarray | None], grids: list[np.ndarray]
    ) -> list[int]:
        """``new``: each object's new logits [S, S] on its grid (changed in place); ``last``: its last step's logits
        on the same grid (None: none); returns the objects whose mask lost a part, in order. Every object is judged
        against the others' masks before any part is dropped (the order of objects does not matter)."""
        if len(new) < 2:
            return []
        given = list(new)  # entries of ``new`` are replaced below, never changed in place
        changed = []
        for a, logits in enumerate(given):
            count, parts = cv2.connectedComponents((logits > 0).astype(np.uint8), connectivity=8)
            if count <= 2:
                continue
            others = self._union(given, grids, a, logits.shape)
            area = np.bincount(parts.ravel(), minlength=count)
            drop = np.bincount(parts[others], minlength=count) > self.share * area
            drop[0] = drop[1 + int(np.argmax(area[1:]))] = False  # the background, the largest part
            if drop.any():
                mine = last[a] > 0 if last[a] is not None else np.zeros_like(others)
                theirs = self._union(last, grids, a, logits.shape)
                drop &= np.bincount(parts[theirs], minlength=count) > np.bincount(
                    parts[mine], minlength=count
                )
            if drop.any():
                new[a] = np.where(drop[parts], np.float32(OUTSIDE), logits).astype(logits.dtype)
                changed.append(a)
        return changed

    @staticmethod
    def _union(
        masks: list[np.ndarray | None], grids: list[np.ndarray], a: int, shape: tuple[int, ...]
    ) -> np.ndarray:
        """The union of every other object's mask, read on object ``a``'s grid (``shape``)."""
        out = np.zeros(shape, bool)
        for b, logits in enumerate(masks):
            if b != a and logits is not None:
                out |= resample(logits, grids[b], grids[a]) > 0
        return out
