"""Object labels (id and hidden share) placed so that they do not collide with each other, stay inside the frame
and avoid reserved corners (the legend).

Each label tries candidate places around its object's amodal box in a fixed order (above, below, inside the top,
above right-aligned, below right-aligned, inside the bottom), clamped into the frame, and takes the first that
overlaps no label placed before it; when all are taken it slides down the frame from the first candidate. Objects
are placed in their order in the frame's masks, so a frame always gets the same layout. The text sits on a box of
the object's colour with a thin contrasting border and near-black or near-white ink, which reads on any
background; its size follows the frame's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import cv2
import numpy as np

from amodal_vos.io.colors import ColorPicker, ink_for
from amodal_vos.io.drawing import Annotator, Box, frame_scale
from amodal_vos.io.frame_masks import FrameMasks

FONT = cv2.FONT_HERSHEY_SIMPLEX


class Reserves(Protocol):
    """Something that keeps a rectangle of the frame to itself (the legend)."""

    def rect(self, height: int, width: int) -> Box | None: ...


def overlaps(a: Box, b: Box, gap: int = 0) -> bool:
    """Whether rectangles (x0, y0, x1, y1) overlap or come closer than ``gap`` pixels."""
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def candidates(box: Box, size: tuple[int, int], frame: tuple[int, int], margin: int) -> list[Box]:
    """Places for a label of ``size`` (w, h) around ``box`` on a frame of ``frame`` (height, width), in order of
    preference, each clamped into the frame."""
    x0, y0, x1, y1 = box
    w, h = size
    corners = [
        (x0, y0 - h - margin),  # above, left-aligned
        (x0, y1 + margin),  # below
        (x0 + margin, y0 + margin),  # inside the top
        (x1 - w, y0 - h - margin),  # above, right-aligned
        (x1 - w, y1 + margin),  # below, right-aligned
        (x0 + margin, y1 - h - margin),  # inside the bottom
    ]
    height, width = frame
    places = []
    for x, y in corners:
        x, y = min(max(0, x), max(0, width - w)), min(max(0, y), max(0, height - h))
        places.append((x, y, x + w, y + h))
    return places


def place(wanted: list[Box], taken: list[Box], frame: tuple[int, int], gap: int) -> Box:
    """The first of ``wanted`` clear of ``taken``; else the first slid down (then from the top) until clear; else
    the first (more labels than fit)."""
    for rect in wanted:
        if not any(overlaps(rect, other, gap) for other in taken):
            return rect
    x0, y0, x1, y1 = wanted[0]
    h, step = y1 - y0, max(1, (y1 - y0) // 2)
    for y in [*range(y0, frame[0] - h + 1, step), *range(0, y0, step)]:
        rect = (x0, y, x1, y + h)
        if not any(overlaps(rect, other, gap) for other in taken):
            return rect
    return wanted[0]


def label_text(masks: FrameMasks, i: int) -> str:
    """``"3"``, or ``"3 40% hidden"`` with a visible pass."""
    text = str(masks.ids[i])
    if masks.visible is not None:
        text += f" {100 * masks.occlusion_rates[i]:.0f}% hidden"
    return text


class LabelAnnotator(Annotator):
    """The object id (and the hidden share, when known) on a box of the object's colour, near its amodal box and
    clear of other labels and of the ``avoid`` rectangles (module docstring)."""

    def __init__(
        self, colors: ColorPicker | None = None, scale: float | None = None, avoid: Sequence[Reserves] = ()
    ) -> None:
        """``scale``: OpenCV font scale (default: from the frame size); ``avoid``: e.g. the legend annotator."""
        super().__init__(colors)
        self.scale, self.avoid = scale, list(avoid)

    def font(self, height: int, width: int) -> tuple[float, int, int]:
        """Font scale, stroke thickness and padding for a frame size: text about 3% of the shorter side high."""
        scale = self.scale or max(0.4, 0.8 * frame_scale(height, width))
        return scale, max(1, round(scale * 1.6)), max(2, round(3 * scale))

    def layout(self, shape: tuple[int, ...], masks: FrameMasks) -> list[tuple[int, str, Box]]:
        """(object index, text, label rectangle) of each object in view, placed without collisions."""
        height, width = shape[:2]
        scale, thickness, pad = self.font(height, width)
        taken = [r for a in self.avoid if (r := a.rect(height, width)) is not None]
        placed = []
        for i, box in enumerate(masks.boxes):
            if box is None:
                continue
            text = label_text(masks, i)
            (tw, th), base = cv2.getTextSize(text, FONT, scale, thickness)
            size = (tw + 2 * pad, th + base + 2 * pad)
            rect = place(candidates(box, size, (height, width), pad), taken, (height, width), gap=1)
            taken.append(rect)
            placed.append((i, text, rect))
        return placed

    def annotate(self, image: np.ndarray, masks: FrameMasks) -> np.ndarray:
        self.colors.observe(image, masks)
        scale, thickness, pad = self.font(*image.shape[:2])
        for i, text, (x0, y0, x1, y1) in self.layout(image.shape, masks):
            color = self.colors.color(masks.ids[i])
            ink = ink_for(color)
            cv2.rectangle(image, (x0, y0), (x1 - 1, y1 - 1), tuple(int(c) for c in color), -1)
            cv2.rectangle(image, (x0, y0), (x1 - 1, y1 - 1), ink, 1)
            (_, th), _ = cv2.getTextSize(text, FONT, scale, thickness)
            cv2.putText(image, text, (x0 + pad, y0 + pad + th), FONT, scale, ink, thickness, cv2.LINE_AA)
        return image
