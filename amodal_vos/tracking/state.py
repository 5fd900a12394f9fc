"""The predictor's state (predictor.py), as small typed objects instead of sam2's nested dicts.

- ``ObjectState``: one object's prompts, one per frame. Its first prompt frame splits the video: the forward sweep
  tracks it from there on (later prompts are corrections that condition its memory where they sit), the backward
  sweep from there back to the first frame.
- ``SweepState``: one direction's propagation: how far its results are current, the live ``Propagation`` (which
  holds the objects' memory banks), and a snapshot of that propagation after each frame (``checkpoints``), from
  which a correction on frame k restarts without recomputing frames before k. A live stream keeps the last two.
- ``PredictorState``: the video, the objects, both sweeps and the results per frame (RLE ``ObjectFrame``s; a live
  stream keeps only the last two frames, so memory stays flat however long it runs).
- ``FrameResult``: what ``propagate_in_video`` yields per frame; it unpacks like sam2's ``(frame_idx, obj_ids,
  masks)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from amodal_vos.io import rle
from amodal_vos.io.video import FrameSource, VideoInfo
from amodal_vos.tracking.groups import Group
from amodal_vos.tracking.prompts import Prompt
from amodal_vos.tracking.propagation import Propagation
from amodal_vos.tracking.result import ObjectFrame

NOTHING = -(2**62)  # a sweep's ``valid`` before it has computed anything


@dataclass
class ObjectState:
    """One object: its prompts by frame (video frame indices)."""

    obj_id: int
    prompts: dict[int, Prompt] = field(default_factory=dict)

    @property
    def cond_frames(self) -> list[int]:
        """The frames the object is prompted on (its conditioning frames), in order."""
        return sorted(self.prompts)

    @property
    def first_frame(self) -> int:
        return min(self.prompts)


@dataclass
class SweepState:
    """One direction of tracking. Frames are compared by ``key`` (t forwards, -t backwards): results of frames
    with ``key(t) < valid`` are current; ``propagation`` steps frame ``position`` next."""

    reverse: bool
    valid: int = NOTHING
    propagation: Propagation | None = None
    position: int | None = None
    checkpoints: dict[int, list[Group]] = field(default_factory=dict)  # frame -> snapshot after that frame
    # (frame, model input) pairs of the video in this direction, prefetched; the next one is ``read_next``
    reader: Iterator[tuple[np.ndarray, torch.Tensor]] | None = None
    read_next: int | None = None

    def key(self, t: int) -> int:
        return -t if self.reverse else t

    def invalidate(self, t: int) -> None:
        """Frame t and all after it (in this direction) must be computed again; the propagation restarts."""
        self.valid = min(self.valid, self.key(t))
        self.checkpoints = {f: c for f, c in self.checkpoints.items() if self.key(f) < self.key(t)}
        self.propagation = self.position = None

    def reset(self) -> None:
        self.valid, self.checkpoints = NOTHING, {}
        self.propagation = self.position = self.reader = self.read_next = None


@dataclass
class PredictorState:
    """Everything ``init_state`` sets up and the other calls change. ``end`` is None for a live stream."""

    info: VideoInfo
    start: int
    end: int | None
    source: FrameSource | None = None  # a file, folder or array (random access)
    live: object | None = None  # a LiveFrames (io/live.py): frames pushed one at a time
    objects: dict[int, ObjectState] = field(default_factory=dict)
    frames: dict[int, dict[int, ObjectFrame]] = field(default_factory=dict)  # frame -> obj_id -> result
    forward: SweepState = field(default_factory=lambda: SweepState(False))
    backward: SweepState = field(default_factory=lambda: SweepState(True))
    last_yielded: int | None = None  # live input: the latest frame ``propagate_in_video`` gave
    keep_memory: bool = (
        True  # a snapshot after every frame (corrections anywhere restart at once); else the last two
    )

    @property
    def is_live(self) -> bool:
        return self.live is not None

    @property
    def obj_ids(self) -> list[int]:
        return list(self.objects)


@dataclass
class FrameResult:
    """One frame's objects: amodal (whole shape), visible and occluded masks [N, H, W] bool at frame size, and per
    object its hidden share, presence score, SAM-2's predicted IoU and amodal box (x, y, w, h; None: empty mask).
    ``for frame_idx, obj_ids, masks in predictor.propagate_in_video(state)`` works as with sam2 (masks = amodal,
    boolean [N, H, W] instead of sam2's logits [N, 1, H, W])."""

    frame_idx: int
    obj_ids: list[int]
    amodal: np.ndarray
    visible: np.ndarray | None
    occlusion: list[float | None]
    scores: list[float]
    ious: list[float | None]
    boxes: list[list[float] | None]

    @property
    def occluded(self) -> np.ndarray | None:
        """The hidden parts: amodal and not visible (None without a visible pass)."""
        return None if self.visible is None else self.amodal & ~self.visible

    def __iter__(self) -> Iterator:
        return iter((self.frame_idx, self.obj_ids, self.amodal))

    @classmethod
    def build(
        cls,
        frame_idx: int,
        ids: list[int],
        objects: dict[int, ObjectFrame],
        hw: tuple[int, int],
        arrays: dict[int, tuple] | None = None,
    ) -> FrameResult:
        """From the frame's ObjectFrames; ``arrays`` (obj_id -> (amodal, visible)) spares decoding fresh masks."""
        ids = [i for i in ids if i in objects]
        arrays = arrays or {}
        pairs = [arrays.get(i) or (rle.decode(objects[i].amodal), _decode(objects[i].visible)) for i in ids]
        amodal = np.stack([a for a, _ in pairs]) if ids else np.zeros((0, *hw), bool)
        has_visible = bool(ids) and all(v is not None for _, v in pairs)
        visible = np.stack([v for _, v in pairs]) if has_visible else None
        entries = [objects[i] for i in ids]
        return cls(
            frame_idx,
            ids,
            amodal,
            visible,
            [e.occlusion for e in entries],
            [e.score for e in entries],
            [e.iou for e in entries],
            [e.box for e in entries],
        )


def _decode(entry: dict | None) -> np.ndarray | None:
    return None if entry is None else rle.decode(entry)
