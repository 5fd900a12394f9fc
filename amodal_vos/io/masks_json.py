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
from pathlib import Path

from amodal_vos.errors import UserError

FORMAT = "amodal-vos-masks/1"


def document(
    video: dict, start: int, end: int, model: dict, objects: list[dict], frames: list[dict], partial: bool
) -> dict:
    """Assemble the document (see the module docstring for every field)."""
    return {
        "format": FORMAT,
        "partial": bool(partial),
        "video": video,
        "range": {"start": int(start), "end": int(end)},
        "model": model,
        "objects": objects,
        "frames": frames,
    }


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
