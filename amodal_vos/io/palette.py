"""Palette PNG masks in the DAVIS / XMem convention: one indexed (mode "P") PNG per frame whose pixel values are
object ids (0 = background), with the DAVIS (PASCAL VOC) palette, so any VOS tool reads them.

Layout written by ``PaletteWriter`` (amodal masks overlap where one object hides another, so they get one folder
per object; visible masks do not overlap and share one label map per frame):

    DIR/visible/00000.png          visible (modal) label map of frame 0, all objects
    DIR/amodal/001/00000.png       amodal mask of object 1 on frame 0 (values 0 or the id, 1)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def davis_palette() -> np.ndarray:
    """The 256-colour DAVIS / PASCAL VOC palette, [256, 3] uint8 (1 = dark red, 2 = green, 3 = olive, ...)."""
    palette = np.zeros((256, 3), dtype=np.uint8)
    for index in range(256):
        c, r, g, b = index, 0, 0, 0
        for bit in range(8):
            r |= ((c >> 0) & 1) << (7 - bit)
            g |= ((c >> 1) & 1) << (7 - bit)
            b |= ((c >> 2) & 1) << (7 - bit)
            c >>= 3
        palette[index] = (r, g, b)
    return palette


PALETTE = davis_palette()


def save_label_png(labels: np.ndarray, path: str | Path) -> None:
    """Write a [H, W] uint8 label map as an indexed PNG with the DAVIS palette."""
    image = Image.fromarray(labels.astype(np.uint8), mode="P")
    image.putpalette(PALETTE.tobytes())
    image.save(path, optimize=False)


def read_label_png(path: str | Path) -> np.ndarray:
    """Read an indexed PNG's raw indices (object ids), [H, W] uint8."""
    with Image.open(path) as image:
        return np.asarray(image)


def label_map(masks: np.ndarray, ids: list[int]) -> np.ndarray:
    """[N, H, W] bool masks -> [H, W] uint8 map of object ids; where masks overlap the later object wins."""
    labels = np.zeros(masks.shape[1:], dtype=np.uint8)
    for mask, obj_id in zip(masks, ids, strict=True):
        labels[mask] = obj_id
    return labels


class PaletteWriter:
    """Writes each frame's visible label map and per-object amodal masks into a folder (layout above)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def write(self, frame_index: int, ids: list[int], amodal: np.ndarray, visible: np.ndarray | None) -> None:
        name = f"{frame_index:05d}.png"
        for obj_id, mask in zip(ids, amodal, strict=True):
            folder = self.folder / "amodal" / f"{obj_id:03d}"
            folder.mkdir(parents=True, exist_ok=True)
            save_label_png(mask.astype(np.uint8) * obj_id, folder / name)
        if visible is not None:
            (self.folder / "visible").mkdir(parents=True, exist_ok=True)
            save_label_png(label_map(visible, ids), self.folder / "visible" / name)
