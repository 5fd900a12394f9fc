"""The model: SAM-2 with a Spatial Completion Adapter per Hiera stage, its configs, checkpoints and freeze presets."""

from amodal_vos.model.amodal_sam2 import AmodalSAM2, FrameFeatures, memory_entry, new_memory
from amodal_vos.model.build import DEFAULT_CONFIG, build_model, list_configs, load_config
from amodal_vos.model.checkpoint import (
    load_checkpoint,
    load_official_checkpoint,
    read_header,
    save_checkpoint,
)
from amodal_vos.model.freeze import FREEZE_PRESETS, apply_freeze

__all__ = [
    "DEFAULT_CONFIG",
    "FREEZE_PRESETS",
    "AmodalSAM2",
    "FrameFeatures",
    "apply_freeze",
    "build_model",
    "list_configs",
    "load_checkpoint",
    "load_config",
    "load_official_checkpoint",
    "memory_entry",
    "new_memory",
    "read_header",
    "save_checkpoint",
]
