"""Tracking with search regions: each object is cropped around its last box, Mspec and prompts move into the crop,
and masks come back to the right place in the frame."""

from __future__ import annotations

import pytest
import torch

from amodal_vos.model import build_model
from amodal_vos.model.prior import spec_from_box
from amodal_vos.model.search import SearchConfig, boxes_to_crop, square_crops
from amodal_vos.model.transforms import frames_to_input
from amodal_vos.tracking import AmodalTracker, Prompt
from amodal_vos.tracking.propagation import Propagation

from .conftest import HEIGHT, SIZE, WIDTH, frames_of
from .test_propagation import box_logits, box_prompt

HW = (HEIGHT, WIDTH)


@pytest.fixture
def native(clip):
    return [frames_to_input(f, None) for f in frames_of(clip[0])[:6]]


def test_each_object_is_cropped_around_its_last_box(search_model, native, monkeypatch):
    cfg = SearchConfig.from_config(search_model.config)
    script = {0: [(40, 40, 80, 60), (10, 10, 30, 30)], 1: [None, (20, 20, 60, 60)]}  # crop pixels
    seen = []
    encode, track_frame = search_model.encode, search_model.track_frame

    def recording_encode(img, prior_mask=None):
        if prior_mask is not None:
            seen.append((img.shape, prior_mask.clone()))
        return encode(img, prior_mask)

    def scripted(t, feats, memory, **kwargs):
        out = track_frame(t, feats, memory, **kwargs)
        if t in script:
            out["pred_masks_high_res"] = box_logits(out["pred_masks_high_res"], script[t])
        return out

    monkeypatch.setattr(search_model, "encode", recording_encode)
    monkeypatch.setattr(search_model, "track_frame", scripted)
    prompts = [box_prompt(1, 0, [20, 10, 44, 40]), box_prompt(2, 0, [60, 30, 70, 50])]  # frame pixels
    sweep = Propagation(search_model, prompts, num_frames=3, visible=False, hw=HW)
    steps = [sweep.step(t, native[t]) for t in range(3)]
    first = square_crops(torch.tensor([[20.0, 10, 44, 40], [60, 30, 70, 50]]), HW, SIZE, cfg)
    assert torch.equal(torch.stack([s.crop for s in steps[0]]), first)
    assert seen[0][0][0] == 2  # one crop per object
    # frame 1's crops sit around frame 0's predicted boxes, mapped from crop to frame pixels
    scale = (first[:, 2] - first[:, 0]) / SIZE
    box0 = torch.tensor([[40.0, 40, 80, 60], [10, 10, 30, 30]]) * scale[:, None] + first[:, [0, 1, 0, 1]]
    second = square_crops(box0, HW, SIZE, cfg)
    assert torch.allclose(torch.stack([s.crop for s in steps[1]]), second)
    assert torch.allclose(steps[1][0].prior_box, boxes_to_crop(box0[:1], second[:1], SIZE)[0])
    specs = spec_from_box(torch.stack([s.prior_box for s in steps[1]]), (SIZE, SIZE))
    assert torch.equal(seen[1][1], specs)  # Mspec: the previous box in this crop's pixels, enlarged 20%
    # object 1 is lost on frame 1: frame 2 keeps its box and grows its crop by lost_growth
    third = torch.stack([s.crop for s in steps[2]])
    side = lambda c: (c[2] - c[0]).item()  # noqa: E731
    assert side(third[0]) == pytest.approx(side(second[0]) * cfg.lost_growth)
    assert sweep.groups[0].lost.tolist() == [0.0, 0.0]  # ... and the scripted frame 2 finds it again


def test_masks_are_pasted_where_the_crop_lies_in_the_frame(search_model, clip, monkeypatch):
    track_frame = search_model.track_frame

    def everything(t, feats, memory, **kwargs):
        out = track_frame(t, feats, memory, **kwargs)
        out["pred_masks_high_res"] = torch.full_like(out["pred_masks_high_res"], 5.0)  # the whole crop
        return out

    monkeypatch.setattr(search_model, "track_frame", everything)
    tracker = AmodalTracker(search_model, visible=False)
    result = tracker.track(clip[0], [Prompt.from_box((40, 30, 8, 6))], max_frames=2)
    mask = result.masks(0).amodal[0]
    ys, xs = mask.nonzero()
    # a 8x6 box: the crop is 2.5 x 8 = 20 px, at least 128 / 4 = 32 px, centred on (44, 33)
    assert (xs.min(), xs.max() + 1, ys.min(), ys.max() + 1) == (28, 60, 17, 49)


def test_a_visible_token_model_gives_both_masks_from_one_encoder_pass(clip, monkeypatch):
    torch.manual_seed(0)
    m = build_model("small", ["visible_head=token"], image_size=SIZE)
    with torch.no_grad():
        m.sam_mask_decoder.pred_obj_score_head.layers[2].bias += 3.0
    priors, tokens = [], []
    encode, track_frame = m.encode, m.track_frame

    def recording_encode(img, prior_mask=None):
        priors.append(prior_mask is not None)
        return encode(img, prior_mask)

    def recording_track(t, feats, memory, **kwargs):
        out = track_frame(t, feats, memory, **kwargs)
        tokens.append((out["visible_high_res"], out["pred_masks_high_res"]))
        return out

    monkeypatch.setattr(m, "encode", recording_encode)
    monkeypatch.setattr(m, "track_frame", recording_track)
    result = AmodalTracker(m, visible=True).track(clip[0], [Prompt.from_box((20, 10, 24, 30))], max_frames=3)
    assert priors == [True, True, True]  # no modal pass, not even on the prompt frame of a box prompt
    for t, (vis, amo) in enumerate(tokens):
        frame = result.masks(t)
        expected = torch.nn.functional.interpolate(torch.minimum(vis, amo), size=HW, mode="bilinear") > 0
        assert (frame.visible[0] == expected[0, 0].numpy()).mean() > 0.99
        assert not (frame.visible[0] & ~frame.amodal[0]).any()
