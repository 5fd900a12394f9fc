"""Overlay colours: a palette of well-separated colours and a picker that gives each tracked object the one that
stands out most against its own pixels, its surroundings and the other objects' colours.

    picker = ColorPicker()
    picker.observe(frame, masks)     # assigns colours to objects seen for the first time (once per track)
    picker.color(obj_id)             # RGB uint8 [3], the same on every later frame

Colouring by id alone paints a red object crimson or a green fish green; the picker measures instead. Each object's
colour is chosen once, on the first frame it appears with a non-empty mask, and kept for the rest of the video, so
the choice is deterministic (same frames, same colours) and never flickers. All pixel work stays inside the
object's box, and only on that first frame.
"""

from __future__ import annotations

import cv2
import numpy as np

from amodal_vos.io.frame_masks import FrameMasks

PALETTE = np.array(
    [
        (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
        (70, 240, 240), (240, 50, 230), (210, 245, 60), (0, 128, 128), (250, 190, 212), (170, 110, 40),
    ],
    dtype=np.uint8,
)  # fmt: skip
"""Twelve colours far apart in Lab (from Trubetskoy's 20 distinct colours). Very dark ones (navy, maroon) are left
out: they win on Lab distance against light objects but darken the fill and vanish on dark footage."""

SAMPLE = 4096  # pixels sampled per object: enough for a stable percentile, cheap at any size
SURROUND_WEIGHT = 1.5  # the surroundings (where hatch and outline go) count less than the object's own pixels


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """RGB uint8 [..., 3] -> CIE Lab float32 [..., 3] (L in 0..100; Euclidean distance ~ CIE76 delta E)."""
    flat = np.ascontiguousarray(rgb, dtype=np.float32).reshape(-1, 1, 3) / 255.0
    return cv2.cvtColor(flat, cv2.COLOR_RGB2Lab).reshape(*np.shape(rgb)[:-1], 3)


PALETTE_LAB = to_lab(PALETTE)


def luminance(color: np.ndarray) -> float:
    """Relative brightness 0..1 of an RGB colour (Rec. 601 weights)."""
    r, g, b = (float(c) for c in color[:3])
    return (0.299 * r + 0.587 * g + 0.114 * b) / 255.0


def ink_for(color: np.ndarray) -> tuple[int, int, int]:
    """Near-black on a light colour, near-white on a dark one: text, hatch edges and outline borders that read on
    top of (or beside) ``color``."""
    return (20, 20, 20) if luminance(color) > 0.5 else (245, 245, 245)


def edge_for(color: np.ndarray) -> tuple[int, int, int]:
    """The border drawn beside lines and stripes of ``color``: near-black (a shadow that separates any but the
    darkest colour from a busy background), near-white for the darkest."""
    return (20, 20, 20) if luminance(color) > 0.3 else (245, 245, 245)


def fallback_color(obj_id: int) -> np.ndarray:
    """The palette colour of an object id, for an object the picker has not seen."""
    return PALETTE[(obj_id - 1) % len(PALETTE)]


def _sample(pixels: np.ndarray) -> np.ndarray:
    """At most SAMPLE of the [K, 3] pixels, evenly spaced (deterministic)."""
    step = max(1, len(pixels) // SAMPLE)
    return pixels[::step]


def _spread(candidates_lab: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """For each candidate colour, the 20th percentile of its Lab distance to the pixels: large when at most a
    fifth of them look like the candidate (a striped or two-tone object is not reduced to its grey mean). [C];
    +inf when there are no pixels (nothing to contrast with)."""
    if len(pixels) == 0:
        return np.full(len(candidates_lab), np.inf, np.float32)
    lab = to_lab(_sample(pixels))
    distances = np.linalg.norm(candidates_lab[:, None, :] - lab[None, :, :], axis=-1)
    return np.percentile(distances, 20, axis=1)


def contrast_scores(
    region: np.ndarray,
    own: np.ndarray,
    taken: list[np.ndarray],
    candidates: np.ndarray = PALETTE,
) -> np.ndarray:
    """How well each candidate colour stands out, [C] (higher is better): the smallest of its distance to the
    object's own pixels (``region[own]``), to the rest of its box (where hatch and outline go; distances there count
    SURROUND_WEIGHT times) and to the colours already ``taken`` by other objects (all in Lab)."""
    candidates_lab = to_lab(candidates)
    if not own.any():  # nothing visible: contrast with the whole box
        own = np.ones_like(own)
    scores = np.minimum(
        _spread(candidates_lab, region[own]), SURROUND_WEIGHT * _spread(candidates_lab, region[~own])
    )
    if taken:
        others = np.linalg.norm(candidates_lab[:, None, :] - to_lab(np.stack(taken))[None], axis=-1).min(1)
        scores = np.minimum(scores, others)
    return scores


class ColorPicker:
    """Remembers one colour per object id, chosen by contrast on the object's first frame (module docstring).

    One picker per video: ``default_annotators()`` makes a fresh one that its annotators share."""

    def __init__(self, palette: np.ndarray = PALETTE) -> None:
        self.palette = np.asarray(palette, dtype=np.uint8)
        self.assigned: dict[int, np.ndarray] = {}

    def reset(self) -> None:
        """Forget every colour (start of another video)."""
        self.assigned.clear()

    def color(self, obj_id: int) -> np.ndarray:
        """The object's colour: the one picked for it, else its palette colour by id."""
        found = self.assigned.get(obj_id)
        return found if found is not None else self.palette[(obj_id - 1) % len(self.palette)]

    def observe(self, frame: np.ndarray, masks: FrameMasks) -> None:
        """Pick colours for the objects of ``masks`` that have none yet and are in view, from ``frame`` (the
        unannotated RGB frame). Objects seen before cost nothing."""
        for i, (obj_id, box) in enumerate(zip(masks.ids, masks.boxes, strict=True)):
            if obj_id in self.assigned or box is None:
                continue
            x0, y0, x1, y1 = box
            own = masks.amodal[i] if masks.visible is None else masks.visible[i]
            taken = list(self.assigned.values())[
                -(len(self.palette) - 1) :
            ]  # more objects than colours: reuse
            scores = contrast_scores(frame[y0:y1, x0:x1], own[y0:y1, x0:x1], taken, self.palette)
            self.assigned[obj_id] = self.palette[int(np.argmax(scores))]  # ties: the earlier palette colour
