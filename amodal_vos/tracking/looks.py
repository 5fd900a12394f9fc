"""A sweep's appearance trackers (box_tracker.py's ``Look`` per object, kept in each ``Group.looks``): where CSRT's
box becomes the object's prior, where it starts again, and its next update started in a worker thread.

Per step, before the crops are made, ``follow`` takes each object's box on this frame where its CSRT finds it: that
box becomes its prior and the box its prediction must agree with. Where the object's last mask moved with its own
pixels (a trusted shape_flow move) overlaps CSRT's box at IoU below ``LOOK_AGREE``, CSRT learned something static
inside the prompt box (an occluder): the moved box is kept and CSRT starts again from it. An object whose CSRT finds
nothing is reported absent on that frame (``unseen``) where its box lies within ``HIDDEN_MARGIN`` px of the frame's
border: it has most likely left, and a mask left after it has gone mostly lies on another object or on the
background. Deeper inside the frame it is taken as hidden behind something and keeps its mask, from its box moved by
the flow (docs/tracking.md, "An appearance tracker for the prior box" and "Hidden or gone").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import torch

from amodal_vos.tracking.box_tracker import Look
from amodal_vos.tracking.exits import touching
from amodal_vos.tracking.motion import box_iou

if TYPE_CHECKING:
    from amodal_vos.tracking.groups import Group

LOOK_AGREE = 0.5  # a CSRT box below this IoU with the object's mask moved by its own pixels is not taken
HIDDEN_MARGIN = 8.0  # px: an object CSRT loses with its box further inside the frame is hidden, not gone


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
                if (
                    box is not None
                    and shaped[i]
                    and box_iou(box[None], g.boxes[i : i + 1].float())[0] < LOOK_AGREE
                ):
                    # CSRT left the pixels of the object's last mask: it starts again where those pixels went
                    g.looks[i] = Look.start(frame, g.boxes[i].tolist(), t)
                    continue
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
                Look.start(frame, g.boxes[i].tolist(), t)
                if prompted or look is None or look.frame != t
                else look
                for i, look in enumerate(looks)
            ]

    def ahead(self, t: int, frame: np.ndarray, groups: list[Group]) -> None:
        """Each look that saw frame ``t`` starts its update on the next frame (``frame``) in the worker thread."""
        following = t - 1 if self.reverse else t + 1
        for g in groups:
            for look in g.looks or []:
                if look is not None and look.frame == t:
                    look.ahead(frame, following)
