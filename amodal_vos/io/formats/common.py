"""What the converters share: reading the masks JSON, categories, presence, and writing under a temporary name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from amodal_vos.errors import UserError
from amodal_vos.io import masks_json
from amodal_vos.io.atomic import commit, discard, temp_path
from amodal_vos.io.frame_masks import mask_box

if TYPE_CHECKING:
    from amodal_vos.tracking.result import ObjectFrame, TrackResult


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
    labels = labels or {}
    names: list[str] = []
    for obj_id in result.ids:
        if labels.get(obj_id, "object") not in names:
            names.append(labels.get(obj_id, "object"))
    cats = [{"id": k + 1, "name": name, "supercategory": "object"} for k, name in enumerate(names)]
    return cats, {i: names.index(labels.get(i, "object")) + 1 for i in result.ids}


def present(entry: ObjectFrame | None) -> bool:
    """An object is present on a frame when its amodal mask there is not empty."""
    return entry is not None and entry.box is not None


def xywh(mask: np.ndarray) -> list[int] | None:
    """Box [x, y, w, h] of a [H, W] bool mask; None when it is empty."""
    box = mask_box(mask)
    return None if box is None else [box[0], box[1], box[2] - box[0], box[3] - box[1]]


def frames(result: TrackResult) -> Iterator[tuple[int, dict[int, ObjectFrame]]]:
    """(video frame index, {object id: ObjectFrame}) of each tracked frame."""
    return zip(result.frame_indices, result.frames, strict=True)


def write_text(path: Path, text: str) -> Path:
    """Write a file under a temporary name, then rename it."""
    temp = temp_path(path)
    try:
        temp.write_text(text)
    except OSError as err:
        discard(temp)
        raise UserError(f"cannot write {path}: {err.strerror or err}") from None
    return commit(temp, path)


def write_folder(path: Path, fill: Callable[[Path], None]) -> Path:
    """Fill a temporary folder with ``fill(folder)``, then rename it to ``path`` (removed on any failure)."""
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
