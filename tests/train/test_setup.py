"""Initial weights for training: random, an official-style SAM-2 .pt (adapters stay zero) or our checkpoint."""

from __future__ import annotations

import pytest
import torch

from amodal_vos.errors import UserError
from amodal_vos.model.amodal_sam2 import ADAPTER_PREFIX
from amodal_vos.model.build import build_model
from amodal_vos.model.checkpoint import save_checkpoint
from amodal_vos.train.setup import load_init


def test_init_from_an_official_checkpoint_and_from_ours(tmp_path):
    torch.manual_seed(1)
    source = build_model("small", image_size=64)
    official = {k: v for k, v in source.state_dict().items() if not k.startswith(ADAPTER_PREFIX)}
    torch.save({"model": official}, tmp_path / "sam2.1_hiera_small_test.pt")
    with torch.no_grad():
        for _, p in source.adapter_parameters():
            p.add_(1.0)
    ours = save_checkpoint(source, tmp_path / "ours.safetensors")

    torch.manual_seed(2)
    model = build_model("small", image_size=64)
    assert "official" in load_init(model, str(tmp_path / "sam2.1_hiera_small_test.pt"))
    for name, tensor in model.state_dict().items():
        if not name.startswith(ADAPTER_PREFIX):
            assert torch.equal(tensor, official[name])
    assert all(p.abs().sum() == 0 for n, p in model.adapter_parameters() if n.endswith("up.weight"))

    assert load_init(model, str(ours)) == "ours.safetensors"
    assert all(torch.equal(v, source.state_dict()[k]) for k, v in model.state_dict().items())
    assert load_init(model, "none") == "random"
    with pytest.raises(UserError, match="not found"):
        load_init(model, str(tmp_path / "missing.pt"))


def test_a_base_with_untrained_adapters_of_another_shape_loads_without_them(tmp_path):
    torch.manual_seed(1)
    old = build_model(
        "small", ["model.image_encoder.trunk.sca_rank=8"], image_size=64
    )  # other adapter shapes
    path = save_checkpoint(old, tmp_path / "base.safetensors")
    model = build_model("small", image_size=64)
    assert "start fresh" in load_init(model, str(path))
    base = {k: v for k, v in old.state_dict().items() if not k.startswith(ADAPTER_PREFIX)}
    assert all(torch.equal(model.state_dict()[k], v) for k, v in base.items())
    with torch.no_grad():
        for _, p in old.adapter_parameters():
            p.add_(0.5)  # trained adapters of another shape: a real mismatch, reported
    save_checkpoint(old, path)
    with pytest.raises(UserError, match="shape mismatch"):
        load_init(model, str(path))


def test_fresh_adapters_load_the_base_of_a_checkpoint_with_adapters_of_another_design(tmp_path):
    torch.manual_seed(1)
    trained = build_model("small", image_size=64)
    with torch.no_grad():
        for _, p in trained.adapter_parameters():
            p.add_(0.5)  # trained SCA adapters
    path = save_checkpoint(trained, tmp_path / "sca.safetensors")
    lora = build_model("small", ["model.image_encoder.trunk.sca_design=lora"], image_size=64)
    with pytest.raises(UserError):
        load_init(lora, str(path))  # the SCA's tensors do not fit LoRA adapters
    torch.manual_seed(2)
    for model in (lora, build_model("small", image_size=64)):
        before = {n: p.clone() for n, p in model.adapter_parameters()}
        assert "start fresh" in load_init(model, str(path), fresh_adapters=True)
        assert all(torch.equal(p, before[n]) for n, p in model.adapter_parameters())
        base = dict(trained.base_parameters())
        assert all(torch.equal(p, base[n]) for n, p in model.base_parameters())
