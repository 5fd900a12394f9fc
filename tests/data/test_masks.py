"""The RLE codec (amodal_vos.io.rle) on the forms datasets store, COCO segmentations and the loaders' box conventions."""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils

from amodal_vos.data.masks import (
    decode_segmentation,
    kubric_to_xyxy,
    mask_box,
    rowfirst_to_xyxy,
    xyxy_to_rowfirst,
)
from amodal_vos.io import rle as codec


def _mask(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((13, 21)) > 0.6


def test_rle_forms_decode_to_the_same_mask():
    m = _mask()
    rle = codec.encode(m)
    assert isinstance(rle["counts"], str) and rle["size"] == [13, 21]
    np.testing.assert_array_equal(codec.decode(rle), m)
    as_bytes = {"size": rle["size"], "counts": rle["counts"].encode()}
    np.testing.assert_array_equal(codec.decode([as_bytes]), m)
    uncompressed = {"size": [13, 21], "counts": _uncompressed_counts(m)}
    np.testing.assert_array_equal(decode_segmentation(uncompressed, 13, 21), m)


def _uncompressed_counts(m: np.ndarray) -> list[int]:
    """COCO's uncompressed RLE: run lengths over the column-major pixels, starting with zeros."""
    flat = m.T.reshape(-1).astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flat, [1 - flat[-1]]])))
    return np.diff(np.concatenate([[0], edges])).tolist()


def test_batch_encode_decode_round_trip():
    masks = np.stack([_mask(k) for k in range(4)])
    rles = codec.encode_many(masks)
    assert len(rles) == 4
    np.testing.assert_array_equal(codec.decode_many(rles), masks)
    np.testing.assert_array_equal(
        codec.decode(mask_utils.encode(np.asfortranarray(masks[2].astype(np.uint8)))), masks[2]
    )


def test_polygons_flat_and_nested():
    square = [2, 3, 9, 3, 9, 7, 2, 7]  # columns 2..8, rows 3..6
    for seg in (square, [square], [square, [12, 0, 15, 0, 15, 2, 12, 2]]):
        m = decode_segmentation(seg, 10, 20)
        assert m[3:7, 2:9].all() and m[:, :12].sum() == 7 * 4
    assert decode_segmentation([], 4, 5).shape == (4, 5) and not decode_segmentation(None, 4, 5).any()


def test_row_first_boxes_are_rows_then_columns():
    m = np.zeros((30, 40), bool)
    m[5:12, 8:33] = True  # rows 5..11, columns 8..32
    rowfirst = [5, 11, 8, 32]  # [x_min, x_max, y_min, y_max] with x = ROW, inclusive
    np.testing.assert_array_equal(rowfirst_to_xyxy(rowfirst), mask_box(m))
    assert xyxy_to_rowfirst(mask_box(m)) == rowfirst
    np.testing.assert_allclose(
        kubric_to_xyxy([5 / 30, 8 / 40, 12 / 30, 33 / 40], 30, 40), mask_box(m), atol=1e-5
    )
    assert np.isnan(mask_box(np.zeros((3, 3), bool))).all()
