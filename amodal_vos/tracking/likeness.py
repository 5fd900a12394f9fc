"""An object's colours as its prompt box showed them, and how alike a box's content is: where CSRT's box and the
object's own box (its last box moved by the flow) part, the one more like the object is its prior (looks.py).

The colours are a hue-saturation histogram of the ellipse inscribed in the box (the object's likely pixels, little of
the background in the corners); likeness is one minus their Bhattacharyya distance (1: the same colours, 0: none in
common). Measured in docs/tracking.md ("What the prior box costs; which box when CSRT and the object's own box part").
"""

from __future__ import annotations

import cv2
import numpy as np

from amodal_vos.tracking.box_tracker import clipped_box

BINS = (16, 8)  # hue, saturation
RANGES = [0, 180, 0, 256]  # OpenCV's 8-bit hue and saturation


def colours(image: np.ndarray, box) -> np.ndarray | None:
    """The normalised hue-saturation histogram of the ellipse inscribed in the xyxy ``box`` of ``image`` (BGR
    uint8); None for a box too small to follow (box_tracker.clipped_box)."""
    xywh = clipped_box(box, image.shape[:2])
    if xywh is None:
        return None
    x, y, w, h = xywh
    inside = np.zeros((h, w), np.uint8)
    centre = (round((box[0] + box[2]) / 2 - x), round((box[1] + box[3]) / 2 - y))
    axes = (max(1, round((box[2] - box[0]) / 2)), max(1, round((box[3] - box[1]) / 2)))
    cv2.ellipse(inside, centre, axes, 0, 0, 360, 1, -1)
    if not inside.any():
        return None
    hsv = cv2.cvtColor(np.ascontiguousarray(image[y : y + h, x : x + w]), cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], inside, list(BINS), RANGES)
    return cv2.normalize(hist, hist).ravel()


def likeness(reference: np.ndarray, image: np.ndarray, box) -> float:
    """How alike the colours of ``box`` in ``image`` are to ``reference`` (``colours``' output): 0 to 1, and -1
    where the box is too small to tell."""
    seen = colours(image, box)
    if seen is None:
        return -1.0
    return 1.0 - float(cv2.compareHist(reference, seen, cv2.HISTCMP_BHATTACHARYYA))
