"""Objects that slide out through the frame's border are reported absent (tracking/exits.py), and come back there."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from amodal_vos.tracking.exits import Exits, touching
from amodal_vos.tracking.propagation import Propagation

from .test_propagation import box_prompt, images, spy  # noqa: F401  (fixtures)

HW = (100, 200)


def judge(boxes: list, present: list | None = None, prompted: list | None = None) -> list[bool]:
    """One object's boxes (xyxy, one per step) through ``Exits`` in a group of its own: gone per step."""
    group, exits = SimpleNamespace(extent=None, gone=None), Exits(0.2)
    out = []
    for t, box in enumerate(boxes):
        seen = torch.tensor([True if present is None else present[t]])
        on_prompt = prompted is not None and t in prompted
        out.append(bool(exits.step(group, torch.tensor([box], dtype=torch.float32), seen, HW, on_prompt)[0]))
    return out


def test_edges_a_box_touches():
    boxes = torch.tensor(
        [[0.5, 10, 50, 60], [150, 10, 199.5, 60], [20, 0, 60, 40], [20, 50, 60, 100], [5, 5, 9, 9]]
    )
    assert touching(boxes, HW).tolist() == [
        [True, False, False, False],
        [False, True, False, False],
        [False, False, True, False],
        [False, False, False, True],
        [False, False, False, False],
    ]


def test_touching_within_a_margin_on_every_edge():
    """With a margin (looks.py: an object CSRT loses this close to the border is gone), a box this close to an
    edge, or across it, touches that edge."""
    hw = (100, 200)
    inside = torch.tensor([[10.0, 10.0, 190.0, 90.0]])  # 10 px inside on every side
    assert not touching(inside, hw, 8).any()
    assert touching(inside, hw, 10).all()
    boxes = torch.tensor(
        [[8.0, 20, 50, 50], [20, 8.0, 50, 50], [150, 20, 192.0, 50], [150, 50, 180, 92.0], [-5.0, 20, 30, 50]]
    )
    assert touching(boxes, hw, 8).tolist() == [
        [True, False, False, False],
        [False, False, True, False],
        [False, True, False, False],
        [False, False, False, True],
        [True, False, False, False],
    ]


def test_an_object_sliding_out_on_the_right_is_gone_and_comes_back_there():
    out = [[100, 40, 150, 60], [160, 40, 200, 60], [185, 40, 200, 60], [192, 40, 200, 60], [195, 40, 200, 60]]
    back = [[190, 40, 200, 60], [170, 40, 200, 60], [150, 40, 190, 60]]
    # widest 50 px: 40 and 15 px at the edge are still in view, 8 px (< 10) is gone; 10 px back is too little,
    # 30 px (>= 25) at the edge it left by is back
    assert judge(out + back) == [False, False, False, True, True, True, False, False]


def test_an_object_that_shrinks_inside_the_frame_is_never_gone():
    assert judge([[50, 20, 150, 80], [90, 45, 100, 55], [95, 48, 97, 50]]) == [False, False, False]


def test_coming_back_through_another_edge_does_not_count():
    boxes = [[100, 40, 150, 60], [195, 40, 200, 60], [0, 40, 40, 60], [160, 40, 200, 60]]
    assert judge(boxes) == [False, True, True, False]


def test_frames_reported_absent_otherwise_and_prompt_frames_change_nothing():
    boxes = [[100, 40, 150, 60], [195, 40, 200, 60], [195, 40, 200, 60]]
    assert judge(boxes, present=[True, False, True]) == [False, False, True]
    assert judge(boxes, prompted=[1]) == [
        False,
        False,
        True,
    ]  # the user's prompt there: in view on that frame


@pytest.mark.parametrize("exits", [0.2, None])
def test_a_sweep_reports_the_object_that_slid_out_absent(model, images, spy, exits):  # noqa: F811
    """The scripted masks slide out on the right of the 128 px frame; with ``exits`` the last one is absent."""
    _, script = spy
    script.update(
        {0: [(30, 30, 70, 70)], 1: [(80, 30, 120, 70)], 2: [(100, 30, 128, 70)], 3: [(122, 30, 128, 70)]}
    )
    sweep = Propagation(model, [box_prompt(1, 0, [30, 30, 70, 70])], num_frames=4, visible=False, exits=exits)
    steps = [sweep.step(t, images[t])[0] for t in range(4)]
    gone = [s.score == 0.0 and bool((s.amodal < 0).all()) for s in steps]
    assert gone == [False, False, False, exits is not None]
