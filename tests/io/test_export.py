"""Mask export: COCO RLE, DAVIS palette PNGs, atomic JSON, and output-path checks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from amodal_vos.errors import UserError
from amodal_vos.io import masks_json, rle
from amodal_vos.io.atomic import check_output, temp_path
from amodal_vos.io.palette import PaletteWriter, read_label_png


def random_masks(n=3, h=20, w=30, seed=0):
    return np.random.default_rng(seed).random((n, h, w)) > 0.6


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools 2.0.x with numpy 2
def test_rle_round_trip_and_pycocotools_compatibility():
    masks = random_masks()
    encoded = [rle.encode(m) for m in masks]
    document = json.loads(json.dumps(encoded))  # survives JSON
    for entry, mask in zip(document, masks, strict=True):
        coco = {"size": entry["size"], "counts": entry["counts"].encode()}
        assert np.array_equal(mask_utils.decode(coco).astype(bool), mask)
        assert np.array_equal(rle.decode(entry), mask) and rle.area(entry) == mask.sum()


def test_palette_pngs_hold_object_ids_with_the_davis_palette(tmp_path):
    amodal = random_masks(2, seed=1)
    visible = amodal & ~np.eye(20, 30, dtype=bool)[None]
    visible[1] &= ~visible[0]
    PaletteWriter(tmp_path).write(7, [3, 5], amodal, visible)
    labels = read_label_png(tmp_path / "visible" / "00007.png")
    assert np.array_equal(labels == 3, visible[0]) and np.array_equal(labels == 5, visible[1])
    assert np.array_equal(read_label_png(tmp_path / "amodal" / "005" / "00007.png"), amodal[1] * 5)
    from PIL import Image

    with Image.open(tmp_path / "visible" / "00007.png") as image:
        assert image.mode == "P" and image.getpalette()[3:9] == [128, 0, 0, 0, 128, 0]


def test_masks_json_is_streamed_atomically_and_reads_back(tmp_path):
    path = tmp_path / "m.json"
    head = masks_json.header({"path": "v.mp4"}, 0, 2, {"config": "small"}, [{"id": 1}], partial=False)
    frames = [
        {"index": i, "objects": [{"id": 1, "amodal": rle.encode(m)}]} for i, m in enumerate(random_masks(2))
    ]
    masks_json.write(path, head, iter(frames))
    assert masks_json.read(path) == {**head, "frames": frames} and not temp_path(path).exists()
    path.write_text('{"format": "something else"}')
    with pytest.raises(UserError, match="not an amodal-vos masks file"):
        masks_json.read(path)


def test_output_checks(tmp_path):
    existing = tmp_path / "out.mp4"
    existing.write_bytes(b"x")
    with pytest.raises(UserError, match="already exists.*--force"):
        check_output(existing)
    assert check_output(existing, force=True) == existing
    with pytest.raises(UserError, match="is a directory"):
        check_output(tmp_path, force=True)
    blocker = tmp_path / "file.txt"
    blocker.write_text("")
    with pytest.raises(UserError, match="cannot write output"):
        check_output(blocker / "sub" / "out.mp4")
    assert check_output(tmp_path / "new" / "deep" / "out.mp4").parent.is_dir()
