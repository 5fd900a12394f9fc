"""The visible token's loss in a training step: with ``visible_head_only`` it trains the token's own MLP and leaves
every other gradient as it is without that loss."""

from __future__ import annotations

from dataclasses import replace

import torch

from amodal_vos.model import build_model
from amodal_vos.train.recipe import load_recipe
from amodal_vos.train.step import StepModule, make_work

from .conftest import NO_DROPOUT

MLP1 = "sam_mask_decoder.output_hypernetworks_mlps.1."


def test_head_only_visible_loss_changes_only_the_visible_mlps_gradients(write_recipe, amodal_stage, shapes):
    torch.manual_seed(0)
    model = build_model("small", ["visible_head=token", *NO_DROPOUT], image_size=64)
    spec = load_recipe(write_recipe([amodal_stage])).stages[0].objectives[0]
    work = make_work(
        spec,
        shapes.ShapesSource(64),
        seed=0,
        iteration=0,
        objective_index=0,
        indices=range(2),
        size=64,
        device=torch.device("cpu"),
    )
    step = StepModule(model)

    def grads(**losses) -> dict[str, torch.Tensor]:
        torch.manual_seed(1)  # the same dropout draws in every call
        model.zero_grad(set_to_none=True)
        w = replace(work, spec=replace(spec, losses=replace(spec.losses, adv=0.0, **losses)))
        total, _, _ = step([w], None, None)
        total.backward()
        return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None and p.grad.any()}

    without = grads(visible=0.0)
    head_only = grads(visible=1.0, visible_head_only=True)
    shared = grads(visible=1.0)
    assert model.sam_mask_decoder.head_only_token is None  # reset after the step
    assert not any(n.startswith(MLP1) for n in without)
    assert {n for n in head_only if not n.startswith(MLP1)} == set(without)
    for n, g in without.items():
        assert torch.allclose(head_only[n], g, atol=1e-6), n
    assert any(n.startswith(MLP1) for n in head_only)
    transformer = [n for n in without if n.startswith("sam_mask_decoder.transformer.")]
    assert any(not torch.allclose(shared[n], without[n], atol=1e-6) for n in transformer)
