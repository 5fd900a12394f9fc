"""The prompts file of ``amodal-vos track --prompts FILE``: several prompts per object, on several frames.

    {"objects": [
      {"id": 1, "prompts": [
        {"frame": 0, "box": [x, y, w, h]},                               # a box (x, y, w, h as on the CLI)
        {"frame": 40, "points": [[x, y], [x, y]], "labels": [1, 0]},     # clicks: 1 on the object, 0 not on it
        {"frame": 60, "box": [x, y, w, h], "points": [[x, y]], "labels": [0]},   # a box with clicks
        {"frame": 90, "mask": "m.png"}]},                                # a mask image, its path relative to
      {"id": 2, "prompts": [{"frame": 12, "box": [x, y, w, h]}]}]}     # this file; non-zero pixels = the object

Frames are video frame indices. An object's first prompt starts it (it is tracked forwards from there and
backwards to the first tracked frame); each later prompt corrects it from that frame on. "labels" defaults to all
1. A mask is the object's whole shape on that frame, at the video's size. Ids are 1..255 and each object has at most
one prompt per frame. Every problem is reported as one line naming the entry (``objects[0].prompts[2]: ...``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from amodal_vos.errors import UserError
from amodal_vos.io.input_files import read_json
from amodal_vos.tracking.prompts import MAX_OBJECTS, Prompt

PROMPT_KEYS = {"frame", "box", "points", "labels", "mask"}


def read_prompts(path: str | Path) -> list[Prompt]:
    """All prompts of a prompts file, in file order, each with its object id."""
    path = Path(path)
    doc = read_json(path, "prompts file")
    objects = doc.get("objects") if isinstance(doc, dict) else None
    if not isinstance(objects, list) or not objects:
        raise UserError(f'{path}: expected {{"objects": [{{"id": 1, "prompts": [...]}}, ...]}}')
    prompts, ids = [], set()
    for i, entry in enumerate(objects):
        where = f"{path}: objects[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("prompts"), list) or not entry["prompts"]:
            raise UserError(f'{where}: expected {{"id": ID, "prompts": [...]}} with at least one prompt')
        obj_id = entry.get("id")
        if not isinstance(obj_id, int) or isinstance(obj_id, bool) or not 1 <= obj_id <= MAX_OBJECTS:
            raise UserError(f"{where}: id must be an integer 1..{MAX_OBJECTS}, got {obj_id!r}")
        if obj_id in ids:
            raise UserError(f"{where}: id {obj_id} is used twice; put all prompts of an object in one entry")
        ids.add(obj_id)
        for j, item in enumerate(entry["prompts"]):
            prompts.append(_prompt(item, obj_id, f"{where}.prompts[{j}]", path.parent))
    return prompts


def _prompt(item: object, obj_id: int, where: str, folder: Path) -> Prompt:
    if not isinstance(item, dict):
        raise UserError(f"{where}: expected an object with frame and box, points or mask")
    unknown = set(item) - PROMPT_KEYS
    if unknown:
        raise UserError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(PROMPT_KEYS))})"
        )
    frame = item.get("frame")
    if not isinstance(frame, int) or isinstance(frame, bool) or frame < 0:
        raise UserError(f"{where}: frame must be an integer >= 0, got {frame!r}")
    if "mask" in item:
        if set(item) & {"box", "points", "labels"}:
            raise UserError(f"{where}: a mask prompt takes no box, points or labels")
        return Prompt.from_mask(_mask(item["mask"], where, folder), frame, obj_id)
    box = item.get("box")
    if box is not None and not _numbers(box, 4):
        raise UserError(f"{where}: box must be 4 numbers [x, y, w, h], got {box!r}")
    points = item.get("points", [])
    if not isinstance(points, list) or not all(_numbers(p, 2) for p in points):
        raise UserError(f"{where}: points must be a list of [x, y] pairs, got {points!r}")
    labels = item.get("labels", [1] * len(points))
    if not isinstance(labels, list) or any(v not in (0, 1) or isinstance(v, bool) for v in labels):
        raise UserError(
            f"{where}: labels must be a list of 1 (on the object) and 0 (not on it), got {labels!r}"
        )
    if len(labels) != len(points):
        raise UserError(f"{where}: {len(points)} points but {len(labels)} labels")
    if box is None and not points:
        raise UserError(f"{where}: give a box, points or a mask")
    return Prompt(
        frame, None if box is None else tuple(box), tuple(map(tuple, points)), tuple(labels), obj_id
    )


def _numbers(value: object, n: int) -> bool:
    return (
        isinstance(value, list)
        and len(value) == n
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
    )


def _mask(name: object, where: str, folder: Path) -> np.ndarray:
    """A mask image (relative to the prompts file): its non-zero pixels (any channel) are the object."""
    if not isinstance(name, str) or not name:
        raise UserError(f"{where}: mask must be the path of an image, got {name!r}")
    path = folder / name
    try:
        with Image.open(path) as image:
            pixels = np.asarray(image)
    except FileNotFoundError:
        raise UserError(f"{where}: mask image not found: {path}") from None
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise UserError(f"{where}: cannot read mask image {path}: {err}") from None
    return pixels.any(axis=-1) if pixels.ndim == 3 else pixels > 0
