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


def _randomise(sca: SpatialCompletionAdapter) -> None:
    """Random weights everywhere (at initialisation the adapter is the identity, whatever its prior)."""
    with torch.no_grad():
        for p in sca.parameters():
            p.normal_(std=0.1)


@pytest.mark.parametrize("design", SCA_DESIGNS)
def test_adapter_output_depends_on_prior(design):
    torch.manual_seed(0)
    sca = SpatialCompletionAdapter(16, design=design, rank=8)
    _randomise(sca)
    x = torch.randn(1, 10, 10, 16)
    inside, outside = torch.ones(1, 1, 10, 10), torch.zeros(1, 1, 10, 10)
    assert (sca(x, inside) - sca(x, outside)).abs().max() > 1e-3


def test_unknown_design_is_rejected():
    with pytest.raises(ValueError, match="bottleneck"):
        SpatialCompletionAdapter(8, design="lora")


@pytest.mark.parametrize("design", ["bottleneck", "separable"])
def test_linear_maps_equal_the_concatenated_1x1_convs(design):
    torch.manual_seed(1)
    sca = SpatialCompletionAdapter(24, design=design, rank=8)
    _randomise(sca)
    x = torch.randn(2, 9, 11, 24)
    prior = (torch.rand(2, 1, 9, 11) > 0.5).float()
    e = x.permute(0, 3, 1, 2)
    z = sca.down(torch.cat([e, prior], dim=1))  # Eq. 5's input [features, Mspec] as the convolutions read it
    for layer in sca.layers:
        z = layer(z, prior)
    want = x + sca.up(z).permute(0, 2, 3, 1)
    torch.testing.assert_close(sca(x, prior), want, rtol=1e-5, atol=1e-6)


def test_positional_embedding_is_reused_without_gradients_and_recomputed_when_the_tables_change():
    from amodal_vos.model.build import build_model

    trunk = build_model("small", image_size=64).image_encoder.trunk
    with torch.no_grad():
        first = trunk._get_pos_embed((16, 16))
        assert trunk._get_pos_embed((16, 16)) is first
        trunk.pos_embed.add_(1.0)  # e.g. load_state_dict copying new weights in place
        changed = trunk._get_pos_embed((16, 16))
    assert changed is not first and torch.allclose(changed, first + 1.0, atol=1e-4)
    fresh = trunk._get_pos_embed((16, 16))  # with gradients on: computed anew, part of the graph
    assert fresh.requires_grad and torch.allclose(fresh, changed)
