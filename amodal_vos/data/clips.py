"""Clip helpers for the trainer: resize a Clip to the model's square input size (frames bilinear/area, masks
nearest, so a visible mask stays inside its amodal mask), and keep the stored boxes in step."""

from __future__ import annotations

import copy

import cv2
import numpy as np

from amodal_vos.data.sample import Clip, ObjectTrack


def _nearest_index(src: int, dst: int) -> np.ndarray:
    """Source pixel of each destination pixel under nearest-neighbour resampling (pixel centres aligned)."""
    return np.minimum(((np.arange(dst) + 0.5) * src / dst).astype(np.int64), src - 1)


def resize_masks(masks: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """[..., H, W] bool masks -> [..., h, w] by nearest sampling (the same source pixel for every mask)."""
    rows = _nearest_index(masks.shape[-2], hw[0])
    cols = _nearest_index(masks.shape[-1], hw[1])
    return masks[..., rows[:, None], cols[None, :]]


def resize_frames(frames: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """[T, H, W, 3] uint8 -> [T, h, w, 3]: area averaging when shrinking, bilinear when growing."""
    h, w = hw
    if frames.shape[1:3] == (h, w):
        return frames
    interp = cv2.INTER_AREA if h <= frames.shape[1] and w <= frames.shape[2] else cv2.INTER_LINEAR
    return np.stack([cv2.resize(f, (w, h), interpolation=interp) for f in frames])


def resize_clip(clip: Clip, size: int | tuple[int, int]) -> Clip:
    """A copy of ``clip`` at ``size`` (S for S x S, as the model takes it, or (H, W)); aspect is not kept, as in
    SAM-2's own resize. Frames, unoccluded frames, masks, ``meta["boxes"]`` and TAOS's ``meta["occluder_mask"]``
    are all rescaled."""
    hw = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    h0, w0 = clip.size
    if (h0, w0) == hw:
        return clip
    objects = [
        ObjectTrack(o.obj_id, resize_masks(o.amodal, hw), resize_masks(o.visible, hw), o.category)
        for o in clip.objects
    ]
    meta = copy.deepcopy(clip.meta)
    scale = np.array([hw[1] / w0, hw[0] / h0, hw[1] / w0, hw[0] / h0], np.float32)
    for per_obj in meta.get("boxes", {}).values():
        for kind, boxes in per_obj.items():
            per_obj[kind] = np.asarray(boxes, np.float32) * scale
    if isinstance(meta.get("occluder_mask"), np.ndarray):
        meta["occluder_mask"] = resize_masks(meta["occluder_mask"], hw)
    return Clip(
        frames=resize_frames(clip.frames, hw),
        objects=objects,
        source=clip.source,
        clip_id=clip.clip_id,
        frame_ids=clip.frame_ids,
        unoccluded=None if clip.unoccluded is None else resize_frames(clip.unoccluded, hw),
        fps=clip.fps,
        meta=meta,
    )
