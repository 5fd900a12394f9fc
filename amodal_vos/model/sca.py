"""Spatial Completion Adapter (Amodal SAM, Eq. 5): gated convolutions over [features, Mspec], applied three times,
added residually to a Hiera stage's tokens. Zero-initialised, so an untrained adapter leaves SAM-2 unchanged.

Three designs share one interface (measured side by side in bench/sca_overhead.py):
- ``bottleneck`` (default): 1x1 down to ``rank`` channels, gated 3x3 convs at that width, 1x1 up (zero-init).
- ``separable``: as bottleneck, but each gated conv is depthwise 3x3 + pointwise 1x1.
- ``full``: the paper's literal form, gated 3x3 convs at the stage's full width (heavy: +11M to +42M on hiera_t).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

SCA_DESIGNS = ("bottleneck", "separable", "full")


class GatedConv(nn.Module):
    """One step of Eq. 5: O = sigmoid(F_gate([z, M])) * LeakyReLU(F_feat([z, M])); gate and feature branches are
    computed by one convolution with 2x the output channels, then split (same maths as two parallel convs)."""

    def __init__(self, in_dim: int, out_dim: int, separable: bool = False, kernel_size: int = 3) -> None:
        super().__init__()
        pad = kernel_size // 2
        if separable:
            self.conv = nn.Sequential(
                nn.Conv2d(in_dim + 1, in_dim + 1, kernel_size, padding=pad, groups=in_dim + 1),
                nn.Conv2d(in_dim + 1, 2 * out_dim, 1),
            )
        else:
            self.conv = nn.Conv2d(in_dim + 1, 2 * out_dim, kernel_size, padding=pad)

    def forward(self, z: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
        gate, feat = self.conv(torch.cat([z, prior], dim=1)).chunk(2, dim=1)
        return torch.sigmoid(gate) * F.leaky_relu(feat, 0.2)

    def last_conv(self) -> nn.Conv2d:
        return self.conv[-1] if isinstance(self.conv, nn.Sequential) else self.conv


class SpatialCompletionAdapter(nn.Module):
    """SCA for one Hiera stage of width ``dim``. ``forward(x, prior)`` takes NHWC tokens and the prior mask already
    resized to the tokens' resolution, [B, 1, H, W] in [0, 1], and returns NHWC tokens of the same shape."""

    def __init__(self, dim: int, design: str = "bottleneck", rank: int = 32, layers: int = 3) -> None:
        super().__init__()
        if design not in SCA_DESIGNS:
            raise ValueError(f"unknown SCA design {design!r}; choose one of {SCA_DESIGNS}")
        self.design = design
        width = dim if design == "full" else rank
        self.down = None if design == "full" else nn.Conv2d(dim + 1, rank, 1)
        self.layers = nn.ModuleList(
            GatedConv(width, width, separable=design == "separable") for _ in range(layers)
        )
        self.up = None if design == "full" else nn.Conv2d(rank, dim, 1)
        self._zero_init()

    def _zero_init(self) -> None:
        """Zero the last linear map so the adapter's residual is exactly 0 at initialisation."""
        if self.up is not None:
            nn.init.zeros_(self.up.weight)
            nn.init.zeros_(self.up.bias)
            return
        # full design: zero the feature half of the last gated conv, so gate * LeakyReLU(0) = 0.
        conv = self.layers[-1].last_conv()
        half = conv.out_channels // 2
        with torch.no_grad():
            conv.weight[half:].zero_()
            conv.bias[half:].zero_()

    def forward(self, x: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
        prior = prior.to(x.dtype)
        if self.down is None:
            z = x.permute(0, 3, 1, 2)
        else:  # the 1x1 convs as linear maps on the NHWC tokens: same maths, no concatenated full-width copy
            weight = self.down.weight[:, :, 0, 0]  # [rank, dim + 1]: the tokens' columns, then the prior's
            z = F.linear(x, weight[:, :-1], self.down.bias) + prior.permute(0, 2, 3, 1) * weight[:, -1]
            z = z.permute(0, 3, 1, 2)
        for layer in self.layers:
            z = layer(z, prior)
        if self.up is None:
            return x + z.permute(0, 2, 3, 1)
        return x + F.linear(z.permute(0, 2, 3, 1), self.up.weight[:, :, 0, 0], self.up.bias)
