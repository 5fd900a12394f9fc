"""From clips to batches and prompts: target rules, resizing, prompt geometry."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from amodal_vos.data.sample import Clip, ObjectTrack
from amodal_vos.errors import UserError
from amodal_vos.model.prior import mask_to_box
from amodal_vos.train.batch import TargetRules, collate, draw_sample, pick_sample, resize_masks
from amodal_vos.train.prompts import choose_kind, jitter_box, make_prompt, sample_points


def _clip(visible_px: list[int], occluded: list[bool], t: int = 3, size: int = 32) -> Clip:
    """Objects whose frame-0 visible part is a row strip of the given pixel count; optionally occluded on frame 1."""
    objs = []
    for k, (px, occ) in enumerate(zip(visible_px, occluded, strict=True)):
        amodal = np.zeros((t, size, size), bool)
        amodal[:, k * 4 : k * 4 + 3, :] = True
        visible = amodal.copy()
        visible[0] = False
        visible[0].reshape(-1)[np.flatnonzero(amodal[0])[:px]] = True
        if occ:
            visible[1, :, : size // 2] = False
        objs.append(ObjectTrack(k, amodal, visible))
    return Clip(np.zeros((t, size, size, 3), np.uint8), objs)


def test_pick_sample_applies_the_visibility_rules_and_the_occluded_bias():
    clip = _clip([96, 5, 60], [False, False, True])
    rules = TargetRules(min_visible_px=30, min_visible_frac=0.25, occluded_bias=1.0)
    for seed in range(10):
        s = pick_sample(clip, 3, 32, rules, np.random.default_rng(seed))
        assert s.amodal[1].sum() > s.visible[1].sum()  # always the occluded one, object 2
    picked = {int(np.argmax(pick_sample(clip, 3, 32, TargetRules(30, 0.25, 0.0), np.random.default_rng(s)).amodal[0].any(1)))
              for s in range(20)}  # fmt: skip
    assert picked == {0, 8}  # objects 0 and 2 (rows 0 and 8); object 1 is too small on its first frame
    assert pick_sample(_clip([5], [False]), 3, 32, rules, np.random.default_rng(0)) is None


def test_draw_sample_gives_up_with_a_user_error():
    class Empty:
        def sample(self, rng, num_frames):
            return _clip([1], [False])

    with pytest.raises(UserError, match="no usable target"):
        draw_sample(Empty(), 3, 32, TargetRules(), np.random.default_rng(0), tries=3)


def test_resize_masks_keeps_pixels_at_least_half_covered():
    m = np.zeros((1, 8, 8), bool)
    m[0, :4, :2] = True  # covers model pixel (0,0) fully, (1,0) fully at 4x4
    m[0, 4, 2] = True  # 1/4 of model pixel (2,1): dropped
    out = resize_masks(m, 4)
    assert out[0].nonzero().tolist() == [[0, 0], [1, 0]]


def test_collate_stacks_and_keeps_visible_inside_amodal():
    s = pick_sample(_clip([90], [True]), 3, 32, TargetRules(), np.random.default_rng(0))
    batch = collate([s, s], 64)
    assert batch.frames.shape == (2, 3, 3, 64, 64) and batch.amodal.shape == (2, 3, 64, 64)
    assert not (batch.visible & ~batch.amodal).any()
    assert batch.unoccluded is None


def test_jitter_box_stays_valid():
    box = torch.tensor([[10.0, 10.0, 12.0, 30.0]])
    for seed in range(20):
        out = jitter_box(box, np.random.default_rng(seed).standard_normal((1, 4)) * 5, 0.5, 32)
        assert (out >= 0).all() and (out <= 32).all()
        assert (out[:, 2:] - out[:, :2] >= 1).all()
    assert torch.equal(jitter_box(box, np.zeros((1, 4)), 0.5, 32), box)


def test_points_fall_inside_the_visible_mask():
    mask = np.zeros((16, 16), bool)
    mask[3:5, 10:13] = True
    pts = sample_points(mask, 50, np.random.default_rng(0))
    assert mask[pts[:, 1].astype(int), pts[:, 0].astype(int)].all()


def test_box_prompt_uses_the_visible_or_the_amodal_box():
    vis = torch.zeros(1, 32, 32, dtype=torch.bool)
    vis[0, 4:10, 4:8] = True
    amo = vis.clone()
    amo[0, 4:10, 4:20] = True
    rngs = [np.random.default_rng(0)]
    p = make_prompt("box", vis, amo, rngs, {"amodal_box": 0.0, "box_jitter": 0.0})
    assert torch.equal(p.spec_box, mask_to_box(vis)[0])
    assert p.point_inputs["point_labels"].tolist() == [[2, 3]]
    p = make_prompt("box", vis, amo, rngs, {"amodal_box": 1.0, "box_jitter": 0.0})
    assert torch.equal(p.spec_box, mask_to_box(amo)[0])
    p = make_prompt(
        "point", vis, amo, rngs, {}, num_points=3
    )  # Mspec: the visible box, as the tracker's modal mask
    assert torch.equal(p.spec_box, mask_to_box(vis)[0]) and p.point_inputs["point_coords"].shape == (1, 3, 2)
    p = make_prompt("mask", vis, amo, rngs, {})
    assert torch.equal(p.mask_inputs[:, 0].bool(), vis)


def test_negative_clicks_lie_off_the_object_near_it_and_are_drawn_only_when_asked():
    vis = torch.zeros(4, 64, 64, dtype=torch.bool)
    vis[:, 20:30, 20:28] = True
    amo = vis.clone()
    amo[:, 20:30, 28:40] = True  # the hidden part: a negative click there would contradict the amodal target
    rngs = lambda: [np.random.default_rng(i) for i in range(4)]  # noqa: E731
    p = make_prompt("point", vis, amo, rngs(), {"negative": 1.0, "negative_margin": 0.5}, num_points=3)
    labels, pts = p.point_inputs["point_labels"], p.point_inputs["point_coords"]
    assert labels[:, 0].eq(1).all() and labels[:, 1:].eq(0).all()
    for i in range(4):
        for (x, y), label in zip(pts[i].int().tolist(), labels[i].tolist(), strict=True):
            assert bool(vis[i, y, x]) == (label == 1) and (label == 1 or not amo[i, y, x])
            assert 15 <= x < 33 and 15 <= y < 35  # inside the visible box grown by half its size per side
    plain = make_prompt("point", vis, amo, rngs(), {}, num_points=3)
    off = make_prompt("point", vis, amo, rngs(), {"negative": 0.0}, num_points=3)
    assert plain.point_inputs["point_labels"].eq(1).all()
    assert torch.equal(plain.point_inputs["point_coords"], off.point_inputs["point_coords"])


def test_choose_kind_follows_weights():
    rng = np.random.default_rng(0)
    kinds = [choose_kind(rng, {"box": 1.0, "mask": 3.0}) for _ in range(400)]
    assert set(kinds) == {"box", "mask"} and 0.65 < kinds.count("mask") / 400 < 0.85
    with pytest.raises(ValueError):
        choose_kind(rng, {"box": 0.0})
