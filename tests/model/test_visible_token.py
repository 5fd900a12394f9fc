"""The visible token: on an amodal pass mask token 1 is the visible part, and amodal passes stay single-mask."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from amodal_vos.model import build_model, new_memory
from amodal_vos.model.prior import spec_from_box
from amodal_vos.model.transforms import point_prompt

SIZE = 128


def _present_object():
    """A visible-token model whose object score says present, an image, one click (SAM-2: multimask) and a prior."""
    torch.manual_seed(0)
    model = build_model("small", ["visible_head=token"], image_size=SIZE)
    with torch.no_grad():
        model.sam_mask_decoder.pred_obj_score_head.layers[2].bias += 3.0
    image = torch.randn(1, 3, SIZE, SIZE)
    click = point_prompt(torch.tensor([[[60.0, 60.0]]]), torch.tensor([[1]]))
    prior = spec_from_box(torch.tensor([[40.0, 40, 80, 80]]), (SIZE, SIZE))
    return model, image, click, prior


def test_amodal_pass_is_single_mask_and_returns_token_one_as_visible():
    model, image, click, prior = _present_object()

    def run(feats):
        return model.track_frame(0, feats, new_memory(), is_cond=True, num_frames=1, point_inputs=click)

    with torch.no_grad():
        modal = run(model.encode(image, None))
        amodal = run(model.encode(image, prior))
        token1 = model.sam_mask_decoder.last_masks[:, 1:2]
    assert modal["multimasks_high_res"].shape[1] == 3 and "visible_high_res" not in modal
    assert amodal["multimasks_high_res"].shape[1] == 1  # token 0 only: token 1 is never an amodal candidate
    expected = F.interpolate(token1, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
    assert torch.allclose(amodal["visible_high_res"], expected)
    assert not model._single_mask  # reset after the step


def test_visible_bias_shifts_the_visible_logits_where_the_object_is_present():
    torch.manual_seed(0)
    model = build_model("small", ["visible_head=token", "visible_bias=1.5"], image_size=SIZE)
    assert model.visible_bias == 1.5
    image = torch.randn(1, 3, SIZE, SIZE)
    box = torch.tensor([[40.0, 40, 80, 80]])
    prior = spec_from_box(box, (SIZE, SIZE))
    click = point_prompt(torch.tensor([[[60.0, 60.0]]]), torch.tensor([[1]]))
    outs = {}
    for present in (3.0, -6.0):  # object score bias: present, then absent
        with torch.no_grad():
            model.sam_mask_decoder.pred_obj_score_head.layers[2].bias.fill_(present)
            out = model.track_frame(
                0, model.encode(image, prior), new_memory(), is_cond=True, num_frames=1, point_inputs=click
            )
            token1 = model.sam_mask_decoder.last_masks[:, 1:2]
        outs[present] = (out["visible_high_res"], token1)
    visible, token1 = outs[3.0]
    expected = F.interpolate(token1 + 1.5, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
    assert torch.allclose(visible, expected, atol=1e-5)
    assert (outs[-6.0][0] < 0).all()  # an absent object stays absent, bias or not
    assert build_model("small", ["visible_head=token"], image_size=SIZE).visible_bias == 0.0


def test_head_only_visible_loss_has_the_same_logits_and_trains_only_the_visible_mlp():
    model, image, click, prior = _present_object()
    decoder = model.sam_mask_decoder

    def visible_grads(head_only: bool):
        model.zero_grad(set_to_none=True)
        decoder.head_only_token = 1 if head_only else None
        out = model.track_frame(
            0, model.encode(image, prior), new_memory(), is_cond=True, num_frames=1, point_inputs=click
        )
        decoder.head_only_token = None
        out["visible_high_res"].sigmoid().mean().backward()
        grads = {n for n, p in model.named_parameters() if p.grad is not None and p.grad.abs().sum() > 0}
        return out["visible_high_res"].detach(), grads

    shared_logits, shared = visible_grads(False)
    own_logits, own = visible_grads(True)
    assert torch.allclose(shared_logits, own_logits, atol=1e-5)
    assert any(n.startswith("sam_mask_decoder.transformer.") for n in shared)
    assert own and all(n.startswith("sam_mask_decoder.output_hypernetworks_mlps.1.") for n in own)
