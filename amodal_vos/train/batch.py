"""From Clips to training tensors: pick one target object and a window of frames per sample, resize to the model's
square input, stack a batch.

A target is usable when its visible part on the window's first frame (where it is prompted) is large enough, both in
pixels and as a share of its amodal area. ``occluded_bias`` prefers targets that are occluded somewhere in the window,
so an amodal stage sees enough completion work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from amodal_vos.data.sample import Clip
from amodal_vos.errors import UserError
from amodal_vos.model.transforms import frames_to_input
from amodal_vos.train.settings import settings_from_dict


@dataclass
class Sample:
    """One training item: T frames and one target's masks at the clip's own resolution."""

    frames: np.ndarray  # [T, H, W, 3] uint8
    amodal: np.ndarray  # [T, H, W] bool
    visible: np.ndarray  # [T, H, W] bool
    unoccluded: np.ndarray | None = None  # [T, H, W, 3] uint8 frames before synthetic occluders, or None


@dataclass
class Batch:
    """A batch at model resolution S: frames ImageNet-normalised, masks bool, unoccluded frames in [0, 1]."""

    frames: torch.Tensor  # [B, T, 3, S, S]
    amodal: torch.Tensor  # [B, T, S, S]
    visible: torch.Tensor  # [B, T, S, S]
    unoccluded: torch.Tensor | None  # [B, T, 3, S, S] or None when no sample has one

    @property
    def size(self) -> int:
        return int(self.frames.shape[-1])

    def to(self, device: torch.device | str) -> Batch:
        unocc = None if self.unoccluded is None else self.unoccluded.to(device)
        return Batch(self.frames.to(device), self.amodal.to(device), self.visible.to(device), unocc)


@dataclass
class TargetRules:
    """Which objects may be targets (sizes measured at model resolution ``size``)."""

    min_visible_px: float = 30.0
    min_visible_frac: float = 0.25
    occluded_bias: float = 0.0

    @classmethod
    def from_dict(cls, cfg: dict | None) -> TargetRules:
        return settings_from_dict(cls, cfg, "target")


def pick_sample(
    clip: Clip, num_frames: int, size: int, rules: TargetRules, rng: np.random.Generator
) -> Sample | None:
    """A random window of ``num_frames`` frames and a usable target in it, or None when the clip has none."""
    if clip.num_frames < num_frames or not clip.objects:
        return None
    start = int(rng.integers(clip.num_frames - num_frames + 1))
    window = slice(start, start + num_frames)
    h, w = clip.size
    px_scale = size * size / float(h * w)
    usable, occluded = [], []
    for obj in clip.objects:
        vis0 = float(obj.visible[start].sum())
        amo0 = float(obj.amodal[start].sum())
        if vis0 * px_scale >= rules.min_visible_px and vis0 >= rules.min_visible_frac * amo0:
            usable.append(obj)
            occluded.append(bool(obj.occluded[window].any()))
    if not usable:
        return None
    pool = usable
    if any(occluded) and rng.random() < rules.occluded_bias:
        pool = [o for o, occ in zip(usable, occluded, strict=True) if occ]
    obj = pool[int(rng.integers(len(pool)))]
    unocc = None if clip.unoccluded is None else clip.unoccluded[window]
    return Sample(clip.frames[window], obj.amodal[window], obj.visible[window], unocc)


def draw_sample(
    source, num_frames: int, size: int, rules: TargetRules, rng: np.random.Generator, tries: int = 50
) -> Sample:
    """Draw clips from ``source.sample(rng, num_frames)`` until one has a usable target."""
    for _ in range(tries):
        sample = pick_sample(source.sample(rng, num_frames), num_frames, size, rules, rng)
        if sample is not None:
            return sample
    raise UserError(
        f"no usable target in {tries} clips of {num_frames} frames from {source}: check the data or the target rules"
    )


def resize_masks(masks: np.ndarray | torch.Tensor, size: int | None) -> torch.Tensor:
    """[N, H, W] bool -> [N, S, S] bool: a model pixel is in the mask when at least half its area is (``size``
    None: kept at its own size)."""
    m = torch.as_tensor(np.ascontiguousarray(masks)).float()[:, None]
    if size is None or m.shape[-2:] == (size, size):
        return m[:, 0].bool()
    return F.interpolate(m, size=(size, size), mode="area")[:, 0] >= 0.5


def collate(samples: list[Sample], size: int | None) -> Batch:
    """Stack samples of equal length into a Batch at model resolution ``size`` (None: at the samples' own
    resolution, for search-region models that crop every frame themselves)."""
    t = samples[0].frames.shape[0]
    if any(s.frames.shape[0] != t for s in samples):
        raise ValueError("all samples of a batch need the same number of frames")
    hw = (size, size) if size is not None else samples[0].frames.shape[1:3]
    if size is None and any(s.frames.shape[1:3] != hw for s in samples):
        raise ValueError("a search-region batch needs samples of one frame size")
    frames = torch.stack([frames_to_input(s.frames, size) for s in samples])
    amodal = torch.stack([resize_masks(s.amodal, size) for s in samples])
    visible = torch.stack([resize_masks(s.visible, size) for s in samples])
    unocc = None
    if any(s.unoccluded is not None for s in samples):
        unocc = torch.zeros(len(samples), t, 3, *hw)
        for i, s in enumerate(samples):
            if s.unoccluded is not None:
                x = torch.as_tensor(s.unoccluded).permute(0, 3, 1, 2).float().div(255.0)
                if size is not None:
                    x = F.interpolate(x, size=hw, mode="bilinear", align_corners=False, antialias=True)
                unocc[i] = x
    return Batch(frames, amodal | visible, visible, unocc)  # resizing must not break visible <= amodal


def crop_batch(batch: Batch, crops: list[torch.Tensor], size: int) -> Batch:
    """A native-resolution batch's masks (and unoccluded frames) in the crops a search-region rollout used
    (``crops[t]`` [B, 4] per frame): the targets at model resolution for the losses. Frames are left out."""
    from amodal_vos.model.search import crop_images, crop_masks

    amodal = torch.stack([crop_masks(batch.amodal[:, t], c, size) for t, c in enumerate(crops)], dim=1)
    visible = torch.stack([crop_masks(batch.visible[:, t], c, size) for t, c in enumerate(crops)], dim=1)
    unocc = None
    if batch.unoccluded is not None:
        unocc = torch.stack(
            [crop_images(batch.unoccluded[:, t], c, size) for t, c in enumerate(crops)], dim=1
        )
    b, t_len = amodal.shape[:2]
    frames = batch.frames.new_zeros(()).expand(b, t_len, 3, size, size)  # not read by the losses; no memory
    return Batch(frames, amodal | visible, visible, unocc)
