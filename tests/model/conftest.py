"""Fixtures for the model core: our small AmodalSAM2 and plain SAM-2 (sam2's own classes) of the same architecture."""

from __future__ import annotations

import copy

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from amodal_vos.model import build_model, load_config
from amodal_vos.model.amodal_sam2 import ADAPTER_PREFIX
from amodal_vos.model.build import plain_sam2_config

SIZE = 128


def plain_sam2_from(config_name: str, image_size: int | None = SIZE):
    """sam2's SAM2Base/ImageEncoder/Hiera built from one of our configs with the adapter classes swapped back."""
    cfg = load_config(config_name, image_size=image_size)
    model_cfg = plain_sam2_config(cfg.model)
    return instantiate(OmegaConf.create(model_cfg), _recursive_=True).eval()


def randomize_adapters(model) -> None:
    """Give every adapter weight a non-zero value (an untrained adapter is exactly zero at its output)."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for _, p in model.adapter_parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.05)


@pytest.fixture(scope="module")
def plain_sam2():
    """Factory: plain_sam2(config_name, image_size) -> sam2's SAM2Base of that architecture, random weights."""
    return plain_sam2_from


@pytest.fixture()
def trained_adapters(small_pair):
    """A copy of the small AmodalSAM2 whose adapters carry non-zero weights (the base weights are unchanged)."""
    model = copy.deepcopy(small_pair[0])
    randomize_adapters(model)
    return model


@pytest.fixture(scope="module")
def small_pair():
    """(AmodalSAM2, plain SAM2Base) with identical base weights, small config at 128 px."""
    torch.manual_seed(0)
    ours = build_model("small", image_size=SIZE)
    plain = plain_sam2_from("small")
    base_state = {k: v for k, v in ours.state_dict().items() if not k.startswith(ADAPTER_PREFIX)}
    plain.load_state_dict(base_state, strict=True)
    return ours, plain
