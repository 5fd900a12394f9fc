"""Dropping stray parts (tracking/strays.py): a piece of a mask that lies on another object's mask is removed."""

from __future__ import annotations

import numpy as np
import torch

from amodal_vos.tracking.shape_flow import model_grid
from amodal_vos.tracking.strays import DropStrays

from .test_shape_flow import disc_logits

SIZE = 128
WHOLE = model_grid(None, (SIZE, SIZE), SIZE)


def union(*parts: np.ndarray) -> np.ndarray:
    return np.maximum.reduce(parts)


def test_a_part_on_another_object_that_was_its_before_is_dropped():
    own, theirs = disc_logits(40, 40, 15), disc_logits(90, 90, 15)
    stray = disc_logits(90, 90, 8)  # a smaller blob inside the other object's disc
    new = [union(own, stray), theirs]
    changed = DropStrays().clean(new, [own, theirs], [WHOLE, WHOLE])
    assert changed == [0]
    assert np.array_equal(new[0] > 0, own > 0)  # the object's own disc is left whole
    assert np.array_equal(new[1], theirs)


def test_parts_over_scenery_its_own_parts_and_its_largest_part_stay():
    own, theirs = disc_logits(40, 40, 15), disc_logits(90, 90, 15)
    scenery = union(own, disc_logits(40, 90, 8))  # a second piece where no other object is
    assert DropStrays().clean([scenery, theirs], [own, theirs], [WHOLE, WHOLE]) == []
    mine = union(own, disc_logits(90, 90, 8))
    # the blob was the object's own on the last step (its last mask covered it, the other's did not)
    assert DropStrays().clean([mine, theirs], [mine, disc_logits(110, 110, 8)], [WHOLE, WHOLE]) == []
    big = union(disc_logits(40, 40, 6), disc_logits(90, 90, 15))  # the largest part is on the other object
    assert DropStrays().clean([big, theirs], [own, theirs], [WHOLE, WHOLE]) == []
    assert DropStrays().clean([union(own, disc_logits(90, 90, 8))], [own], [WHOLE]) == []  # one object alone


def test_a_part_only_partly_on_another_object_stays_below_the_share():
    own, theirs = disc_logits(40, 40, 15), disc_logits(90, 90, 15)
    half = disc_logits(103, 90, 8)  # about half of it outside the other object's disc
    new = [union(own, half), theirs]
    assert DropStrays(0.8).clean([n.copy() for n in new], [own, theirs], [WHOLE, WHOLE]) == []
    assert DropStrays(0.3).clean(new, [own, theirs], [WHOLE, WHOLE]) == [0]


def test_every_object_is_judged_on_the_masks_the_model_gave():
    """Two objects that each hold a piece of the other: both pieces go, whichever object is looked at first."""
    a, b = disc_logits(40, 40, 15), disc_logits(90, 90, 15)
    new = [union(a, disc_logits(90, 90, 6)), union(b, disc_logits(40, 40, 6))]
    flipped = [new[1].copy(), new[0].copy()]
    assert DropStrays().clean(new, [a, b], [WHOLE, WHOLE]) == [0, 1]
    assert DropStrays().clean(flipped, [b, a], [WHOLE, WHOLE]) == [0, 1]
    assert np.array_equal(new[0] > 0, a > 0) and np.array_equal(flipped[0] > 0, b > 0)


def test_masks_are_compared_in_frame_pixels_across_crops():
    """Object 1's crop is the frame's top-left 64 px (2x zoom): the other object's disc at frame (30, 30) r 10 is
    (59.5, 59.5) r 20 there."""
    crop = model_grid(torch.tensor([0.0, 0.0, 64.0, 64.0]), (SIZE, SIZE), SIZE)
    own, theirs = disc_logits(100, 100, 15), disc_logits(59.5, 59.5, 20)
    new = [union(own, disc_logits(30, 30, 6)), theirs]
    assert DropStrays().clean(new, [own, theirs], [WHOLE, crop]) == [0]
    assert np.array_equal(new[0] > 0, own > 0)


def test_the_trackers_drop_strays_by_default_and_record_it(model):
    from amodal_vos.tracking import AmodalPredictor, AmodalTracker

    frames = np.random.default_rng(0).integers(0, 255, (2, 64, 64, 3), dtype=np.uint8)
    tracker = AmodalTracker(model, visible=False)
    result = tracker.track(frames, [(10, 10, 20, 20)])
    (sweep,) = tracker.last_run.propagations
    assert isinstance(sweep.rules.strays, DropStrays) and sweep.rules.strays.share == 0.8
    assert result.model["drop_strays"] == 0.8
    assert AmodalPredictor.from_tracker(AmodalTracker(model, strays=0.5)).strays == 0.5
    off = AmodalTracker(model, visible=False, shape=None)  # strays need moved masks
    assert off.track(frames, [(10, 10, 20, 20)]).model["drop_strays"] is None
    assert off.last_run.propagations[0].rules is None  # no mask rules at all
