"""Image files for the loaders: RGB frames (any format cv2 reads; alpha dropped) and label-map PNGs.

Label maps go through PIL so palette PNGs (Kubric's segmentation files) give their indices, not palette colours.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from amodal_vos.errors import UserError


def read_rgb(path: Path) -> np.ndarray:
    """An image file as [H, W, 3] uint8 RGB (alpha dropped); UserError when it cannot be read."""
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise UserError(f"cannot read image {path}")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def read_labels(path: Path) -> np.ndarray:
    """A label-map PNG (palette 'P' or 8/16-bit grey) as [H, W] integer indices; UserError when unreadable."""
    try:
        with Image.open(path) as img:
            if img.mode not in ("P", "L", "I", "I;16", "1"):
                img = img.convert("L")
            return np.array(img)
    except OSError as err:
        raise UserError(f"cannot read label map {path}: {err}") from err


def image_size(path: Path) -> tuple[int, int]:
    """(height, width) of an image file without decoding its pixels."""
    try:
        with Image.open(path) as img:
            return img.height, img.width
    except OSError as err:
        raise UserError(f"cannot read image {path}: {err}") from err
