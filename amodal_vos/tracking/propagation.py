"""One propagation sweep (forwards, or backwards from later prompt frames) over ``model.track_frame``.

Per frame, for the objects whose prompt frame has been reached:
- amodal pass: all objects go through the encoder as one batch, each with its own Mspec (its box enlarged by 20% per
  side; on the prompt frame the prompt box, afterwards the box of its previous amodal prediction, or its last good
  box while it is lost), then each group's batched memory bank runs ``track_frame``;
- visible part (optional), kept inside the amodal mask: a model with a visible token (``visible_head: token``) gives
  it from the amodal pass itself (mask token 1), with no second pass. Otherwise a visible pass: the adapters
  bypassed make the model modal SAM-2, whose encoder output does not depend on the object, so the frame is encoded
  once and shared. On the prompt frame it segments the user's prompt; on later frames it is prompted with the box
  of the object's amodal mask on that frame (no memory: a from-scratch modal model tracks far worse through its
  memory than the amodal pass does with Mspec, see the README).

Search regions (a model whose config has a ``search`` section, model/search.py): every object gets its own square
crop around its last box, so prompts, boxes and images come in frame pixels (``hw``) and each step carries its
crop; encoder passes (amodal and visible) then run on the objects' crops, one per object.

Objects are grouped by prompt frame and prompt shape: a group shares one batched memory bank (SAM-2 memory tensors
are batched over objects, and all entries of a bank must sit on the same frames). Objects prompted on different
frames therefore get their own banks, like sam2's per-object video predictor; objects prompted together are batched.
Frame indices here are local (0 = first tracked frame) and ``num_frames`` is the tracked length.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch

from amodal_vos.model import AmodalSAM2, new_memory
from amodal_vos.model.prior import next_boxes, spec_from_box
from amodal_vos.model.search import (
    SearchConfig,
    boxes_from_crop,
    boxes_to_crop,
    crop_images,
    points_to_crop,
    square_crops,
)
from amodal_vos.model.transforms import box_prompt
from amodal_vos.tracking.memory import MemoryBank, memory_horizon


@dataclass
class ModelPrompt:
    """A prompt in model-input pixels: optional box (x0, y0, x1, y1) and clicks [P, 2] with labels [P]."""

    obj_id: int
    frame: int
    box: torch.Tensor | None
    points: torch.Tensor
    labels: torch.Tensor

    @property
    def key(self) -> tuple:
        return self.frame, self.box is not None, len(self.labels)

    def point_inputs(self) -> tuple[torch.Tensor, torch.Tensor]:
        """SAM-2 point inputs: box corners (labels 2, 3) first, then the clicks."""
        coords, labels = self.points.reshape(-1, 2), self.labels.reshape(-1).int()
        if self.box is not None:
            coords = torch.cat([self.box.view(2, 2), coords])
            labels = torch.cat([torch.tensor([2, 3], dtype=torch.int32), labels])
        return coords, labels


@dataclass
class ObjectStep:
    """One object on one frame: amodal and visible mask logits [S, S] (model resolution), presence probability, the
    box (model pixels, before the 20% enlargement) its Mspec was made from (None when adapters are bypassed), and
    with search regions the crop (frame pixels) the logits cover (None: the whole frame)."""

    obj_id: int
    amodal: torch.Tensor
    visible: torch.Tensor | None
    score: float
    prior_box: torch.Tensor | None
    crop: torch.Tensor | None = None


@dataclass
class _Group:
    prompts: list[ModelPrompt]
    amodal: MemoryBank
    visible: MemoryBank  # the modal tracker's bank when the adapters are bypassed
    boxes: torch.Tensor  # [n, 4] current Mspec boxes (model pixels; frame pixels with search regions)
    point_inputs: dict = field(default_factory=dict)
    crops: torch.Tensor | None = None  # [n, 4] this frame's crops (frame pixels) with search regions
    lost: torch.Tensor | None = None  # [n] frames since each object's mask was last non-empty

    @property
    def spec(self) -> torch.Tensor:
        """The current Mspec boxes in model pixels (of each object's crop with search regions)."""
        return self.boxes if self.crops is None else boxes_to_crop(self.boxes, self.crops, self.size)

    size: int = 0

    @property
    def frame(self) -> int:
        return self.prompts[0].frame

    @property
    def needs_modal_box(self) -> bool:
        """Click-only prompts have no box for Mspec: it comes from the modal mask on the prompt frame."""
        return self.prompts[0].box is None


class Propagation:
    """Tracks prompted objects frame by frame in one direction; call ``step(t, image)`` for t in tracking order."""

    def __init__(
        self,
        model: AmodalSAM2,
        prompts: list[ModelPrompt],
        *,
        num_frames: int,
        reverse: bool = False,
        adapters: bool = True,
        visible: bool = True,
        prune: bool = True,
        batch_objects: bool = True,
        hw: tuple[int, int] | None = None,
    ) -> None:
        self.model, self.num_frames, self.reverse = model, int(num_frames), reverse
        self.adapters, self.visible = adapters, visible
        self.size = int(model.image_size)
        self.search = SearchConfig.from_config(getattr(model, "config", None))
        if self.search is not None and hw is None:
            raise ValueError("a search-region model needs the frame size hw")
        self.hw = hw if self.search is not None else (self.size, self.size)
        horizon = memory_horizon(model) if prune else None
        by_key: dict[tuple, list[ModelPrompt]] = {}
        for p in prompts:  # batch_objects=False: one bank per object (for comparison in bench/track_speed.py)
            by_key.setdefault(p.key if batch_objects else (p.key, p.obj_id), []).append(p)
        self.groups = []
        for members in by_key.values():
            coords, labels = zip(*(p.point_inputs() for p in members), strict=True)
            boxes = torch.stack([p.box if p.box is not None else self._points_box(p) for p in members])
            group = _Group(members, MemoryBank(horizon), MemoryBank(horizon), boxes, size=self.size)
            group.lost = torch.zeros(len(members))
            group.point_inputs = {"point_coords": torch.stack(coords), "point_labels": torch.stack(labels)}
            self.groups.append(group)
        self.model_seconds = 0.0

    def _points_box(self, p: ModelPrompt) -> torch.Tensor:
        """Fallback Mspec box around a click prompt (used only if the modal mask on the prompt frame is empty)."""
        pts = p.points[p.labels > 0] if (p.labels > 0).any() else p.points
        h, w = self.hw
        margin = 0.1 * max(h, w)
        box = torch.cat([pts.min(0).values - margin, pts.max(0).values + margin])
        return torch.minimum(box.clamp(min=0), torch.tensor([w, h, w, h], dtype=box.dtype))

    def active(self, t: int) -> bool:
        """Whether any object is tracked on frame t (its prompt frame reached in this direction)."""
        return any(self._started(g, t) for g in self.groups)

    def _started(self, group: _Group, t: int) -> bool:
        return group.frame >= t if self.reverse else group.frame <= t

    def banks(self) -> list[MemoryBank]:
        """The memory banks tracking reads: the amodal ones, or the modal tracker's with the adapters bypassed."""
        return [g.amodal if self.adapters else g.visible for g in self.groups]

    def _track(self, group: _Group, bank: MemoryBank, feats, t: int) -> dict:
        is_cond = t == group.frame
        points = None
        if is_cond:
            device = feats.top_features.device
            points = {k: v.to(device) for k, v in group.point_inputs.items()}
            if group.crops is not None:
                points["point_coords"] = points_to_crop(
                    points["point_coords"], group.crops.to(device), self.size
                )
        out = self.model.track_frame(
            t,
            feats,
            bank.memory,
            is_cond=is_cond,
            num_frames=self.num_frames,
            point_inputs=points,
            reverse=self.reverse,
        )
        bank.add(t, out, is_cond, self.reverse)
        return out

    @torch.inference_mode()
    def step(self, t: int, image: torch.Tensor) -> list[ObjectStep]:
        """Track every started object on local frame ``t``; ``image`` is the normalised input [1, 3, S, S]."""
        groups = [g for g in self.groups if self._started(g, t)]
        if not groups:
            return []
        tic = time.perf_counter()
        modal_outs: dict[int, dict] = {}
        if not self.adapters:  # plain modal SAM-2 tracking through its own memory bank
            modal = self.model.encode(self._images(image, groups), None)
            for g in groups:
                modal_outs[id(g)] = self._track(g, g.visible, self._modal_for(modal, groups, g), t)
            amodal_outs, prior_boxes = modal_outs, None
        else:
            images = self._images(image, groups)
            token = self.model.visible_token  # the visible part comes with the amodal pass
            second_pass = self.visible and not token
            starting = [g for g in groups if g.frame == t and (g.needs_modal_box or second_pass)]
            modal = self.model.encode(images, None) if (second_pass or starting) else None
            for g in starting:  # the prompt itself on the modal model, in a bank of its own
                modal_outs[id(g)] = self._track(g, MemoryBank(None), self._modal_for(modal, groups, g), t)
                if g.needs_modal_box:
                    mask = modal_outs[id(g)]["pred_masks_high_res"][:, 0] > 0
                    self._follow(g, next_boxes(mask.cpu(), g.spec)[0])
            prior_boxes = torch.cat([g.spec for g in groups])
            specs = spec_from_box(prior_boxes, (self.size, self.size)).to(image.device)
            feats = self.model.encode(images.expand(len(prior_boxes), -1, -1, -1), specs)
            amodal_outs, offset = {}, 0
            for g in groups:
                n = len(g.prompts)
                amodal_outs[id(g)] = self._track(g, g.amodal, feats.take(slice(offset, offset + n)), t)
                offset += n
            if second_pass:
                for g in groups:
                    if id(g) not in modal_outs:
                        modal_outs[id(g)] = self._visible(
                            g, self._modal_for(modal, groups, g), amodal_outs[id(g)], t
                        )
        if image.device.type == "cuda":
            torch.cuda.synchronize(image.device)
        self.model_seconds += time.perf_counter() - tic
        return self._collect(groups, amodal_outs, modal_outs, prior_boxes)

    def _images(self, image: torch.Tensor, groups: list[_Group]) -> torch.Tensor:
        """The model input: the frame itself [1, 3, S, S], or each object's crop [N, 3, S, S] with search regions
        (each crop around the object's last box, grown while the object is lost)."""
        if self.search is None:
            return image
        for g in groups:
            grow = self.search.lost_growth ** g.lost.clamp(max=self.search.lost_frames)
            g.crops = square_crops(g.boxes, self.hw, self.size, self.search, grow)
        return crop_images(image, torch.cat([g.crops for g in groups]).to(image.device), self.size)

    def _modal_for(self, modal, groups: list[_Group], group: _Group):
        """A group's share of the modal encoder output: the one shared frame, or its objects' crops."""
        n = len(group.prompts)
        if self.search is None:
            return modal.take([0] * n)
        offset = 0
        for g in groups:
            if g is group:
                return modal.take(slice(offset, offset + n))
            offset += len(g.prompts)
        raise ValueError("group not in this step")

    def _follow(self, group: _Group, spec: torch.Tensor) -> None:
        """New Mspec boxes in model pixels -> the group's boxes (frame pixels with search regions)."""
        group.boxes = spec if group.crops is None else boxes_from_crop(spec, group.crops, self.size)

    def _visible(self, group: _Group, modal, amodal_out: dict, t: int) -> dict:
        """Modal SAM-2 on a later frame, prompted with the box of each object's amodal mask (its last good box
        while the mask is empty)."""
        mask = amodal_out["pred_masks_high_res"][:, 0] > 0
        boxes = next_boxes(mask.cpu(), group.spec)[0]
        points = {k: v.to(mask.device) for k, v in box_prompt(boxes).items()}
        return self.model.track_frame(
            t,
            modal,
            new_memory(),
            is_cond=True,
            num_frames=self.num_frames,
            point_inputs=points,
            reverse=self.reverse,
            run_mem_encoder=False,
        )

    def _collect(self, groups, amodal_outs, modal_outs, prior_boxes) -> list[ObjectStep]:
        steps, offset = [], 0
        for g in groups:
            out = amodal_outs[id(g)]
            logits = out["pred_masks_high_res"][:, 0]
            scores = torch.sigmoid(out["object_score_logits"].float()).reshape(-1).tolist()
            visible = None
            if self.visible and self.adapters:  # the visible part lies inside the whole shape
                source = out if "visible_high_res" in out else modal_outs[id(g)]
                visible = torch.minimum(
                    source.get("visible_high_res", source["pred_masks_high_res"])[:, 0], logits
                )
            crops = g.crops
            if self.adapters or crops is not None:  # the box the next Mspec or crop is made from
                spec, found = next_boxes((logits > 0).cpu(), g.spec)
                self._follow(g, spec)
                g.lost = torch.where(found, torch.zeros_like(g.lost), g.lost + 1)
            for i, p in enumerate(g.prompts):
                prior = None if prior_boxes is None else prior_boxes[offset + i]
                vis = None if visible is None else visible[i]
                crop = None if crops is None else crops[i]
                steps.append(ObjectStep(p.obj_id, logits[i], vis, scores[i], prior, crop))
            offset += len(g.prompts)
        return steps
