"""What the page shows on a frame: the overlay layers the user ticked, for the objects ticked, plus the prompts.

The overlay is the one ``amodal-vos track`` writes (amodal_vos/io/annotators.py: visible part filled, hidden part
hatched, whole shape outlined, labels, legend); each layer is one annotator of a ``default_annotators()`` set kept
per session, so an object keeps its colour whatever is toggled. The prompts (boxes, positive and negative clicks,
the first corner of a box being drawn) are drawn on top, so the user sees what the model was given.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from amodal_vos.io.annotators import (
    FillAnnotator,
    HatchAnnotator,
    LabelAnnotator,
    LegendAnnotator,
    OutlineAnnotator,
    render,
)
from amodal_vos.io.drawing import Annotator
from amodal_vos.io.frame_masks import FrameMasks
from amodal_vos.tracking.prompts import Prompt

LAYERS: dict[str, type[Annotator]] = {
    "visible (filled)": FillAnnotator,
    "hidden (hatched)": HatchAnnotator,
    "outline (whole shape)": OutlineAnnotator,
    "labels": LabelAnnotator,
    "legend": LegendAnnotator,
}
POSITIVE, NEGATIVE, BOX, CORNER = (40, 220, 60), (235, 40, 40), (255, 255, 255), (255, 220, 0)


def layer_annotators(annotators: Sequence[Annotator], layers: Sequence[str] | None) -> list[Annotator]:
    """The annotators of the ticked ``layers`` (names of LAYERS; None: all), in drawing order."""
    if layers is None:
        return list(annotators)
    kinds = tuple(LAYERS[name] for name in layers if name in LAYERS)
    return [a for a in annotators if isinstance(a, kinds)]


def select_objects(masks: FrameMasks, shown: Sequence[int] | None) -> FrameMasks:
    """The masks of the objects in ``shown`` (None: all)."""
    if shown is None:
        return masks
    keep = [i for i, obj_id in enumerate(masks.ids) if obj_id in set(shown)]
    if len(keep) == len(masks.ids):
        return masks
    visible = None if masks.visible is None else masks.visible[keep]
    return FrameMasks([masks.ids[i] for i in keep], masks.amodal[keep], visible)


def draw_prompts(
    image: np.ndarray, prompts: Sequence[Prompt], corner: tuple[float, float] | None = None
) -> np.ndarray:
    """Draw boxes (white, dark edge), positive clicks (green) and negative ones (red) of ``prompts`` and the
    pending first corner of a box (yellow) onto ``image`` in place; sizes follow the frame."""
    h, w = image.shape[:2]
    radius = max(3, round(min(h, w) / 90))
    for p in prompts:
        if p.box is not None:
            x, y, bw, bh = (round(v) for v in p.box)
            cv2.rectangle(image, (x, y), (x + bw - 1, y + bh - 1), (0, 0, 0), 3)
            cv2.rectangle(image, (x, y), (x + bw - 1, y + bh - 1), BOX, 1)
        for (px, py), label in zip(p.points, p.labels, strict=True):
            centre = (round(px), round(py))
            cv2.circle(image, centre, radius + 1, (0, 0, 0), -1, cv2.LINE_AA)
            cv2.circle(image, centre, radius, POSITIVE if label else NEGATIVE, -1, cv2.LINE_AA)
    if corner is not None:
        cx, cy = round(corner[0]), round(corner[1])
        cv2.drawMarker(image, (cx, cy), (0, 0, 0), cv2.MARKER_CROSS, 4 * radius, 3)
        cv2.drawMarker(image, (cx, cy), CORNER, cv2.MARKER_CROSS, 4 * radius, 1)
    return image


def compose(
    frame: np.ndarray,
    masks: FrameMasks | None,
    annotators: Sequence[Annotator],
    layers: Sequence[str] | None = None,
    shown: Sequence[int] | None = None,
    prompts: Sequence[Prompt] = (),
    corner: tuple[float, float] | None = None,
) -> np.ndarray:
    """The image the page shows: ``frame`` with the ticked overlay layers of the ticked objects (``masks`` None:
    the frame has no result yet) and the prompts on top. Never modifies ``frame``."""
    if masks is not None and len(masks):
        image = render(frame, select_objects(masks, shown), layer_annotators(annotators, layers))
    else:
        image = np.array(frame, copy=True)
    if shown is not None:
        prompts = [p for p in prompts if p.obj_id in set(shown)]
    return draw_prompts(image, prompts, corner)
