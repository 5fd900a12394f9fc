"""What training starts from and runs under: initial weights (random, an official SAM-2 checkpoint or one of ours),
the per-stage learning-rate schedule, and autocast."""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open

from amodal_vos.errors import UserError
from amodal_vos.model.amodal_sam2 import ADAPTER_PREFIX, AmodalSAM2
from amodal_vos.model.checkpoint import check_state_dict, load_official_checkpoint
from amodal_vos.train.recipe import StageSpec


def lr_at(stage: StageSpec, step: int) -> float:
    """Linear warmup to ``lr``, then cosine decay to ``lr_end`` at the stage's last step."""
    if step < stage.warmup:
        return stage.lr * (step + 1) / stage.warmup
    span = max(stage.iters - stage.warmup - 1, 1)
    progress = min(max(step - stage.warmup, 0) / span, 1.0)
    return stage.lr_end + 0.5 * (stage.lr - stage.lr_end) * (1 + math.cos(math.pi * progress))


def load_init(model: AmodalSAM2, init: str, fresh_adapters: bool = False) -> str:
    """Initial weights: 'none' (random), an official SAM-2 ``.pt`` (adapters stay zero) or one of our
    ``.safetensors`` checkpoints. A base trained with frozen adapters whose adapter shapes no longer fit (e.g. made
    before the stage-1 bottleneck was narrowed) loads without them; ``fresh_adapters`` (the recipe key) loads any
    checkpoint without its adapters, so that adapters of one design or another train from the same base. Returns a
    description for the metadata."""
    if init in ("", "none"):
        return "random"
    path = Path(init)
    if not path.is_file():
        raise UserError(
            f"--init checkpoint not found: {path} (give a file, or 'none' to start from random weights)"
        )
    if path.suffix != ".safetensors":
        missing = load_official_checkpoint(model, path)
        return f"{path.name} (official; {len(missing)} adapter tensors at zero init)"
    try:
        with safe_open(str(path), framework="pt") as f:
            state = {k: f.get_tensor(k).float() for k in f.keys()}  # noqa: SIM118 (safe_open is not a mapping)
    except (SafetensorError, OSError, ValueError) as err:
        raise UserError(f"cannot read --init checkpoint {path}: {err}") from None
    note = ""
    if fresh_adapters:
        note = " (without its adapters: they start fresh)"
    elif _untrained_adapters(state) and _adapter_shapes_differ(model, state):
        note = " (its adapters, never trained and of another shape, start fresh)"
    if note:
        state = {k: v for k, v in state.items() if not k.startswith(ADAPTER_PREFIX)}
    check_state_dict(model, state, f"checkpoint {path.name}", allow_missing_adapters=True)
    model.load_state_dict(state, strict=False)
    return path.name + note


def _untrained_adapters(state: dict) -> bool:
    """Whether a checkpoint's adapters are still at their zero init (a base trained with the adapters frozen)."""
    ups = [v for k, v in state.items() if k.startswith(ADAPTER_PREFIX) and ".up." in k]
    return bool(ups) and all(not v.any() for v in ups)


def _adapter_shapes_differ(model: AmodalSAM2, state: dict) -> bool:
    own = model.state_dict()
    return any(k in own and own[k].shape != v.shape for k, v in state.items() if k.startswith(ADAPTER_PREFIX))


def autocast_for(device: torch.device, amp: str):
    """bf16 autocast on CUDA with 'bf16'; fp32 with 'auto' or 'off', and on CPU. 'auto' is fp32 because on an H200
    bf16 gave non-finite prompt-encoder gradients on the first step of track-clicks and no faster steps
    (docs/training.md, "On a GPU")."""
    if amp not in ("auto", "bf16", "off"):
        raise UserError(f"amp must be auto, bf16 or off, got {amp!r}")
    if device.type == "cuda" and amp == "bf16" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()
