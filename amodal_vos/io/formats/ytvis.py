"""YouTube-VIS video annotations of a tracking result (one video, one annotation per object):

    {"info": {..., "masks": "amodal" | "visible"},
     "videos": [{"id": 1, "width", "height", "length", "file_names": ["<video stem>/00017.jpg", ...]}],
     "annotations": [{"id": object id, "video_id": 1, "track_id": object id, "category_id", "iscrowd": 0,
                      "score": mean presence score over the frames it is present on, "height", "width", "length",
                      "ious": [predicted IoU | null per tracked frame],
                      "segmentations": [RLE | null per tracked frame],   # COCO RLE, counts a str
                      "bboxes": [[x, y, w, h] | null], "areas": [int | null]}],
     "categories": [{"id": 1, "name": "object", ...}]}

Amodal masks by default (null where the object is absent); ``visible=True`` gives the visible masks (null where
nothing of the object is visible).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from amodal_vos.errors import UserError
from amodal_vos.io import rle
from amodal_vos.io.formats.common import categories, present, xywh

if TYPE_CHECKING:
    from amodal_vos.tracking.result import TrackResult


def to_ytvis(result: TrackResult, labels: dict[int, str] | None = None, visible: bool = False) -> dict:
    """The YouTube-VIS document (module docstring): amodal masks, or visible ones with ``visible``."""
    cats, cat_of = categories(result, labels)
    width, height = result.video.width, result.video.height
    name = Path(result.video.path).stem or "video"
    video = {"id": 1, "width": width, "height": height, "length": len(result)}
    video["file_names"] = [f"{name}/{index:05d}.jpg" for index in result.frame_indices]
    annotations = []
    for obj_id in result.ids:
        segs, boxes, scores, ious = [], [], [], []
        for frame in result.frames:
            entry = frame.get(obj_id)
            seg = box = None
            if present(entry):
                scores.append(float(entry.score))
                if not visible:
                    seg, box = entry.amodal, list(entry.box)
                elif entry.visible is None:
                    raise UserError("the masks file has no visible masks (it was tracked with --no-visible)")
                else:
                    box = xywh(rle.decode(entry.visible))
                    seg = None if box is None else entry.visible
            segs.append(seg)
            boxes.append(box)
            ious.append(None if seg is None else entry.iou)
        annotations.append(
            {
                "id": obj_id,
                "video_id": 1,
                "track_id": obj_id,
                "category_id": cat_of[obj_id],
                "iscrowd": 0,
                "score": float(np.mean(scores)) if scores else 0.0,
                "height": height,
                "width": width,
                "length": len(result),
                "segmentations": segs,
                "bboxes": boxes,
                "areas": [None if s is None else rle.area(s) for s in segs],
                "ious": ious,
            }
        )
    info = {"description": "amodal-vos tracking result", "masks": "visible" if visible else "amodal"}
    return {"info": info, "videos": [video], "annotations": annotations, "categories": cats}
