"""The training rollout drives the memory bank as inference does: Mspec from the previous prediction's enlarged
box, no Mspec with adapters bypassed, pruning without changing results."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from amodal_vos.model.build import build_model
from amodal_vos.model.prior import next_boxes, spec_from_box
from amodal_vos.model.transforms import box_prompt
from amodal_vos.train.prompts import Prompt
from amodal_vos.train.rollout import prune_memory, rollout


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = build_model("small", image_size=64)
    with torch.no_grad():  # make the adapters do something, so Mspec matters
        for _, p in m.adapter_parameters():
            p.normal_(0, 0.05)
    return m.eval()


def _prompt(boxes: torch.Tensor) -> Prompt:
    return Prompt("box", box_prompt(boxes), None, boxes)


@pytest.fixture
def priors(model, monkeypatch) -> list:
    """The prior (Mspec) of every encoder call the model makes, None where the adapters are bypassed."""
    seen = []
    encode = model.encode

    def spy(img, prior=None):
        seen.append(None if prior is None else prior.clone())
        return encode(img, prior)

    monkeypatch.setattr(model, "encode", spy)
    return seen


def test_mspec_follows_the_previous_prediction(model, priors):
    seen = priors
    frames = torch.randn(2, 4, 3, 64, 64)
    boxes = torch.tensor([[10.0, 12.0, 30.0, 40.0], [30.0, 5.0, 50.0, 20.0]])
    with torch.no_grad():
        outs = rollout(model, frames, _prompt(boxes))
    assert torch.equal(seen[0], spec_from_box(boxes, (64, 64)))
    last = boxes
    for t in range(1, 4):
        pred = outs[t - 1]["pred_masks_high_res"][:, 0] > 0
        last, _ = next_boxes(pred, last)
        assert torch.equal(seen[t], spec_from_box(last, (64, 64))), f"frame {t}"
    seen.clear()
    with torch.no_grad():
        rollout(model, frames, _prompt(boxes), adapters=False)
    assert seen == [None] * 4


def test_spec_jitter_moves_only_later_frames(model, priors):
    seen = priors
    frames = torch.randn(1, 3, 3, 64, 64)
    boxes = torch.tensor([[10.0, 12.0, 30.0, 40.0]])
    noise = torch.from_numpy(np.random.default_rng(0).standard_normal((1, 3, 4))).float() * 3
    with torch.no_grad():
        rollout(model, frames, _prompt(boxes))
        plain = list(seen)
        seen.clear()
        rollout(model, frames, _prompt(boxes), spec_jitter=0.2, spec_noise=noise)
    assert torch.equal(seen[0], plain[0])
    assert not torch.equal(seen[1], plain[1])


def test_spec_drop_gives_a_whole_input_prior_on_the_dropped_frames_only(model, priors):
    seen = priors
    frames = torch.randn(2, 3, 3, 64, 64)
    boxes = torch.tensor([[10.0, 12.0, 30.0, 40.0], [30.0, 5.0, 50.0, 20.0]])
    drop = torch.tensor([[True, True, False], [False, True, True]])  # frame 0 is the prompt: never dropped
    with torch.no_grad():
        rollout(model, frames, _prompt(boxes), spec_drop=drop)
    assert torch.equal(seen[0], spec_from_box(boxes, (64, 64)))
    for t in (1, 2):
        for i in range(2):
            whole = bool(seen[t][i].all())
            assert whole == bool(drop[i, t]), f"frame {t} object {i}"


def test_without_memory_each_later_frame_is_a_prompt_frame_of_its_prior_box(model):
    """As the tracker's memory=False: frame t gives what a one-frame rollout prompted with frame t-1's box gives."""
    frames = torch.randn(2, 4, 3, 64, 64)
    boxes = torch.tensor([[10.0, 12.0, 30.0, 40.0], [30.0, 5.0, 50.0, 20.0]])
    with torch.no_grad():
        outs = rollout(model, frames, _prompt(boxes), memory=False)
        with_memory = rollout(model, frames, _prompt(boxes))
    last = boxes
    for t in range(1, 4):
        last, _ = next_boxes(outs[t - 1]["pred_masks_high_res"][:, 0] > 0, last)
        with torch.no_grad():
            alone = rollout(model, frames[:, t : t + 1], _prompt(last), memory=False)
        for key in ("pred_masks_high_res", "object_score_logits", "ious"):  # a random model: scores say more
            assert torch.allclose(outs[t][key], alone[0][key], atol=1e-5), f"frame {t} {key}"
    assert not torch.allclose(
        outs[3]["object_score_logits"], with_memory[3]["object_score_logits"], atol=1e-3
    )


def test_pruned_memory_gives_identical_masks(model):
    model.num_maskmem, saved = 2, model.num_maskmem  # a short memory so pruning drops entries within 6 frames
    max_ptrs, model.max_obj_ptrs_in_encoder = model.max_obj_ptrs_in_encoder, 3
    try:
        frames = torch.randn(1, 6, 3, 64, 64)
        prompt = _prompt(torch.tensor([[10.0, 12.0, 40.0, 44.0]]))
        with torch.no_grad():
            full = rollout(model, frames, prompt)
            pruned = rollout(model, frames, prompt, prune=True)
        for a, b in zip(full, pruned, strict=True):
            assert torch.equal(a["pred_masks_high_res"], b["pred_masks_high_res"])
    finally:
        model.num_maskmem, model.max_obj_ptrs_in_encoder = saved, max_ptrs


def test_prune_memory_keeps_the_first_conditioning_frame():
    memory = {
        "cond_frame_outputs": {0: "c0", 5: "c5"},
        "non_cond_frame_outputs": {t: t for t in range(1, 10)},
    }
    prune_memory(memory, 9, keep=3)
    assert sorted(memory["non_cond_frame_outputs"]) == [7, 8, 9]
    assert sorted(memory["cond_frame_outputs"]) == [0]
