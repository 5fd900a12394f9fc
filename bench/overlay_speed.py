"""Overlay render cost, ours vs supervision's annotators, at 640x360 and 1920x1080 with 2 and 4 objects, side by
side in one run (issue 13: use supervision where it serves, if measured fast enough).

    OMP_NUM_THREADS=1 python bench/overlay_speed.py [--frames 30]

Scene: a smooth textured background, objects as moving ellipses (about a quarter of the frame's shorter side)
that overlap each other and a static occluder bar, so every object has a hidden part; boxes and hidden shares are
given to FrameMasks as the tracker gives them (``known``), so no variant pays for a full-frame pass it would not
pay in tracking. Three variants draw the same overlay with the same picked colours:

- ours: amodal_vos.io.annotators.default_annotators() (fill, hatch, outline, labels, legend; box-limited);
- supervision (dense): sv.MaskAnnotator for the visible fill, sv.PolygonAnnotator for the amodal outline and
  sv.LabelAnnotator(smart_position=True) for labels, on full-frame [N, H, W] masks; our hatch and legend;
- supervision (compact): the same on sv.CompactMask (crop RLE), the conversion included.

Frames are timed in turn (ours, dense, compact on each frame) so that load on the machine hits all alike; the
median ms/frame is printed, with the parts that differ (fill, outline, labels) measured alone.
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np
import supervision as sv

from amodal_vos.io.annotators import HatchAnnotator, default_annotators, render
from amodal_vos.io.colors import ColorPicker, ink_for
from amodal_vos.io.drawing import frame_scale
from amodal_vos.io.frame_masks import FrameMasks, mask_box
from amodal_vos.io.labels import LabelAnnotator, label_text
from amodal_vos.io.legend import LegendAnnotator

SIZES = {"640x360": (360, 640), "1920x1080": (1080, 1920)}


def scene(height: int, width: int, objects: int, frames: int, seed: int = 0):
    """Yield (frame, FrameMasks) of a moving-ellipse clip (module docstring)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (height // 16 + 1, width // 16 + 1, 3), dtype=np.uint8)
    background = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    bar = np.zeros((height, width), bool)
    bar[:, int(0.45 * width) : int(0.52 * width)] = True
    radius = min(height, width) // 8
    starts = rng.uniform([radius, radius], [width - radius, height - radius], (objects, 2))
    speed = rng.uniform(-4, 4, (objects, 2)) * frame_scale(height, width)
    ids = list(range(1, objects + 1))
    for t in range(frames):
        frame = background.copy()
        amodal = np.zeros((objects, height, width), bool)
        for k in range(objects):
            cx, cy = starts[k] + t * speed[k]
            canvas = amodal[k].view(np.uint8)
            cv2.ellipse(canvas, (int(cx), int(cy)), (int(1.4 * radius), radius), 15 * k, 0, 360, 1, -1)
            frame[amodal[k]] = (frame[amodal[k]] // 2 + rng.integers(0, 128, 3, dtype=np.uint8)).astype(
                np.uint8
            )
        frame[bar] = (90, 140, 60)
        visible = amodal & ~bar
        for k in range(objects - 1):  # later objects in front
            visible[k] &= ~amodal[k + 1 :].any(0)
        boxes = [mask_box(m) for m in amodal]
        rates = [float((a & ~v).sum() / max(1, a.sum())) for a, v in zip(amodal, visible, strict=True)]
        yield frame, FrameMasks(ids, amodal, visible).known(boxes, rates)


def sv_palette(picker: ColorPicker, ids: list[int]) -> sv.ColorPalette:
    """Our picked colours as a supervision palette indexed by detection; supervision draws BGR, our frames are RGB,
    so the channels are given swapped."""
    return sv.ColorPalette([sv.Color(r=int(c[2]), g=int(c[1]), b=int(c[0])) for c in map(picker.color, ids)])


class SupervisionOverlay:
    """The overlay drawn with supervision's annotators where they apply (module docstring)."""

    def __init__(self, compact: bool) -> None:
        self.compact = compact
        self.colors = ColorPicker()
        self.hatch = HatchAnnotator(colors=self.colors)
        self.legend = LegendAnnotator()

    def detections(self, masks: np.ndarray | None, frame_masks: FrameMasks, shape) -> sv.Detections:
        """The frame's objects as supervision Detections (boxes only when ``masks`` is None)."""
        xyxy = np.array(frame_masks.boxes, dtype=float)
        if self.compact and masks is not None:
            masks = sv.CompactMask.from_dense(masks, xyxy, shape[:2])
        return sv.Detections(xyxy=xyxy, mask=masks, tracker_id=np.array(frame_masks.ids))

    def parts(self, frame: np.ndarray, masks: FrameMasks):
        """The annotators as (name, callable(image)) pairs, set up for this frame."""
        self.colors.observe(frame, masks)
        palette = sv_palette(self.colors, masks.ids)
        index = sv.ColorLookup.INDEX
        height, width = frame.shape[:2]
        scale, text_thickness, pad = LabelAnnotator().font(height, width)
        thickness = max(2, round(2 * frame_scale(height, width)))  # as OutlineAnnotator
        texts = [label_text(masks, i) for i in range(len(masks))]
        text_colors = sv.ColorPalette([sv.Color(*ink_for(self.colors.color(i))[::-1]) for i in masks.ids])
        fill = sv.MaskAnnotator(color=palette, opacity=0.5, color_lookup=index)
        outline = sv.PolygonAnnotator(color=palette, thickness=thickness, color_lookup=index)
        labels = sv.LabelAnnotator(
            color=palette, text_color=text_colors, text_scale=scale, text_thickness=text_thickness,
            text_padding=pad, smart_position=True, color_lookup=index,
        )  # fmt: skip
        return [
            ("fill", lambda im: fill.annotate(im, self.detections(masks.visible, masks, im.shape))),
            ("hatch", lambda im: self.hatch.annotate(im, masks)),
            ("outline", lambda im: outline.annotate(im, self.detections(masks.amodal, masks, im.shape))),
            ("labels", lambda im: labels.annotate(im, self.detections(None, masks, im.shape), texts)),
            ("legend", lambda im: self.legend.annotate(im, masks)),
        ]

    def render(self, frame: np.ndarray, masks: FrameMasks) -> np.ndarray:
        image = frame.copy()
        for _, draw in self.parts(frame, masks):
            draw(image)
        return image


def ours_parts(annotators, frame, masks):
    """Our default annotators as (name, callable(image)) pairs, like SupervisionOverlay.parts."""
    names = ["fill", "hatch", "outline", "labels", "legend"]
    annotators[0].colors.observe(frame, masks)
    return [(name, lambda im, a=a: a.annotate(im, masks)) for name, a in zip(names, annotators, strict=True)]


def timed(fn, *args) -> float:
    """Milliseconds that ``fn(*args)`` takes."""
    tic = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - tic) * 1000


def measure(height: int, width: int, objects: int, frames: int) -> dict[str, dict[str, float]]:
    ours, dense, compact = default_annotators(), SupervisionOverlay(False), SupervisionOverlay(True)
    variants = {
        "ours": (lambda f, m: render(f, m, ours), lambda f, m: ours_parts(ours, f, m)),
        "sv dense": (dense.render, dense.parts),
        "sv compact": (compact.render, compact.parts),
    }
    totals: dict[str, list[float]] = {k: [] for k in variants}
    parts: dict[str, dict[str, list[float]]] = {k: {} for k in variants}
    for t, (frame, masks) in enumerate(scene(height, width, objects, frames + 2)):
        for name, (whole, split) in variants.items():
            ms = timed(whole, frame, masks)
            image = frame.copy()
            for part, draw in split(frame, masks):
                parts[name].setdefault(part, []).append(timed(draw, image))
            if t >= 2:  # warm-up: caches, first colour picks
                totals[name].append(ms)
    return {
        name: {
            "total": float(np.median(totals[name])),
            **{p: float(np.median(v[2:])) for p, v in parts[name].items()},
        }
        for name in variants
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    print(
        f"supervision {sv.__version__}, OpenCV {cv2.__version__}; median ms/frame over {args.frames} frames"
    )
    header = (
        f"{'size':>10} {'objects':>7} {'variant':>11} {'total':>7} {'fill':>6} {'outline':>7} {'labels':>6}"
    )
    print(header, "  vs ours")
    for size, (height, width) in SIZES.items():
        for objects in (2, 4):
            result = measure(height, width, objects, args.frames)
            base = result["ours"]["total"]
            for name, r in result.items():
                print(
                    f"{size:>10} {objects:>7} {name:>11} {r['total']:7.2f} {r['fill']:6.2f} {r['outline']:7.2f}"
                    f" {r['labels']:6.2f}   {r['total'] / base:.2f}x"
                )


if __name__ == "__main__":
    main()
