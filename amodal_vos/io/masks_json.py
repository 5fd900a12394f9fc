"""The masks JSON written by ``amodal-vos track`` / ``segment`` and ``TrackResult.save`` (schema below).

    {
      "format": "amodal-vos-masks/1",
      "partial": false,                      # true when fewer frames than asked were tracked (Ctrl-C, truncated)
      "truncated": false,                    # true when the video ended early (--allow-truncated): "frames" holds
                                             # the frames that could be read
      "video": {"path": str,                 # absolute when it is a file or folder (a moved JSON looks next to itself)
                "kind": "video" | "frames" | "image", "width": int, "height": int,
                "fps": float, "num_frames": int},       # of the whole input
      "range": {"start": int, "end": int},   # frames asked for: start .. end-1 (video frame indices)
      "model": {"config": str, "checkpoint": str | null, "image_size": int, "visible_pass": bool,
                "moved_masks": float | null,  # the tracker's ``shape`` (null: masks from the model alone)
                "keep_apart": float | null,  # its ``apart`` (null, the default: collapses are left as they are)
                "drop_strays": float | null,  # its ``strays`` (null: parts on other objects are kept)
                "prompt_views": bool,  # box prompts' frames also segmented from other crops (``views``)
                "box_tracker": bool,  # priors from an appearance tracker (CSRT) where it finds the object
                "exits": float | null, ...},  # its ``exits`` (null: objects at the border are never judged gone)
      "objects": [{"id": int, "prompt": {"frame": int, "box": [x, y, w, h] | null,
                                         "points": [[x, y], ...], "labels": [1 | 0, ...],
                                         "mask": RLE}, # only for a mask prompt
                   "prompts": [prompt, ...]}],       # only when the object has several prompts (the first is
                                                     # "prompt"): corrections on later frames
      "frames": [                            # one entry per tracked frame, in order
        {"index": int,                       # video frame index
         "objects": [{"id": int,
                      "amodal": RLE,         # whole shape, hidden parts included
                      "visible": RLE | null, # modal mask (null with --no-visible)
                      "box": [x, y, w, h] | null,   # box of the amodal mask, null when it is empty
                      "occlusion": float | null,    # |amodal - visible| / |amodal|; null with --no-visible
                      "score": float,        # presence probability of the object on this frame
                      "iou": float | null}]}]       # SAM-2's predicted IoU of the amodal mask (absent or null
                                                    # in files written before it was recorded)
    }

RLE is COCO's compressed run-length encoding, {"size": [height, width], "counts": str}, at frame size; decode it
with ``pycocotools.mask.decode({"size": s, "counts": c.encode()})`` or ``amodal_vos.io.rle.decode``.
Occluded part = amodal minus visible. Boxes and points are in frame pixels, x to the right, y down.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from amodal_vos.errors import UserError
from amodal_vos.io.atomic import commit, discard, temp_path
from amodal_vos.io.input_files import read_json

FORMAT = "amodal-vos-masks/1"


def header(
    video: dict,
    start: int,
    end: int,
    model: dict,
    objects: list[dict],
    partial: bool,
    truncated: bool = False,
) -> dict:
    """Everything but the frames (see the module docstring for every field)."""
    return {
        "format": FORMAT,
        "partial": bool(partial or truncated),
        "truncated": bool(truncated),
        "video": video,
        "range": {"start": int(start), "end": int(end)},
        "model": model,
        "objects": objects,
    }


def _dumps(value) -> str:
    """Strict JSON: NaN or infinity is an error, never written (other readers reject it)."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def write_to(file: str | Path, head: dict, frames: Iterable[dict], name: str | Path | None = None) -> Path:
    """Write the document frame by frame into ``file`` (a temporary name; the caller renames it). No second copy
    of all masks is built in memory, so writing stays flat in video length. ``name``: the output named in errors.
    A failure removes ``file`` and is a UserError."""
    file = Path(file)
    name = file if name is None else name
    try:
        with file.open("w") as f:
            f.write(_dumps(head)[:-1] + ',"frames":[')
            for i, frame in enumerate(frames):
                f.write(("," if i else "") + _dumps(frame))
            f.write("]}")
    except OSError as err:
        discard(file)
        raise UserError(f"cannot write {name}: {err.strerror or err}") from None
    except ValueError as err:  # NaN / infinity
        discard(file)
        raise UserError(f"cannot write {name}: a value is not a finite number ({err})") from None
    return file


def write(path: str | Path, head: dict, frames: Iterable[dict]) -> Path:
    """Write the document under a temporary name, then rename it (see ``write_to``)."""
    path = Path(path)
    return commit(write_to(temp_path(path), head, frames, path), path)


def read(path: str | Path) -> dict:
    """Read and check a masks JSON; anything else is a UserError."""
    path = Path(path)
    doc = read_json(path, "masks file")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise UserError(f"{path} is not an amodal-vos masks file (format {FORMAT})")
    return doc
