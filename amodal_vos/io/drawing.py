"""The Annotator base class and the small drawing helpers the overlay's annotators share.

An annotator draws one thing (fill, hatch, outline, labels, legend) onto an RGB uint8 frame in place. Those that
colour objects hold a ColorPicker; annotators built together by ``default_annotators()`` share one, so every part
of an object gets the same colour, chosen once per track.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from amodal_vos.io.colors import ColorPicker
from amodal_vos.io.frame_masks import FrameMasks

Box = tuple[int, int, int, int]  # x0, y0, x1, y1, exclusive max edge


def solid(like: np.ndarray, color: np.ndarray | tuple[int, int, int]) -> np.ndarray:
    """An image of one colour, shaped like ``like``."""
    paint = np.empty_like(like)
    for channel in range(3):  # much faster than broadcasting a 3-vector
        paint[..., channel] = color[channel]
    return paint


def frame_scale(height: int, width: int) -> float:
    """Size of the overlay's marks relative to a 720-pixel frame side (text, lines, hatch); 0.5 at 360p, 1.5 at
    1080p."""
    return min(height, width) / 720


class Annotator:
    """Draws one thing for every object onto ``image`` (RGB uint8, modified in place) and returns it.

    Subclasses implement ``draw`` for one object (its index ``i`` in ``masks``, colour and amodal box), or
    override ``annotate`` when objects must be handled together (labels)."""

    colors: ColorPicker | None = None  # None: draws no object (the legend), or made on first use

    def __init__(self, colors: ColorPicker | None = None) -> None:
        self.colors = colors if colors is not None else ColorPicker()

    def annotate(self, image: np.ndarray, masks: FrameMasks) -> np.ndarray:
        if self.colors is None:  # a subclass that did not call __init__
            self.colors = ColorPicker()
        self.colors.observe(image, masks)  # a no-op when render() already showed it the unannotated frame
        for i, (obj_id, box) in enumerate(zip(masks.ids, masks.boxes, strict=True)):
            if box is not None:
                self.draw(image, masks, i, self.colors.color(obj_id), box)
        return image

    def draw(self, image: np.ndarray, masks: FrameMasks, i: int, color: np.ndarray, box: Box) -> None:
        raise NotImplementedError


def hatch_style(spacing: int) -> tuple[int, int]:
    """(stripe width, edge width) for a hatch of period ``spacing``: a stripe a quarter of the period in the
    object's colour, followed by a thinner edge in a contrasting ink that keeps it readable on busy pixels."""
    return max(1, round(spacing * 0.25)), max(1, round(spacing * 0.12))


@lru_cache(maxsize=32)
def hatch_pattern(height: int, width: int, spacing: int) -> np.ndarray:
    """[height, width] uint8 read-only view: 1 on diagonal stripes, 2 on their edges, 0 elsewhere. Stripes are
    fixed to frame coordinates ((x + y) mod spacing), so the pattern stays put as an object moves through it; the
    view costs height + width bytes (a sliding window over one diagonal code line)."""
    stripe, edge = hatch_style(spacing)
    phase = np.arange(height + width - 1) % spacing
    line = np.where(phase < stripe, 1, np.where(phase < stripe + edge, 2, 0)).astype(np.uint8)
    return np.lib.stride_tricks.sliding_window_view(line, width)[:height]
