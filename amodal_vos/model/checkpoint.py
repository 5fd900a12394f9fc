"""Checkpoints: official SAM-2 / SAM-2.1 weights into AmodalSAM2, and our own format.

Our format is one safetensors file (no pickled code can run on load) whose metadata holds the resolved model
config (YAML) and a JSON record of what was trained, on what data, for how many iterations, with what metrics.
Official checkpoints are torch pickles of {"model": state_dict}, read with ``weights_only=True``.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from omegaconf import DictConfig, OmegaConf
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from amodal_vos.errors import UserError
from amodal_vos.io.atomic import commit, temp_path
from amodal_vos.model.amodal_sam2 import ADAPTER_PREFIX, AmodalSAM2
from amodal_vos.model.build import build_model

FORMAT = "amodal-vos-checkpoint/1"


def _names(keys: list[str], limit: int = 6) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f" (+{len(keys) - limit} more)" if len(keys) > limit else "")


def check_state_dict(model: AmodalSAM2, state: dict, source: str, allow_missing_adapters: bool) -> None:
    """Raise one UserError naming the offending keys if ``state`` does not fit ``model`` exactly (adapter keys may
    be absent when ``allow_missing_adapters``)."""
    own = model.state_dict()
    unexpected = sorted(k for k in state if k not in own)
    missing = sorted(
        k for k in own if k not in state and not (allow_missing_adapters and k.startswith(ADAPTER_PREFIX))
    )
    mismatched = sorted(k for k in state if k in own and tuple(state[k].shape) != tuple(own[k].shape))
    problems = []
    if missing:
        problems.append(f"missing keys: {_names(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {_names(unexpected)}")
    if mismatched:
        detail = [f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in mismatched]
        problems.append(f"shape mismatch: {_names(detail)}")
    if problems:
        name = model.config.get("name", "?") if hasattr(model, "config") else "?"
        raise UserError(f"{source} does not fit model config {name!r}: " + "; ".join(problems))


def read_torch_file(path: Path, what: str):
    """``torch.load`` with ``weights_only`` (no pickled code runs); any failure is one UserError naming ``what``."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        first = (str(err).splitlines() or [""])[0][:200]
        raise UserError(f"cannot read {what} {path}: {type(err).__name__}: {first}") from None


def _read_torch_state(path: Path) -> dict:
    obj = read_torch_file(path, "checkpoint")
    state = obj.get("model", obj) if isinstance(obj, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise UserError(f"{path} is not a SAM-2 checkpoint: expected {{'model': state_dict}}")
    return state


def load_official_checkpoint(model: AmodalSAM2, path: str | Path) -> list[str]:
    """Load official SAM-2 weights into ``model``; every base key must be present and match in shape. Returns the
    adapter keys that stay at their (zero) initialisation."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"checkpoint not found: {path}")
    state = _read_torch_state(path)
    check_state_dict(model, state, f"checkpoint {path.name}", allow_missing_adapters=True)
    result = model.load_state_dict(state, strict=False)
    return sorted(result.missing_keys)


def save_checkpoint(
    model: AmodalSAM2, path: str | Path, meta: dict | None = None, half: bool = False
) -> Path:
    """Write our checkpoint atomically (temporary file, then rename). ``half`` stores float16 weights."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for k, v in model.state_dict().items():
        v = v.detach().cpu()
        if half and v.is_floating_point():
            v = v.half()
        tensors[k] = v.contiguous().clone()
    header = {
        "format": FORMAT,
        "config": OmegaConf.to_yaml(model.config),
        "meta": json.dumps(meta or {}, default=str),
    }
    temp = temp_path(path)
    save_file(tensors, str(temp), metadata=header)
    return commit(temp, path)


def read_header(path: str | Path) -> tuple[DictConfig, dict]:
    """(model config, metadata) of one of our checkpoints, without loading the weights."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"checkpoint not found: {path}")
    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as err:
        raise UserError(
            f"{path} is not a valid amodal-vos checkpoint (corrupt or wrong format: {err})"
        ) from None
    if header.get("format") != FORMAT:
        raise UserError(f"{path} is not an amodal-vos checkpoint (format {header.get('format')!r})")
    return OmegaConf.create(header["config"]), json.loads(header.get("meta", "{}"))


def load_checkpoint(
    path: str | Path, config: str | Path | DictConfig | None = None, device: str | torch.device = "cpu"
) -> tuple[AmodalSAM2, dict]:
    """Build the model a checkpoint was made for and load its weights (float32). If ``config`` is given, the
    checkpoint must fit it exactly, else a UserError names the checkpoint's own config and the offending keys."""
    ckpt_cfg, meta = read_header(path)
    model = build_model(ckpt_cfg if config is None else config)
    try:
        with safe_open(str(path), framework="pt") as f:
            state = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (safe_open is not a mapping)
    except (SafetensorError, OSError, ValueError) as err:
        raise UserError(f"{path} is corrupt: {err}") from None
    source = f"checkpoint {Path(path).name} (made for config {ckpt_cfg.get('name', '?')!r})"
    check_state_dict(model, state, source, allow_missing_adapters=False)
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    return model.to(device), meta
