"""MOT Challenge text of a tracking result: one line per object and frame where the object is present,

    frame,id,x,y,w,h,conf,class,visibility

frame = video frame index + 1 (MOT counts from 1), id = object id, x,y,w,h = amodal box (whole shape, as MOT
ground truth boxes include hidden parts), conf = presence score, class = category id, visibility = 1 - occlusion
rate (MOT17's visibility ratio; -1 when tracked without the visible pass). Sorted by frame, then id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from amodal_vos.io.formats.common import categories, frames, present

if TYPE_CHECKING:
    from amodal_vos.tracking.result import TrackResult


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def to_mot(result: TrackResult, labels: dict[int, str] | None = None) -> list[str]:
    """The MOT lines (module docstring), without line ends."""
    _, cat_of = categories(result, labels)
    lines = []
    for index, frame in frames(result):
        for obj_id in result.ids:
            entry = frame.get(obj_id)
            if not present(entry):
                continue
            vis = -1.0 if entry.occlusion is None else 1.0 - entry.occlusion
            box = ",".join(_num(v) for v in entry.box)
            lines.append(f"{index + 1},{obj_id},{box},{entry.score:.4f},{cat_of[obj_id]},{vis:.4f}")
    return lines
