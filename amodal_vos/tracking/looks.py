"""A sweep's appearance trackers (box_tracker.py's ``Look`` per object, kept in each ``Group.looks``): where CSRT's
box becomes the object's prior, where the object's own box stays it instead, and the next update in a worker thread.

Per step, before the crops are made, ``follow`` takes each object's box on this frame where its CSRT finds it: that
box becomes its prior and the box its prediction must agree with, unless CSRT has left the object: where its box
overlaps the object's own box (its last box moved by the flow) below ``LOOK_AGREE`` while that box moved with the
object's pixels (a trusted shape_flow move), or while the own box's colours are more like the object's in its prompt
box (likeness.py; on the look-alike fish CSRT's box was right on few such frames). There the own box stays the prior
on that frame and CSRT goes on, except where it stayed where it started while the object moved away (``STUCK``: it
learned something static inside the prompt box, an occluder): it starts again from the own box (docs/tracking.md,
"What the prior box costs"). An object whose CSRT finds nothing is reported absent on that frame (``unseen``) where
its box lies within ``HIDDEN_MARGIN`` px of the frame's border: it has most likely left, and a mask left after it has
gone mostly lies on another object or on the background. Deeper inside the frame it is taken as hidden behind
something and keeps its mask, from its box moved by the flow (docs/tracking.md, "An appearance tracker for the prior
box" and "Hidden or gone").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import torch

from amodal_vos.tracking.box_tracker import Look
from amodal_vos.tracking.exits import touching
from amodal_vos.tracking.likeness import colours, likeness
from amodal_vos.tracking.motion import box_iou

if TYPE_CHECKING:
    from amodal_vos.tracking.groups import Group

LOOK_AGREE = 0.5  # CSRT's box below this IoU with the object's own box has parted from it
HIDDEN_MARGIN = 8.0  # px: an object CSRT loses with its box further inside the frame is hidden, not gone
STUCK = 0.7  # CSRT's box overlapping the box it started from at this IoU stays where it started


class SweepLooks:
    """The looks of one sweep's objects; ``prompted(group)`` says whether the step's frame is a prompt frame of the
    group (there the prompt decides, and CSRT starts from it)."""

    def __init__(self, reverse: bool, prompted: Callable[[Group, int], bool]) -> None:
        self.reverse, self.prompted = reverse, prompted
        self.unseen: set[int] = set()  # objects CSRT did not find at the border on this step's frame: absent

    def follow(self, t: int, frame: np.ndarray, groups: list[Group], moved: dict) -> None:
        """Each object's box on frame ``t`` where its CSRT finds it (objects not prompted here, whose look saw the
        last frame), taken as its prior (``g.boxes``) and as the box its prediction must agree with (``moved``)."""
        self.unseen, last = set(), t + 1 if self.reverse else t - 1
        for g in groups:
            if self.prompted(g, t) or g.looks is None:
                continue
            boxes, found = g.boxes.clone(), torch.zeros(len(g.prompts), dtype=torch.bool)
            _, trusted, moves = moved.get(id(g), (None, found, None))
            # the objects whose last mask moved with its pixels (a trusted shape_flow move)
            shaped = [m is not None for m in moves or [None] * len(g.prompts)]
            for i, look in enumerate(g.looks):
                if look is None or look.frame != last:
                    continue
                box = look.update(frame, t)
                left = None if box is None else parted(look, frame, box, g.boxes[i].float(), shaped[i])
                if left == "stuck":  # CSRT stayed on something static where it started: it starts again
                    g.looks[i] = start_look(look, frame, g.boxes[i].tolist(), t)
                if left is not None:
                    continue  # the object's own box stays its prior on this frame
                if box is None:
                    # lost at the border: gone; deeper inside the frame: hidden, and it keeps its mask
                    if touching(g.boxes[i : i + 1].float(), frame.shape[:2], HIDDEN_MARGIN).any():
                        self.unseen.add(g.prompts[i].obj_id)
                else:
                    boxes[i], found[i] = box.to(boxes.dtype), True
            if found.any():
                g.boxes = boxes
                moved[id(g)] = (boxes, trusted | found, moves)

    def start(self, t: int, frame: np.ndarray, groups: list[Group]) -> None:
        """CSRT starts from the prompt box on a prompt frame (a correcting box's frame too), and from the prior box
        where an object has no look that saw this frame (its box was too small, or a restored sweep's look has
        gone on since its snapshot)."""
        for g in groups:
            prompted = self.prompted(g, t)
            looks = g.looks or [None] * len(g.prompts)
            g.looks = [
                look
                if not prompted and look is not None and look.frame == t
                else start_look(None if prompted else look, frame, g.boxes[i].tolist(), t)
                for i, look in enumerate(looks)
            ]

    def ahead(self, t: int, frame: np.ndarray, groups: list[Group]) -> None:
        """Each look that saw frame ``t`` starts its update on the next frame (``frame``) in the worker thread."""
        following = t - 1 if self.reverse else t + 1
        for g in groups:
            for look in g.looks or []:
                if look is not None and look.frame == t:
                    look.ahead(frame, following)


def start_look(look: Look | None, frame: np.ndarray, box: list[float], t: int) -> Look | None:
    """A new CSRT from ``box`` on ``frame`` (None for a box too small to follow), with the object's colours kept from
    its earlier ``look``, or taken from this box where there is none (a prompt)."""
    new = Look.start(frame, box, t)
    if new is not None:
        kept = None if look is None else look.colours
        new.colours = colours(frame, box) if kept is None else kept
    return new


def parted(look: Look, frame: np.ndarray, box: torch.Tensor, own: torch.Tensor, shaped: bool) -> str | None:
    """Whether CSRT's ``box`` has left the object, parting from the object's own box (IoU below ``LOOK_AGREE``):
    "left" where the own box moved with the object's pixels (``shaped``) or its colours are more like the object's;
    "stuck" where, with ``shaped``, CSRT also stays where it started while the own box has moved away from there (it
    learned something static); None where CSRT's box stands."""
    if float(box_iou(box[None], own[None])[0]) >= LOOK_AGREE:
        return None
    if shaped:
        start = look.origin
        away = start is not None and box_iou(own[None], start[None])[0] < LOOK_AGREE
        return "stuck" if away and box_iou(box[None], start[None])[0] >= STUCK else "left"
    if look.colours is not None and likeness(look.colours, frame, own.tolist()) > likeness(
        look.colours, frame, box.tolist()
    ):
        return "left"
    return None
