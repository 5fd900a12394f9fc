"""frames_to_input: the uint8 resize path (tracking's per-frame input) matches the float path it replaced."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from amodal_vos.model.transforms import IMAGENET_MEAN, IMAGENET_STD, frames_to_input


def _float_reference(frame: np.ndarray, size: int) -> torch.Tensor:
    x = torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255.0
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return (x - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)


def test_uint8_resize_within_one_level_of_float_resize():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (270, 480, 3), dtype=np.uint8)
    frame[100:200, 50:300] = (250, 10, 30)  # an edge, where resampling differs most
    got = frames_to_input(frame, 64)
    want = _float_reference(frame, 64)
    assert got.shape == (1, 3, 64, 64) and got.is_contiguous()
    # one uint8 level is 1/255 before normalisation, i.e. at most 1/(255 * 0.224) after it
    assert (got - want).abs().max().item() <= 1.0 / (255 * min(IMAGENET_STD)) + 1e-6
    assert (got - want).abs().mean().item() < 0.005


def test_float_frames_and_native_size_unchanged():
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
    np.testing.assert_allclose(frames_to_input(frame, 64), _float_reference(frame, 64), atol=1e-6)
    as_float = torch.from_numpy(rng.integers(0, 256, (2, 96, 80, 3)).astype(np.float32))
    before = as_float.clone()
    out = frames_to_input(as_float, 48)
    assert torch.equal(as_float, before)  # the caller's tensor is not modified
    ref = torch.cat([_float_reference(f.numpy(), 48) for f in as_float.to(torch.uint8)])
    assert out.shape == (2, 3, 48, 48)
    np.testing.assert_allclose(out, ref, atol=1e-5)


def test_native_size_input_for_search_models_equals_the_reference_and_spares_the_caller():
    rng = np.random.default_rng(2)
    frame = rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)
    want = (
        torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 255.0
        - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    ) / torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    got = frames_to_input(frame, None)  # by cv2.LUT, in channels-last strides
    assert got.shape == (1, 3, 40, 56) and got.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(got, want)
    every_other = frames_to_input(frame[:, ::2], None)  # a strided view of the caller's pixels
    assert torch.equal(every_other, want[..., ::2])
    batch = frames_to_input(np.stack([frame, np.ascontiguousarray(frame[::-1])]), None)
    assert batch.shape == (2, 3, 40, 56) and torch.equal(batch[1:], want.flip(-2))
    as_float = torch.from_numpy(frame.astype(np.float32))
    before = as_float.clone()
    assert torch.equal(frames_to_input(as_float, None), want) and torch.equal(as_float, before)
