"""Annotators that each draw one thing on an RGB frame, composed into the overlay (supervision-style).

    image = render(frame, masks)                                   # the default overlay
    annotators = default_annotators(legend=False)                  # one set per video: colours stay per track
    image = render(frame, masks, annotators)
    image = render(frame, masks, [FillAnnotator(alpha=0.6), LabelAnnotator()])

Default look: the visible part of each object filled in its colour, the occluded (hidden) part hatched with
diagonal stripes in the same colour edged in a contrasting ink, the whole amodal shape outlined, a label with the
id and the hidden share placed clear of the other labels, and a legend in a corner (filled = visible, hatched =
hidden, outline = whole shape). Without a visible pass the whole amodal mask is filled. Each object's colour is
picked once per track for contrast with its own pixels (amodal_vos/io/colors.py). Line widths, hatch spacing and
text follow the frame size; all per-pixel work stays inside each object's box.

Supervision's MaskAnnotator / PolygonAnnotator / LabelAnnotator draw the same fill, outline and labels; measured by
bench/overlay_speed.py the overlay costs 2.5x or more per frame with them (their fill blends the union of all boxes
and paints full-frame masks), so these box-limited ones are kept (docs/overlay.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from amodal_vos.io.colors import ColorPicker, edge_for, fallback_color
from amodal_vos.io.drawing import Annotator, Box, frame_scale, hatch_pattern, solid
from amodal_vos.io.frame_masks import FrameMasks
from amodal_vos.io.labels import LabelAnnotator
from amodal_vos.io.legend import LegendAnnotator

color_of = fallback_color  # the palette colour of an id (what the overlay used before colours were picked)


class FillAnnotator(Annotator):
    """The visible part (the amodal mask when there is no visible pass) blended solid in the object's colour."""

    def __init__(self, alpha: float = 0.5, colors: ColorPicker | None = None) -> None:
        super().__init__(colors)
        self.alpha = alpha

    def draw(self, image: np.ndarray, masks: FrameMasks, i: int, color: np.ndarray, box: Box) -> None:
        x0, y0, x1, y1 = box
        shown = masks.amodal[i] if masks.visible is None else masks.visible[i]
        region = image[y0:y1, x0:x1]
        blended = cv2.addWeighted(region, 1 - self.alpha, solid(region, color), self.alpha, 0)
        cv2.copyTo(blended, shown[y0:y1, x0:x1].view(np.uint8), region)  # writes into the image


class HatchAnnotator(Annotator):
    """The occluded part (amodal minus visible) as diagonal stripes in the object's colour, each edged in a
    contrasting ink: what is hidden stays see-through and the stripes read on busy backgrounds.

    The period follows the frame (``spacing``, default about 1/60 of the shorter side, at least ``min_spacing``)
    and shrinks for small objects so that at least ~4 stripes cross them."""

    def __init__(
        self, spacing: int | None = None, min_spacing: int = 4, colors: ColorPicker | None = None
    ) -> None:
        super().__init__(colors)
        self.spacing, self.min_spacing = spacing, min_spacing

    def period(self, height: int, width: int, box: Box) -> int:
        """Stripe period in pixels for an object with ``box`` on a frame of this size."""
        frame_period = self.spacing or max(6, round(12 * frame_scale(height, width)))
        small_side = min(box[2] - box[0], box[3] - box[1])
        return max(self.min_spacing, min(frame_period, small_side // 4))

    def draw(self, image: np.ndarray, masks: FrameMasks, i: int, color: np.ndarray, box: Box) -> None:
        if masks.visible is None:
            return
        x0, y0, x1, y1 = box
        hidden = masks.amodal[i, y0:y1, x0:x1] & ~masks.visible[i, y0:y1, x0:x1]
        if not hidden.any():
            return
        codes = hatch_pattern(*image.shape[:2], self.period(*image.shape[:2], box))[y0:y1, x0:x1]
        region = image[y0:y1, x0:x1]
        cv2.copyTo(solid(region, color), (hidden & (codes == 1)).view(np.uint8), region)
        cv2.copyTo(solid(region, edge_for(color)), (hidden & (codes == 2)).view(np.uint8), region)


class OutlineAnnotator(Annotator):
    """The outline of the whole (amodal) shape in the object's colour over a contrasting border one pixel wider on
    each side, ``thickness`` (default: from the frame size) pixels wide."""

    def __init__(self, thickness: int | None = None, colors: ColorPicker | None = None) -> None:
        super().__init__(colors)
        self.thickness = thickness

    def draw(self, image: np.ndarray, masks: FrameMasks, i: int, color: np.ndarray, box: Box) -> None:
        x0, y0, x1, y1 = box
        thickness = self.thickness or max(2, round(2 * frame_scale(*image.shape[:2])))
        crop = masks.amodal[i, y0:y1, x0:x1].astype(np.uint8)
        contours, _ = cv2.findContours(crop, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE, offset=(x0, y0))
        line = cv2.LINE_AA if thickness == 1 else cv2.LINE_8  # smoothing thick lines costs 4x, shows little
        cv2.drawContours(image, contours, -1, edge_for(color), thickness + 2, cv2.LINE_8)
        cv2.drawContours(image, contours, -1, tuple(int(c) for c in color), thickness, line)


def default_annotators(legend: bool = True, legend_corner: str = "bottom-right") -> list[Annotator]:
    """The default overlay's annotators, sharing one fresh ColorPicker: make one set per video, so that colours
    are picked on that video's frames and stay for its whole length. ``legend=False`` leaves the legend out."""
    colors = ColorPicker()
    key = LegendAnnotator(corner=legend_corner, enabled=legend)
    return [
        FillAnnotator(colors=colors),
        HatchAnnotator(colors=colors),
        OutlineAnnotator(colors=colors),
        LabelAnnotator(colors=colors, avoid=[key]),
        key,
    ]


DEFAULT_ANNOTATORS = default_annotators()
"""Used by ``render`` when given no annotators. Its colours persist for the life of the process (stable across
calls); callers rendering several videos should pass ``default_annotators()`` per video instead."""


def render(frame: np.ndarray, masks: FrameMasks, annotators: Sequence[Annotator] | None = None) -> np.ndarray:
    """A copy of ``frame`` (RGB uint8) with every annotator applied in order. Colours of objects new to the
    annotators are picked on the unannotated frame first."""
    annotators = DEFAULT_ANNOTATORS if annotators is None else annotators
    for picker in {
        id(a.colors): a.colors for a in annotators if getattr(a, "colors", None) is not None
    }.values():
        picker.observe(frame, masks)
    image = np.ascontiguousarray(frame).copy()
    for annotator in annotators:
        annotator.annotate(image, masks)
    return image


__all__ = [
    "Annotator",
    "ColorPicker",
    "FillAnnotator",
    "HatchAnnotator",
    "LabelAnnotator",
    "LegendAnnotator",
    "OutlineAnnotator",
    "color_of",
    "default_annotators",
    "render",
]
