"""Freeze presets: which parameters train.

- ``adapters``: only the Spatial Completion Adapters (the paper's encoder-focused adaptation of a pretrained SAM-2);
- ``full``: everything;
- ``base``: everything but the adapters (training a modal SAM-2 from scratch).
"""

from __future__ import annotations

from amodal_vos.errors import UserError
from amodal_vos.model.amodal_sam2 import ADAPTER_PREFIX, AmodalSAM2

FREEZE_PRESETS = ("adapters", "full", "base")


def apply_freeze(model: AmodalSAM2, preset: str) -> int:
    """Set ``requires_grad`` by preset; returns the number of trainable parameters."""
    if preset not in FREEZE_PRESETS:
        raise UserError(f"unknown freeze preset {preset!r}; choose one of {', '.join(FREEZE_PRESETS)}")
    for name, param in model.named_parameters():
        is_adapter = name.startswith(ADAPTER_PREFIX)
        param.requires_grad_(preset == "full" or (preset == "adapters") == is_adapter)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
