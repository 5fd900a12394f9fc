"""Box -> enlarged box -> Mspec, and mask -> box."""

from __future__ import annotations

import numpy as np
import torch

from amodal_vos.model.prior import (
    box_to_mask,
    enlarge_box,
    mask_to_box,
    next_boxes,
    spec_from_box,
    xywh_to_xyxy,
    xyxy_to_xywh,
)


def test_xywh_round_trip():
    box = torch.tensor([10.0, 20.0, 30.0, 40.0])
    assert xywh_to_xyxy(box).tolist() == [10, 20, 40, 60]
    assert xyxy_to_xywh(xywh_to_xyxy(box)).tolist() == box.tolist()


def test_enlarge_adds_twenty_percent_per_side_and_clips():
    box = torch.tensor([[20.0, 30.0, 70.0, 50.0]])  # w 50, h 20
    assert enlarge_box(box, (100, 100)).tolist() == [[10.0, 26.0, 80.0, 54.0]]
    assert enlarge_box(torch.tensor([[0.0, 0.0, 50.0, 90.0]]), (100, 60)).tolist() == [
        [0.0, 0.0, 60.0, 100.0]
    ]


def test_box_mask_covers_exactly_the_box_pixels():
    mask = box_to_mask(torch.tensor([[2.0, 3.0, 5.0, 7.0]]), (10, 8))
    assert mask.shape == (1, 1, 10, 8)
    expected = np.zeros((10, 8))
    expected[3:7, 2:5] = 1
    assert np.array_equal(mask[0, 0].numpy(), expected)
    assert box_to_mask(torch.tensor([[4.2, 4.2, 4.4, 4.4]]), (10, 10)).sum() == 1  # sub-pixel box: one pixel


def test_spec_from_box_is_the_enlarged_box():
    spec = spec_from_box(torch.tensor([[20.0, 20.0, 30.0, 40.0]]), (64, 64))
    box, valid = mask_to_box(spec[:, 0] > 0)
    assert valid.all() and box.tolist() == [[18.0, 16.0, 32.0, 44.0]]


def test_mask_to_box_and_empty_masks():
    masks = np.zeros((2, 20, 30), bool)
    masks[0, 5:9, 10:25] = True
    box, valid = mask_to_box(masks)
    assert valid.tolist() == [True, False]
    assert box[0].tolist() == [10, 5, 25, 9] and box[1].tolist() == [0, 0, 0, 0]


def test_next_boxes_keeps_last_good_box_when_lost():
    pred = torch.zeros(2, 16, 16, dtype=torch.bool)
    pred[0, 2:6, 3:9] = True
    last = torch.tensor([[0.0, 0.0, 4.0, 4.0], [5.0, 6.0, 10.0, 12.0]])
    boxes, found = next_boxes(pred, last)
    assert found.tolist() == [True, False]
    assert boxes.tolist() == [[3, 2, 9, 6], [5, 6, 10, 12]]
