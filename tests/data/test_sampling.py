"""Resizing clips to the model size, and the joint image-video sampler."""

from __future__ import annotations

import numpy as np
import pytest

from amodal_vos.data.clips import resize_clip
from amodal_vos.data.registry import open_dataset
from amodal_vos.data.sampler import DatasetSource, MixedSampler, SyntheticSource
from amodal_vos.data.synthetic import SynthConfig, generate_clip
from amodal_vos.errors import UserError


def test_resize_clip_to_square_keeps_masks_nested_and_boxes_in_step(savos_root):
    root, _ = savos_root
    clip = open_dataset("fishbowl-savos", root)[0]  # 24 x 40
    small = resize_clip(clip, 16)
    assert small.frames.shape == (5, 16, 16, 3) and small.size == (16, 16)
    for obj in small.objects:
        assert obj.amodal.shape == (5, 16, 16) and (obj.visible <= obj.amodal).all()
    big = resize_clip(clip, (48, 80))  # exactly 2x: nearest sampling repeats every pixel
    np.testing.assert_array_equal(big.objects[1].amodal[:, ::2, ::2], clip.objects[1].amodal)
    np.testing.assert_allclose(big.meta["boxes"][9]["amodal"][2], 2 * clip.meta["boxes"][9]["amodal"][2])
    assert np.isnan(big.meta["boxes"][4]["amodal"][0]).all()


def test_mixed_sampler_ratios_lengths_and_size(coco_like_roots):
    images = DatasetSource(open_dataset("sa1b", coco_like_roots["sa1b"][0]))
    videos = SyntheticSource(SynthConfig(width=64, height=64))
    sampler = MixedSampler([images, videos], weights=[1, 3], num_frames=5, size=32, seed=3)
    kinds = []
    for it in range(80):
        clip = sampler.clip_at(it)
        assert clip.size == (32, 32)
        assert clip.num_frames == (1 if clip.source == "sa1b" else 5)
        kinds.append(clip.source == "sa1b")
    share = np.mean(kinds)
    assert abs(share - 0.25) < 4 * np.sqrt(0.25 * 0.75 / 80)
    a, b = sampler.clip_at(17), sampler.clip_at(17)  # a function of (seed, iteration, rank): resumable
    np.testing.assert_array_equal(a.frames, b.frames)
    assert not np.array_equal(sampler.clip_at(17, rank=1).frames, a.frames)


def test_sampler_redraws_clips_without_a_first_frame_target():
    sampler = MixedSampler(
        [SyntheticSource(SynthConfig(width=64, height=64, num_frames=4))], min_target_px=30
    )
    for it in range(10):
        clip = sampler.clip_at(it)
        assert max(o.visible[0].sum() for o in clip.objects) >= 30


def test_synthetic_source_sets_the_length():
    clip = SyntheticSource().sample(np.random.default_rng(0), 3)
    assert clip.num_frames == 3 and clip.size == (128, 128)
    assert generate_clip(0).num_frames == 8


def test_sampler_rejects_bad_weights():
    with pytest.raises(UserError, match="weights"):
        MixedSampler([SyntheticSource()], weights=[0])
