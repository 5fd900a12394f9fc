"""Model configs (our YAML in configs/model, shipped with the package) and building AmodalSAM2 from them.

Built with OmegaConf + hydra.utils.instantiate; no Hydra global initialisation of our own (``import sam2``
already initialises Hydra for its own config module, which we leave alone).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from amodal_vos.errors import UserError
from amodal_vos.model.amodal_sam2 import AmodalSAM2

DEFAULT_CONFIG = "small"


def _config_dir():
    return resources.files("amodal_vos.configs") / "model"


def list_configs() -> list[str]:
    """Names of the shipped model configs (usable wherever a config is asked for)."""
    return sorted(p.name[: -len(".yaml")] for p in _config_dir().iterdir() if p.name.endswith(".yaml"))


def image_size_overrides(size: int) -> list[str]:
    """Dotlist overrides that change the input resolution (image size and the RoPE tables of memory attention)."""
    if size <= 0 or size % 32:
        raise UserError(f"image size must be a positive multiple of 32, got {size}")
    f = size // 16
    return [
        f"model.image_size={size}",
        f"model.memory_attention.layer.self_attention.feat_sizes=[{f},{f}]",
        f"model.memory_attention.layer.cross_attention.feat_sizes=[{f},{f}]",
    ]


def load_config(
    config: str | Path | DictConfig = DEFAULT_CONFIG,
    overrides: Sequence[str] = (),
    image_size: int | None = None,
) -> DictConfig:
    """A shipped config name, a YAML path or a DictConfig, with dotlist ``overrides`` (``model.x=y``) applied."""
    if isinstance(config, DictConfig):
        cfg = config.copy()
    else:
        path = Path(str(config))
        if path.suffix in (".yaml", ".yml") and path.is_file():
            cfg = OmegaConf.load(path)
            cfg.setdefault("name", path.stem)
        elif str(config) in list_configs():
            cfg = OmegaConf.load(str(_config_dir() / f"{config}.yaml"))
            cfg.name = str(config)
        else:
            raise UserError(
                f"unknown model config {str(config)!r}: give a YAML file or one of {', '.join(list_configs())}"
            )
    extra = list(overrides) + (image_size_overrides(image_size) if image_size else [])
    if extra:
        try:
            cfg = OmegaConf.merge(cfg, OmegaConf.from_dotlist(extra))
        except Exception as err:  # OmegaConf raises several types for malformed dotlists
            raise UserError(f"bad config override in {extra}: {err}") from None
    if "model" not in cfg:
        raise UserError(f"config {cfg.get('name', config)!r} has no 'model' section")
    OmegaConf.resolve(cfg)
    return cfg


def build_model(
    config: str | Path | DictConfig = DEFAULT_CONFIG,
    overrides: Sequence[str] = (),
    image_size: int | None = None,
    device: str | torch.device = "cpu",
) -> AmodalSAM2:
    """Instantiate AmodalSAM2 (random weights, eval mode) from a config; ``model.config`` keeps the resolved config."""
    cfg = load_config(config, overrides, image_size)
    try:
        model = instantiate(cfg.model, _recursive_=True)
    except Exception as err:
        raise UserError(f"cannot build model from config {cfg.get('name', '?')!r}: {err}") from None
    if not isinstance(model, AmodalSAM2):
        raise UserError(f"config {cfg.get('name', '?')!r} builds {type(model).__name__}, not AmodalSAM2")
    model.config = cfg
    return model.to(device).eval()


def plain_sam2_config(model_cfg: DictConfig, target: str = "sam2.modeling.sam2_base.SAM2Base") -> dict:
    """A config's ``model`` section with our adapter classes swapped back to sam2's own (ImageEncoder, Hiera) and
    ``target`` as the model class: plain SAM-2 of the same architecture (comparisons, equivalence tests)."""
    cfg = OmegaConf.to_container(model_cfg, resolve=True)
    cfg["_target_"] = target
    cfg["image_encoder"]["_target_"] = "sam2.modeling.backbones.image_encoder.ImageEncoder"
    trunk = cfg["image_encoder"]["trunk"]
    trunk["_target_"] = "sam2.modeling.backbones.hieradet.Hiera"
    for key in ("sca_design", "sca_rank", "sca_layers"):
        trunk.pop(key)
    return cfg


def count_parameters(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
