"""Hiera with one Spatial Completion Adapter at the start of each of its four stages, and the image encoder that
passes the prior mask Mspec to it as an explicit argument (never stored on a module).

Placement: each adapter runs right after its stage's first block. For stages 2-4 that block is the pooling block,
so the adapter sees the stage's own resolution and width (96/192/384/768 at strides 4/8/16/32 on hiera_t).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from sam2.modeling.backbones.hieradet import Hiera
from sam2.modeling.backbones.image_encoder import ImageEncoder
from torch import nn

from amodal_vos.model.lora import BlockLoRAs
from amodal_vos.model.sca import SpatialCompletionAdapter


def resize_prior(prior: torch.Tensor, size: tuple[int, int], batch: int) -> torch.Tensor:
    """Downsample a [B or 1, 1, S, S] prior mask to a stage's resolution by area averaging (share of each token's
    patch inside the box), broadcasting a single prior over the batch."""
    if prior.dim() != 4 or prior.shape[1] != 1:
        raise ValueError(f"prior mask must be [B,1,H,W], got {tuple(prior.shape)}")
    out = F.interpolate(prior.float(), size=size, mode="area")
    if out.shape[0] == 1 and batch > 1:
        out = out.expand(batch, -1, -1, -1)
    elif out.shape[0] != batch:
        raise ValueError(f"prior mask batch {out.shape[0]} does not match image batch {batch}")
    return out


def stage_rank(dim: int, max_rank: int) -> int:
    """Bottleneck width of a stage's adapter: ``max_rank``, but at most half the stage's width (a bottleneck as wide
    as a narrow stage would cost more than the stage itself at its high resolution)."""
    return max(1, min(max_rank, dim // 2))


class SCAHiera(Hiera):
    """sam2's Hiera trunk plus an SCA after each stage's first block; ``forward(x, prior_mask=None)`` skips every
    adapter when no prior is given, which is exactly the plain Hiera (the modal SAM-2 encoder). With
    ``sca_design: lora`` the adapters (``trunk.sca``, whatever their design) are PLUG's amodal LoRA on every block's
    attention instead (model/lora.py), on under the same condition."""

    def __init__(
        self, *args, sca_design: str = "bottleneck", sca_rank: int = 32, sca_layers: int = 3, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.stage_starts = [0] + [end + 1 for end in self.stage_ends[:-1]]
        if sca_design == "lora":
            self.sca = BlockLoRAs(self.blocks, sca_rank)
            return
        dims = [self.blocks[i].dim_out for i in self.stage_starts]
        self.sca = nn.ModuleList(
            SpatialCompletionAdapter(d, design=sca_design, rank=stage_rank(d, sca_rank), layers=sca_layers)
            for d in dims
        )

    def _get_pos_embed(self, hw: tuple[int, int]) -> torch.Tensor:
        """sam2's positional embedding at ``hw`` (a bicubic resize of learned tables, every frame the same at one
        input size): kept between calls while gradients are off and the tables unchanged."""
        if torch.is_grad_enabled():
            return super()._get_pos_embed(hw)
        key = (tuple(hw), self.pos_embed._version, self.pos_embed_window._version, self.pos_embed.device)
        cached = getattr(self, "_pos_cache", None)
        if cached is None or cached[0] != key:
            cached = (key, super()._get_pos_embed(hw))
            self._pos_cache = cached
        return cached[1]

    def forward(self, x: torch.Tensor, prior_mask: torch.Tensor | None = None) -> list[torch.Tensor]:
        if isinstance(self.sca, BlockLoRAs):
            self.sca.active = prior_mask is not None
            try:
                return self._stages(x, None)
            finally:
                self.sca.active = False
        return self._stages(x, prior_mask)

    def _stages(self, x: torch.Tensor, prior_mask: torch.Tensor | None) -> list[torch.Tensor]:
        """The blocks, with an SCA after each stage's first block where a prior is given."""
        x = self.patch_embed(x)
        x = x + self._get_pos_embed(x.shape[1:3])
        outputs = []
        for i, blk in enumerate(self.blocks):
            x = blk(x)
            if prior_mask is not None and i in self.stage_starts:
                prior = resize_prior(prior_mask, tuple(x.shape[1:3]), x.shape[0])
                x = self.sca[self.stage_starts.index(i)](x, prior)
            if i == self.stage_ends[-1] or (i in self.stage_ends and self.return_interm_layers):
                outputs.append(x.permute(0, 3, 1, 2))
        return outputs


class SCAImageEncoder(ImageEncoder):
    """sam2's ImageEncoder (trunk + FPN neck) with the prior mask passed through to an SCAHiera trunk."""

    def forward(self, sample: torch.Tensor, prior_mask: torch.Tensor | None = None) -> dict:
        features, pos = self.neck(self.trunk(sample, prior_mask))
        if self.scalp > 0:
            features, pos = features[: -self.scalp], pos[: -self.scalp]
        return {"vision_features": features[-1], "vision_pos_enc": pos, "backbone_fpn": features}
