"""DAVIS palette PNGs of a tracking result (the layout of ``amodal-vos track --png-dir``, amodal_vos/io/palette.py):

OUT/visible/00017.png       label map of the visible masks of video frame 17: pixel value = object id, 0 =
                            background. Each pixel belongs to at most one object: where visible masks overlap,
                            the object with the LARGER visible area on that frame keeps the pixel (equal areas:
                            the object listed first in the masks JSON). No visible/ without visible masks.
OUT/amodal/001/00017.png    amodal mask of object 1 (value = the object's id, 0 elsewhere); one folder per
                            object, since amodal masks overlap. Every tracked frame has a PNG in every folder
                            (all 0 where the object is absent).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from amodal_vos.io.palette import save_label_png

if TYPE_CHECKING:
    from amodal_vos.tracking.result import TrackResult


def visible_label_map(visible: np.ndarray, ids: list[int]) -> np.ndarray:
    """[N, H, W] visible masks -> [H, W] uint8 ids; overlaps go to the larger visible mask (equal: first id)."""
    areas = visible.reshape(len(ids), -1).sum(1)
    labels = np.zeros(visible.shape[1:], np.uint8)
    for k in sorted(range(len(ids)), key=lambda k: (areas[k], -k)):  # the winner is painted last
        labels[visible[k]] = ids[k]
    return labels


def write_davis(result: TrackResult, folder: Path) -> None:
    """The PNGs (module docstring) of every tracked frame into ``folder``."""
    for index in result.frame_indices:
        masks = result.masks(index)
        name = f"{index:05d}.png"
        for obj_id in result.ids:
            sub = folder / "amodal" / f"{obj_id:03d}"
            sub.mkdir(parents=True, exist_ok=True)
            labels = np.zeros(result.video.hw, np.uint8)
            if obj_id in masks.ids:
                labels[masks.amodal[masks.ids.index(obj_id)]] = obj_id
            save_label_png(labels, sub / name)
        if masks.visible is not None:
            (folder / "visible").mkdir(exist_ok=True)
            save_label_png(visible_label_map(masks.visible, masks.ids), folder / "visible" / name)
