"""Which model a tracker runs: a checkpoint, a config, or the shipped default; and on which device.

Lookup order: ``checkpoint`` (our .safetensors, or an official SAM-2 .pt with zero adapters) > ``config`` (random
weights) > ``amodal_vos/weights/default.safetensors`` when the package ships it > the ``small`` config with random
weights. Random weights give meaningless masks, so that case prints one loud line on stderr.
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import torch

from amodal_vos.errors import UserError
from amodal_vos.model import (
    DEFAULT_CONFIG,
    AmodalSAM2,
    build_model,
    load_checkpoint,
    load_official_checkpoint,
)

OFFICIAL_NAMES = {
    "tiny": "sam2.1_hiera_t",
    "small": "sam2.1_hiera_s",
    "base_plus": "sam2.1_hiera_b+",
    "large": "sam2.1_hiera_l",
}


def weights_dir() -> Path:
    """Where the package keeps shipped weights (amodal_vos/weights/)."""
    return Path(str(resources.files("amodal_vos"))) / "weights"


def default_checkpoint() -> Path | None:
    """The trained default model shipped inside the package, if this build has one."""
    path = weights_dir() / "default.safetensors"
    return path if path.is_file() else None


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``auto`` picks CUDA when available, else CPU; asking for CUDA without it is a UserError."""
    name = str(device)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError("--device cuda: no CUDA device is available (torch.cuda.is_available() is False)")
    try:
        return torch.device(name)
    except RuntimeError:
        raise UserError(f"unknown device {name!r}: use auto, cpu or cuda") from None


def _official_config(path: Path, config: str | None) -> str:
    if config:
        return config
    for key, name in OFFICIAL_NAMES.items():
        if key in path.stem:
            return name
    raise UserError(f"{path.name}: an official SAM-2 checkpoint needs --config (e.g. sam2.1_hiera_t)")


def warn_random(config: str) -> None:
    print(
        f"WARNING: no trained model: using config {config!r} with RANDOM weights, the masks mean nothing "
        "(pass --checkpoint MODEL.safetensors)",
        file=sys.stderr,
    )


def load_model(
    checkpoint: str | Path | None = None,
    config: str | Path | None = None,
    image_size: int | None = None,
    device: str | torch.device = "auto",
    warn: bool = True,
) -> tuple[AmodalSAM2, dict]:
    """(model in eval mode on the device, description for the masks JSON) following the lookup order above."""
    dev = resolve_device(device)
    random_weights = False
    if checkpoint is None and config is None:
        checkpoint = default_checkpoint()
    if checkpoint is not None:
        path = Path(checkpoint)
        if not path.is_file():
            raise UserError(f"checkpoint not found: {path}")
        if path.suffix in (".pt", ".pth"):
            model = build_model(_official_config(path, config and str(config)), image_size=image_size)
            load_official_checkpoint(model, path)
        else:
            model, _ = load_checkpoint(path, config)
    else:
        config = config or DEFAULT_CONFIG
        model = build_model(config, image_size=image_size)
        random_weights = True
        if warn:
            warn_random(str(config))
    model = model.to(dev).eval()
    described = {
        "config": str(model.config.get("name", config)),
        "checkpoint": None if checkpoint is None else str(checkpoint),
        "image_size": int(model.image_size),
        "random_weights": random_weights,
    }
    return model, described


class ModelConstructors:
    """The constructors shared by ``AmodalTracker`` and ``AmodalPredictor``, whose ``__init__`` takes
    ``(model, *, description=..., **options)``: from a config with random weights, a checkpoint, or the shipped
    default model."""

    @classmethod
    def from_config(
        cls, config: str | Path = "small", image_size: int | None = None, device: str = "auto", **kwargs
    ):
        """Over a config with random weights (for tests and benchmarks; prints a warning line)."""
        model, description = load_model(None, config, image_size, device, warn=kwargs.pop("warn", True))
        return cls(model, description=description, **kwargs)

    @classmethod
    def from_checkpoint(
        cls, path: str | Path, config: str | Path | None = None, device: str = "auto", **kwargs
    ):
        """Over trained weights (our .safetensors, or an official SAM-2 .pt with untrained adapters)."""
        model, description = load_model(path, config, None, device)
        return cls(model, description=description, **kwargs)

    @classmethod
    def default(cls, device: str = "auto", **kwargs):
        """Over the shipped default model (amodal_vos/weights/default.safetensors), or the small config with random
        weights and a warning while none is shipped."""
        model, description = load_model(None, None, None, device)
        return cls(model, description=description, **kwargs)


def describe(model, description: dict | None) -> dict:
    """A tracker's record of its model (config, checkpoint, image size), as the masks JSON stores it."""
    description = description or {"config": str(model.config.get("name", "?")), "checkpoint": None}
    description["image_size"] = int(model.image_size)
    return description
