"""FISHBOWL raw, FISHBOWL SaVos-preprocessed and MOViD-A loaders read their real layouts back exactly."""

from __future__ import annotations

import numpy as np
import pytest

from amodal_vos.data.fishbowl import FishbowlRaw
from amodal_vos.data.fishbowl_savos import FishbowlSavos
from amodal_vos.data.masks import mask_box
from amodal_vos.data.movid_a import MoviDA
from amodal_vos.errors import UserError


def test_fishbowl_both_render_layouts(fishbowl_root):
    root, expected = fishbowl_root
    ds = FishbowlRaw(root)
    assert [ds.item_id(i) for i in range(len(ds))] == [
        "00000",
        "00001",
    ]  # _background / _object dirs are not scenes
    nested = ds[0]
    assert nested.num_frames == 6 and nested.size == (32, 48)
    assert [o.obj_id for o in nested.objects] == [7, 3]  # objects.json order, ids as stored
    for obj in nested.objects:
        amodal, visible = expected["00000"][obj.obj_id]
        np.testing.assert_array_equal(obj.amodal, amodal)
        np.testing.assert_array_equal(obj.visible, visible)
    fish7 = nested.objects[0]
    assert (
        fish7.amodal[0].sum() == 10 * 20 and fish7.visible[0].sum() == 10 * 20 - 6 * 5
    )  # 6x5 hidden by fish 3
    assert fish7.amodal[0, 4, 5] and not fish7.visible[1, 10, 21] and fish7.amodal[1, 10, 21]
    assert fish7.amodal[5].sum() == 10 * 3  # clipped at the right border
    assert nested.objects[1].category == "clownfish" and nested.meta["amodal_missing"] == []

    flat = ds[1]
    np.testing.assert_array_equal(flat.objects[0].amodal, expected["00001"][7][0])  # from 00001_object7/
    assert flat.meta["amodal_missing"] == [3]  # its render is missing: amodal falls back to visible
    np.testing.assert_array_equal(flat.objects[1].amodal, flat.objects[1].visible)


def test_fishbowl_window_decodes_the_right_frames(fishbowl_root):
    root, expected = fishbowl_root
    ds = FishbowlRaw(root)
    clip = ds.sample_clip(0, 3, np.random.default_rng(4))
    start = int(clip.frame_ids[0])
    assert list(clip.frame_ids) == [start, start + 1, start + 2] and clip.num_frames == 3
    for k, t in enumerate(clip.frame_ids):
        assert np.abs(clip.frames[k].reshape(-1, 3).mean(0) - (40 + 30 * t, 200 - 30 * t, 90)).max() < 4
        np.testing.assert_array_equal(clip.objects[0].amodal[k], expected["00000"][7][0][t])
    longer = ds.sample_clip(0, 50, np.random.default_rng(0))
    assert longer.num_frames == 6  # shorter videos come whole


def test_savos_pkl_masks_and_row_first_boxes(savos_root):
    root, expected = savos_root
    ds = FishbowlSavos(root)  # the only split present is found
    assert ds.split == "test" and len(ds) == 2 and ds.item_id(1) == "00002"
    clip = ds[0]
    assert clip.num_frames == 5 and clip.size == (24, 40)
    assert [o.obj_id for o in clip.objects] == [4, 9]
    fish4 = clip.objects[0]
    for k in range(5):
        if (("00000", 4, k)) in expected:
            amodal, visible = expected[("00000", 4, k)]
            np.testing.assert_array_equal(fish4.amodal[k], amodal)
            np.testing.assert_array_equal(fish4.visible[k], visible)
        else:
            assert not fish4.amodal[k].any()  # outside the stored run of frames
    assert fish4.amodal[2].sum() == 8 * 22 and fish4.visible[2, 5, 22] == 0 and fish4.amodal[2, 5, 22]
    boxes = clip.meta["boxes"][4]["amodal"]
    # stored [x_min, x_max, y_min, y_max] = [rows 4..11, cols 9..30] (inclusive) -> xyxy [9, 4, 31, 12]
    np.testing.assert_array_equal(boxes[2], [9, 4, 31, 12])
    for k in (1, 2, 3):
        np.testing.assert_array_equal(boxes[k], mask_box(fish4.amodal[k]))
    assert np.isnan(boxes[0]).all() and np.isnan(boxes[4]).all()
    assert np.abs(clip.frames[3].reshape(-1, 3).mean(0) - (130, 110, 90)).max() < 1  # PNG is lossless
    assert clip.objects[1].category == "tang"


def test_savos_unknown_split_names_the_ones_present(savos_root):
    root, _ = savos_root
    with pytest.raises(UserError, match="found: test"):
        FishbowlSavos(root, "train")


def test_movid_a_palette_pngs_and_kubric_boxes(movid_root):
    root, expected = movid_root
    ds = MoviDA(root)
    assert len(ds) == 1 and ds.item_id(0) == "7" and ds.num_frames(0) == 4
    clip = ds[0]
    assert [o.obj_id for o in clip.objects] == [0, 2]  # only the listed objects
    assert clip.frames.shape == (4, 32, 40, 3)  # alpha dropped
    for obj in clip.objects:
        for k in range(4):
            amodal, visible = expected[(obj.obj_id, k)]
            np.testing.assert_array_equal(obj.amodal[k], amodal)
            np.testing.assert_array_equal(obj.visible[k], visible)
        assert (obj.visible <= obj.amodal).all()
    obj0 = clip.objects[0]
    assert obj0.amodal[0].sum() == 9 * 28 and obj0.visible[0].sum() < obj0.amodal[0].sum()
    for k in range(4):
        np.testing.assert_allclose(clip.meta["boxes"][0]["visible"][k], mask_box(obj0.visible[k]), atol=1e-4)
    window = ds.sample_clip(0, 2, np.random.default_rng(1))
    t = int(window.frame_ids[0])
    np.testing.assert_array_equal(window.objects[1].visible[0], expected[(2, t)][1])


def test_video_formats_are_detected(fishbowl_root, savos_root, movid_root):
    from amodal_vos.data.registry import detect_format

    assert detect_format(fishbowl_root[0]) == "fishbowl"
    assert detect_format(savos_root[0]) == "fishbowl-savos"
    assert detect_format(movid_root[0]) == "movid-a"


def test_video_window_reads_match_full_decode(tmp_path):
    from amodal_vos.data.video import read_video_frames, video_frame_count, write_video

    frames = np.zeros((40, 16, 24, 3), np.uint8)
    frames[:, :, :, 0] = np.arange(40)[:, None, None] * 6  # each frame a different flat red level
    write_video(tmp_path / "v.mp4", frames, gop=8)
    assert video_frame_count(tmp_path / "v.mp4") == 40
    full = read_video_frames(tmp_path / "v.mp4")
    assert len(full) == 40
    part = read_video_frames(tmp_path / "v.mp4", [33, 17, 18, 17])  # after keyframes, out of order, repeated
    np.testing.assert_array_equal(part, full[[33, 17, 18, 17]])
    with pytest.raises(UserError, match="not in the video"):
        read_video_frames(tmp_path / "v.mp4", [39, 40])
