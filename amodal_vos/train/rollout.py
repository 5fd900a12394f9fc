"""One clip through the memory bank, exactly as at inference: the first frame is prompted and conditions the memory;
on every later frame Mspec is the previous prediction's box (detached) enlarged by 20% (model/prior.py
``next_boxes`` + ``spec_from_box``), optionally jittered during training.

Shared by the trainer (with gradients) and the evaluator's no-grad predictor. With ``adapters=False`` every adapter
is bypassed (plain modal SAM-2) and Mspec is never computed.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from amodal_vos.model.amodal_sam2 import AmodalSAM2, FrameFeatures, memory_entry, new_memory
from amodal_vos.model.prior import mask_to_box, next_boxes, spec_from_box
from amodal_vos.model.search import (
    SearchConfig,
    boxes_from_crop,
    boxes_to_crop,
    crop_images,
    crop_masks,
    points_to_crop,
    square_crops,
)
from amodal_vos.model.transforms import box_prompt
from amodal_vos.train.prompts import Prompt, jitter_box

TRAIN_KEYS = (
    "pred_masks_high_res",
    "multimasks_high_res",
    "ious",
    "object_score_logits",
    "top_features",
    "crop_boxes",
    "visible_high_res",
)


def full_boxes(batch: int, hw: tuple[int, int]) -> torch.Tensor:
    """Whole-image xyxy boxes [B, 4]: the Mspec of a prompt that brings no box of its own."""
    return torch.tensor([[0.0, 0.0, hw[1], hw[0]]]).expand(batch, 4).clone()


def prompt_batch(prompt: Prompt) -> int:
    """Number of objects a prompt is for."""
    if prompt.spec_box is not None:
        return int(prompt.spec_box.shape[0])
    if prompt.point_inputs is not None:
        return int(prompt.point_inputs["point_coords"].shape[0])
    return int(prompt.mask_inputs.shape[0])


def prune_memory(memory: dict, frame_idx: int, keep: int) -> None:
    """Drop memory entries more than ``keep`` frames old (attention reads num_maskmem frames and 16 object pointers;
    the first conditioning frame always stays)."""
    oldest = frame_idx - keep
    for t in [t for t in memory["non_cond_frame_outputs"] if t <= oldest]:
        del memory["non_cond_frame_outputs"][t]
    cond = memory["cond_frame_outputs"]
    if len(cond) > 1:
        first = min(cond)
        for t in [t for t in cond if t <= oldest and t != first]:
            del cond[t]


def _encode(model: AmodalSAM2, img: torch.Tensor, prior: torch.Tensor | None, batch: int) -> FrameFeatures:
    """Encode one frame for ``batch`` objects; a single shared image without a prior is encoded once."""
    if img.shape[0] == batch:
        return model.encode(img, prior)
    if prior is None:
        return model.encode(img).take([0] * batch)
    return model.encode(img.expand(batch, -1, -1, -1), prior)


class SearchView:
    """Object-centred crops for a rollout (model/search.py): each frame is cropped around the previous frame's
    box; prompts, Mspec and predictions move between frame pixels and crop pixels through it."""

    def __init__(
        self,
        cfg: SearchConfig,
        hw: tuple[int, int],
        size: int,
        noise: torch.Tensor | None = None,
        jitter: float = 0.0,
    ) -> None:
        self.cfg, self.hw, self.size = cfg, hw, size
        self.noise = noise  # [B, T, 3] standard normal draws: crop centre shift (x, y) and log-scale
        self.jitter = jitter
        self.crops: torch.Tensor | None = None

    def place(self, boxes: torch.Tensor, t: int) -> torch.Tensor:
        """Set (and return) the crops of frame ``t`` around object boxes [B, 4] (frame px)."""
        grow = None
        if self.noise is not None and self.jitter > 0:
            n = self.noise[:, t].cpu()
            longer = (boxes[:, 2:] - boxes[:, :2]).clamp(min=1.0).amax(dim=1, keepdim=True)
            shift = n[:, :2] * self.jitter * longer
            boxes = boxes + torch.cat([shift, shift], dim=1)
            grow = torch.exp(n[:, 2] * self.jitter)
        self.crops = square_crops(boxes, self.hw, self.size, self.cfg, grow)
        return self.crops


def _view_prompt(view: SearchView, point_inputs: dict | None, mask_inputs: torch.Tensor | None):
    """A frame-pixel prompt in the crop's pixels."""
    if point_inputs is not None:
        crops = view.crops.to(point_inputs["point_coords"].device)
        coords = points_to_crop(point_inputs["point_coords"], crops, view.size)
        point_inputs = {**point_inputs, "point_coords": coords}
    if mask_inputs is not None:
        mask_inputs = crop_masks(mask_inputs[:, 0] > 0, view.crops, view.size)[:, None].float()
    return point_inputs, mask_inputs


def rollout(
    model: AmodalSAM2,
    frames: torch.Tensor | Callable[[int], torch.Tensor],
    prompt: Prompt,
    *,
    adapters: bool = True,
    spec_jitter: float = 0.0,
    spec_noise: torch.Tensor | None = None,
    spec_drop: torch.Tensor | None = None,
    oracle_boxes: torch.Tensor | None = None,
    prune: bool = False,
    keys: tuple[str, ...] = TRAIN_KEYS,
    num_frames: int | None = None,
    size: int | None = None,
    on_frame: Callable[[int, dict], None] | None = None,
    search: SearchView | None = None,
    memory: bool = True,
) -> list[dict]:
    """Track a clip from its first frame; returns one dict per frame with ``keys`` of track_frame's output.

    frames: [B or 1, T, 3, S, S] model input (1 = the same frames for every object), or a function t -> [B or 1, 3,
    S, S] (long videos: one frame in memory at a time) with ``num_frames`` given. spec_noise: [B, T, 4] standard
    normal draws that jitter each later frame's Mspec box by ``spec_jitter`` of its size. spec_drop: [B, T] bool, where
    true a later frame's Mspec covers the whole input, so that only memory says which object to follow. oracle_boxes: [B, T, 4]
    prompt every frame with this box (and take Mspec from it): the per-frame box-oracle variant. on_frame: called
    with (t, outputs) instead of collecting them (keeps memory flat over long videos). search: frames, prompts and
    oracle boxes are in frame pixels [.., H, W] and every frame is cropped around the object (outputs are in crop
    pixels; ``crop_boxes`` [B, 4] says where each crop lies in the frame). memory=False: every later frame is
    box-prompted from its (jittered) prior box with an empty memory bank, as the tracker without memory does."""
    b = prompt_batch(prompt)
    if isinstance(frames, torch.Tensor):
        num_frames = int(frames.shape[1])

        def frame_at(t: int, x: torch.Tensor = frames) -> torch.Tensor:
            return x[:, t]
    else:
        frame_at = frames
        if num_frames is None:
            raise ValueError("rollout over a frame function needs num_frames")
    size = int(size or model.image_size)
    hw = search.hw if search is not None else (size, size)
    device = next(model.parameters()).device
    bank = new_memory()
    keep = max(model.num_maskmem, model.max_obj_ptrs_in_encoder)
    box = prompt.spec_box.float().cpu() if prompt.spec_box is not None else full_boxes(b, hw)
    outs = []
    for t in range(num_frames):
        point_inputs = prompt.point_inputs if t == 0 else None
        mask_inputs = prompt.mask_inputs if t == 0 else None
        is_cond = t == 0
        spec = box
        if oracle_boxes is not None:
            spec = oracle_boxes[:, t].float().cpu()
            point_inputs = box_prompt(spec)
            mask_inputs, is_cond = None, True
        image = frame_at(t).to(device)
        if search is not None:
            crops = search.place(spec, t)
            image = crop_images(image, crops.to(device), size)
            point_inputs, mask_inputs = _view_prompt(search, point_inputs, mask_inputs)
            spec = boxes_to_crop(spec, crops, size)
        if point_inputs is not None:
            point_inputs = {k: v.to(device) for k, v in point_inputs.items()}
        if t > 0 and oracle_boxes is None and spec_noise is not None and spec_jitter > 0:
            spec = jitter_box(spec, spec_noise[:, t].cpu(), spec_jitter, size)
        if t > 0 and oracle_boxes is None and spec_drop is not None:
            spec = torch.where(spec_drop[:, t, None].cpu(), full_boxes(b, (size, size)), spec)
        if t > 0 and not memory and oracle_boxes is None:
            point_inputs, is_cond = {k: v.to(device) for k, v in box_prompt(spec).items()}, True
        prior = spec_from_box(spec, (size, size)).to(device) if adapters else None
        feats = _encode(model, image, prior, b)
        out = model.track_frame(
            t,
            feats,
            bank if memory else new_memory(),
            is_cond=is_cond,
            num_frames=num_frames,
            point_inputs=point_inputs,
            mask_inputs=mask_inputs,
            run_mem_encoder=memory,
        )
        if memory:
            bank["cond_frame_outputs" if is_cond else "non_cond_frame_outputs"][t] = memory_entry(out)
            if prune:
                prune_memory(bank, t, keep)
        if search is not None:
            out["crop_boxes"] = search.crops
        if on_frame is not None:
            on_frame(t, out)
        else:
            outs.append({k: out[k] for k in keys if k in out})
        pred = out["pred_masks_high_res"].detach()[:, 0] > 0
        last = spec if oracle_boxes is not None else box
        if search is None:
            box, _ = next_boxes(pred.cpu(), last)
        else:
            found_box, found = mask_to_box(pred.cpu())
            box = torch.where(found[:, None], boxes_from_crop(found_box, search.crops, size), last)
    return outs
