"""One training objective's loss over a rolled-out clip: L_seg (+ IoU head, object score) on every frame, plus the
amodal terms L_reg and L_hol and PLUG's point loss where the recipe switches them on.

Every term is a sum over (sample, frame) pairs divided by the fixed count B * T, with terms that do not apply
(empty target, a frame whose mask prompt SAM-2 copies to the output, regions too small) contributing 0. A fixed
denominator makes the mean over data-parallel ranks equal to the mean over the global batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from amodal_vos.errors import UserError
from amodal_vos.model.prior import enlarge_box, mask_to_box
from amodal_vos.train.batch import Batch
from amodal_vos.train.discriminator import (
    MaskDiscriminator,
    crop_boxes,
    square_boxes,
    straight_through_binary,
)
from amodal_vos.train.losses import (
    generator_adv_loss,
    object_score_loss,
    point_loss,
    regional_loss,
    seg_loss,
)
from amodal_vos.train.settings import settings_from_dict

TARGETS = ("amodal", "visible")


@dataclass
class LossConfig:
    """Weights of the terms (0 switches a term off) and their few settings."""

    seg: float = 1.0
    bce: float = 10.0  # alpha of L_seg = Dice + alpha * BCE
    occ_bce: float = 0.0  # extra BCE weight on the target's hidden pixels (amodal targets only)
    iou: float = 1.0
    obj: float = 1.0
    reg: float = 0.0
    adv: float = 0.0
    point: float = 0.0
    visible: float = 0.0  # amodal targets: L_seg of the visible token (mask token 1) against the visible mask
    visible_head_only: bool = False  # that loss trains only the token's own MLP, not the shared decoder
    adv_crop: int = 64
    point_num: int = 256
    point_alpha: float = 1.0
    point_beta: float = 0.1

    @classmethod
    def from_dict(cls, cfg: dict | None) -> LossConfig:
        return settings_from_dict(cls, cfg, "loss")


@dataclass
class DiscInputs:
    """Crops for the discriminator's own step (detached): GT positive, prediction negative, per pair weight."""

    real: torch.Tensor
    fake: torch.Tensor
    image: torch.Tensor | None
    weight: torch.Tensor


def disc_crops(
    batch: Batch, logits: list[torch.Tensor], crop: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """Object-centred crops of GT amodal masks, binarised predictions and unoccluded images for every (sample,
    frame); returns (real, fake, image, present) with the pairs flattened frame-major, [T*B, ...]."""
    t_len = batch.amodal.shape[1]
    size = batch.size
    gt = batch.amodal.transpose(0, 1).flatten(0, 1)  # [T*B, S, S]
    boxes, present = mask_to_box(gt.cpu())
    boxes = square_boxes(enlarge_box(boxes, (size, size)))
    real = crop_boxes(gt[:, None].float(), boxes, crop)
    fake = crop_boxes(straight_through_binary(torch.cat(logits[:t_len], dim=0)), boxes, crop)
    image = None
    if batch.unoccluded is not None:
        image = crop_boxes(batch.unoccluded.transpose(0, 1).flatten(0, 1), boxes, crop)
    return real, fake, image, present.to(gt.device)


def adversarial_loss(
    outs: list[dict], batch: Batch, disc: MaskDiscriminator, crop: int, mask_prompted: bool
) -> tuple[torch.Tensor, DiscInputs]:
    """L_hol for the segmenter (the discriminator frozen for this term) and the detached crops for the
    discriminator's own step. Pairs whose GT is empty, or whose mask prompt SAM-2 copies, do not count."""
    real, fake, image, present = disc_crops(batch, [o["pred_masks_high_res"] for o in outs], crop)
    keep = present.float()
    if mask_prompted:
        keep[: batch.amodal.shape[0]] = 0  # frame 0 comes first in the frame-major pairs
    for p in disc.parameters():
        p.requires_grad_(False)
    adv = (generator_adv_loss(disc(fake, image)) * keep).sum() / keep.numel()
    for p in disc.parameters():
        p.requires_grad_(True)
    return adv, DiscInputs(real.detach(), fake.detach(), None if image is None else image.detach(), keep)


def compute_losses(
    outs: list[dict],
    batch: Batch,
    target: str,
    cfg: LossConfig,
    *,
    mask_prompted: bool = False,
    disc: MaskDiscriminator | None = None,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor], DiscInputs | None]:
    """(total loss, detached parts, discriminator inputs or None) for one objective's rollout ``outs``."""
    if target not in TARGETS:
        raise UserError(f"unknown objective target {target!r}; choose one of {TARGETS}")
    gt_all = batch.amodal if target == "amodal" else batch.visible
    b, t_len = gt_all.shape[:2]
    count = float(b * t_len)
    parts: dict[str, torch.Tensor] = {}
    zero = gt_all.new_zeros((), dtype=torch.float32)
    sums = {k: zero for k in ("seg", "iou", "obj", "reg", "point", "visible")}
    for t, out in enumerate(outs):
        gt = gt_all[:, t]
        present = gt.flatten(1).any(dim=1)
        scored = torch.ones_like(present) if not (mask_prompted and t == 0) else torch.zeros_like(present)
        pixel_weight = None
        if cfg.occ_bce > 0 and target == "amodal":
            pixel_weight = 1.0 + cfg.occ_bce * (gt & ~batch.visible[:, t]).float()
        seg, iou = seg_loss(
            out["multimasks_high_res"], gt, out["ious"], bce_weight=cfg.bce, pixel_weight=pixel_weight
        )
        w = (present & scored).float()
        sums["seg"] = sums["seg"] + (seg * w).sum()
        sums["iou"] = sums["iou"] + (iou * w).sum()
        sums["obj"] = (
            sums["obj"] + (object_score_loss(out["object_score_logits"], present) * scored.float()).sum()
        )
        if cfg.visible > 0 and target == "amodal":
            vis_seg, _ = seg_loss(out["visible_high_res"], batch.visible[:, t], bce_weight=cfg.bce)
            sums["visible"] = sums["visible"] + (vis_seg * w).sum()
        if cfg.reg > 0 and target == "amodal":
            vis = batch.visible[:, t]
            reg, valid = regional_loss(out["top_features"], vis, batch.amodal[:, t] & ~vis)
            sums["reg"] = sums["reg"] + (reg * (valid & scored).float()).sum()
        if cfg.point > 0:
            pl = point_loss(
                out["pred_masks_high_res"],
                gt,
                generator,
                cfg.point_num,
                alpha=cfg.point_alpha,
                beta=cfg.point_beta,
            )
            sums["point"] = sums["point"] + (pl * w).sum()
    total = zero
    for name in sums:
        weight = getattr(cfg, name)
        if weight > 0 and (name not in ("reg", "visible") or target == "amodal"):
            parts[name] = sums[name] / count
            total = total + weight * parts[name]
    disc_inputs = None
    if cfg.adv > 0 and disc is not None and target == "amodal":
        parts["adv"], disc_inputs = adversarial_loss(outs, batch, disc, cfg.adv_crop, mask_prompted)
        total = total + cfg.adv * parts["adv"]
    parts["total"] = total
    return total, {k: v.detach() for k, v in parts.items()}, disc_inputs
