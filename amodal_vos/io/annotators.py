"""Annotators that each draw one thing on an RGB frame, composed into the overlay (supervision-style).

    image = render(frame, masks)                                   # the default overlay
    image = render(frame, masks, [FillAnnotator(alpha=0.6), LabelAnnotator()])

Default look: the visible part of each object filled solid in its colour, the occluded (hidden) part hatched with
diagonal stripes in the same colour, the whole amodal shape outlined, and an id label (with the hidden share).
Without a visible pass the whole amodal mask is filled. Work is limited to each object's bounding box.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from amodal_vos.io.frame_masks import FrameMasks

COLORS = np.array(
    [
        (230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180),
        (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128),
        (220, 190, 255), (170, 110, 40), (255, 250, 200), (128, 0, 0), (170, 255, 195),
        (128, 128, 0), (255, 215, 180), (0, 0, 128), (255, 225, 25), (128, 128, 128),
    ],
    dtype=np.uint8,
)  # fmt: skip


def color_of(obj_id: int) -> np.ndarray:
    """The RGB colour of an object id (stable across frames and runs)."""
    return COLORS[(obj_id - 1) % len(COLORS)]


def solid(like: np.ndarray, color: np.ndarray) -> np.ndarray:
    """An image of one colour, shaped like ``like``."""
    paint = np.empty_like(like)
    for channel in range(3):  # much faster than broadcasting a 3-vector
        paint[..., channel] = color[channel]
    return paint


class Annotator:
    """Draws one thing for every object onto ``image`` (RGB uint8, modified in place) and returns it."""

    def annotate(self, image: np.ndarray, masks: FrameMasks) -> np.ndarray:
        for i, (obj_id, box) in enumerate(zip(masks.ids, masks.boxes, strict=True)):
            if box is not None:
                self.draw(image, masks, i, color_of(obj_id), box)
        return image

    def draw(self, image: np.ndarray, masks: FrameMasks, i: int, color: np.ndarray, box: tuple) -> None:
        raise NotImplementedError


class FillAnnotator(Annotator):
    """The visible part (the amodal mask when there is no visible pass) blended solid in the object's colour."""

    def __init__(self, alpha: float = 0.5) -> None:
        self.alpha = alpha

    def draw(self, image, masks, i, color, box) -> None:
        x0, y0, x1, y1 = box
        shown = masks.amodal[i] if masks.visible is None else masks.visible[i]
        region = image[y0:y1, x0:x1]
        blended = cv2.addWeighted(region, 1 - self.alpha, solid(region, color), self.alpha, 0)
        cv2.copyTo(blended, shown[y0:y1, x0:x1].view(np.uint8), region)  # writes into the image


class HatchAnnotator(Annotator):
    """The occluded part (amodal minus visible) as diagonal stripes: what is hidden stays see-through."""

    def __init__(self, spacing: int = 7, width: int = 2) -> None:
        self.spacing, self.width = spacing, width
        self._stripes = np.zeros((0, 0), bool)

    def stripes(self, height: int, width: int) -> np.ndarray:
        """The stripe pattern of a whole frame (made once per frame size)."""
        if self._stripes.shape != (height, width):
            yy, xx = np.ogrid[0:height, 0:width]
            self._stripes = (xx + yy) % self.spacing < self.width
        return self._stripes

    def draw(self, image, masks, i, color, box) -> None:
        if masks.visible is None:
            return
        x0, y0, x1, y1 = box
        stripes = self.stripes(*image.shape[:2])[y0:y1, x0:x1]
        hidden = masks.amodal[i, y0:y1, x0:x1] & ~masks.visible[i, y0:y1, x0:x1]
        region = image[y0:y1, x0:x1]
        cv2.copyTo(solid(region, color), (hidden & stripes).view(np.uint8), region)


class OutlineAnnotator(Annotator):
    """The outline of the whole (amodal) shape."""

    def __init__(self, thickness: int = 1) -> None:
        self.thickness = thickness

    def draw(self, image, masks, i, color, box) -> None:
        x0, y0, x1, y1 = box
        crop = masks.amodal[i, y0:y1, x0:x1].astype(np.uint8)
        contours, _ = cv2.findContours(crop, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE, offset=(x0, y0))
        cv2.drawContours(image, contours, -1, tuple(int(c) for c in color), self.thickness, cv2.LINE_AA)


class LabelAnnotator(Annotator):
    """The object id (and the hidden share, when known) in a box of the object's colour above its top-left corner."""

    def __init__(self, scale: float | None = None) -> None:
        self.scale = scale

    def draw(self, image, masks, i, color, box) -> None:
        x0, y0 = box[0], box[1]
        text = str(masks.ids[i])
        if masks.visible is not None:
            text += f" {100 * masks.occlusion_rates[i]:.0f}% hidden"
        scale = self.scale or max(0.35, image.shape[0] / 900)
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        top = max(0, y0 - th - base - 2)
        x0 = min(max(0, x0), max(0, image.shape[1] - tw - 4))
        cv2.rectangle(image, (x0, top), (x0 + tw + 4, top + th + base + 2), tuple(int(c) for c in color), -1)
        ink = (0, 0, 0) if int(color.astype(int) @ np.array([299, 587, 114])) > 140_000 else (255, 255, 255)
        cv2.putText(image, text, (x0 + 2, top + th + 1), cv2.FONT_HERSHEY_SIMPLEX, scale, ink, 1, cv2.LINE_AA)


def default_annotators() -> list[Annotator]:
    return [FillAnnotator(), HatchAnnotator(), OutlineAnnotator(), LabelAnnotator()]


DEFAULT_ANNOTATORS = default_annotators()


def render(frame: np.ndarray, masks: FrameMasks, annotators: Sequence[Annotator] | None = None) -> np.ndarray:
    """A copy of ``frame`` (RGB uint8) with every annotator applied in order."""
    image = np.ascontiguousarray(frame).copy()
    for annotator in DEFAULT_ANNOTATORS if annotators is None else annotators:
        annotator.annotate(image, masks)
    return image
