"""Prompts: which object to track, given on one frame as a box (x, y, w, h), clicks (x, y), both, or a mask, in frame
pixels.

``AmodalTracker.track`` takes one prompt per object; objects get ids 1, 2, ... in the order given unless they carry
their own. Prompts on different frames are fine: each object is tracked forwards from its prompt frame and backwards
to the first frame. The predictor (predictor.py) also takes several prompts per object on different frames
(``check_prompts(..., multiple=True)``): the later ones correct the track.
CLI text forms: ``X,Y,W,H[@FRAME]`` for a box, ``X,Y[:X,Y...][@FRAME]`` for one object's positive clicks and
``[ID=]X,Y[:X,Y...][@FRAME]`` for negative clicks on object ID (``parse_negative``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from amodal_vos.errors import UserError
from amodal_vos.io import rle
from amodal_vos.io.video import VideoInfo

MAX_OBJECTS = 255  # object ids are the pixel values of the palette PNGs


@dataclass(frozen=True)
class Prompt:
    """One object's prompt: ``box`` (x, y, w, h) and/or ``points`` ((x, y), ...) with ``labels`` (1 = on the
    object, 0 = not on it; default all 1), or ``mask`` (frame-sized, the object's whole shape; alone) on frame
    ``frame`` of the video."""

    frame: int = 0
    box: tuple[float, float, float, float] | None = None
    points: tuple[tuple[float, float], ...] = ()
    labels: tuple[int, ...] = field(default=())
    obj_id: int | None = None
    mask: np.ndarray | None = field(default=None, compare=False, repr=False)  # [H, W] bool: the whole shape

    def __post_init__(self) -> None:
        if self.box is not None:
            box = tuple(float(v) for v in self.box)
            if len(box) != 4:
                raise UserError(f"a box needs 4 numbers x, y, w, h; got {self.box!r}")
            object.__setattr__(self, "box", box)
        points = tuple((float(x), float(y)) for x, y in self.points)
        labels = tuple(int(v) for v in self.labels) if self.labels else (1,) * len(points)
        if len(labels) != len(points):
            raise UserError(f"{len(points)} points but {len(labels)} labels")
        if self.mask is not None:
            mask = np.asarray(self.mask).astype(bool)
            if mask.ndim != 2:
                raise UserError(f"a mask prompt must be one [H, W] mask, got shape {mask.shape}")
            if self.box is not None or points:
                raise UserError("a mask prompt takes no box or points (give them as another prompt)")
            object.__setattr__(self, "mask", mask)
        elif self.box is None and not points:
            raise UserError("a prompt needs a box, at least one point, or a mask")
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "frame", int(self.frame))

    @classmethod
    def from_box(cls, box: Sequence[float], frame: int = 0, obj_id: int | None = None) -> Prompt:
        return cls(frame=frame, box=tuple(box), obj_id=obj_id)

    @classmethod
    def from_points(
        cls,
        points: Sequence[Sequence[float]],
        labels: Sequence[int] = (),
        frame: int = 0,
        obj_id: int | None = None,
    ) -> Prompt:
        return cls(frame=frame, points=tuple(tuple(p) for p in points), labels=tuple(labels), obj_id=obj_id)

    @classmethod
    def from_mask(cls, mask: np.ndarray, frame: int = 0, obj_id: int | None = None) -> Prompt:
        return cls(frame=frame, mask=mask, obj_id=obj_id)

    def xyxy(self) -> np.ndarray | None:
        """The box as (x0, y0, x1, y1), or None."""
        if self.box is None:
            return None
        x, y, w, h = self.box
        return np.array([x, y, x + w, y + h], dtype=np.float32)

    def describe(self) -> str:
        parts = ["box " + ",".join(f"{v:g}" for v in self.box)] if self.box else []
        parts += [f"{len(self.points)} point(s)"] if self.points else []
        parts += ["mask"] if self.mask is not None else []
        return f"object {self.obj_id}: {' + '.join(parts)} on frame {self.frame}"

    def to_json(self) -> dict:
        """As in the masks JSON: frame, box, points, labels, and for a mask prompt "mask" (COCO RLE)."""
        doc = {
            "frame": self.frame,
            "box": list(self.box) if self.box else None,
            "points": [list(p) for p in self.points],
            "labels": list(self.labels),
        }
        if self.mask is not None:
            doc["mask"] = rle.encode(self.mask)
        return doc

    @classmethod
    def from_json(cls, obj_id: int, data: dict) -> Prompt:
        mask = data.get("mask")
        return cls(
            data["frame"],
            data.get("box"),
            tuple(map(tuple, data.get("points", ()))),
            tuple(data.get("labels", ())),
            obj_id,
            None if mask is None else rle.decode(mask),
        )


def _numbers(text: str, what: str, form: str) -> tuple[list[float], int | None]:
    body, at, frame = text.strip().partition("@")
    try:
        values = [float(v) for v in body.replace(":", ",").split(",")]
        index = int(frame) if at else None
    except ValueError:
        raise UserError(f"malformed {what} {text!r}: expected {form} with numbers") from None
    if not all(math.isfinite(v) for v in values):
        raise UserError(f"malformed {what} {text!r}: coordinates must be finite numbers")
    return values, index


def parse_box(text: str, frame: int = 0) -> Prompt:
    """``"X,Y,W,H"`` or ``"X,Y,W,H@FRAME"`` -> a box prompt (on ``frame`` unless the text names one)."""
    values, index = _numbers(text, "box", "X,Y,W,H[@FRAME]")
    if len(values) != 4:
        raise UserError(f"malformed box {text!r}: expected 4 numbers X,Y,W,H[@FRAME], got {len(values)}")
    return Prompt(frame=frame if index is None else index, box=tuple(values))


def parse_points(text: str, frame: int = 0) -> Prompt:
    """``"X,Y"``, ``"X1,Y1:X2,Y2"`` (several clicks on one object), optionally ``@FRAME`` -> a point prompt."""
    values, index = _numbers(text, "point", "X,Y[:X,Y...][@FRAME]")
    if len(values) % 2 or not values:
        raise UserError(f"malformed point {text!r}: expected X,Y pairs like 120,80 or 120,80:130,95")
    points = tuple(zip(values[0::2], values[1::2], strict=True))
    return Prompt(frame=frame if index is None else index, points=points)


def parse_negative(text: str, frame: int = 0) -> Prompt:
    """``"[ID=]X,Y[:X,Y...][@FRAME]"`` -> negative clicks (labels 0) on object ID (default 1)."""
    head, eq, body = text.partition("=")
    if not eq:
        head, body = "1", text
    try:
        obj_id = int(head)
    except ValueError:
        raise UserError(f"malformed negative point {text!r}: expected [ID=]X,Y[:X,Y...][@FRAME]") from None
    clicks = parse_points(body, frame)
    return Prompt(frame=clicks.frame, points=clicks.points, labels=(0,) * len(clicks.points), obj_id=obj_id)


def merge_prompts(prompts: Iterable[Prompt]) -> list[Prompt]:
    """One prompt per object and frame: clicks given separately for the same object and frame (e.g. negative clicks
    for a box) join the first prompt there, in order."""
    merged: dict[tuple, Prompt] = {}
    loose = []
    for p in prompts:
        if p.obj_id is None:
            loose.append(p)
            continue
        key = (p.obj_id, p.frame)
        if key not in merged:
            merged[key] = p
            continue
        first = merged[key]
        if first.mask is not None or p.mask is not None or (first.box is not None and p.box is not None):
            raise UserError(f"object {p.obj_id} has two boxes or masks on frame {p.frame}; give one")
        merged[key] = replace(
            first, box=first.box or p.box, points=first.points + p.points, labels=first.labels + p.labels
        )
    return list(merged.values()) + loose


def check_prompts(
    prompts: Iterable[Prompt],
    info: VideoInfo,
    start: int = 0,
    end: int | None = None,
    multiple: bool = False,
) -> list[Prompt]:
    """Give every prompt an object id and check it against the video: frame in range, box of finite, positive size
    that overlaps the frame, points inside the frame, mask of the frame's size and not empty. Returns the prompts
    with ids, boxes clipped to the frame. ``multiple``: an object may have several prompts, one per frame."""
    prompts = list(prompts)
    end = info.num_frames if end is None else end
    if not prompts:
        raise UserError("nothing to track: give at least one --box or --point")
    if not multiple and len(prompts) > MAX_OBJECTS:
        raise UserError(f"at most {MAX_OBJECTS} objects, got {len(prompts)}")
    used = {p.obj_id for p in prompts if p.obj_id is not None}
    free = (i for i in range(1, MAX_OBJECTS + 1) if i not in used)
    prompts = [p if p.obj_id is not None else replace(p, obj_id=next(free)) for p in prompts]
    ids = [p.obj_id for p in prompts]
    if not multiple and len(set(ids)) != len(ids):
        raise UserError(f"object ids must be unique (one prompt per object), got {ids}")
    pairs = [(p.obj_id, p.frame) for p in prompts]
    if multiple and len(set(pairs)) != len(pairs):
        twice = next(pair for pair in pairs if pairs.count(pair) > 1)
        raise UserError(
            f"object {twice[0]} has two prompts on frame {twice[1]}; give one per object and frame"
        )
    if len(set(ids)) > MAX_OBJECTS:
        raise UserError(f"at most {MAX_OBJECTS} objects, got {len(set(ids))}")
    w, h = info.width, info.height
    checked = []
    for p in prompts:
        if not 1 <= p.obj_id <= MAX_OBJECTS:
            raise UserError(f"object id {p.obj_id} out of range 1..{MAX_OBJECTS}")
        if p.frame >= end or p.frame >= info.num_frames:
            raise UserError(f"{p.describe()}: frame {p.frame} is beyond the end (frames {start}..{end - 1})")
        if p.frame < start:
            raise UserError(f"{p.describe()}: frame {p.frame} is before the first tracked frame {start}")
        if p.box is not None:
            if not all(math.isfinite(v) for v in p.box):
                raise UserError(f"{p.describe()}: box coordinates must be finite numbers")
            x, y, bw, bh = p.box
            if bw < 0 or bh < 0:
                raise UserError(f"{p.describe()}: the box has a negative size (w={bw:g}, h={bh:g})")
            if bw == 0 or bh == 0:
                raise UserError(f"{p.describe()}: the box has zero size (w={bw:g}, h={bh:g})")
            if x >= w or y >= h or x + bw <= 0 or y + bh <= 0:
                raise UserError(f"{p.describe()}: the box lies outside the {w}x{h} frame")
            x0, y0, x1, y1 = max(x, 0.0), max(y, 0.0), min(x + bw, float(w)), min(y + bh, float(h))
            if (x0, y0, x1 - x0, y1 - y0) != p.box:  # clipped to the frame: the box the model is given
                p = replace(p, box=(x0, y0, x1 - x0, y1 - y0))
        if p.mask is not None:
            if p.mask.shape != (h, w):
                raise UserError(
                    f"{p.describe()}: the mask is {p.mask.shape[1]}x{p.mask.shape[0]}, the video {w}x{h}"
                )
            if not p.mask.any():
                raise UserError(f"{p.describe()}: the mask is empty")
        for x, y in p.points:
            if not (math.isfinite(x) and math.isfinite(y) and 0 <= x < w and 0 <= y < h):
                raise UserError(f"{p.describe()}: point ({x:g}, {y:g}) lies outside the {w}x{h} frame")
        checked.append(p)
    prompts = checked
    return prompts
