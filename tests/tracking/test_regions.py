"""Masks upsampled only around each object (tracking/regions.py) equal ``logits_to_frame(...) > 0`` (with the
visible argmax ownership) on random and on model logits; bound: a pixel may differ only where the full-frame logit
is within 1e-4 of 0 or (visible) where two objects' visible logits are within 1e-5 (float32 summation order), and
at most 1e-6 of the pixels (random logits: 0 of 2.4e8 differ; the random-weight test model: 2 of 2.2e5 pixels of
one frame, an ownership tie 0.08482455 vs 0.08482453)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from amodal_vos.model.transforms import logits_to_frame
from amodal_vos.tracking import Prompt, step_masks
from amodal_vos.tracking.regions import RegionUpsampler, frame_masks
from amodal_vos.tracking.result import ObjectFrame


def check(up: RegionUpsampler, amodal, visible) -> tuple[int, int]:
    n = len(amodal)
    full = logits_to_frame(torch.stack(amodal + (visible or []))[:, None], up.hw)
    masks = full > 0
    if visible is not None and n > 1:
        owner = full[n:].permute(1, 2, 0).contiguous().argmax(-1)
        masks[n:] &= owner[None] == torch.arange(n)[:, None, None]
    got_a, got_v, regions = frame_masks(up, amodal, visible)
    got = np.concatenate([got_a, got_v]) if visible is not None else got_a
    differ = got != masks.numpy()
    near = np.abs(full.numpy()) < 1e-4
    if visible is not None and n > 1:  # or an ownership tie: the two highest visible logits within 1e-5
        top2 = torch.topk(full[n:], 2, dim=0).values.numpy()
        near[n:] |= (top2[0] - top2[1] < 1e-5)[None]
    assert np.all(near[differ])
    for mask, region in zip(got_a, regions, strict=True):
        if region is None:
            assert not mask.any()
        else:
            y0, y1, x0, x1 = region
            assert mask.sum() == mask[y0:y1, x0:x1].sum()
            assert mask.flags.f_contiguous
    return int(differ.sum()), differ.size


@pytest.mark.parametrize("hw", [(72, 96), (97, 131), (360, 640), (1080, 1920), (50, 300), (128, 128)])
def test_random_logits_match_full_frame_upsampling(hw):
    g = torch.Generator().manual_seed(hw[0])
    differ = total = 0
    for size in (64, 128):
        up = RegionUpsampler(size, hw)
        for trial in range(4):
            logits = torch.full((6, size, size), -5.0)
            noise = torch.randn(6, size, size, generator=g) * 3 - 1
            for k in range(6):  # each map positive (in part) only inside a random box
                a, b = sorted(torch.randint(0, size, (2,), generator=g).tolist())
                c, d = sorted(torch.randint(0, size, (2,), generator=g).tolist())
                logits[k, a : b + 1, c : d + 1] = noise[k, a : b + 1, c : d + 1]
            if trial == 0:
                logits[0] = -1.0  # an empty object
            if trial == 1:
                logits[1] = noise[1]  # a ragged mask over the whole frame
            d_, t_ = check(up, list(logits[:3]), list(logits[3:]))
            d2, t2 = check(up, list(logits[:2]), None)
            differ, total = differ + d_ + d2, total + t_ + t2
    assert differ <= total * 1e-6


def test_model_logits_match_full_frame_upsampling(tracker, clip, monkeypatch):
    path, boxes = clip
    seen = []

    def compare(up, amodal, visible):
        seen.append(check(up, amodal, visible))
        return frame_masks(up, amodal, visible)

    monkeypatch.setattr(step_masks, "frame_masks", compare)
    tracker.track(path, [Prompt.from_box(boxes[0, 0]), Prompt.from_box(boxes[0, 1])], max_frames=8)
    assert len(seen) == 8
    assert sum(d for d, _ in seen) <= sum(t for _, t in seen) * 1e-4


def test_object_frame_from_region_equals_whole_frame():
    rng = np.random.default_rng(0)
    amodal = np.zeros((40, 50), bool)
    amodal[5:20, 10:30] = rng.random((15, 20)) > 0.3
    visible = amodal & (rng.random((40, 50)) > 0.5)
    whole = ObjectFrame.from_masks(amodal, visible, 0.9)
    assert ObjectFrame.from_masks(amodal, visible, 0.9, region=(3, 22, 8, 31)) == whole
    assert ObjectFrame.from_masks(np.asfortranarray(amodal), visible, 0.9, region=(5, 20, 10, 30)) == whole
    empty = ObjectFrame.from_masks(np.zeros((40, 50), bool), visible, 0.1, region=(0, 0, 0, 0))
    assert empty.box is None and empty.occlusion == 0.0
