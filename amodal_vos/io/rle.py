"""Binary masks as COCO run-length encoding (pycocotools), JSON-ready: {"size": [H, W], "counts": str}."""

from __future__ import annotations

import warnings

import numpy as np
from pycocotools import mask as mask_utils


def encode(mask: np.ndarray) -> dict:
    """[H, W] bool mask -> COCO RLE with ``counts`` as a str (pycocotools' compressed form)."""
    rle = mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8))
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": rle["counts"].decode("ascii")}


def decode(rle: dict) -> np.ndarray:
    """COCO RLE (``counts`` as str or bytes) -> [H, W] bool mask."""
    counts = rle["counts"]
    coco = {
        "size": list(rle["size"]),
        "counts": counts.encode("ascii") if isinstance(counts, str) else counts,
    }
    with (
        warnings.catch_warnings()
    ):  # pycocotools 2.0.x + numpy 2: a harmless DeprecationWarning about copy=False
        warnings.simplefilter("ignore", DeprecationWarning)
        return mask_utils.decode(coco).astype(bool)


def area(rle: dict) -> int:
    """Number of mask pixels, without decoding."""
    counts = rle["counts"]
    coco = {
        "size": list(rle["size"]),
        "counts": counts.encode("ascii") if isinstance(counts, str) else counts,
    }
    return int(mask_utils.area(coco))
