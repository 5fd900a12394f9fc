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

Motion (``motion``, the trackers' default): before a frame is segmented, optical flow from the last frame
(motion.py) moves each object's box to where its pixels went, so Mspec and crop follow camera and object motion;
after it, a predicted box whose IoU with that flow-moved box is below ``motion`` is refused as the next prior (the
flow's box is kept), so one wrong mask does not carry the prior away. Boxes without enough texture are not moved.
With ``shape`` as well (the trackers' default), each object's last mask is moved by the flow of its own pixels
(shape_flow.py): where that move is trusted it gives the object's box, and it replaces a new mask that overlaps it at
IoU below ``shape``, so a mask that jumps off its object, shrinks or vanishes while the object is followed does not.
With ``strays`` (strays.py) a piece of a new mask that lies on another object's mask is then removed, so its box does
not spread over the neighbour; with ``apart`` (apart.py) an object whose mask jumped onto another's keeps its last
(mask_rules.py applies these three).
With ``box_tracker`` (with motion; the trackers' default) an appearance tracker (box_tracker.py: OpenCV's CSRT,
started on the prompt box) follows each object, and its box is the object's prior wherever it finds the object, so
the model's own masks move the prior only where CSRT loses it (an object it loses at the border is reported absent,
one it loses inside the frame is taken as hidden); a predicted box below ``motion`` IoU with it is refused as above.
With ``exits`` (exits.py) an object whose box has shrunk to a sliver against the frame's border is reported absent
until it comes back there.

Without memory (``memory=False``): every later frame is segmented like a prompt frame, from its prior box as a box
prompt (with Mspec and crop as usual) and an empty memory bank; no memory is encoded or kept. Measured in
bench/inference_rules.py: the `track` model holds identities better this way (docs/tracking.md).

Search regions (a model whose config has a ``search`` section, model/search.py): every object gets its own square
crop around its last box, so prompts, boxes and images come in frame pixels (``hw``) and each step carries its
crop; encoder passes (amodal and visible) then run on the objects' crops, one per object.

Objects are grouped by prompt frame and prompt shape (groups.py): a group shares one batched memory bank, so objects
prompted on different frames get their own banks, like sam2's per-object video predictor, while objects prompted
together are batched. An object may have several prompts: the first in tracking order starts it, each later one is
a correction that conditions its memory on that frame (it then leaves its batch for a bank of its own). A mask
prompt is taken as the object's whole shape there. ``snapshot`` / ``restore`` let the predictor restart a sweep
after any frame. Frame indices here are local (0 = first tracked frame), ``num_frames`` is the tracked length.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import torch

from amodal_vos.model import AmodalSAM2, new_memory
from amodal_vos.model.prior import next_boxes, spec_from_box
from amodal_vos.model.search import (
    SearchConfig,
    boxes_from_crop,
    crop_images,
    crop_masks,
    points_to_crop,
    square_crops,
)
from amodal_vos.model.transforms import box_prompt
from amodal_vos.tracking.box_tracker import check_csrt, colour_frame
from amodal_vos.tracking.exits import Exits
from amodal_vos.tracking.groups import Group, ModelPrompt, ObjectStep, prompt_inputs
from amodal_vos.tracking.looks import SweepLooks
from amodal_vos.tracking.mask_rules import MaskRules
from amodal_vos.tracking.memory import MemoryBank, memory_horizon
from amodal_vos.tracking.motion import MAX_SIDE, BoxFlow, box_iou, gray_frame, gray_frames
from amodal_vos.tracking.prompt_views import PromptViews, acts
from amodal_vos.tracking.shape_flow import ShapeFlow

ABSENT_LOGIT = -10.0  # mask logits of an object reported absent

__all__ = ["ModelPrompt", "ObjectStep", "Propagation"]


def absent(step: ObjectStep) -> ObjectStep:
    """The step reported as an absent object: empty masks, presence 0."""
    empty = torch.full_like(step.amodal, ABSENT_LOGIT)
    visible = None if step.visible is None else torch.full_like(step.visible, ABSENT_LOGIT)
    return replace(step, amodal=empty, visible=visible, score=0.0)


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
        motion: float | None = None,
        memory: bool = True,
        shape: float | None = None,
        apart: float | None = None,
        strays: float | None = None,
        views: bool = False,
        box_tracker: bool = False,
        exits: float | None = None,
    ) -> None:
        self.model, self.num_frames, self.reverse = model, int(num_frames), reverse
        self.memory = memory
        self.adapters, self.visible = adapters, visible
        self.size = int(model.image_size)
        self.search = SearchConfig.from_config(getattr(model, "config", None))
        uses_boxes = adapters or self.search is not None  # plain SAM-2 on whole frames has no prior box
        self.flow = BoxFlow() if motion is not None and uses_boxes else None
        self.agree = float(motion or 0.0)
        self.shape = ShapeFlow(shape) if shape is not None and self.flow is not None else None
        self.looks = None  # the modal sweep (adapters bypassed) starts no looks
        if box_tracker and self.flow is not None and adapters:
            check_csrt()
            self.looks = SweepLooks(reverse, lambda g, t: self._cond(g, t) is not None)
        self.exits = Exits(exits) if exits is not None and adapters else None
        if self.search is not None and hw is None:
            raise ValueError("a search-region model needs the frame size hw")
        self.hw = hw if self.search is not None else (self.size, self.size)
        self.rules = None if self.shape is None else MaskRules(self.shape, apart, strays, self.hw, self.size)
        self.horizon = memory_horizon(model) if prune else None
        # the prompt frame seen several ways (prompt_views.py: memory-free search-region models with a visible token)
        self.views = (
            PromptViews(model, self.search, self.hw) if acts(model, views, adapters, memory) else None
        )
        self.batch_objects = batch_objects
        by_obj: dict[int, list[ModelPrompt]] = {}
        for p in prompts:
            by_obj.setdefault(p.obj_id, []).append(p)
        self.order = {obj_id: i for i, obj_id in enumerate(by_obj)}
        self.corrections: dict[int, dict[int, ModelPrompt]] = {}  # obj_id -> frame -> a later prompt
        initial = []
        for obj_id, own in by_obj.items():
            own = sorted(own, key=lambda p: -p.frame if reverse else p.frame)
            initial.append(own[0])
            self.corrections[obj_id] = {p.frame: p for p in own[1:]}
        self.groups = self._make_groups(initial)
        self.model_seconds = 0.0

    def _make_groups(self, initial: list[ModelPrompt]) -> list[Group]:
        """Fresh groups (empty banks) of objects whose initial prompts share a key."""
        by_key: dict[tuple, list[ModelPrompt]] = {}
        for p in initial:  # batch_objects=False: one bank per object (for comparison in bench/track_speed.py)
            by_key.setdefault(p.key if self.batch_objects else (p.key, p.obj_id), []).append(p)
        groups = []
        for members in by_key.values():
            boxes = torch.stack([self._prompt_box(p) for p in members])
            group = Group(members, MemoryBank(self.horizon), MemoryBank(self.horizon), boxes, size=self.size)
            group.lost = torch.zeros(len(members))
            group.inputs = prompt_inputs(members)
            groups.append(group)
        return groups

    def _prompt_box(self, p: ModelPrompt) -> torch.Tensor:
        if p.box is not None:
            return p.box
        return p.mask_box() if p.mask is not None else self._points_box(p)

    def snapshot(self) -> list[Group]:
        """The state after the last step (groups with copies of their banks), for ``restore``."""
        return [g.take(range(len(g.prompts))) for g in self.groups]

    def restore(self, groups: list[Group], t: int) -> None:
        """Continue after local frame ``t`` from ``groups``, a ``snapshot`` taken after frame t by a sweep over the
        same objects with the same prompts up to t: objects that had started keep their memory and boxes (removed
        ones are dropped), all others start from this sweep's prompts. Corrections after t apply as prompted."""
        initial = {p.obj_id: p for g in self.groups for p in g.prompts}
        kept, taken = [], set()
        for g in groups:
            if not self._started(g, t):
                continue
            index = [
                i
                for i, p in enumerate(g.prompts)
                if p.obj_id in initial and initial[p.obj_id].frame == p.frame
            ]
            if index:
                kept.append(g.take(index))
                taken.update(g.prompts[i].obj_id for i in index)
        rest = self._make_groups([p for p in initial.values() if p.obj_id not in taken])
        self.groups = sorted(kept + rest, key=lambda g: self.order[g.prompts[0].obj_id])

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

    def _started(self, group: Group, t: int) -> bool:
        return group.frame >= t if self.reverse else group.frame <= t

    def _cond(self, group: Group, t: int) -> list[ModelPrompt] | None:
        """The prompts of the group on frame t: its initial ones, a correction (groups of one), or None."""
        if t == group.frame:
            return group.prompts
        later = self.corrections.get(group.prompts[0].obj_id, {}).get(t)
        return [later] if later is not None and len(group.prompts) == 1 else None

    def _split_corrected(self, t: int) -> None:
        """Objects corrected on frame t leave their batch for a bank of their own (their rows of its memory), so
        that the correction conditions their memory only; the correction's box (the mask's box; for clicks, the
        current box grown to take in the positive clicks) becomes their Mspec box."""
        groups = []
        for g in self.groups:
            fixed = [i for i, p in enumerate(g.prompts) if t in self.corrections.get(p.obj_id, {})]
            if not fixed or not self._started(g, t) or t == g.frame:
                groups.append(g)
                continue
            rest = [i for i in range(len(g.prompts)) if i not in fixed]
            groups += ([g.take(rest)] if rest else []) + [g.take([i]) for i in fixed]
        self.groups = groups
        for g in self.groups:
            prompt = self._cond(g, t)
            if prompt is None or t == g.frame:
                continue
            p = prompt[0]
            if p.box is not None or p.mask is not None:
                box = self._prompt_box(p)
            else:
                clicks = p.points[p.labels > 0]
                box = g.boxes[0]
                if len(clicks):
                    box = torch.cat(
                        [
                            torch.minimum(box[:2], clicks.min(0).values),
                            torch.maximum(box[2:], clicks.max(0).values + 1),
                        ]
                    )
            g.boxes, g.lost = box[None].float(), torch.zeros(1)

    def banks(self) -> list[MemoryBank]:
        """The memory banks tracking reads: the amodal ones, or the modal tracker's with the adapters bypassed."""
        return [g.amodal if self.adapters else g.visible for g in self.groups]

    def _track(self, group: Group, bank: MemoryBank, feats, t: int) -> dict:
        prompts = self._cond(group, t)
        points = masks = None
        if prompts is not None:
            device = feats.top_features.device
            inputs = group.inputs if t == group.frame else prompt_inputs(prompts)
            if "mask" in inputs:
                masks = inputs["mask"].to(device)
                if group.crops is not None:
                    masks = crop_masks(masks, group.crops.to(device), self.size)
                masks = masks.float()[:, None]
            else:
                points = {k: v.to(device) for k, v in inputs.items()}
                if group.crops is not None:
                    points["point_coords"] = points_to_crop(
                        points["point_coords"], group.crops.to(device), self.size
                    )
        elif not self.memory:
            # without memory a later frame is segmented like a prompt frame, from its prior box
            device = feats.top_features.device
            points = {k: v.to(device) for k, v in box_prompt(group.spec.float()).items()}
        out = self.model.track_frame(
            t,
            feats,
            bank.memory if self.memory else new_memory(),
            is_cond=prompts is not None or not self.memory,
            num_frames=self.num_frames,
            point_inputs=points,
            mask_inputs=masks,
            reverse=self.reverse,
            run_mem_encoder=self.memory,
        )
        if self.memory:
            bank.add(t, out, prompts is not None, self.reverse)
        return out

    def flow_frames(self, image: torch.Tensor, frame: np.ndarray | None = None) -> tuple | None:
        """The frames that ``step`` reads from ``image`` for its flow: grey (motion.FlowFrame: the box flow's, the mask
        flow's or None) and, with ``box_tracker``, the BGR frame (else None); None without flow. A caller may make
        them ahead, in its prefetch thread, and pass them in; ``frame``: the picture of ``image`` as uint8 RGB where
        the caller has it at the same size (cheaper than undoing the normalisation)."""
        if self.flow is None:
            return None
        colour = None
        if self.looks is not None:
            colour = colour_frame(image, frame)
        if self.shape is None:
            return gray_frame(image), None, colour
        return (*gray_frames(image, MAX_SIDE, self.shape.settings.max_side), colour)

    @torch.inference_mode()
    def step(
        self, t: int, image: torch.Tensor, greys: tuple | None = None, upcoming: tuple | None = None
    ) -> list[ObjectStep]:
        """Track every started object on local frame ``t``; ``image`` is the normalised input [1, 3, S, S],
        ``greys`` its ``flow_frames`` where the caller made them, ``upcoming`` the next frame's (CSRT then follows
        the objects onto it in a worker thread while the model segments this frame; the next step must be on it)."""
        self._split_corrected(t)
        groups = [g for g in self.groups if self._started(g, t)]
        if not groups:
            return []
        tic = time.perf_counter()
        greys = greys or self.flow_frames(image)
        moved = self._move_boxes(t, greys, groups)
        colour = None if greys is None else greys[2]
        if colour is not None:
            self.looks.follow(t, colour, groups, moved)
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
            starting = [
                g for g in groups if g.frame == t and not g.has_mask and (g.needs_modal_box or second_pass)
            ]
            modal = self.model.encode(images, None) if (second_pass or starting) else None
            for g in starting:  # the prompt itself on the modal model, in a bank of its own
                modal_outs[id(g)] = self._track(g, MemoryBank(None), self._modal_for(modal, groups, g), t)
                if g.needs_modal_box:
                    mask = modal_outs[id(g)]["pred_masks_high_res"][:, 0] > 0
                    self._follow(g, next_boxes(mask.cpu(), g.spec)[0])
            if colour is not None:
                self.looks.start(t, colour, groups)
                if upcoming is not None:
                    self.looks.ahead(t, upcoming[2], groups)
            prior_boxes = torch.cat([g.spec for g in groups])
            specs = spec_from_box(prior_boxes, (self.size, self.size)).to(image.device)
            feats = self.model.encode(images.expand(len(prior_boxes), -1, -1, -1), specs)
            amodal_outs, offset = {}, 0
            for g in groups:
                n = len(g.prompts)
                amodal_outs[id(g)] = self._track(g, g.amodal, feats.take(slice(offset, offset + n)), t)
                offset += n
                # on a box-prompted frame (its first prompts, or a later box that corrects it): other views
                if self.views is not None and PromptViews.applies(prompts := self._cond(g, t)):
                    self.views.refine(g, prompts, image, amodal_outs[id(g)], t, self.num_frames)
            if second_pass:
                for g in groups:
                    if id(g) not in modal_outs:
                        modal_outs[id(g)] = self._visible(
                            g, self._modal_for(modal, groups, g), amodal_outs[id(g)], t
                        )
        if image.device.type == "cuda":
            torch.cuda.synchronize(image.device)
        self.model_seconds += time.perf_counter() - tic
        return self._collect(t, groups, amodal_outs, modal_outs, prior_boxes, moved)

    def _move_boxes(self, t: int, greys: tuple | None, groups: list[Group]) -> dict[int, tuple]:
        """With ``motion``: each started object's box moved by optical flow from the last step's frame to this one
        (with ``shape``, like its last mask where shape_flow.py trusts that move, else by motion.py's box flow),
        so its Mspec and crop are where the object is now; returns {id(group): (boxes, flow trusted, mask moves
        or None)}."""
        if greys is None:
            return {}
        (grey, fine, _), moved = greys, {}
        for g in groups:
            last, g.seen = g.seen, (t, grey, fine)  # kept in snapshots, so a restored sweep moves boxes alike
            if g.frame == t or last is None or abs(t - last[0]) != 1:
                continue
            before, moves = g.boxes, None
            if (
                self.shape is not None
                and g.shapes is not None
                and last[2] is not None
                and self._cond(g, t) is None
            ):
                moves = self.shape.moves(last[2], fine, g.shapes)  # each last mask moved with its pixels
            # box flow (corners inside each box) for the objects whose mask move is not trusted
            shaped = [m is not None for m in moves or [None] * len(before)]
            boxes, trusted = self.flow.move(last[1], grey, before, skip=shaped)
            g.boxes = torch.where(trusted[:, None], boxes.to(before.dtype), before)
            if moves is not None:
                g.boxes = self.shape.boxes(before, moves, g.boxes)
                trusted = trusted | torch.tensor(shaped)
            moved[id(g)] = (g.boxes, trusted, moves)  # g.boxes is replaced, never changed in place
        return moved

    def _images(self, image: torch.Tensor, groups: list[Group]) -> torch.Tensor:
        """The model input: the frame itself [1, 3, S, S], or each object's crop [N, 3, S, S] with search regions
        (each crop around the object's last box, grown while the object is lost)."""
        if self.search is None:
            return image
        for g in groups:
            grow = self.search.lost_growth ** g.lost.clamp(max=self.search.lost_frames)
            g.crops = square_crops(g.boxes, self.hw, self.size, self.search, grow)
        return crop_images(image, torch.cat([g.crops for g in groups]).to(image.device), self.size)

    def _modal_for(self, modal, groups: list[Group], group: Group):
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

    def _follow(self, group: Group, spec: torch.Tensor) -> None:
        """New Mspec boxes in model pixels -> the group's boxes (frame pixels with search regions)."""
        group.boxes = spec if group.crops is None else boxes_from_crop(spec, group.crops, self.size)

    def _visible(self, group: Group, modal, amodal_out: dict, t: int) -> dict:
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

    def _masks(self, groups, amodal_outs, moved) -> dict[int, torch.Tensor]:
        """Each group's chosen amodal logits [n, S, S]: the model's, after the mask rules (mask_rules.py) where on."""
        chosen = {id(g): amodal_outs[id(g)]["pred_masks_high_res"][:, 0] for g in groups}
        return chosen if self.rules is None else self.rules.choose(groups, chosen, moved)

    def _collect(self, t: int, groups, amodal_outs, modal_outs, prior_boxes, moved) -> list[ObjectStep]:
        steps, offset = [], 0
        chosen = self._masks(groups, amodal_outs, moved)
        unseen = set() if self.looks is None else self.looks.unseen
        for g in groups:
            out = amodal_outs[id(g)]
            logits = chosen[id(g)]
            scores = torch.sigmoid(out["object_score_logits"].float()).reshape(-1).tolist()
            ious = (
                out["ious"].float().amax(dim=1).tolist()
                if out.get("ious") is not None
                else [None] * len(scores)
            )
            visible = None
            if self.visible and self.adapters:  # the visible part lies inside the whole shape
                source = out if "visible_high_res" in out else modal_outs[id(g)]
                visible = torch.minimum(
                    source.get("visible_high_res", source["pred_masks_high_res"])[:, 0], logits
                )
            crops = g.crops
            gone = torch.zeros(len(g.prompts), dtype=torch.bool)
            if self.adapters or crops is not None:  # the box the next Mspec or crop is made from
                spec, found = next_boxes((logits > 0).cpu(), g.spec)
                self._follow(g, spec)
                if self.exits is not None:  # objects that slid out through the border are reported absent
                    seen = torch.tensor([p.obj_id not in unseen for p in g.prompts])
                    gone = self.exits.step(g, g.boxes, found & seen, self.hw, self._cond(g, t) is not None)
                if id(g) in moved:
                    # a predicted box that disagrees with the flow does not make the next prior
                    flow_boxes, trusted, _ = moved[id(g)]
                    refuse = trusted & found & (box_iou(g.boxes.float(), flow_boxes.float()) < self.agree)
                    g.boxes = torch.where(refuse[:, None], flow_boxes.to(g.boxes.dtype), g.boxes)
                g.lost = torch.where(found, torch.zeros_like(g.lost), g.lost + 1)
            for i, p in enumerate(g.prompts):
                prior = None if prior_boxes is None else prior_boxes[offset + i]
                vis = None if visible is None else visible[i]
                crop = None if crops is None else crops[i]
                step = ObjectStep(p.obj_id, logits[i], vis, scores[i], prior, crop, ious[i])
                steps.append(absent(step) if p.obj_id in unseen or gone[i] else step)
            offset += len(g.prompts)
        return steps
