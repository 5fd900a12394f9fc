"""What a propagation sweep (propagation.py) works on: prompts in model space, per-object steps, and groups.

A group is the objects that share one batched memory bank: SAM-2 memory tensors are batched over objects, and all
entries of a bank must sit on the same frames, so objects prompted together (same frame, same prompt shape) are
tracked as one batch. ``Group.take`` cuts a group down to some of its objects (their rows of every bank entry): the
predictor uses it to give a corrected object a bank of its own, to drop a removed object, and to restart a sweep
from a saved state without changing the saved one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from amodal_vos.model.prior import mask_to_box
from amodal_vos.model.search import boxes_to_crop
from amodal_vos.tracking.memory import MemoryBank


@dataclass
class ModelPrompt:
    """A prompt in model-input pixels (frame pixels for search-region models): optional box (x0, y0, x1, y1),
    clicks [P, 2] with labels [P] (1 positive, 0 negative), or a mask [S, S] bool (frame-sized [H, W] for
    search-region models), taken as the object's whole (amodal) shape on that frame."""

    obj_id: int
    frame: int
    box: torch.Tensor | None
    points: torch.Tensor
    labels: torch.Tensor
    mask: torch.Tensor | None = None

    @property
    def key(self) -> tuple:
        """Objects whose prompts share this key can be batched in one memory bank."""
        return self.frame, self.box is not None, len(self.labels), self.mask is not None

    def point_inputs(self) -> tuple[torch.Tensor, torch.Tensor]:
        """SAM-2 point inputs: box corners (labels 2, 3) first, then the clicks."""
        coords, labels = self.points.reshape(-1, 2), self.labels.reshape(-1).int()
        if self.box is not None:
            coords = torch.cat([self.box.view(2, 2), coords])
            labels = torch.cat([torch.tensor([2, 3], dtype=torch.int32), labels])
        return coords, labels

    def mask_box(self) -> torch.Tensor:
        """The xyxy box of the mask prompt (pixel edges at integers, as model/prior.py)."""
        return mask_to_box(self.mask.cpu()[None])[0][0]


def prompt_inputs(prompts: Sequence[ModelPrompt]) -> dict:
    """The batched SAM-2 inputs of same-shaped prompts: {"mask": [n, S, S]} or point coords / labels."""
    if prompts[0].mask is not None:
        return {"mask": torch.stack([p.mask.bool() for p in prompts])}
    coords, labels = zip(*(p.point_inputs() for p in prompts), strict=True)
    return {"point_coords": torch.stack(coords), "point_labels": torch.stack(labels)}


@dataclass
class ObjectStep:
    """One object on one frame: amodal and visible mask logits [S, S] (model resolution), presence probability, the
    box (model pixels, before the 20% enlargement) its Mspec was made from (None when adapters are bypassed), with
    search regions the crop (frame pixels) the logits cover (None: the whole frame), and SAM-2's predicted IoU of
    the amodal mask."""

    obj_id: int
    amodal: torch.Tensor
    visible: torch.Tensor | None
    score: float
    prior_box: torch.Tensor | None
    crop: torch.Tensor | None = None
    iou: float | None = None


@dataclass
class Group:
    """Objects tracked as one batch: their initial prompts (one per object), memory banks and current boxes."""

    prompts: list[ModelPrompt]
    amodal: MemoryBank
    visible: MemoryBank  # the modal tracker's bank when the adapters are bypassed
    boxes: torch.Tensor  # [n, 4] current Mspec boxes (model pixels; frame pixels with search regions)
    inputs: dict = field(default_factory=dict)  # the initial prompts as SAM-2 inputs (``prompt_inputs``)
    crops: torch.Tensor | None = None  # [n, 4] this frame's crops (frame pixels) with search regions
    lost: torch.Tensor | None = None  # [n] frames since each object's mask was last non-empty
    size: int = 0
    # (frame, motion.FlowFrame, the finer FlowFrame of shape_flow or None) of the last step, where flow starts next
    seen: tuple | None = None
    # per object: (last step's chosen logits [S, S] numpy, their shape_flow.model_grid), for shape_flow
    shapes: list | None = None
    # per object: its box_tracker.Look (CSRT) or None, with ``box_tracker``
    looks: list | None = None
    # with ``exits`` (exits.py): [n, 2] widest width and height seen off the edges, [n] the edge each left by or -1
    extent: torch.Tensor | None = None
    gone: torch.Tensor | None = None

    @property
    def spec(self) -> torch.Tensor:
        """The current Mspec boxes in model pixels (of each object's crop with search regions)."""
        return self.boxes if self.crops is None else boxes_to_crop(self.boxes, self.crops, self.size)

    @property
    def frame(self) -> int:
        return self.prompts[0].frame

    @property
    def has_mask(self) -> bool:
        return self.prompts[0].mask is not None

    @property
    def needs_modal_box(self) -> bool:
        """Click-only prompts have no box for Mspec: it comes from the modal mask on the prompt frame."""
        return self.prompts[0].box is None and not self.has_mask

    def take(self, index: Sequence[int]) -> Group:
        """A new group of some of these objects (all of them: a copy that later steps of either leave alone)."""
        index, n = list(index), len(self.prompts)
        same = index == list(range(n))
        rows = torch.tensor(index, dtype=torch.long)

        def pick(value: torch.Tensor | None) -> torch.Tensor | None:
            return value if value is None or same else value[rows.to(value.device)]

        return Group(
            [self.prompts[i] for i in index],
            self.amodal.take(index, n),
            self.visible.take(index, n),
            pick(self.boxes),
            {key: pick(value) for key, value in self.inputs.items()},
            pick(self.crops),
            pick(self.lost),
            self.size,
            self.seen,
            None if self.shapes is None else [self.shapes[i] for i in index],
            None if self.looks is None else [self.looks[i] for i in index],
            pick(self.extent),
            pick(self.gone),
        )
