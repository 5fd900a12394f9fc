"""COCO instance annotations of a tracking result, with the amodal datasets' extra fields.

One JSON that pycocotools ``COCO(path)`` and supervision ``DetectionDataset.from_coco(images_dir, path)`` load:

    images: one per tracked frame, {"id", "file_name": "00017.jpg" (video frame index), "width", "height",
            "frame_index"}; ``amodal-vos convert`` writes the JPEGs into ``images/`` next to the JSON.
    annotations: one per object and frame where the object is present (amodal mask not empty):
        {"id", "image_id", "category_id", "iscrowd": 0,
         "track_id": int,                 # the object id, the same on every frame
         "score": float,                  # presence probability
         "iou": float | null,             # the model's predicted IoU of the mask (null in older masks files)
         "segmentation": RLE,             # AMODAL mask (whole shape), COCO RLE, counts a str
         "bbox": [x, y, w, h],            # amodal box
         "area": int,                     # amodal area in pixels
         "visible_segmentation": RLE,     # VISIBLE (modal) mask, as in the amodal datasets (KINS' inmodal mask,
                                          #   COCOA's visible mask); null when tracked without the visible pass
         "visible_bbox": [x, y, w, h] | null,   # null also when nothing of the object is visible
         "visible_area": int | null,
         "occlude_rate": float | null}    # hidden share of the amodal mask (COCOA's name)
    categories: [{"id": 1, "name": "object", "supercategory": "object"}] or one per label (formats/__init__.py)

Tools that only know COCO read the amodal mask and box; the visible ones are extra fields they ignore.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from amodal_vos.errors import UserError
from amodal_vos.io import rle
from amodal_vos.io.formats.common import categories, frames, present, xywh

if TYPE_CHECKING:
    from amodal_vos.io.video import FrameSource
    from amodal_vos.tracking.result import TrackResult


def file_name(index: int) -> str:
    return f"{index:05d}.jpg"


def to_coco(result: TrackResult, labels: dict[int, str] | None = None) -> dict:
    """The COCO document (module docstring) of a result."""
    cats, cat_of = categories(result, labels)
    images, annotations = [], []
    for image_id, (index, frame) in enumerate(frames(result), start=1):
        w, h = result.video.width, result.video.height
        images.append(
            {"id": image_id, "file_name": file_name(index), "width": w, "height": h, "frame_index": index}
        )
        for obj_id in result.ids:
            entry = frame.get(obj_id)
            if not present(entry):
                continue
            vis = None if entry.visible is None else rle.decode(entry.visible)
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": cat_of[obj_id],
                    "iscrowd": 0,
                    "track_id": obj_id,
                    "score": float(entry.score),
                    "iou": entry.iou,
                    "segmentation": entry.amodal,
                    "bbox": list(entry.box),
                    "area": rle.area(entry.amodal),
                    "visible_segmentation": entry.visible,
                    "visible_bbox": None if vis is None else xywh(vis),
                    "visible_area": None if vis is None else int(vis.sum()),
                    "occlude_rate": entry.occlusion,
                }
            )
    info = {"description": "amodal-vos tracking result", "video": result.video.path}
    return {"info": info, "images": images, "annotations": annotations, "categories": cats}


def frame_source(result: TrackResult, required: bool) -> FrameSource | None:
    """The result's video if it can be read and fits the masks; else None (a UserError when ``required``)."""
    source = None
    try:
        source = result.source
        why = f"{result.video.path} does not match the masks (frame size or count)"
        if source.info.hw != result.video.hw or source.info.num_frames < result.frame_indices.stop:
            source = None
    except (UserError, OSError) as err:
        why = str(err)
    if source is None and required:
        raise UserError(f"cannot write the frame images: {why}")
    return source


def write_images(result: TrackResult, source: FrameSource, folder: Path) -> None:
    """The tracked frames of ``source`` as JPEGs named as the COCO images."""
    written = 0
    for index, image in zip(result.frame_indices, source.frames(result.start, result.frame_indices.stop)):  # noqa: B905
        Image.fromarray(image).save(folder / file_name(index), quality=95)
        written += 1
    if written != len(result):
        raise UserError(
            f"{result.video.path}: only {written} of {len(result)} tracked frames could be decoded"
        )
