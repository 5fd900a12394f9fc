"""The shape discriminator of L_hol (Amodal SAM Eq. 10 and its supplement): a small strided CNN that scores an
object-centred mask crop (plus the unoccluded image crop when TAOS provides one) as ground truth or prediction.

Both ground truth and prediction go through the same crop around the (enlarged) GT amodal box and the prediction
is binarised with a straight-through estimator, so the discriminator cannot tell them apart by softness alone and
has to judge the shape.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MaskDiscriminator(nn.Module):
    """``forward(mask [B,1,s,s], image [B,3,s,s] | None) -> logits [B]``; progressive downsampling to one score.

    With ``use_image`` the image channels are part of the input; samples without an unoccluded image get zeros there
    (closed-domain data, as in the paper's supplement, uses the mask alone)."""

    def __init__(self, use_image: bool = False, width: int = 32, depth: int = 4) -> None:
        super().__init__()
        self.use_image = use_image
        layers: list[nn.Module] = []
        in_ch = 1 + (3 if use_image else 0)
        for i in range(depth):
            out_ch = width * 2 ** min(i, 3)
            layers += [
                nn.Conv2d(in_ch, out_ch, 4, stride=2, padding=1),
                nn.GroupNorm(1, out_ch),
                nn.LeakyReLU(0.2),
            ]
            in_ch = out_ch
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(in_ch, 1)

    def forward(self, mask: torch.Tensor, image: torch.Tensor | None = None) -> torch.Tensor:
        x = mask.float()
        if self.use_image:
            img = image.float() if image is not None else x.new_zeros(x.shape[0], 3, *x.shape[-2:])
            x = torch.cat([x, img], dim=1)
        feats = self.body(x)
        return self.head(feats.mean(dim=(2, 3))).view(-1)


def straight_through_binary(logits: torch.Tensor) -> torch.Tensor:
    """Forward: (logits > 0) as 0/1; backward: the gradient of sigmoid(logits)."""
    prob = torch.sigmoid(logits.float().clamp(min=-30.0))
    return (prob > 0.5).float() + prob - prob.detach()


def crop_boxes(x: torch.Tensor, boxes: torch.Tensor, size: int) -> torch.Tensor:
    """Differentiable crop-and-resize of [B, C, H, W] maps to the xyxy pixel ``boxes`` [B, 4] -> [B, C, size, size]
    (bilinear, zeros outside the image)."""
    b, _, h, w = x.shape
    boxes = boxes.to(x.device, torch.float32)
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    cy = (boxes[:, 1] + boxes[:, 3]) / 2
    bw = (boxes[:, 2] - boxes[:, 0]).clamp(min=1.0)
    bh = (boxes[:, 3] - boxes[:, 1]).clamp(min=1.0)
    theta = torch.zeros(b, 2, 3, device=x.device)
    theta[:, 0, 0] = bw / w
    theta[:, 1, 1] = bh / h
    theta[:, 0, 2] = 2 * cx / w - 1
    theta[:, 1, 2] = 2 * cy / h - 1
    grid = F.affine_grid(theta, [b, x.shape[1], size, size], align_corners=False)
    return F.grid_sample(x.float(), grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def square_boxes(boxes: torch.Tensor, scale: float = 1.5, min_size: float = 8.0) -> torch.Tensor:
    """Square boxes with the same centres, side = scale * the longer side (at least ``min_size``), so the crop keeps
    the object's aspect ratio and some context."""
    boxes = boxes.float()
    c = (boxes[:, :2] + boxes[:, 2:]) / 2
    side = (boxes[:, 2:] - boxes[:, :2]).amax(dim=1).mul(scale).clamp(min=min_size)[:, None]
    return torch.cat([c - side / 2, c + side / 2], dim=1)
