"""The evaluator's inference seam: ``predictor(clip, prompts, adapters=..., oracle=...) -> {obj_id: [T, H, W] bool}``.

``TrackerPredictor`` is what users get: amodal_vos.tracking's AmodalTracker on the clip's frames in memory (box
prompts; its visible pass is off, the modal baseline is the same tracker with the adapters bypassed).
``RolloutPredictor`` runs the training rollout without gradients (train/rollout.py: the prompt frame conditions the
memory bank, later frames take Mspec from the previous prediction's enlarged box, memory pruned as it goes); it
serves the variants the tracker has no prompt for (a GT box on every frame, mask prompts). Masks come back at the
clip's full resolution. Frames before an object's prompt frame stay empty (they are not scored).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from amodal_vos.data.sample import Clip
from amodal_vos.errors import UserError
from amodal_vos.model.amodal_sam2 import AmodalSAM2
from amodal_vos.model.prior import mask_to_box
from amodal_vos.model.search import SearchConfig, paste_logits
from amodal_vos.model.transforms import box_prompt, boxes_to_input, frames_to_input, logits_to_frame
from amodal_vos.train.batch import resize_masks
from amodal_vos.train.prompts import Prompt
from amodal_vos.train.rollout import SearchView, rollout

PROMPT_MODES = ("visible-box", "amodal-box", "visible-mask")


@dataclass
class ObjectPrompt:
    """Where and how one object is prompted: a frame and an xyxy box in frame pixels, or a mask."""

    obj_id: int
    frame: int
    box: np.ndarray | None = None
    mask: np.ndarray | None = None


def make_prompts(
    clip: Clip, mode: str = "visible-box", min_px: int = 1, min_frac: float = 0.0
) -> list[ObjectPrompt]:
    """The default protocol prompt per object: on its first frame with a visible part (of at least ``min_px``
    pixels and ``min_frac`` of its amodal area), its GT visible box (or amodal box / visible mask). Objects never
    visible enough are left out."""
    if mode not in PROMPT_MODES:
        raise UserError(f"unknown prompt mode {mode!r}; choose one of {', '.join(PROMPT_MODES)}")
    prompts = []
    for obj in clip.objects:
        t_len = len(obj.visible)
        vis = obj.visible.reshape(t_len, -1).sum(1)
        amo = obj.amodal.reshape(t_len, -1).sum(1)
        seen = np.nonzero((vis >= max(min_px, 1)) & (vis >= min_frac * amo))[0]
        if len(seen) == 0:
            continue
        t = int(seen[0])
        if mode == "visible-mask":
            prompts.append(ObjectPrompt(obj.obj_id, t, mask=obj.visible[t]))
            continue
        src = obj.amodal[t] if mode == "amodal-box" else obj.visible[t]
        prompts.append(ObjectPrompt(obj.obj_id, t, box=mask_to_box(src)[0][0].numpy()))
    return prompts


class RolloutPredictor:
    """No-grad tracking with a model, through the training rollout (until amodal_vos.tracking serves the evaluator)."""

    def __init__(self, model: AmodalSAM2) -> None:
        self.model = model.eval()
        self.size = int(model.image_size)
        self.device = next(model.parameters()).device
        self.search = SearchConfig.from_config(getattr(model, "config", None))

    def _prompt(self, group: list[ObjectPrompt], hw: tuple[int, int]) -> Prompt:
        """The group's prompt in model pixels (frame pixels for a search-region model)."""
        if group[0].mask is not None:
            masks = np.stack([p.mask for p in group])
            masks = torch.from_numpy(masks) if self.search else resize_masks(masks, self.size)
            boxes, _ = mask_to_box(masks)
            return Prompt("mask", None, masks[:, None].float().to(self.device), boxes)
        boxes = torch.as_tensor(np.stack([p.box for p in group]), dtype=torch.float32)
        if self.search is None:
            boxes = boxes_to_input(boxes, hw, self.size)
        pts = {k: v.to(self.device) for k, v in box_prompt(boxes).items()}
        return Prompt("box", pts, None, boxes)

    @torch.no_grad()
    def __call__(
        self, clip: Clip, prompts: list[ObjectPrompt], *, adapters: bool = True, oracle: bool = False
    ) -> dict[int, np.ndarray]:
        """Masks [T, H, W] bool per prompted object. ``oracle`` prompts every frame with the GT visible box."""
        hw = clip.size
        t_len = clip.num_frames
        result = {p.obj_id: np.zeros((t_len, *hw), bool) for p in prompts}
        by_id = {o.obj_id: o for o in clip.objects}
        for start in sorted({p.frame for p in prompts}):
            group = [p for p in prompts if p.frame == start]
            oracle_boxes = None
            if oracle:
                vis = np.stack([by_id[p.obj_id].visible[start:] for p in group])  # [B, T', H, W]
                boxes = torch.stack([mask_to_box(v)[0] for v in vis])  # empty frames give a zero box
                oracle_boxes = boxes if self.search else boxes_to_input(boxes, hw, self.size)
            prompt = self._prompt(group, hw)
            masks = np.zeros((len(group), t_len - start, *hw), bool)

            def keep(t: int, out: dict, masks: np.ndarray = masks) -> None:
                logits = out["pred_masks_high_res"]
                if self.search is None:
                    frame_logits = logits_to_frame(logits, hw)
                else:
                    frame_logits = paste_logits(logits[:, 0], out["crop_boxes"], hw)
                masks[:, t] = (frame_logits > 0).cpu().numpy()

            def frame_at(t: int, start: int = start) -> torch.Tensor:
                return frames_to_input(
                    clip.frames[start + t], None if self.search else self.size, self.device
                )

            rollout(
                self.model,
                frame_at,
                prompt,
                adapters=adapters,
                oracle_boxes=oracle_boxes,
                prune=True,
                num_frames=t_len - start,
                size=self.size,
                on_frame=keep,
                search=None if self.search is None else SearchView(self.search, hw, self.size),
            )
            for i, p in enumerate(group):
                result[p.obj_id][start:] = masks[i]
        return result


def tracker_prompts(prompts: list[ObjectPrompt]) -> tuple[dict[int, ObjectPrompt], list]:
    """Box prompts as the tracker takes them: ({tracker id: prompt}, tracking Prompts), ids 1.. (the tracker's ids
    are 1..255, a clip's object ids need not be)."""
    from amodal_vos.tracking import Prompt as TrackPrompt

    local = {i + 1: p for i, p in enumerate(prompts)}
    asks = [
        TrackPrompt.from_box((x0, y0, x1 - x0, y1 - y0), frame=p.frame, obj_id=i)
        for i, p in local.items()
        for x0, y0, x1, y1 in [np.asarray(p.box, dtype=float).tolist()]
    ]
    return local, asks


class TrackerPredictor:
    """Inference through ``AmodalTracker`` (the engine of ``amodal-vos track``); falls back to the rollout for the
    box-oracle and mask-prompt variants."""

    def __init__(self, model: AmodalSAM2, **options) -> None:
        """``options``: more ``AmodalTracker`` settings (e.g. ``motion=None``); its defaults otherwise."""
        from amodal_vos.tracking import AmodalTracker

        self.trackers = {
            on: AmodalTracker(model, visible=False, adapters=on, **options) for on in (True, False)
        }
        self.fallback = RolloutPredictor(model)

    def __call__(
        self, clip: Clip, prompts: list[ObjectPrompt], *, adapters: bool = True, oracle: bool = False
    ) -> dict[int, np.ndarray]:
        if oracle or any(p.box is None for p in prompts):
            return self.fallback(clip, prompts, adapters=adapters, oracle=oracle)
        local, asks = tracker_prompts(prompts)
        result = self.trackers[adapters].track(clip.frames, asks)
        out = {p.obj_id: np.zeros((clip.num_frames, *clip.size), bool) for p in prompts}
        for t in result.frame_indices:
            frame = result.masks(t)
            for k, i in enumerate(frame.ids):
                if t >= local[i].frame:
                    out[local[i].obj_id][t] = frame.amodal[k]
        return out
