"""Each SCA design: identity at initialisation, trainable, and gated by the prior."""

from __future__ import annotations

import pytest
import torch

from amodal_vos.model.sca import SCA_DESIGNS, SpatialCompletionAdapter


@pytest.mark.parametrize("design", SCA_DESIGNS)
def test_adapter_is_identity_at_init_and_learns(design):
    torch.manual_seed(0)
    sca = SpatialCompletionAdapter(24, design=design, rank=8)
    x = torch.randn(2, 12, 12, 24)
    prior = (torch.rand(2, 1, 12, 12) > 0.5).float()
    assert torch.equal(sca(x, prior), x)
    loss = (sca(x, prior) - x.flip(1)).pow(2).mean()
    loss.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in sca.parameters())


@pytest.mark.parametrize("design", SCA_DESIGNS)
def test_adapter_output_depends_on_prior(design):
    torch.manual_seed(0)
    sca = SpatialCompletionAdapter(16, design=design, rank=8)
    with torch.no_grad():
        for p in sca.parameters():
            p.normal_(std=0.1)
    x = torch.randn(1, 10, 10, 16)
    inside, outside = torch.ones(1, 1, 10, 10), torch.zeros(1, 1, 10, 10)
    assert (sca(x, inside) - sca(x, outside)).abs().max() > 1e-3


def test_unknown_design_is_rejected():
    with pytest.raises(ValueError, match="bottleneck"):
        SpatialCompletionAdapter(8, design="lora")
