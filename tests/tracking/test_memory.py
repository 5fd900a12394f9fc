"""Memory-bank pruning: masks bit-identical to an unpruned run, and a bounded number of entries."""

from __future__ import annotations

import numpy as np
import torch

from amodal_vos.model.transforms import frames_to_input
from amodal_vos.tracking.memory import memory_horizon
from amodal_vos.tracking.propagation import ModelPrompt, Propagation

from .conftest import SIZE, frames_of


def prompt(obj_id, frame, box):
    return ModelPrompt(
        obj_id, frame, torch.tensor(box, dtype=torch.float32), torch.zeros(0, 2), torch.zeros(0)
    )


def run(model, images, prune, reverse=False):
    n = len(images)
    first = n - 1 if reverse else 0
    prompts = [prompt(1, first, [20, 30, 60, 70]), prompt(2, first, [70, 20, 110, 60])]
    sweep = Propagation(model, prompts, num_frames=n, reverse=reverse, prune=prune)
    order = range(n - 1, -1, -1) if reverse else range(n)
    masks = [torch.stack([torch.cat([s.amodal, s.visible]) for s in sweep.step(t, images[t])]) for t in order]
    return torch.stack(masks), sweep


def test_horizon_follows_the_model_settings(model):
    assert memory_horizon(model) == max(model.num_maskmem - 1, model.max_obj_ptrs_in_encoder - 1) == 15


def test_pruning_keeps_masks_bit_identical_and_memory_bounded(model, clip):
    frames = frames_of(clip[0])
    images = [
        frames_to_input(f, SIZE) for f in np.concatenate([frames, frames[::-1]])[:30]
    ]  # 30 > 16 + 7 frames
    for reverse in (False, True):
        pruned, sweep = run(model, images, prune=True, reverse=reverse)
        full, sweep_full = run(model, images, prune=False, reverse=reverse)
        assert torch.equal(pruned, full)
        assert (pruned > 0).any() and (pruned <= 0).any()  # non-trivial masks
        horizon = memory_horizon(model)
        assert all(
            bank.peak_entries == 1 + horizon for bank in sweep.banks()
        )  # one cond frame + horizon frames
        assert all(len(bank) == 1 + horizon for bank in sweep.banks())
        assert all(len(bank) == 30 for bank in sweep_full.banks())


def test_a_model_config_can_say_it_tracks_without_memory(model, monkeypatch):
    from omegaconf import OmegaConf

    from amodal_vos.tracking import AmodalPredictor, AmodalTracker

    assert AmodalTracker(model).memory and AmodalPredictor(model).memory  # the default: memory is read
    config = OmegaConf.merge(model.config, {"track_memory": False})
    monkeypatch.setattr(model, "config", config)
    assert not AmodalTracker(model).memory and not AmodalPredictor(model).memory
    assert AmodalTracker(model, memory=True).memory  # an explicit choice wins
    assert not AmodalPredictor.from_tracker(AmodalTracker(model)).sweeps.options["memory"]
