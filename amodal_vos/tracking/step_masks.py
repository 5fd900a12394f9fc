"""Model steps into frame-size masks and ObjectFrames: the one conversion behind ``track`` (run.py) and the
predictor (sweeps.py), so that both give the same masks from the same steps."""

from __future__ import annotations

import time

import numpy as np

from amodal_vos.model.search import paste_region
from amodal_vos.tracking.propagation import ObjectStep
from amodal_vos.tracking.regions import RegionUpsampler, frame_masks, masks_from_regions
from amodal_vos.tracking.result import ObjectFrame


class StepMasks:
    """Converts the steps of one frame size ``hw``; seconds spent go to ``timings.masks`` (a run's Timings)."""

    def __init__(self, hw: tuple[int, int], timings) -> None:
        self.hw, self.timings = hw, timings
        self._upsampler: RegionUpsampler | None = None

    def to_frame(self, steps: list[ObjectStep]) -> tuple[np.ndarray, np.ndarray | None, list]:
        """Amodal and visible masks of the steps at frame size, [N, H, W] bool each, and each amodal mask's region
        (y0, y1, x0, x1) outside which it is empty (None: empty). A pixel is visible
        for at most one object: where visible masks overlap, the object with the highest visible logit keeps it."""
        tic = time.perf_counter()
        has_visible = all(s.visible is not None for s in steps)
        if steps[0].crop is None:
            size = steps[0].amodal.shape[-1]
            if self._upsampler is None or self._upsampler.size != size:
                self._upsampler = RegionUpsampler(size, self.hw)
            visible = [s.visible for s in steps] if has_visible else None
            amodal, visible, regions = frame_masks(self._upsampler, [s.amodal for s in steps], visible)
        else:
            found = [paste_region(s.amodal, s.crop, self.hw) for s in steps]
            seen = [paste_region(s.visible, s.crop, self.hw) for s in steps] if has_visible else None
            amodal, visible, regions = masks_from_regions(self.hw, found, seen)
        self.timings.masks += time.perf_counter() - tic
        return amodal, visible, regions

    def object_frames(self, steps: list[ObjectStep]) -> dict[int, tuple[ObjectFrame, tuple]]:
        """Per object: its ObjectFrame (RLE, box, occlusion, score) and its (amodal, visible) masks at frame size."""
        amodal, visible, regions = self.to_frame(steps)
        tic = time.perf_counter()
        frames = {}
        for i, step in enumerate(steps):
            masks = (amodal[i], None if visible is None else visible[i])
            entry = ObjectFrame.from_masks(
                *masks, step.score, region=regions[i] or (0, 0, 0, 0), iou=step.iou
            )
            frames[step.obj_id] = (entry, masks)
        self.timings.masks += time.perf_counter() - tic
        return frames
