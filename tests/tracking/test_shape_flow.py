"""Mask motion (tracking/shape_flow.py) and how propagation uses it: a model mask that jumps away from where the
object's pixels went is replaced by the last mask moved with them; one that agrees is kept."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from amodal_vos.tracking.propagation import Propagation
from amodal_vos.tracking.shape_flow import ShapeFlow, model_grid

from .test_motion import frame_with_patch, grey, moving  # noqa: F401  (moving is a fixture)
from .test_propagation import box_prompt, spy  # noqa: F401  (spy is a fixture)

SIZE = 128


def disc_logits(cx: float, cy: float, r: float, size: int = SIZE) -> np.ndarray:
    ys, xs = np.mgrid[:size, :size]
    return np.where((xs - cx) ** 2 + (ys - cy) ** 2 <= r * r, 5.0, -5.0).astype(np.float32)


def mask_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


def test_model_grid_maps_a_crop_onto_the_model_input_and_the_whole_frame_squeezed():
    crop = model_grid(torch.tensor([100.0, 50.0, 164.0, 114.0]), (480, 640), 128)  # 64 px crop -> 128 px
    first, last = (
        np.array([100.0, 50.0, 1.0]),
        np.array([163.0, 113.0, 1.0]),
    )  # its first and last pixel centres
    assert np.allclose(crop @ first, [0.5, 0.5]) and np.allclose(crop @ last, [126.5, 126.5])
    squeezed = model_grid(None, (64, 256), 128)  # 2x wider, 2x shorter
    assert np.allclose(squeezed @ np.array([255.0, 63.0, 1.0]), [127.25, 126.5])
    assert np.allclose(model_grid(None, (128, 128), 128), np.eye(2, 3))


def test_a_moved_patch_gives_its_shift_in_frame_pixels_at_any_flow_scale():
    shape = disc_logits(50, 50, 16)
    before, after = frame_with_patch(30, 30, hw=(256, 256)), frame_with_patch(36, 27, hw=(256, 256))
    for frame_size in (256, 640):  # 640: the flow runs on a 2x downscaled grey frame
        scale = frame_size / 256
        big = [
            cv2.resize(f, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST) for f in (before, after)
        ]
        prev, cur = grey(big[0]), grey(big[1])
        grid = model_grid(torch.tensor([0.0, 0.0, 128 * scale, 128 * scale]), big[0].shape[:2], SIZE)
        move = ShapeFlow().transform(prev, cur, shape, grid)
        assert move is not None
        assert np.allclose(move[:, :2], np.eye(2), atol=0.03)
        assert np.allclose(move[:, 2], [6 * scale, -3 * scale], atol=0.5 * scale)


def test_a_mask_without_texture_under_it_gives_no_motion():
    flat = np.full((SIZE, SIZE, 3), 90, np.uint8)
    grid = model_grid(None, (SIZE, SIZE), SIZE)
    assert ShapeFlow().transform(grey(flat), grey(flat), disc_logits(50, 50, 16), grid) is None


def test_warp_moves_logits_from_one_crop_to_the_next():
    logits = disc_logits(64, 64, 20)  # a disc in the middle of crop (0, 0, 64, 64): frame centre (32, 32)
    before = model_grid(torch.tensor([0.0, 0.0, 64.0, 64.0]), (200, 200), SIZE)
    after = model_grid(torch.tensor([20.0, 10.0, 84.0, 74.0]), (200, 200), SIZE)
    shift = np.array([[1.0, 0.0, 10.0], [0.0, 1.0, 5.0]])  # the object moved by (+10, +5) frame px
    warped = ShapeFlow.warp(logits, before, shift, after)
    x0, y0, x1, y1 = mask_box(warped > 0)
    # the centre moves to frame (42, 37): crop pixel ((42 - 20) * 2, (37 - 10) * 2) = (44, 54)
    assert abs((x0 + x1) / 2 - 44) <= 1 and abs((y0 + y1) / 2 - 54) <= 1
    assert abs((x1 - x0) - 40) <= 2  # same size: both crops zoom 2x
    assert warped.min() < -1000  # pixels from outside the last crop are "no object"


def box_of(step) -> tuple[int, int, int, int]:
    return mask_box((step.amodal > 0).numpy())


def test_a_mask_that_jumps_off_the_moving_object_is_replaced_by_the_moved_last_mask(model, moving, spy):  # noqa: F811
    _, script = spy
    script.update({0: [(30, 30, 70, 70)], 1: [(90, 90, 120, 120)], 2: [(38, 34, 78, 74)]})

    def boxes(shape):
        sweep = Propagation(
            model, [box_prompt(1, 0, [30, 30, 70, 70])], num_frames=3, visible=False, motion=0.0, shape=shape
        )
        return [box_of(sweep.step(t, moving[t])[0]) for t in range(3)]

    without = boxes(None)
    assert without[1] == (90, 90, 120, 120)
    kept = boxes(0.5)
    assert all(abs(a - b) <= 1 for a, b in zip(kept[1], (34, 32, 74, 72), strict=True))  # moved (+4, +2)
    assert kept[2] == (38, 34, 78, 74)  # the model's mask agrees with the moved one: it is kept


def test_each_objects_last_mask_is_kept_through_snapshots_and_splits(model, moving, spy):  # noqa: F811
    _, script = spy
    script.update({0: [(30, 30, 70, 70), (80, 80, 100, 100)]})
    prompts = [box_prompt(1, 0, [30, 30, 70, 70]), box_prompt(2, 0, [80, 80, 100, 100])]
    sweep = Propagation(model, prompts, num_frames=2, visible=False, motion=0.0, shape=0.8)
    sweep.step(0, moving[0])
    (group,) = sweep.groups
    assert [mask_box(s[0] > 0) for s in group.shapes] == [(30, 30, 70, 70), (80, 80, 100, 100)]
    (copy,) = sweep.snapshot()
    assert copy.shapes is not group.shapes and all(
        np.array_equal(a[0], b[0]) for a, b in zip(copy.shapes, group.shapes, strict=True)
    )
    assert mask_box(group.take([1]).shapes[0][0] > 0) == (80, 80, 100, 100)
