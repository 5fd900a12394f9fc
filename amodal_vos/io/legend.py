"""A small legend in a corner of the overlay: filled = visible, hatched = hidden, outline = whole shape.

The legend is rendered once per frame size into a patch (a dark backing with the three swatches and their words),
then blended into the corner on every frame: the per-frame cost is that of the patch's few thousand pixels,
whatever the frame size. ``LegendAnnotator(enabled=False)`` (or ``default_annotators(legend=False)``) leaves it out;
labels keep clear of its rectangle through ``rect``.
"""

from __future__ import annotations

import cv2
import numpy as np

from amodal_vos.io.drawing import Annotator, Box, frame_scale, hatch_pattern
from amodal_vos.io.frame_masks import FrameMasks

FONT = cv2.FONT_HERSHEY_SIMPLEX
ROWS = (("fill", "visible"), ("hatch", "hidden"), ("outline", "whole shape"))
BACKING = (25, 25, 25)
SWATCH = (225, 225, 225)  # a neutral light grey: the legend explains styles, not colours
DARK = (20, 20, 20)
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")


class LegendAnnotator(Annotator):
    """The legend patch blended into ``corner`` (one of CORNERS) with ``opacity`` for its backing."""

    def __init__(self, corner: str = "bottom-right", opacity: float = 0.6, enabled: bool = True) -> None:
        if corner not in CORNERS:
            raise ValueError(f"legend corner {corner!r}: expected one of {', '.join(CORNERS)}")
        self.colors = None  # draws no object: render() has no colours to pick for it
        self.corner, self.opacity, self.enabled = corner, opacity, enabled
        self._cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def patch(self, height: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(patch RGB, ink mask, backing RGB) for a frame size, drawn once: swatch and text pixels are copied
        opaque, the backing is blended."""
        key = (height, width)
        if key not in self._cache:
            self._cache[key] = self._draw(height, width)
        return self._cache[key]

    def _draw(self, height: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        scale = max(0.35, 0.6 * frame_scale(height, width))
        thickness = max(1, round(scale * 1.4))
        pad = max(2, round(4 * scale))
        (tw, th), base = cv2.getTextSize(max((w for _, w in ROWS), key=len), FONT, scale, thickness)
        side = th + base  # swatch side
        row = side + pad
        patch = np.empty((pad + row * len(ROWS), 3 * pad + side + tw, 3), np.uint8)
        patch[:] = BACKING
        backing = patch.copy()
        for k, (style, word) in enumerate(ROWS):
            x0, y0 = pad, pad + k * row
            self._swatch(patch, style, x0, y0, side, thickness)
            cv2.putText(
                patch, word, (2 * pad + side, y0 + th), FONT, scale, (255, 255, 255), thickness, cv2.LINE_AA
            )
        ink = (patch != backing).any(-1).view(np.uint8)
        return patch, ink, backing

    @staticmethod
    def _swatch(patch: np.ndarray, style: str, x0: int, y0: int, side: int, thickness: int) -> None:
        cell = patch[y0 : y0 + side, x0 : x0 + side]
        if style == "fill":
            cell[:] = SWATCH
        elif style == "hatch":
            codes = hatch_pattern(side, side, max(4, side // 3))
            cell[codes == 1] = SWATCH
            cell[codes == 2] = DARK
        else:
            cv2.rectangle(patch, (x0, y0), (x0 + side - 1, y0 + side - 1), SWATCH, max(2, thickness))

    def rect(self, height: int, width: int) -> Box | None:
        """Where the legend goes on a frame of this size (x0, y0, x1, y1); None when off or when the frame is too
        small to hold it."""
        if not self.enabled:
            return None
        ph, pw = self.patch(height, width)[0].shape[:2]
        margin = max(2, round(8 * frame_scale(height, width)))
        if ph + 2 * margin > height // 2 or pw + 2 * margin > width // 2:
            return None
        x0 = margin if self.corner.endswith("left") else width - margin - pw
        y0 = margin if self.corner.startswith("top") else height - margin - ph
        return x0, y0, x0 + pw, y0 + ph

    def annotate(self, image: np.ndarray, masks: FrameMasks) -> np.ndarray:
        rect = self.rect(*image.shape[:2])
        if rect is None:
            return image
        patch, ink, backing = self.patch(*image.shape[:2])
        x0, y0, x1, y1 = rect
        region = image[y0:y1, x0:x1]
        blended = cv2.addWeighted(region, 1 - self.opacity, backing, self.opacity, 0)
        cv2.copyTo(patch, ink, blended)
        region[:] = blended
        return image
