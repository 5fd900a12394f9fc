"""Convert a masks JSON (``TrackResult``) into the formats other tools read: ``amodal-vos convert``.

An object is *present* on a frame when its amodal mask there is not empty; frames are named by their video frame
index (``00017.jpg`` / ``00017.png``; MOT counts from 1, so frame 17 is line frame 18). Category: every object is
category 1, "object", unless the masks JSON's ``objects`` entries carry a ``"label"`` (or ``"category"``) string;
then each distinct label is a category, numbered from 1 in order of first appearance.

coco (one JSON; pycocotools ``COCO(path)`` and supervision ``DetectionDataset.from_coco`` load it)
    images: one per tracked frame, {"id", "file_name": "00017.jpg", "width", "height", "frame_index"}; the JPEGs
    are written to ``images/`` next to the JSON (``images_directory_path`` for supervision).
    annotations: one per present object and frame, {"id", "image_id", "category_id", "iscrowd": 0,
    "track_id": object id, "score": presence probability,
    "segmentation": amodal mask (COCO RLE, counts a str), "bbox": amodal box [x, y, w, h], "area": amodal area,
    "visible_segmentation": visible (modal) mask RLE, "visible_bbox": its box (null when nothing is visible),
    "visible_area", "occlude_rate": hidden share of the amodal mask}. The visible fields follow the amodal
    datasets (KINS' inmodal / COCOA's visible mask); they are null when tracking ran without the visible pass.
ytvis (YouTube-VIS video JSON)
    {"videos": [{"id": 1, "width", "height", "length", "file_names"}], "categories": [...], "annotations": [one per
    object: {"id", "video_id": 1, "track_id", "category_id", "iscrowd": 0, "score", "height", "width", "length",
    "segmentations": [RLE | null per frame], "bboxes": [[x, y, w, h] | null], "areas": [int | null]}]}.
    Amodal masks by default, visible masks with ``visible=True`` (then null where nothing of the object is visible).
mot (MOT Challenge txt)
    one line per present object and frame, ``frame,id,x,y,w,h,conf,class,visibility``: 1-based frame, amodal box,
    conf = presence score, class = category id, visibility = 1 - occlusion rate (MOT17's visibility ratio; -1
    when tracking ran without the visible pass).
davis (DAVIS palette PNGs, folder)
    ``visible/00017.png``: label map of the visible masks, pixel value = object id, 0 = background; each pixel has
    at most one object: where visible masks overlap, the object with the larger visible area on that frame keeps
    the pixel (equal areas: the object listed first). ``amodal/001/00017.png``: object 1's amodal mask with value
    = its id, one folder per object since amodal masks overlap; every tracked frame has a PNG in every folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from amodal_vos.errors import UserError
from amodal_vos.io import masks_json, rle
from amodal_vos.io.atomic import check_output, commit, discard, temp_path
from amodal_vos.io.frame_masks import mask_box
from amodal_vos.io.palette import save_label_png

if TYPE_CHECKING:
    from amodal_vos.tracking.result import ObjectFrame, TrackResult

FORMATS = ("coco", "ytvis", "mot", "davis")


def load(path: str | Path) -> tuple[TrackResult, dict[int, str]]:
    """A masks JSON as (TrackResult, {object id: label} for objects that carry a label); bad files: UserError."""
    from amodal_vos.tracking.result import TrackResult

    doc = masks_json.read(path)
    try:
        result = TrackResult.load(path)
        labels = {}
        for o in doc["objects"]:
            label = o.get("label", o.get("category"))
            if label is not None:
                labels[int(o["id"])] = str(label)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise UserError(
            f"{path} is not a valid amodal-vos masks file ({type(err).__name__}: {err})"
        ) from None
    return result, labels


def categories(
    result: TrackResult, labels: dict[int, str] | None = None
) -> tuple[list[dict], dict[int, int]]:
    """(COCO categories, {object id: category id}): "object" = 1 for every object without a label."""
    names: list[str] = []
    for obj_id in result.ids:
        name = (labels or {}).get(obj_id, "object")
        if name not in names:
            names.append(name)
    cats = [{"id": k + 1, "name": name, "supercategory": "object"} for k, name in enumerate(names)]
    return cats, {i: names.index((labels or {}).get(i, "object")) + 1 for i in result.ids}


def present(entry: ObjectFrame | None) -> bool:
    return entry is not None and entry.box is not None


def _xywh(mask: np.ndarray) -> list[int] | None:
    box = mask_box(mask)
    return None if box is None else [box[0], box[1], box[2] - box[0], box[3] - box[1]]


def _frames(result: TrackResult) -> Iterator[tuple[int, dict]]:
    return zip(result.frame_indices, result.frames, strict=True)


def to_coco(result: TrackResult, labels: dict[int, str] | None = None) -> dict:
    """The COCO document (module docstring) of a result."""
    cats, cat_of = categories(result, labels)
    images, annotations = [], []
    for image_id, (index, frame) in enumerate(_frames(result), start=1):
        images.append(
            {
                "id": image_id,
                "file_name": f"{index:05d}.jpg",
                "width": result.video.width,
                "height": result.video.height,
                "frame_index": index,
            }
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
                    "segmentation": entry.amodal,
                    "bbox": list(entry.box),
                    "area": rle.area(entry.amodal),
                    "visible_segmentation": entry.visible,
                    "visible_bbox": None if vis is None else _xywh(vis),
                    "visible_area": None if vis is None else int(vis.sum()),
                    "occlude_rate": entry.occlusion,
                }
            )
    info = {"description": "amodal-vos tracking result", "video": result.video.path}
    return {"info": info, "images": images, "annotations": annotations, "categories": cats}


def to_ytvis(result: TrackResult, labels: dict[int, str] | None = None, visible: bool = False) -> dict:
    """The YouTube-VIS document (module docstring): amodal masks, or visible ones with ``visible``."""
    cats, cat_of = categories(result, labels)
    width, height = result.video.width, result.video.height
    name = Path(result.video.path).stem or "video"
    video = {"id": 1, "width": width, "height": height, "length": len(result)}
    video["file_names"] = [f"{name}/{index:05d}.jpg" for index in result.frame_indices]
    annotations = []
    for obj_id in result.ids:
        segs, boxes, areas, scores = [], [], [], []
        for frame in result.frames:
            entry = frame.get(obj_id)
            seg = box = None
            if present(entry):
                scores.append(float(entry.score))
                if not visible:
                    seg, box = entry.amodal, list(entry.box)
                elif entry.visible is None:
                    raise UserError("the masks file has no visible masks (tracked with --no-visible)")
                else:
                    box = _xywh(rle.decode(entry.visible))
                    seg = None if box is None else entry.visible
            segs.append(seg)
            boxes.append(box)
            areas.append(None if seg is None else rle.area(seg))
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
                "areas": areas,
            }
        )
    info = {"description": "amodal-vos tracking result", "masks": "visible" if visible else "amodal"}
    return {"info": info, "videos": [video], "annotations": annotations, "categories": cats}


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def to_mot(result: TrackResult, labels: dict[int, str] | None = None) -> list[str]:
    """MOT Challenge lines ``frame,id,x,y,w,h,conf,class,visibility`` (module docstring), by frame then id."""
    _, cat_of = categories(result, labels)
    lines = []
    for index, frame in _frames(result):
        for obj_id in result.ids:
            entry = frame.get(obj_id)
            if not present(entry):
                continue
            vis = -1.0 if entry.occlusion is None else 1.0 - entry.occlusion
            box = ",".join(_num(v) for v in entry.box)
            lines.append(f"{index + 1},{obj_id},{box},{entry.score:.4f},{cat_of[obj_id]},{vis:.4f}")
    return lines


def visible_label_map(visible: np.ndarray, ids: list[int]) -> np.ndarray:
    """[N, H, W] visible masks -> [H, W] uint8 ids; overlaps go to the larger visible mask (equal: first id)."""
    areas = visible.reshape(len(ids), -1).sum(1)
    labels = np.zeros(visible.shape[1:], np.uint8)
    for k in sorted(range(len(ids)), key=lambda k: (areas[k], -k)):  # the winner is painted last
        labels[visible[k]] = ids[k]
    return labels


# -- writing: every output under a temporary name, renamed into place when complete --------------------------------


def _write_text(path: Path, text: str) -> Path:
    temp = temp_path(path)
    try:
        temp.write_text(text)
    except OSError as err:
        discard(temp)
        raise UserError(f"cannot write {path}: {err.strerror or err}") from None
    return commit(temp, path)


def _write_folder(path: Path, fill) -> Path:
    temp = temp_path(path)
    discard(temp)
    try:
        temp.mkdir(parents=True)
        fill(temp)
    except OSError as err:
        discard(temp)
        raise UserError(f"cannot write {path}: {err.strerror or err}") from None
    except BaseException:
        discard(temp)
        raise
    return commit(temp, path)


def write_davis(result: TrackResult, folder: Path) -> None:
    """The DAVIS PNGs (module docstring) into ``folder``; no ``visible/`` without visible masks."""
    for index in result.frame_indices:
        masks = result.masks(index)
        name = f"{index:05d}.png"
        for obj_id in result.ids:
            sub = folder / "amodal" / f"{obj_id:03d}"
            sub.mkdir(parents=True, exist_ok=True)
            mask = masks.amodal[masks.ids.index(obj_id)] if obj_id in masks.ids else None
            save_label_png(
                np.zeros(result.video.hw, np.uint8) if mask is None else mask * np.uint8(obj_id), sub / name
            )
        if masks.visible is not None:
            (folder / "visible").mkdir(exist_ok=True)
            save_label_png(visible_label_map(masks.visible, masks.ids), folder / "visible" / name)


def frame_source(result: TrackResult, required: bool):
    """The result's video if it can be read and fits the masks; else None (a UserError when ``required``)."""
    try:
        source = result.source
        ok = source.info.hw == result.video.hw and source.info.num_frames >= result.frame_indices.stop
        why = f"{result.video.path} does not match the masks (size or frame count)"
    except (UserError, OSError) as err:
        ok, why = False, str(err)
    if not ok and required:
        raise UserError(f"cannot write the frame images: {why}")
    return source if ok else None


def write_images(result: TrackResult, source, folder: Path) -> None:
    """The tracked frames of ``source`` as ``folder/00017.jpg`` (the names of the COCO images)."""
    frames = source.frames(result.start, result.frame_indices.stop)
    written = 0
    for index, image in zip(result.frame_indices, frames, strict=False):
        Image.fromarray(image).save(folder / f"{index:05d}.jpg", quality=95)
        written += 1
    if written != len(result):
        raise UserError(
            f"{result.video.path}: only {written} of {len(result)} tracked frames could be decoded"
        )


def convert(
    masks: str | Path,
    to: str,
    out: str | Path,
    force: bool = False,
    visible: bool = False,
    images: bool | None = None,
) -> list[str]:
    """Convert the masks JSON ``masks`` to format ``to`` at ``out``; ``images``: write the frames as JPEGs for
    coco (None: when the video is readable). Returns one line per thing written."""
    to, out = str(to).lower(), Path(out)
    if to not in FORMATS:
        raise UserError(f"unknown format {to!r} (formats: {', '.join(FORMATS)})")
    if visible and to != "ytvis":
        raise UserError("--visible applies to --to ytvis only")
    if images and to != "coco":
        raise UserError("--images applies to --to coco only")
    result, labels = load(masks)
    check_output(out, force, kind="folder" if to == "davis" else "file")
    if to == "davis":
        _write_folder(out, lambda folder: write_davis(result, folder))
        return [f"wrote {out} (DAVIS PNGs, {len(result)} frames, {len(result.ids)} objects)"]
    if to == "mot":
        lines = to_mot(result, labels)
        _write_text(out, "".join(line + "\n" for line in lines))
        return [f"wrote {out} (MOT, {len(lines)} boxes)"]
    if to == "ytvis":
        doc = to_ytvis(result, labels, visible)
        _write_text(out, json.dumps(doc, separators=(",", ":")))
        return [
            f"wrote {out} (YouTube-VIS, {len(doc['annotations'])} tracks, {'visible' if visible else 'amodal'})"
        ]
    doc = to_coco(result, labels)
    done = []
    source = None if images is False else frame_source(result, required=bool(images))
    if source is not None:
        image_dir = check_output(out.parent / "images", force, kind="folder")
        _write_folder(image_dir, lambda folder: write_images(result, source, folder))
        done.append(f"wrote {image_dir} ({len(result)} JPEG frames)")
    _write_text(out, json.dumps(doc, separators=(",", ":")))
    done.insert(0, f"wrote {out} (COCO, {len(doc['images'])} images, {len(doc['annotations'])} annotations)")
    if source is None and images is None:
        done.append(
            f"no frame images: the video {result.video.path} is not readable (pass --images to insist)"
        )
    return done
