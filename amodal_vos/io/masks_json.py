"""The masks JSON written by ``amodal-vos track`` / ``segment`` and ``TrackResult.save`` (schema below).

    {
      "format": "amodal-vos-masks/1",
      "partial": false,                      # true when the run was interrupted (Ctrl-C): fewer frames than asked
      "video": {"path": str, "kind": "video" | "frames" | "image", "width": int, "height": int,
                "fps": float, "num_frames": int},       # of the whole input
      "range": {"start": int, "end": int},   # frames asked for: start .. end-1 (video frame indices)
      "model": {"config": str, "checkpoint": str | null, "image_size": int, "visible_pass": bool, ...},
      "objects": [{"id": int, "prompt": {"frame": int, "box": [x, y, w, h] | null,
                                         "points": [[x, y], ...], "labels": [1 | 0, ...]}}],
      "frames": [                            # one entry per tracked frame, in order
        {"index": int,                       # video frame index
         "objects": [{"id": int,
                      "amodal": RLE,         # whole shape, hidden parts included
                      "visible": RLE | null, # modal mask (null with --no-visible)
                      "box": [x, y, w, h] | null,   # box of the amodal mask, null when it is empty
                      "occlusion": float | null,    # |amodal - visible| / |amodal|; null with --no-visible
                      "score": float}]}]     # presence probability of the object on this frame
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

FORMAT = "amodal-vos-masks/1"


def header(video: dict, start: int, end: int, model: dict, objects: list[dict], partial: bool) -> dict:
    """Everything but the frames (see the module docstring for every field)."""
    return {
        "format": FORMAT,
        "partial": bool(partial),
        "video": video,
        "range": {"start": int(start), "end": int(end)},
        "model": model,
        "objects": objects,
    }


def write(path: str | Path, head: dict, frames: Iterable[dict]) -> Path:
    """Write the document frame by frame under a temporary name, then rename it: no second copy of all masks is
    built in memory, so writing stays flat in video length."""
    path = Path(path)
    temp = temp_path(path)
    try:
        with temp.open("w") as f:
            f.write(json.dumps(head, separators=(",", ":"))[:-1] + ',"frames":[')
            for i, frame in enumerate(frames):
                f.write(("," if i else "") + json.dumps(frame, separators=(",", ":")))
            f.write("]}")
    except OSError as err:
        discard(temp)
        raise UserError(f"cannot write {path}: {err.strerror or err}") from None
    return commit(temp, path)


def read(path: str | Path) -> dict:
    """Read and check a masks JSON; anything else is a UserError."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"masks file not found: {path}") from None
    except (OSError, ValueError) as err:
        raise UserError(f"cannot read masks file {path}: {err}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise UserError(f"{path} is not an amodal-vos masks file (format {FORMAT})")
    return doc
