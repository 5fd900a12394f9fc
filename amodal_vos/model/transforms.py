"""Frames and prompts into model space (square S x S, ImageNet-normalised) and masks back to frame size.

sam2.utils.transforms needs torchvision, which we do not install; these few lines replace it.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _normalise_(x: torch.Tensor) -> torch.Tensor:
    """Float pixels 0..1 [B, 3, H, W] -> ImageNet-normalised, in place (the float32 steps that every path below
    takes, so they agree to the bit)."""
    x.sub_(torch.tensor(IMAGENET_MEAN, device=x.device).view(1, 3, 1, 1))
    return x.div_(torch.tensor(IMAGENET_STD, device=x.device).view(1, 3, 1, 1))


# every uint8 value of each channel, normalised: [3, 256], then [256, 1, 3] (cv2.LUT's three-channel table)
_VALUES = _normalise_(torch.arange(256, dtype=torch.float32).repeat(1, 3, 1, 1).div_(255.0))[0, :, 0]
_TABLE = np.ascontiguousarray(_VALUES.T.reshape(256, 1, 3).numpy())


def _by_table(frames: np.ndarray) -> torch.Tensor:
    """uint8 RGB [B, H, W, 3] -> normalised [B, 3, H, W] (channels-last strides) by one table look-up per pixel:
    about 10x cheaper than the float maths on a 640x480 frame, and the same values."""
    b, h, w, _ = frames.shape
    hwc = cv2.LUT(np.ascontiguousarray(frames).reshape(b * h, w, 3), _TABLE)
    return torch.from_numpy(hwc.reshape(b, h, w, 3)).permute(0, 3, 1, 2)


def frames_to_input(
    frames: np.ndarray | torch.Tensor, size: int | None, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """uint8 RGB frames [B, H, W, 3] (or one [H, W, 3]) -> float [B, 3, S, S], resized and ImageNet-normalised
    (``size`` None: normalised at the frames' own size, for search-region models that crop it themselves)."""
    x = source = torch.as_tensor(frames)
    if x.dim() == 3:
        x = x[None]
    if (
        size is None
        and x.dtype == torch.uint8
        and x.device.type == "cpu"
        and torch.device(device).type == "cpu"
    ):
        return _by_table(x.numpy()).to(device)
    x = x.permute(0, 3, 1, 2)
    if (
        size is not None
        and x.shape[-2:] != (size, size)
        and x.dtype == torch.uint8
        and x.device.type == "cpu"
    ):
        # resized as uint8 before anything else: ~10x cheaper than in float at 1080p, within 1/255 of it
        x = F.interpolate(
            x.contiguous(memory_format=torch.channels_last),
            size=(size, size),
            mode="bilinear",
            align_corners=False,
            antialias=True,
        )
    x = x.to(device).float()
    x = x.clone() if x.data_ptr() == source.data_ptr() else x  # normalised in place below: never the caller's
    x.div_(255.0)
    if size is not None and x.shape[-2:] != (size, size):
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    # normalised in place in the layout the pixels came in (HWC for frames), then made NCHW once: same values,
    # fewer passes over a full-size frame than out-of-place maths on a strided view
    return _normalise_(x).contiguous()


def boxes_to_input(boxes: torch.Tensor, hw: tuple[int, int], size: int) -> torch.Tensor:
    """xyxy boxes in frame pixels -> xyxy in model-input pixels (0..S)."""
    h, w = hw
    scale = torch.tensor([size / w, size / h, size / w, size / h], dtype=torch.float32)
    return torch.as_tensor(boxes, dtype=torch.float32) * scale


def points_to_input(points: torch.Tensor, hw: tuple[int, int], size: int) -> torch.Tensor:
    """[..., 2] (x, y) points in frame pixels -> model-input pixels."""
    h, w = hw
    return torch.as_tensor(points, dtype=torch.float32) * torch.tensor([size / w, size / h])


def box_prompt(boxes: torch.Tensor) -> dict:
    """[B, 4] xyxy boxes in model-input pixels -> SAM-2 point inputs (a box is two corners labelled 2 and 3)."""
    boxes = torch.as_tensor(boxes, dtype=torch.float32).reshape(-1, 4)
    labels = torch.tensor([[2, 3]], dtype=torch.int32).expand(len(boxes), 2)
    return {"point_coords": boxes.view(-1, 2, 2), "point_labels": labels.contiguous()}


def point_prompt(points: torch.Tensor, labels: torch.Tensor) -> dict:
    """[B, P, 2] points in model-input pixels and [B, P] labels (1 positive, 0 negative) -> SAM-2 point inputs."""
    return {
        "point_coords": torch.as_tensor(points, dtype=torch.float32),
        "point_labels": torch.as_tensor(labels).int(),
    }


def logits_to_frame(logits: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    """[B, 1, S, S] mask logits -> [B, H, W] logits at frame size (threshold at 0 for the binary mask)."""
    return F.interpolate(logits.float(), size=hw, mode="bilinear", align_corners=False)[:, 0]
