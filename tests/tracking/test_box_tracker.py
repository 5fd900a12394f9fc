"""The appearance tracker for the prior box (tracking/box_tracker.py, OpenCV's CSRT): it follows a moving patch
from its first box, and propagation takes its box as the prior where the model's masks drift."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from amodal_vos.errors import UserError
from amodal_vos.model.transforms import frames_to_input
from amodal_vos.tracking import box_tracker
from amodal_vos.tracking.box_tracker import Look, check_csrt, clipped_box, colour_frame
from amodal_vos.tracking.likeness import colours, likeness
from amodal_vos.tracking.looks import start_look
from amodal_vos.tracking.motion import box_iou
from amodal_vos.tracking.propagation import Propagation

from .test_motion import frame_with_patch, near, texture
from .test_propagation import box_prompt, spec_rect, spy  # noqa: F401  (spy is a fixture)


def bgr(frame: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(frame[..., ::-1])


def test_colour_frame_undoes_the_normalisation_as_bgr():
    frame = texture(64, seed=3)
    assert np.abs(colour_frame(frames_to_input(frame, None)).astype(int) - bgr(frame)).max() <= 1


def test_flow_frames_take_the_callers_frame_as_it_is(model):
    frame = texture(128, seed=4)
    sweep = Propagation(model, [box_prompt(1, 0, [30, 30, 70, 70])], num_frames=2, visible=False,
                        motion=0.5, box_tracker=True)  # fmt: skip
    image = frames_to_input(frame, 128)
    assert np.array_equal(sweep.flow_frames(image, frame)[2], bgr(frame))
    assert np.abs(sweep.flow_frames(image)[2].astype(int) - bgr(frame)).max() <= 1


def test_boxes_are_clipped_to_the_frame_and_tiny_ones_are_not_followed():
    assert clipped_box([-10.5, 5.2, 30.0, 80.0], (64, 64)) == (0, 5, 30, 59)
    assert clipped_box([-10.0, 5.0, 3.0, 40.0], (64, 64)) is None
    assert Look.start(bgr(frame_with_patch(30, 30)), [125.0, 5.0, 135.0, 40.0], 0) is None  # 3 px inside 128


def test_csrt_follows_a_moving_patch_from_its_first_box():
    look = Look.start(bgr(frame_with_patch(20, 30)), [20.0, 30.0, 60.0, 70.0], 0)
    for t in range(1, 10):
        x, y = 20 + 5 * t, 30 + 3 * t
        box = look.update(bgr(frame_with_patch(x, y, hw=(160, 160))[:128, :128]), t)
        assert look.frame == t
        truth = torch.tensor([[x, y, min(x + 40, 128), min(y + 40, 128)]], dtype=torch.float32)
        assert box is not None and box_iou(box[None], truth).item() > 0.7, (t, box)


def test_csrt_runs_without_its_segmentation_mask(monkeypatch):
    """The segmentation mask cost a third of each update and moved no paired figure, so it is off."""
    made = []
    real = box_tracker.cv2.TrackerCSRT_create
    monkeypatch.setattr(
        box_tracker.cv2, "TrackerCSRT_create", lambda params: made.append(params) or real(params)
    )
    assert Look.start(bgr(frame_with_patch(20, 30)), [20.0, 30.0, 60.0, 70.0], 0) is not None
    assert [p.use_segmentation for p in made] == [False]


def test_a_missing_csrt_is_one_clear_error(monkeypatch):
    monkeypatch.delattr(box_tracker.cv2, "TrackerCSRT_create")
    with pytest.raises(UserError, match="opencv-contrib-python-headless"):
        check_csrt()


@pytest.fixture
def moving():
    """Five frames of a textured patch moving 4 px right and 2 px down per frame, from (30, 30)."""
    return [frames_to_input(frame_with_patch(30 + 4 * t, 30 + 2 * t), 128) for t in range(5)]


def test_the_prior_follows_csrt_where_the_masks_grow(model, moving, spy):  # noqa: F811
    """Masks that grow a little each frame stay within the flow's refusal threshold and carry the prior with them;
    with the box tracker the prior is CSRT's box on the patch."""
    calls, script = spy

    def priors(box_tracker: bool, ahead: bool = False) -> list[tuple]:
        calls.clear()
        script.update({t: [(30 - 4 * t, 30 - 4 * t, 70 + 6 * t, 70 + 6 * t)] for t in range(1, 5)})
        sweep = Propagation(model, [box_prompt(1, 0, [30, 30, 70, 70])], num_frames=5, visible=False,
                            motion=0.5, box_tracker=box_tracker)  # fmt: skip
        flows = [sweep.flow_frames(image) for image in moving]
        for t in range(5):
            upcoming = flows[t + 1] if ahead and t < 4 else None
            sweep.step(t, moving[t], flows[t], upcoming)
            if box_tracker:
                assert (sweep.groups[0].looks[0]._ahead is not None) == (upcoming is not None)
        return [spec_rect(p[0]) for _, p in calls]

    grown, followed = priors(False), priors(True)
    assert followed == priors(True, ahead=True)  # CSRT going ahead in its thread finds the same boxes
    assert grown[4][2] - grown[4][0] > 80  # the masks' growth made the prior twice the patch's size
    for t in range(1, 5):  # the patch's box (30 + 4t, 30 + 2t, +40) grown by 20 % per side
        x, y = 30 + 4 * t, 30 + 2 * t
        assert near(followed[t], (x - 8, y - 8, x + 48, y + 48), tol=3), (t, followed[t])


@pytest.mark.parametrize("x, gone", [(84, True), (30, False)])
def test_an_object_csrt_loses_at_the_border_is_absent_and_inside_hidden(model, spy, x, gone):  # noqa: F811
    """The patch is gone from frame 2 on (flat grey) and the scripted masks stay. With its box 2 px from the right
    edge the object is reported absent there; 54 px inside the frame it is taken as hidden and keeps its mask."""
    _, script = spy
    script.update({t: [(x + 2 * t, 30, x + 40 + 2 * t, 70)] for t in range(4)})
    frames = [frame_with_patch(x, 30), frame_with_patch(x + 2, 30)] + [
        np.full((128, 128, 3), 128, np.uint8)
    ] * 2
    for looks, absent in ((False, [False, False]), (True, [gone, gone])):
        sweep = Propagation(model, [box_prompt(1, 0, [x, 30, x + 40, 70])], num_frames=4, visible=False,
                            motion=0.5, box_tracker=looks)  # fmt: skip
        steps = [sweep.step(t, frames_to_input(f, 128))[0] for t, f in enumerate(frames)]
        assert [s.score == 0.0 and bool((s.amodal < 0).all()) for s in steps] == [False, False, *absent]
        assert all(bool((s.amodal > 0).any()) for s in steps[:2])


def test_csrt_gone_ahead_on_another_frame_is_an_error():
    look = Look.start(bgr(frame_with_patch(20, 30)), [20.0, 30.0, 60.0, 70.0], 0)
    image = bgr(frame_with_patch(24, 30))
    look.ahead(image, 1)
    with pytest.raises(ValueError, match="another frame"):
        look.update(image.copy(), 1)


class FarLook:
    """A CSRT stand-in that saw frame 0 and reports the object far from where it was."""

    frame = 0
    colours = origin = None

    def update(self, image, frame):
        self.frame = frame
        return torch.tensor([80.0, 80.0, 120.0, 120.0])


@pytest.mark.parametrize("mask_moved", [True, False])
def test_csrt_that_leaves_the_moved_mask_is_not_taken(model, moving, mask_moved):
    """Where the last mask moved with its own pixels (a trusted shape_flow move) and CSRT's box does not overlap it,
    the moved mask's box stays the prior and CSRT goes on from where it is; without a trusted mask move CSRT's box
    is taken."""
    sweep = Propagation(model, [box_prompt(1, 0, [30, 30, 70, 70])], num_frames=2, visible=False,
                        motion=0.5, box_tracker=True)  # fmt: skip
    sweep.step(0, moving[0])
    g = sweep.groups[0]
    g.boxes, g.looks = torch.tensor([[34.0, 32.0, 74.0, 72.0]]), [FarLook()]
    moved = {id(g): (g.boxes, torch.tensor([mask_moved]), ["a move" if mask_moved else None])}
    sweep.looks.follow(1, colour_frame(moving[1]), [g], moved)
    expected = [34.0, 32.0, 74.0, 72.0] if mask_moved else [80.0, 80.0, 120.0, 120.0]
    assert g.boxes.tolist() == [expected] and isinstance(g.looks[0], FarLook)
    assert sweep.looks.unseen == set()


def two_patches() -> np.ndarray:
    """BGR frame: a red square at (30, 30) and a blue one at (80, 80), both 40 px, on grey."""
    frame = np.full((128, 128, 3), 128, np.uint8)
    frame[30:70, 30:70] = (0, 0, 220)
    frame[80:120, 80:120] = (220, 0, 0)
    return frame


def test_likeness_tells_the_objects_colours_from_anothers():
    frame = two_patches()
    red = colours(frame, [30.0, 30.0, 70.0, 70.0])
    assert likeness(red, frame, [32.0, 31.0, 71.0, 69.0]) > 0.8  # a little grey in it
    assert likeness(red, frame, [80.0, 80.0, 120.0, 120.0]) < 0.2
    assert likeness(red, frame, [125.0, 5.0, 135.0, 40.0]) == -1.0  # 3 px inside the frame: too small to tell
    assert colours(frame, [125.0, 5.0, 135.0, 40.0]) is None


@pytest.mark.parametrize("own_on_object", [True, False])
def test_where_csrt_and_the_own_box_part_the_one_like_the_object_wins(model, own_on_object):
    """CSRT (a stand-in) reports the blue square, the object's own box (moved by an untrusted flow) lies on the red
    one. With the red square's colours the own box stays the prior; with the blue square's, CSRT's box is taken.
    CSRT goes on either way."""
    frame = two_patches()
    sweep = Propagation(model, [box_prompt(1, 0, [30, 30, 70, 70])], num_frames=2, visible=False,
                        motion=0.5, box_tracker=True)  # fmt: skip
    g = sweep.groups[0]
    far = FarLook()
    far.colours = colours(frame, [30.0, 30.0, 70.0, 70.0] if own_on_object else [80.0, 80.0, 120.0, 120.0])
    g.boxes, g.looks = torch.tensor([[31.0, 30.0, 71.0, 70.0]]), [far]
    sweep.looks.follow(1, frame, [g], {id(g): (g.boxes, torch.tensor([False]), [None])})
    expected = [31.0, 30.0, 71.0, 70.0] if own_on_object else [80.0, 80.0, 120.0, 120.0]
    assert g.boxes.tolist() == [expected] and g.looks[0] is far


def test_a_prompt_gives_csrt_the_objects_colours_and_a_later_start_keeps_them(model):
    frame = two_patches()
    sweep = Propagation(model, [box_prompt(1, 0, [30, 30, 70, 70])], num_frames=2, visible=False,
                        motion=0.5, box_tracker=True)  # fmt: skip
    g = sweep.groups[0]
    g.boxes = torch.tensor([[30.0, 30.0, 70.0, 70.0]])
    sweep.looks.start(0, frame, [g])
    red = g.looks[0].colours
    assert likeness(red, frame, [30.0, 30.0, 70.0, 70.0]) > 0.99
    assert start_look(g.looks[0], frame, [80.0, 80.0, 120.0, 120.0], 1).colours is red


def test_csrt_that_stays_where_it_started_while_the_object_moves_on_starts_again(model, moving):
    """CSRT that learned something static in the prompt box reports the box it started from while the object's own
    box has moved away with its pixels: the own box is the prior and CSRT starts again from it, keeping the object's
    colours."""
    sweep = Propagation(model, [box_prompt(1, 0, [30, 30, 70, 70])], num_frames=2, visible=False,
                        motion=0.5, box_tracker=True)  # fmt: skip
    g = sweep.groups[0]
    stuck = FarLook()
    stuck.origin, stuck.colours = torch.tensor([80.0, 80.0, 120.0, 120.0]), np.ones(128, np.float32)
    g.boxes, g.looks = torch.tensor([[34.0, 32.0, 74.0, 72.0]]), [stuck]
    moved = {id(g): (g.boxes, torch.tensor([True]), ["a move"])}
    sweep.looks.follow(1, colour_frame(moving[1]), [g], moved)
    assert g.boxes.tolist() == [[34.0, 32.0, 74.0, 72.0]]
    assert isinstance(g.looks[0], Look) and g.looks[0].frame == 1 and g.looks[0].colours is stuck.colours
