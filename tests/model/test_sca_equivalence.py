"""The adapters' contract: untrained = plain SAM-2 exactly; trained = different and prior-dependent; bypass = plain."""

from __future__ import annotations

import pytest
import torch

from amodal_vos.model import memory_entry, new_memory
from amodal_vos.model.prior import spec_from_box
from amodal_vos.model.transforms import box_prompt

SIZE = 128  # the fixtures build the small config at this size
BOX = torch.tensor([[30.0, 40.0, 80.0, 100.0]])
FRAMES = 3


def _images() -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(1)
    return [torch.randn(1, 3, SIZE, SIZE, generator=gen) for _ in range(FRAMES)]


def track_ours(model, prior) -> list[dict]:
    """Three frames through AmodalSAM2.track_frame: a box on frame 0, then propagation."""
    memory, outs = new_memory(), []
    with torch.inference_mode():
        for t, img in enumerate(_images()):
            feats = model.encode(img, prior)
            out = model.track_frame(
                t,
                feats,
                memory,
                is_cond=t == 0,
                num_frames=FRAMES,
                point_inputs=box_prompt(BOX) if t == 0 else None,
            )
            memory["cond_frame_outputs" if t == 0 else "non_cond_frame_outputs"][t] = memory_entry(out)
            outs.append(out)
    return outs


def track_plain(model) -> list[dict]:
    """The same three frames through sam2's own SAM2Base.track_step."""
    memory, outs = new_memory(), []
    with torch.inference_mode():
        for t, img in enumerate(_images()):
            _, feats, pos, sizes = model._prepare_backbone_features(model.forward_image(img))
            out = model.track_step(
                t, t == 0, feats, pos, sizes, box_prompt(BOX) if t == 0 else None, None, memory, FRAMES
            )
            memory["cond_frame_outputs" if t == 0 else "non_cond_frame_outputs"][t] = out
            outs.append(out)
    return outs


def _same(a: list[dict], b: list[dict]) -> bool:
    keys = ("pred_masks_high_res", "obj_ptr", "maskmem_features")
    return all(torch.equal(x[k], y[k]) for x, y in zip(a, b, strict=True) for k in keys)


@pytest.fixture(scope="module")
def plain_outputs(small_pair):
    return track_plain(small_pair[1])


def test_untrained_adapters_give_plain_sam2_exactly(small_pair, plain_outputs):
    ours, _ = small_pair
    prior = spec_from_box(BOX, (SIZE, SIZE))
    assert _same(track_ours(ours, prior), plain_outputs)


def test_trained_adapters_change_output_and_depend_on_prior(trained_adapters, plain_outputs):
    ours = trained_adapters
    prior_a = spec_from_box(BOX, (SIZE, SIZE))
    prior_b = spec_from_box(torch.tensor([[0.0, 0.0, 40.0, 40.0]]), (SIZE, SIZE))
    out_a, out_b = track_ours(ours, prior_a), track_ours(ours, prior_b)
    assert not _same(out_a, plain_outputs)
    # the encoder output and the memory built from it (masks may be gated to "no object" by random weights)
    for key in ("top_features", "maskmem_features"):
        assert (out_a[0][key] - out_b[0][key]).abs().max() > 1e-3, key


def test_bypassing_trained_adapters_gives_plain_sam2(trained_adapters, plain_outputs):
    ours = trained_adapters
    track_ours(
        ours, spec_from_box(BOX, (SIZE, SIZE))
    )  # a pass with a prior first: nothing may stick to the module
    assert _same(track_ours(ours, None), plain_outputs)


def test_batched_priors_match_one_at_a_time(trained_adapters):
    """Objects of one frame go through the encoder as one batch, each with its own prior."""
    ours = trained_adapters
    img = _images()[0]
    priors = torch.cat(
        [
            spec_from_box(BOX, (SIZE, SIZE)),
            spec_from_box(torch.tensor([[5.0, 5.0, 50.0, 60.0]]), (SIZE, SIZE)),
        ]
    )
    with torch.inference_mode():
        batched = ours.encode(img.expand(2, -1, -1, -1), priors).top_features
        single = [ours.encode(img, priors[i : i + 1]).top_features for i in range(2)]
    torch.testing.assert_close(batched, torch.cat(single), rtol=1e-4, atol=1e-5)
