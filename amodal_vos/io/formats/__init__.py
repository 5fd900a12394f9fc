"""Convert a masks JSON (``TrackResult``) into the formats other tools read; ``amodal-vos convert``.

    coco    one JSON (pycocotools / supervision), amodal ``segmentation`` + ``visible_segmentation``, and the
            frames as JPEGs in ``images/`` next to it (formats/coco.py)
    ytvis   YouTube-VIS video JSON, amodal masks or (``--visible``) visible ones (formats/ytvis.py)
    mot     MOT Challenge txt ``frame,id,x,y,w,h,conf,class,visibility`` (formats/mot.py)
    davis   folder of DAVIS palette PNGs, ``visible/`` label maps and ``amodal/<id>/`` masks (formats/davis.py)

Shared conventions: an object is *present* on a frame when its amodal mask there is not empty (COCO and MOT write
only present object-frames); frames are named by their video frame index (``00017.jpg``, ``00017.png``). Every
object is category 1, "object", unless the masks JSON's ``objects`` entries carry a ``"label"`` (or
``"category"``) string; then each distinct label is one category, numbered from 1 in order of first appearance.
Outputs are written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
from pathlib import Path

from amodal_vos.errors import UserError
from amodal_vos.io.atomic import check_output
from amodal_vos.io.formats.coco import frame_source, to_coco, write_images
from amodal_vos.io.formats.common import categories, load, present, write_folder, write_text
from amodal_vos.io.formats.davis import visible_label_map, write_davis
from amodal_vos.io.formats.mot import to_mot
from amodal_vos.io.formats.ytvis import to_ytvis

FORMATS = ("coco", "ytvis", "mot", "davis")
_EXPORT_NAMES = {
    "coco": ".coco/annotations.json",
    "ytvis": ".ytvis.json",
    "mot": ".mot.txt",
    "davis": ".davis",
}

__all__ = [
    "FORMATS",
    "categories",
    "convert",
    "export_targets",
    "load",
    "present",
    "to_coco",
    "to_mot",
    "to_ytvis",
    "visible_label_map",
    "write_davis",
]


def _json(doc: dict) -> str:
    return json.dumps(doc, separators=(",", ":"))


def export_targets(output: str | Path, formats: str | list[str], force: bool = False) -> dict[str, Path]:
    """Where ``track --format`` writes each format, beside the overlay ``OUT.mp4``: ``OUT.coco/annotations.json``
    (+ ``OUT.coco/images/``), ``OUT.ytvis.json``, ``OUT.mot.txt``, ``OUT.davis/``. ``formats``: names or one
    comma-separated string; each target is checked at once (existing without ``force``: a UserError)."""
    names = [f.strip().lower() for f in (formats.split(",") if isinstance(formats, str) else formats)]
    names = [n for n in dict.fromkeys(names) if n]
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise UserError(f"unknown --format {unknown[0]!r} (formats: {', '.join(FORMATS)})")
    output = Path(output)
    targets = {n: output.parent / (output.stem + _EXPORT_NAMES[n]) for n in names}
    for name, path in targets.items():
        check_output(path, force, kind="folder" if name == "davis" else "file")
        if name == "coco":
            check_output(path.parent / "images", force, kind="folder")
    return targets


def convert(
    masks: str | Path,
    to: str,
    out: str | Path,
    force: bool = False,
    visible: bool = False,
    images: bool | None = None,
) -> list[str]:
    """Convert the masks JSON ``masks`` to format ``to`` at ``out`` (a folder for davis, else a file). ``images``
    (coco): write the frames as JPEGs into ``images/`` next to ``out``; None: when the video is readable.
    Returns one line per thing written."""
    to, out = str(to).strip().lower(), Path(out)
    if to not in FORMATS:
        raise UserError(f"unknown format {to!r} (formats: {', '.join(FORMATS)})")
    if visible and to != "ytvis":
        raise UserError("--visible applies to --to ytvis only")
    if images is not None and to != "coco":
        raise UserError("--images/--no-images apply to --to coco only")
    result, labels = load(masks)
    check_output(out, force, kind="folder" if to == "davis" else "file")
    if to == "davis":
        write_folder(out, lambda folder: write_davis(result, folder))
        return [f"wrote {out} (DAVIS PNGs: {len(result)} frames, {len(result.ids)} objects)"]
    if to == "mot":
        lines = to_mot(result, labels)
        write_text(out, "".join(line + "\n" for line in lines))
        return [f"wrote {out} (MOT: {len(lines)} boxes)"]
    if to == "ytvis":
        doc = to_ytvis(result, labels, visible)
        write_text(out, _json(doc))
        kind = "visible" if visible else "amodal"
        return [f"wrote {out} (YouTube-VIS: {len(doc['annotations'])} tracks, {kind} masks)"]
    doc = to_coco(result, labels)
    source = None if images is False else frame_source(result, required=bool(images))
    image_dir = None if source is None else check_output(out.parent / "images", force, kind="folder")
    done = []
    if image_dir is not None:  # the images first: the JSON appears last, when everything is there
        write_folder(image_dir, lambda folder: write_images(result, source, folder))
        done.append(f"wrote {image_dir} ({len(result)} JPEG frames)")
    write_text(out, _json(doc))
    done.insert(0, f"wrote {out} (COCO: {len(doc['images'])} images, {len(doc['annotations'])} annotations)")
    if image_dir is None and images is None:
        done.append(f"no frame images: cannot read the video {result.video.path} (--images to insist)")
    return done
