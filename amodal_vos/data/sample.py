"""The one sample type for training and evaluation: a clip of T frames with per-object amodal and visible masks.

Images are 1-frame clips. Every loader returns Clips; samplers, TAOS, the trainer and the evaluator consume them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class ObjectTrack:
    """One object through a clip: amodal (whole) and visible (modal) masks per frame, [T, H, W] bool."""

    obj_id: int
    amodal: np.ndarray
    visible: np.ndarray
    category: str | None = None

    def __post_init__(self) -> None:
        if self.amodal.shape != self.visible.shape or self.amodal.ndim != 3:
            raise ValueError(
                f"object {self.obj_id}: amodal {self.amodal.shape} and visible {self.visible.shape} must both be [T,H,W]"
            )
        self.amodal = self.amodal.astype(bool, copy=False)
        self.visible = self.visible.astype(bool, copy=False)

    @property
    def occluded(self) -> np.ndarray:
        """Occluded part per frame: amodal minus visible, [T, H, W] bool."""
        return self.amodal & ~self.visible

    def occlusion_rate(self) -> np.ndarray:
        """Per-frame share of the amodal area that is hidden, [T] float (0 where the amodal mask is empty)."""
        area = self.amodal.reshape(len(self.amodal), -1).sum(1)
        occ = self.occluded.reshape(len(self.amodal), -1).sum(1)
        return np.where(area > 0, occ / np.maximum(area, 1), 0.0)


@dataclass
class Clip:
    """T RGB frames [T, H, W, 3] uint8 with their objects; `unoccluded` holds the frames before synthetic occluders
    were pasted (TAOS), for the shape discriminator; None for real data."""

    frames: np.ndarray
    objects: list[ObjectTrack]
    source: str = ""
    clip_id: str = ""
    frame_ids: np.ndarray | None = None
    unoccluded: np.ndarray | None = None
    fps: float | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.frames.ndim != 4 or self.frames.shape[-1] != 3:
            raise ValueError(f"clip {self.clip_id}: frames must be [T,H,W,3], got {self.frames.shape}")
        t, h, w = self.frames.shape[:3]
        for obj in self.objects:
            if obj.amodal.shape != (t, h, w):
                raise ValueError(
                    f"clip {self.clip_id}: object {obj.obj_id} masks {obj.amodal.shape} != frames {(t, h, w)}"
                )
        if self.frame_ids is None:
            self.frame_ids = np.arange(t)

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def size(self) -> tuple[int, int]:
        """(height, width)."""
        return int(self.frames.shape[1]), int(self.frames.shape[2])

    @property
    def is_image(self) -> bool:
        return self.num_frames == 1
