"""COCOA-cls, KINS (both versions), plain COCO and SA-1B loaders: 1-frame clips with the right masks and boxes."""

from __future__ import annotations

import numpy as np
import pytest

from amodal_vos.data.masks import mask_box
from amodal_vos.data.registry import detect_format, open_dataset
from amodal_vos.errors import UserError


@pytest.mark.parametrize(
    "name, fmt",
    [("cocoa-cls", "cocoa-cls"), ("kins", "kins"), ("kins2020", "kins"), ("coco", "coco"), ("sa1b", "sa1b")],
)
def test_image_formats_read_back(coco_like_roots, name, fmt):
    root, expected = coco_like_roots[name]
    assert detect_format(root) == fmt
    ds = open_dataset(fmt, root)
    assert not ds.is_video and len(ds) == 1 and ds.num_frames(0) == 1
    clip = ds[0]
    assert clip.is_image and clip.frames.shape == (1, 30, 50, 3)
    assert np.abs(clip.frames[0].reshape(-1, 3).mean(0) - (200, 60, 30)).max() < 4  # RGB order, not BGR
    assert sorted(o.obj_id for o in clip.objects) == sorted(expected)  # COCO: the crowd region is skipped
    for obj in clip.objects:
        amodal, visible = expected[obj.obj_id]
        np.testing.assert_array_equal(obj.amodal[0], amodal)
        np.testing.assert_array_equal(obj.visible[0], visible)
        for kind, boxes in clip.meta["boxes"][obj.obj_id].items():  # stored [x, y, w, h] boxes, x = column
            np.testing.assert_array_equal(
                boxes[0], mask_box(obj.amodal[0] if kind == "amodal" else obj.visible[0])
            )
    assert clip.meta.get("modal_only", False) == (fmt in ("coco", "sa1b"))


def test_cocoa_areas_pixels_and_category(coco_like_roots):
    root, _ = coco_like_roots["cocoa-cls"]
    clip = open_dataset("cocoa-cls", root)[0]
    dog = next(o for o in clip.objects if o.obj_id == 11)
    assert dog.category == "dog" and dog.amodal.sum() == 15 * 30 and dog.visible.sum() == 15 * 15
    assert dog.amodal[0, 5, 39] and not dog.visible[0, 5, 39] and dog.visible[0, 19, 10]
    person = next(o for o in clip.objects if o.obj_id == 12)  # polygon, no visible_mask: unoccluded
    assert person.amodal.sum() == 6 * 16 and (person.amodal == person.visible).all()


def test_kins_versions_boxes(coco_like_roots):
    clip = open_dataset("kins", coco_like_roots["kins"][0])[0]
    assert clip.meta["kins_version"] == ["original"] and clip.objects[0].category == "car"
    np.testing.assert_array_equal(clip.meta["boxes"][3]["visible"][0], [6, 4, 18, 24])
    clip20 = open_dataset("kins", coco_like_roots["kins2020"][0])[0]
    assert clip20.meta["kins_version"] == ["2020"]
    np.testing.assert_array_equal(clip20.meta["boxes"][8]["amodal"][0], [20, 1, 28, 29])
    assert clip20.objects[0].occluded.sum() == 14 * 8


def test_sa1b_limits_objects(coco_like_roots):
    ds = open_dataset("sa1b", coco_like_roots["sa1b"][0], max_objects=1)
    clip = ds[0]
    assert [o.obj_id for o in clip.objects] == [101]  # the larger mask (240 px vs 96 px)
    assert ds.item_id(0) == "sa_1"


def test_missing_image_is_a_user_error(coco_like_roots, tmp_path):
    root, _ = coco_like_roots["cocoa-cls"]
    (root / "val2014" / "COCO_val2014_000000000005.jpg").unlink()
    with pytest.raises(UserError, match="not found"):
        open_dataset("cocoa-cls", root)[0]


def test_unknown_format_lists_supported(tmp_path):
    with pytest.raises(
        UserError, match="supported: fishbowl, fishbowl-savos, movid-a, cocoa-cls, kins, sa1b, coco"
    ):
        open_dataset("davis", tmp_path)
    with pytest.raises(UserError, match="cannot tell the dataset format"):
        detect_format(tmp_path)
