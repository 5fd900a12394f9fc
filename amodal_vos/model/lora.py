"""PLUG's amodal LoRA branch as an alternative to the SCA (issue 10, item 5): low-rank updates of the query and value
projections of every Hiera block's attention, as PLUG (Sec. 3.3) adds them to SAM's encoder.

PLUG runs two such branches in parallel, an inmodal one for the visible mask and an amodal one. In our models the
base itself is trained on visible masks with the adapters bypassed, so the base plays the inmodal branch and this
module is the amodal branch: on while a prior is given (adapters on), off without one (the plain Hiera). Unlike the
SCA it does not read Mspec; the box prompt alone says where the object is. B is zero-initialised, so an untrained
LoRA leaves the encoder unchanged, like an untrained SCA.
"""

from __future__ import annotations

import torch
from torch import nn


class AttentionLoRA(nn.Module):
    """Low-rank updates of Q and V for one attention's fused ``qkv`` projection (``dim`` -> 3 x ``dim_out``):
    ``qkv(x) + [B_q A_q x, 0, B_v A_v x] * alpha / rank``. ``delta(x)`` returns the bracket, scaled."""

    def __init__(self, dim: int, dim_out: int, rank: int = 16, alpha: float | None = None) -> None:
        super().__init__()
        self.scale = (alpha if alpha is not None else rank) / rank
        self.down = nn.Linear(dim, 2 * rank, bias=False)  # A_q and A_v stacked
        self.up_q = nn.Linear(rank, dim_out, bias=False)
        self.up_v = nn.Linear(rank, dim_out, bias=False)
        nn.init.kaiming_uniform_(self.down.weight, a=5**0.5)
        nn.init.zeros_(self.up_q.weight)
        nn.init.zeros_(self.up_v.weight)

    def delta(self, x: torch.Tensor) -> torch.Tensor:
        a_q, a_v = self.down(x).chunk(2, dim=-1)
        q, v = self.up_q(a_q), self.up_v(a_v)
        return torch.cat([q, torch.zeros_like(q), v], dim=-1) * self.scale


class BlockLoRAs(nn.Module):
    """One AttentionLoRA per Hiera block, applied through forward hooks on each block's ``attn.qkv`` while
    ``active`` is set (the trunk sets it for the duration of a forward with a prior), so the block's own parameter
    names (and official SAM-2 checkpoints) stay as they are."""

    def __init__(self, blocks: nn.ModuleList, rank: int) -> None:
        super().__init__()
        self.loras = nn.ModuleList(
            AttentionLoRA(b.attn.qkv.in_features, b.attn.dim_out, min(rank, b.attn.dim_out // 2))
            for b in blocks
        )
        self.active = False
        for block, lora in zip(blocks, self.loras, strict=True):
            block.attn.qkv.register_forward_hook(self._hook(lora))

    def _hook(self, lora: AttentionLoRA):
        def add_delta(_module: nn.Module, args: tuple, out: torch.Tensor) -> torch.Tensor | None:
            return out + lora.delta(args[0]) if self.active else None

        return add_delta
