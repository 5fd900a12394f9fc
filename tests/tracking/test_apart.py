"""Keeping objects apart (tracking/apart.py): a mask that jumps onto another object's keeps its last mask."""

from __future__ import annotations

import numpy as np
import torch

from amodal_vos.tracking.apart import KeepApart, iou
from amodal_vos.tracking.propagation import Propagation
from amodal_vos.tracking.shape_flow import model_grid

from .test_motion import moving  # noqa: F401  (a fixture)
from .test_propagation import box_prompt, spy  # noqa: F401  (a fixture)
from .test_shape_flow import disc_logits, mask_box

SIZE = 128
WHOLE = model_grid(None, (SIZE, SIZE), SIZE)


def test_the_mask_that_left_its_own_last_mask_is_the_one_that_jumped():
    a, b = disc_logits(40, 40, 15), disc_logits(90, 90, 15)
    near_a, near_b = disc_logits(42, 41, 15), disc_logits(89, 91, 15)
    assert KeepApart().jumped([a, near_a], [a, b], [WHOLE, WHOLE]) == [1]
    assert KeepApart().jumped([near_b, b], [a, b], [WHOLE, WHOLE]) == [0]  # either order


def test_separate_masks_and_a_pair_together_already_are_left_alone():
    a, b = disc_logits(40, 40, 15), disc_logits(90, 90, 15)
    assert KeepApart().jumped([a, b], [a, b], [WHOLE, WHOLE]) == []
    assert KeepApart().jumped([a, a], [a, a], [WHOLE, WHOLE]) == []  # nothing tells which one is right
    assert KeepApart().jumped([a, a], [a, None], [WHOLE, WHOLE]) == []  # no last mask: not judged


def test_masks_are_compared_in_frame_pixels_across_crops():
    """Object 0's crop is the frame's top-left 64 px (2x zoom), object 1's the whole 128 px frame: a disc at
    frame (30, 30) r 10 is (59.5, 59.5) r 20 in the first and (30, 30) r 10 in the second."""
    crop = model_grid(torch.tensor([0.0, 0.0, 64.0, 64.0]), (SIZE, SIZE), SIZE)
    same = [disc_logits(59.5, 59.5, 20), disc_logits(30, 30, 10)]
    assert iou(same[0], same[1]) < 0.5  # not the same pixels of the model grids
    last = [disc_logits(59.5, 59.5, 20), disc_logits(100, 100, 10)]
    assert KeepApart().jumped(same, last, [crop, WHOLE]) == [1]


def test_propagation_keeps_the_last_mask_of_the_object_that_jumped(model, moving, spy):  # noqa: F811
    _, script = spy
    script.update({0: [(30, 30, 70, 70), (90, 90, 110, 110)], 1: [(34, 32, 74, 72), (34, 32, 74, 72)]})
    prompts = [box_prompt(1, 0, [30, 30, 70, 70]), box_prompt(2, 0, [90, 90, 110, 110])]

    def frame_one(apart):
        sweep = Propagation(model, prompts, num_frames=2, visible=False, motion=0.0, shape=0.8, apart=apart)
        sweep.step(0, moving[0])
        return [mask_box((s.amodal > 0).numpy()) for s in sweep.step(1, moving[1])]

    assert frame_one(None) == [(34, 32, 74, 72), (34, 32, 74, 72)]  # object 2 collapsed onto object 1
    kept = frame_one(0.7)
    assert kept[0] == (34, 32, 74, 72) and kept[1] == (90, 90, 110, 110)  # object 2 stays where it was
    assert np.isfinite(kept).all()


def test_the_trackers_hand_apart_to_their_sweeps_and_record_it(model):
    from amodal_vos.tracking import AmodalPredictor, AmodalTracker

    frames = np.random.default_rng(0).integers(0, 255, (2, 64, 64, 3), dtype=np.uint8)
    tracker = AmodalTracker(model, visible=False, apart=0.7)
    result = tracker.track(frames, [(10, 10, 20, 20)])
    (sweep,) = tracker.last_run.propagations
    assert isinstance(sweep.rules.apart, KeepApart) and sweep.rules.apart.iou == 0.7
    assert result.model["keep_apart"] == 0.7
    assert AmodalPredictor.from_tracker(tracker).apart == 0.7
    default = AmodalTracker(model, visible=False)
    assert default.track(frames, [(10, 10, 20, 20)]).model["keep_apart"] is None  # off by default
    assert default.last_run.propagations[0].rules.apart is None
