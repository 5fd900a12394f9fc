"""Training losses (Amodal SAM III-D, SAM-2's tracking losses, PLUG's point loss), each a small pure function.

All mask losses take logits [B, M, S, S] (M multimask channels) and a binary target [B, S, S], and return one value
per sample [B] so callers can mask out samples (empty targets, prompted mask frames) before averaging.
SAM-2 writes -1024 into the mask logits when its object score is negative; ``clamp_logits`` keeps BCE finite.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

LOGIT_FLOOR = -30.0  # sigmoid(-30) ~ 1e-13: numerically "no object", yet BCE stays finite


def clamp_logits(logits: torch.Tensor) -> torch.Tensor:
    """Clamp mask logits from below for the loss only (SAM-2's NO_OBJ_SCORE of -1024 would dominate BCE)."""
    return logits.float().clamp(min=LOGIT_FLOOR)


def dice_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Soft Dice per sample and channel: [B, M, S, S] logits, [B, S, S] target -> [B, M]."""
    prob = torch.sigmoid(clamp_logits(logits)).flatten(2)
    tgt = target.float().flatten(1)[:, None]
    inter = (prob * tgt).sum(-1)
    return 1.0 - (2.0 * inter + 1.0) / (prob.sum(-1) + tgt.sum(-1) + 1.0)


def bce_loss(
    logits: torch.Tensor, target: torch.Tensor, pixel_weight: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean per-pixel binary cross-entropy per sample and channel: -> [B, M]. ``pixel_weight`` [B, S, S]
    multiplies each pixel's term (the mean still divides by the pixel count)."""
    logits = clamp_logits(logits)
    tgt = target.float()[:, None].expand_as(logits)
    bce = F.binary_cross_entropy_with_logits(logits, tgt, reduction="none")
    if pixel_weight is not None:
        bce = bce * pixel_weight[:, None]
    return bce.flatten(2).mean(-1)


def mask_iou(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """IoU of the binarised prediction (logit > 0) with the target, per sample and channel: -> [B, M]."""
    pred = (logits > 0).flatten(2)
    tgt = target.bool().flatten(1)[:, None]
    inter = (pred & tgt).sum(-1).float()
    union = (pred | tgt).sum(-1).float()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(inter))


def seg_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    ious: torch.Tensor | None = None,
    bce_weight: float = 10.0,
    pixel_weight: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """L_seg = Dice + bce_weight * BCE, the minimum over multimask channels, and an L1 loss of the IoU head
    against the true IoU of every channel. Returns (seg [B], iou [B]); iou is 0 when ``ious`` is None."""
    per_channel = dice_loss(logits, target) + bce_weight * bce_loss(logits, target, pixel_weight)
    seg = per_channel.min(dim=1).values
    if ious is None:
        return seg, torch.zeros_like(seg)
    true_iou = mask_iou(logits.detach(), target)
    iou = F.l1_loss(ious.float(), true_iou, reduction="none").mean(dim=1)
    return seg, iou


def object_score_loss(score_logits: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """BCE on SAM-2's object-score logit [B, 1] against "the target mask is non-empty" [B] -> [B]."""
    return F.binary_cross_entropy_with_logits(
        score_logits.float().view(-1), present.float(), reduction="none"
    )


def downsample_mask(mask: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """[B, S, S] binary mask -> [B, h, w] share of each feature cell inside the mask (area averaging)."""
    return F.interpolate(mask.float()[:, None], size=size, mode="area")[:, 0]


def regional_loss(
    features: torch.Tensor, visible: torch.Tensor, occluded: torch.Tensor, min_area: float = 0.5
) -> tuple[torch.Tensor, torch.Tensor]:
    """L_reg (Eq. 9): 1 - cos(mean feature over the visible region, mean over the occluded region).

    ``features`` [B, C, h, w] (the adapted encoder's top features); masks [B, S, S] are area-downsampled to h x w.
    Returns (loss [B], valid [B]): valid where both regions cover at least ``min_area`` feature cells."""
    size = tuple(features.shape[-2:])
    w_vis = downsample_mask(visible, size)
    w_occ = downsample_mask(occluded, size)
    a_vis = w_vis.flatten(1).sum(-1)
    a_occ = w_occ.flatten(1).sum(-1)
    valid = (a_vis >= min_area) & (a_occ >= min_area)
    feats = features.float()
    e_vis = (feats * w_vis[:, None]).flatten(2).sum(-1) / a_vis.clamp(min=1e-6)[:, None]
    e_occ = (feats * w_occ[:, None]).flatten(2).sum(-1) / a_occ.clamp(min=1e-6)[:, None]
    loss = 1.0 - F.cosine_similarity(e_vis, e_occ, dim=1, eps=1e-6)
    return torch.where(valid, loss, torch.zeros_like(loss)), valid


def generator_adv_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """L_hol for the segmenter (non-saturating form of Eq. 10): -log D(prediction), per sample [B]."""
    return F.binary_cross_entropy_with_logits(
        fake_logits.view(-1), torch.ones_like(fake_logits.view(-1)), reduction="none"
    )


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's side of Eq. 10 (ground truth positive, prediction negative), per pair [N]."""
    real = F.binary_cross_entropy_with_logits(
        real_logits.view(-1), torch.ones_like(real_logits.view(-1)), reduction="none"
    )
    fake = F.binary_cross_entropy_with_logits(
        fake_logits.view(-1), torch.zeros_like(fake_logits.view(-1)), reduction="none"
    )
    return 0.5 * (real + fake)


def uncertainty_map(logits: torch.Tensor, eps: int = 2) -> torch.Tensor:
    """PLUG Eq. 6-8: mean binary entropy of the prediction over a (2*eps-1)^2 neighbourhood, [B, 1, S, S]."""
    prob = torch.sigmoid(clamp_logits(logits))
    entropy = F.binary_cross_entropy(prob, prob, reduction="none")
    k = 2 * eps - 1
    return F.avg_pool2d(entropy, k, stride=1, padding=k // 2, count_include_pad=False)


def point_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    generator: torch.Generator | None = None,
    num_points: int = 256,
    oversample: int = 3,
    importance: float = 0.75,
    alpha: float = 1.0,
    beta: float = 0.1,
    eps: int = 2,
) -> torch.Tensor:
    """PLUG's uncertainty-guided point loss (Eq. 9-10) on the first mask channel: among ``oversample * num_points``
    random pixels keep the ``importance`` share with the highest uncertainty plus random others; per point
    alpha * BCE + beta * uncertainty. Returns [B]."""
    logits = logits[:, :1]
    b, _, h, w = logits.shape
    unc = uncertainty_map(logits, eps).flatten(1)  # [B, HW]
    flat_logits = clamp_logits(logits).flatten(1)
    flat_target = target.float().flatten(1)
    n = oversample * num_points
    cand = torch.randint(
        0, h * w, (b, n), generator=generator, device=generator.device if generator else "cpu"
    )
    cand = cand.to(logits.device)
    k_imp = int(importance * num_points)
    top = unc.gather(1, cand).topk(k_imp, dim=1).indices
    chosen = torch.cat([cand.gather(1, top), cand[:, n - (num_points - k_imp) :]], dim=1)
    bce = F.binary_cross_entropy_with_logits(
        flat_logits.gather(1, chosen), flat_target.gather(1, chosen), reduction="none"
    )
    return (alpha * bce + beta * unc.gather(1, chosen)).mean(dim=1)
