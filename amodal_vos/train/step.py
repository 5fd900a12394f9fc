"""One optimisation step's forward: each objective's batch (drawn from per-sample random streams), its prompt, its
rollout through the memory bank and its losses. ``StepModule`` runs the whole step as one ``forward`` (under torchrun
the trainer averages the gradients after the backward pass, distributed.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from amodal_vos.model.amodal_sam2 import AmodalSAM2
from amodal_vos.model.search import SearchConfig
from amodal_vos.train.batch import Batch, collate, crop_batch, draw_sample
from amodal_vos.train.discriminator import MaskDiscriminator
from amodal_vos.train.distributed import average_gradients, batch_rng, sample_rng
from amodal_vos.train.losses import discriminator_loss
from amodal_vos.train.objective import DiscInputs, compute_losses
from amodal_vos.train.prompts import Prompt, choose_kind, make_prompt
from amodal_vos.train.recipe import ObjectiveSpec
from amodal_vos.train.rollout import SearchView, rollout
from amodal_vos.train.workers import restore


@dataclass
class Work:
    """One objective's inputs for one step, on the training device."""

    spec: ObjectiveSpec
    batch: Batch
    prompt: Prompt
    spec_noise: torch.Tensor  # [B, T, 4] standard normal draws for the Mspec jitter
    crop_noise: torch.Tensor | None = None  # [B, T, 3] draws for the crop jitter (search-region models)
    spec_drop: torch.Tensor | None = None  # [B, T] bool: frames whose Mspec covers the whole input


def make_work(
    spec: ObjectiveSpec,
    source,
    *,
    seed: int,
    iteration: int,
    objective_index: int,
    indices: range,
    size: int,
    device: torch.device,
    search: bool = False,
    drawn: list | None = None,
) -> Work:
    """Draw the samples ``indices`` of the objective's global batch for this step (each from its own stream, so the
    same sample comes out whichever rank computes it) and build their prompt and jitter draws. ``search``: keep the
    frames at their own resolution (a search-region model crops them in the rollout); prompts are in frame pixels.
    ``drawn``: the samples already drawn by worker processes, with their streams' states (workers.py)."""
    if drawn is not None:
        samples, rngs = restore(drawn)
    else:
        rngs = [sample_rng(seed, iteration, objective_index, i) for i in indices]
        samples = [draw_sample(source, spec.frames, size, spec.targets, rng) for rng in rngs]
    batch = collate(samples, None if search else size)
    shared = batch_rng(seed, iteration, objective_index)
    weights = (
        spec.prompts if spec.frames > 1 else {**spec.prompts, "mask": 0.0}
    )  # a copied mask teaches nothing
    kind = choose_kind(shared, weights)
    lo, hi = spec.prompts.get("points", [1, 1])
    num_points = int(shared.integers(int(lo), int(hi) + 1))
    prompt = make_prompt(kind, batch.visible[:, 0], batch.amodal[:, 0], rngs, spec.prompts, num_points)
    noise = torch.from_numpy(np.stack([rng.standard_normal((spec.frames, 4)) for rng in rngs])).float()
    crop_noise = None
    if search:
        crop_noise = torch.from_numpy(
            np.stack([rng.standard_normal((spec.frames, 3)) for rng in rngs])
        ).float()
    drop = None
    if spec.spec_drop > 0:  # drawn only when asked for, so recipes without it keep their random streams
        drop = torch.from_numpy(np.stack([rng.random(spec.frames) < spec.spec_drop for rng in rngs]))
    return Work(spec, batch.to(device), prompt.to(device), noise, crop_noise, drop)


class StepModule(nn.Module):
    """The model plus the step's forward: rollouts and losses of every objective, summed with their weights."""

    def __init__(self, model: AmodalSAM2) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, work: list[Work], disc: MaskDiscriminator | None, generator: torch.Generator | None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor], list[DiscInputs]]:
        total = None
        parts: dict[str, torch.Tensor] = {}
        disc_inputs = []
        search = SearchConfig.from_config(getattr(self.model, "config", None))
        for w in work:
            size = int(self.model.image_size)
            view = None
            if search is not None:
                view = SearchView(
                    search, tuple(w.batch.frames.shape[-2:]), size, w.crop_noise, w.spec.crop_jitter
                )
            decoder = self.model.sam_mask_decoder
            decoder.head_only_token = 1 if w.spec.losses.visible_head_only else None
            try:
                outs = rollout(
                    self.model,
                    w.batch.frames,
                    w.prompt,
                    adapters=w.spec.adapters,
                    spec_jitter=w.spec.spec_jitter,
                    spec_noise=w.spec_noise,
                    spec_drop=w.spec_drop,
                    search=view,
                    memory=w.spec.memory,
                )
            finally:
                decoder.head_only_token = None
            batch = w.batch if view is None else crop_batch(w.batch, [o["crop_boxes"] for o in outs], size)
            loss, p, d = compute_losses(
                outs,
                batch,
                w.spec.target,
                w.spec.losses,
                mask_prompted=w.prompt.kind == "mask",
                disc=disc,
                generator=generator,
            )
            total = w.spec.weight * loss if total is None else total + w.spec.weight * loss
            parts.update({f"{w.spec.name}/{k}": v for k, v in p.items()})
            if d is not None:
                disc_inputs.append(d)
        return total, parts, disc_inputs


def discriminator_step(
    disc: MaskDiscriminator, optimizer: torch.optim.Optimizer, inputs: list[DiscInputs], world: int
) -> torch.Tensor:
    """One update of the shape discriminator on the step's (detached) GT and predicted crops; returns its loss."""
    optimizer.zero_grad(set_to_none=True)
    loss = None
    for d in inputs:
        n = d.real.shape[0]
        logits = disc(torch.cat([d.real, d.fake]), None if d.image is None else torch.cat([d.image, d.image]))
        term = (discriminator_loss(logits[:n], logits[n:]) * d.weight).sum() / n
        loss = term if loss is None else loss + term
    loss.backward()
    average_gradients(disc.parameters(), world)
    optimizer.step()
    return loss.detach()
