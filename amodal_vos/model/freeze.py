"""Freeze presets: which parameters train.

- ``adapters``: only the Spatial Completion Adapters (the paper's encoder-focused adaptation of a pretrained SAM-2);
- ``full``: everything;
- ``base``: everything but the adapters (training a modal SAM-2 from scratch);
- ``memory``: only what writes and reads the memory bank (memory encoder, memory attention, object pointers and
  their embeddings), so that a tracker can learn to use its memory without changing how it segments a frame.
"""

from __future__ import annotations

from amodal_vos.errors import UserError
from amodal_vos.model.amodal_sam2 import ADAPTER_PREFIX, AmodalSAM2

FREEZE_PRESETS = ("adapters", "full", "base", "memory")
MEMORY_PREFIXES = (
    "memory_attention.",
    "memory_encoder.",
    "obj_ptr_proj.",
    "obj_ptr_tpos_proj.",
    "maskmem_tpos_enc",
    "no_mem_embed",
    "no_mem_pos_enc",
    "no_obj_ptr",
    "no_obj_embed_spatial",
)


def apply_freeze(model: AmodalSAM2, preset: str) -> int:
    """Set ``requires_grad`` by preset; returns the number of trainable parameters."""
    if preset not in FREEZE_PRESETS:
        raise UserError(f"unknown freeze preset {preset!r}; choose one of {', '.join(FREEZE_PRESETS)}")
    for name, param in model.named_parameters():
        if preset == "memory":
            param.requires_grad_(name.startswith(MEMORY_PREFIXES))
            continue
        is_adapter = name.startswith(ADAPTER_PREFIX)
        param.requires_grad_(preset == "full" or (preset == "adapters") == is_adapter)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
