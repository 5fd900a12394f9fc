"""The loss terms on hand-made inputs: values where they are known, and the SAM-2 -1024 logits handled."""

from __future__ import annotations

import torch

from amodal_vos.train.discriminator import MaskDiscriminator, crop_boxes, straight_through_binary
from amodal_vos.train.losses import (
    bce_loss,
    dice_loss,
    discriminator_loss,
    generator_adv_loss,
    object_score_loss,
    point_loss,
    regional_loss,
    seg_loss,
    uncertainty_map,
)


def _square(size: int = 16, lo: int = 4, hi: int = 12) -> torch.Tensor:
    m = torch.zeros(1, size, size, dtype=torch.bool)
    m[:, lo:hi, lo:hi] = True
    return m


def test_dice_and_bce_are_near_zero_for_a_confident_correct_mask_and_large_for_the_inverse():
    target = _square()
    good = torch.where(target, 20.0, -20.0)[:, None]
    assert dice_loss(good, target).item() < 1e-3
    assert bce_loss(good, target).item() < 1e-6
    assert dice_loss(-good, target).item() > 0.99
    assert bce_loss(-good, target).item() > 10


def test_no_object_logits_of_minus_1024_give_a_finite_clamped_bce():
    target = _square()
    logits = torch.full((1, 1, 16, 16), -1024.0, requires_grad=True)
    loss = bce_loss(logits, target)
    share = target.float().mean().item()
    assert torch.isfinite(loss).all()
    assert abs(loss.item() - 30.0 * share) < 0.01  # clamped at -30, not -1024
    loss.sum().backward()
    assert logits.grad.abs().sum().item() == 0.0  # gated logits carry no gradient; the object score must


def test_seg_loss_takes_the_best_multimask_channel_and_scores_the_iou_head():
    target = _square()
    good = torch.where(target, 20.0, -20.0)[0]
    logits = torch.stack([-good, good, torch.zeros_like(good)])[None]  # channel 1 is right
    seg, iou = seg_loss(logits, target, ious=torch.tensor([[0.0, 1.0, 0.25]]))
    single, _ = seg_loss(logits[:, 1:2], target)
    assert torch.allclose(seg, single)
    # true IoUs: 0 (inverse), 1 (exact), 0.25 (all-positive logits 0 -> nothing > 0 -> empty: IoU 0)
    assert abs(iou.item() - (0 + 0 + 0.25) / 3) < 1e-6


def test_object_score_loss_follows_the_sign_of_presence():
    scores = torch.tensor([[5.0], [-5.0]])
    right = object_score_loss(scores, torch.tensor([True, False]))
    wrong = object_score_loss(scores, torch.tensor([False, True]))
    assert (right < 0.01).all() and (wrong > 4.9).all()


def test_regional_loss_is_one_minus_cosine_and_only_where_both_regions_exist():
    feats = torch.zeros(3, 2, 4, 4)
    feats[:, 0, :, :2] = 1.0  # left half: direction (1, 0)
    feats[0, 0, :, 2:] = 1.0  # sample 0 right half: same direction -> loss 0
    feats[1, 1, :, 2:] = 1.0  # sample 1 right half: orthogonal -> loss 1
    visible = torch.zeros(3, 16, 16, dtype=torch.bool)
    visible[:, :, :8] = True
    occluded = ~visible
    occluded[2] = False  # sample 2: no occluded region
    loss, valid = regional_loss(feats, visible, occluded)
    assert valid.tolist() == [True, True, False]
    assert torch.allclose(loss, torch.tensor([0.0, 1.0, 0.0]), atol=1e-6)


def test_adversarial_terms_push_in_opposite_directions():
    fake = torch.tensor([-3.0, 0.0, 3.0])
    g = generator_adv_loss(fake)
    assert g[0] > g[1] > g[2]  # the segmenter gains when the discriminator believes its masks
    d_good = discriminator_loss(torch.tensor([4.0]), torch.tensor([-4.0]))
    d_bad = discriminator_loss(torch.tensor([-4.0]), torch.tensor([4.0]))
    assert d_good.item() < 0.05 < 3.9 < d_bad.item()


def test_discriminator_takes_mask_and_optional_image():
    disc = MaskDiscriminator(use_image=True, width=8)
    masks = torch.rand(2, 1, 32, 32)
    out_img = disc(masks, torch.rand(2, 3, 32, 32))
    out_none = disc(masks, None)  # no unoccluded image: zeros in its place
    assert out_img.shape == out_none.shape == (2,)
    assert not torch.allclose(out_img, out_none)


def test_straight_through_binary_is_binary_forward_with_sigmoid_gradient():
    logits = torch.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    out = straight_through_binary(logits)
    assert out.tolist() == [0.0, 1.0, 1.0]
    out.sum().backward()
    s = torch.sigmoid(logits.detach())
    assert torch.allclose(logits.grad, s * (1 - s))


def test_crop_boxes_recovers_a_box_region():
    img = torch.zeros(1, 1, 32, 32)
    img[:, :, 8:16, 4:20] = 1.0
    crop = crop_boxes(img, torch.tensor([[4.0, 8.0, 20.0, 16.0]]), 8)
    assert crop[:, :, 1:-1, 1:-1].min().item() > 0.99  # inside the box: all ones
    wide = crop_boxes(img, torch.tensor([[0.0, 0.0, 32.0, 32.0]]), 32)
    assert torch.allclose(wide, img, atol=1e-5)


def test_uncertainty_peaks_at_the_boundary_and_point_loss_prefers_confident_masks():
    target = _square(32, 8, 24)
    sharp = torch.where(target, 12.0, -12.0)[:, None]
    blurry = torch.nn.functional.avg_pool2d(sharp, 7, 1, 3) / 4
    u = uncertainty_map(blurry)
    assert u[0, 0, 16, 8] > u[0, 0, 16, 16] and u[0, 0, 16, 8] > u[0, 0, 2, 2]
    gen = torch.Generator().manual_seed(0)
    assert (
        point_loss(sharp, target, gen, num_points=64).item()
        < point_loss(blurry, target, gen, num_points=64).item()
    )
