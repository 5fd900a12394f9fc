"""PLUG's amodal LoRA as the trunk's adapters (``sca_design: lora``): identity untrained, on only with a prior,
trained by the ``adapters`` preset, and the plain Hiera's parameter names kept."""

from __future__ import annotations

import torch

from amodal_vos.model import apply_freeze, build_model
from amodal_vos.model.amodal_sam2 import ADAPTER_PREFIX
from amodal_vos.model.lora import AttentionLoRA, BlockLoRAs

LORA = ["model.image_encoder.trunk.sca_design=lora", "model.image_encoder.trunk.sca_rank=8"]


def _trunk_outputs(model, prior):
    torch.manual_seed(3)
    x = torch.randn(2, 3, 128, 128)
    with torch.no_grad():
        return model.image_encoder.trunk(x, prior)


def test_untrained_lora_is_the_plain_trunk_and_trained_lora_needs_a_prior():
    model = build_model("small", image_size=128, overrides=LORA).eval()
    assert isinstance(model.image_encoder.trunk.sca, BlockLoRAs)
    prior = torch.ones(1, 1, 128, 128)
    plain = _trunk_outputs(model, None)
    for a, b in zip(plain, _trunk_outputs(model, prior), strict=True):
        assert torch.equal(a, b)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for _, p in model.adapter_parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.2)
    adapted = _trunk_outputs(model, prior)
    assert max((a - b).abs().max().item() for a, b in zip(plain, adapted, strict=True)) > 1e-3
    for a, b in zip(plain, _trunk_outputs(model, None), strict=True):  # off again without a prior
        assert torch.equal(a, b)
    assert model.image_encoder.trunk.sca.active is False


def test_lora_parameters_are_the_adapters_and_the_block_names_stay():
    sca = build_model("small", image_size=128)
    lora = build_model("small", image_size=128, overrides=LORA)
    base = {n for n, _ in sca.base_parameters()}
    assert base == {n for n, _ in lora.base_parameters()}
    adapters = {n for n, _ in lora.adapter_parameters()}
    assert adapters and all(n.startswith(ADAPTER_PREFIX + "loras.") for n in adapters)
    assert apply_freeze(lora, "adapters") == sum(p.numel() for _, p in lora.adapter_parameters())


def test_attention_lora_changes_only_queries_and_values():
    torch.manual_seed(1)
    lora = AttentionLoRA(16, 24, rank=4)
    with torch.no_grad():
        lora.up_q.weight.normal_()
        lora.up_v.weight.normal_()
    delta = lora.delta(torch.randn(5, 16))
    assert delta.shape == (5, 72)
    q, k, v = delta.chunk(3, dim=-1)
    assert q.abs().sum() > 0 and v.abs().sum() > 0 and torch.equal(k, torch.zeros_like(k))
