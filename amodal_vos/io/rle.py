"""Binary masks as COCO run-length encoding (pycocotools), JSON-ready: {"size": [H, W], "counts": str}. The one RLE
codec of the project: tracker outputs, dataset loaders and the synthetic writer all use it."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from pycocotools import mask as mask_utils


def _json(rle: dict) -> dict:
    return {"size": [int(s) for s in rle["size"]], "counts": rle["counts"].decode("ascii")}


def _coco(rle: dict) -> dict:
    """An RLE in the form pycocotools takes: compressed, counts as bytes (uncompressed list counts are converted)."""
    counts = rle["counts"]
    h, w = (int(s) for s in rle["size"])
    if isinstance(counts, list):  # uncompressed RLE (e.g. iscrowd annotations)
        return mask_utils.frPyObjects({"size": [h, w], "counts": counts}, h, w)
    return {"size": [h, w], "counts": counts.encode("ascii") if isinstance(counts, str) else counts}


def _decode(coco) -> np.ndarray:
    with warnings.catch_warnings():  # pycocotools 2.0.x + numpy 2: a harmless DeprecationWarning (copy=False)
        warnings.simplefilter("ignore", DeprecationWarning)
        return mask_utils.decode(coco).astype(bool)


def encode(mask: np.ndarray) -> dict:
    """[H, W] bool mask -> COCO RLE with ``counts`` as a str (pycocotools' compressed form). A Fortran-ordered
    bool mask is encoded without a copy."""
    if mask.dtype == bool and mask.flags.f_contiguous:
        mask = mask.view(np.uint8)
    return _json(mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8)))


def encode_many(masks: np.ndarray) -> list[dict]:
    """[T, H, W] bool masks -> T RLEs (one pycocotools call for all frames)."""
    if len(masks) == 0:
        return []
    return [_json(r) for r in mask_utils.encode(np.asfortranarray(masks.astype(np.uint8).transpose(1, 2, 0)))]


def decode(rle: dict | Sequence[dict]) -> np.ndarray:
    """COCO RLE (counts as str, bytes or an uncompressed list), or a list of RLEs (merged), -> [H, W] bool."""
    if isinstance(rle, dict):
        return _decode(_coco(rle))
    rles = [_coco(r) for r in rle]
    return _decode(rles[0] if len(rles) == 1 else mask_utils.merge(rles))


def decode_many(rles: Sequence[dict], hw: tuple[int, int] | None = None) -> np.ndarray:
    """T RLEs (one per frame) -> [T, H, W] bool in one pycocotools call; ``hw`` gives the shape when T = 0."""
    if len(rles) == 0:
        return np.zeros((0, *(hw or (0, 0))), bool)
    return np.ascontiguousarray(_decode([_coco(r) for r in rles]).transpose(2, 0, 1))


def area(rle: dict) -> int:
    """Number of mask pixels, without decoding."""
    return int(mask_utils.area(_coco(rle)))
