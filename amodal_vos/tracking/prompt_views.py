"""The prompt frame seen several ways, keeping the mask that agrees best with the user's box (issue 10).

On its prompt frame an object is segmented from its box alone, and every later frame starts from that mask (so too
after a later box that corrects it). The search-region model misses some prompted objects there (an empty mask, or
one a fraction of the box), most of all photographed ones of low contrast, and a track that starts wrong never
recovers. Segmenting the same frame from other views (a wider crop, the crop mirrored) gives other candidates; the
user's box says which is right: the one whose mask's box overlaps it most. Only box prompts on memory-free
search-region models with a visible token take part (a memory bank would hold the first view's memory); frames
without a box are unchanged. Measured in docs/tracking.md.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from amodal_vos.model import AmodalSAM2, new_memory
from amodal_vos.model.prior import mask_to_box, spec_from_box
from amodal_vos.model.search import (
    SearchConfig,
    boxes_from_crop,
    boxes_to_crop,
    crop_images,
    points_to_crop,
    square_crops,
)
from amodal_vos.tracking.groups import Group, ModelPrompt, prompt_inputs
from amodal_vos.tracking.motion import box_iou

OUTPUTS = ("pred_masks_high_res", "visible_high_res", "object_score_logits", "ious")  # per-object rows picked


@dataclass(frozen=True)
class View:
    """One way to look at the prompt frame: the crop's ``min_context`` (None: the model's own) and a mirror."""

    min_context: float | None = None
    mirror: bool = False


VIEWS = (View(None, True), View(3.0, False), View(3.0, True))  # tried beside the model's own view


def acts(model: AmodalSAM2, views: bool, adapters: bool, memory: bool) -> bool:
    """Whether ``views`` takes effect: search-region models with a visible token (both masks from the view's own
    pass; a second, modal pass would have been made on the model's own crop), adapters on and no memory bank."""
    search = SearchConfig.from_config(getattr(model, "config", None))
    return bool(views and adapters and not memory and search is not None and model.visible_token)


def _mirror_boxes(boxes: torch.Tensor, size: int) -> torch.Tensor:
    """xyxy boxes in model pixels, mirrored left-right within the crop (edges at integers)."""
    return torch.stack([size - boxes[:, 2], boxes[:, 1], size - boxes[:, 0], boxes[:, 3]], dim=1)


class PromptViews:
    """``refine(group, prompts, image, out, t, num_frames)``: replace each object's output on a box-prompted frame by
    the view whose mask box agrees best with its prompt box (IoU), the model's own view winning ties."""

    def __init__(self, model: AmodalSAM2, search: SearchConfig, hw: tuple[int, int], views=VIEWS) -> None:
        self.model, self.search, self.hw, self.views = model, search, hw, tuple(views)
        self.size = int(model.image_size)

    @staticmethod
    def applies(prompts: list[ModelPrompt] | None) -> bool:
        """Box prompts without clicks (the box is what the views are judged against)."""
        p = None if not prompts else prompts[0]
        return p is not None and p.box is not None and p.mask is None and len(p.labels) == 0

    def _look(
        self, group: Group, inputs: dict, image: torch.Tensor, view: View, t: int, num_frames: int
    ) -> tuple[dict, torch.Tensor]:
        """The model's output on one view (mirrored back) and that view's crops [n, 4]; ``inputs``: the prompts as
        ``prompt_inputs`` gives them."""
        size, device = self.size, image.device
        cfg = self.search if view.min_context is None else replace(self.search, min_context=view.min_context)
        crops = square_crops(group.boxes, self.hw, size, cfg)
        images = crop_images(image, crops.to(device), size)
        spec = boxes_to_crop(group.boxes, crops, size)
        coords = points_to_crop(inputs["point_coords"], crops, size)  # the box's two corners
        if view.mirror:
            images, spec = images.flip(-1), _mirror_boxes(spec, size)
            coords = _mirror_boxes(coords.reshape(-1, 4), size).reshape(-1, 2, 2)
        feats = self.model.encode(images, spec_from_box(spec, (size, size)).to(device))
        points = {"point_coords": coords.to(device), "point_labels": inputs["point_labels"].to(device)}
        out = self.model.track_frame(
            t,
            feats,
            new_memory(),
            is_cond=True,
            num_frames=num_frames,
            point_inputs=points,
            run_mem_encoder=False,
        )
        out = {k: out[k] for k in OUTPUTS if out.get(k) is not None}
        if view.mirror:
            out = {k: v.flip(-1) if v.dim() == 4 else v for k, v in out.items()}
        return out, crops

    def _agreement(self, prompt: torch.Tensor, logits: torch.Tensor, crops: torch.Tensor) -> torch.Tensor:
        """[n] IoU of each mask's box (frame pixels) with its ``prompt`` box [n, 4]; 0 for an empty mask."""
        boxes, found = mask_to_box((logits[:, 0] > 0).cpu())
        frame_boxes = boxes_from_crop(boxes, crops.cpu(), self.size)
        return torch.where(found, box_iou(frame_boxes, prompt), torch.zeros(len(found)))

    def refine(
        self,
        group: Group,
        prompts: list[ModelPrompt],
        image: torch.Tensor,
        out: dict,
        t: int,
        num_frames: int,
    ) -> None:
        """Pick per object the best of the model's own view (``out``, ``group.crops``) and ``views`` of frame ``t``,
        where ``prompts`` (the group's, one per object: its first prompts or a later box) were given; ``out`` and
        ``group.crops`` are changed in place to the picked rows."""
        inputs, prompt = prompt_inputs(prompts), torch.stack([p.box.float() for p in prompts])
        best = self._agreement(prompt, out["pred_masks_high_res"], group.crops)
        for view in self.views:
            other, crops = self._look(group, inputs, image, view, t, num_frames)
            score = self._agreement(prompt, other["pred_masks_high_res"], crops)
            better = score > best
            if not better.any():
                continue
            rows = better.nonzero().flatten()
            for k, v in other.items():
                out[k] = out[k].clone()
                out[k][rows.to(out[k].device)] = v[rows.to(v.device)]
            group.crops = group.crops.clone()
            group.crops[rows] = crops[rows].to(group.crops)
            best = torch.maximum(best, score)
