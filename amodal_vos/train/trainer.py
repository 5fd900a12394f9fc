"""The training loop: stages of a recipe run one after another on one model; per stage a freeze preset, AdamW with
warmup and cosine decay from lr to lr_end, and its objectives every step. One process, or data parallel under
torchrun (gradients averaged after the backward pass in ~25 MB buckets, see distributed.py); fp32 unless the recipe
says ``amp: bf16`` (setup.autocast_for). A step whose gradients are not finite is skipped (its weights unchanged);
``MAX_BAD_STEPS`` of them in a row stop the run. On CUDA the next step's batches are built in a background thread
(recipe ``prefetch``: auto/true/false),
or their samples drawn a few steps ahead by ``workers`` processes (recipe ``workers``, workers.py; for a GPU).
The run folder holds ``state.pt`` (resume file, every ``save_every`` steps and at each stage
end), ``log.csv``, ``stage-<i>-<name>.safetensors`` after each stage and the final ``model.safetensors``.
"""

from __future__ import annotations

import json
import math
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from amodal_vos.errors import UserError
from amodal_vos.model.build import build_model
from amodal_vos.model.checkpoint import save_checkpoint
from amodal_vos.model.freeze import apply_freeze
from amodal_vos.model.search import SearchConfig
from amodal_vos.train.discriminator import MaskDiscriminator
from amodal_vos.train.distributed import (
    DistInfo,
    average_gradients,
    barrier,
    broadcast_parameters,
    init_distributed,
    mean_across,
    rank_share,
    seed_torch,
)
from amodal_vos.train.log import CsvLog, Reporter, RunningMean
from amodal_vos.train.recipe import Recipe, StageSpec
from amodal_vos.train.setup import autocast_for, load_init, lr_at
from amodal_vos.train.sources import build_source
from amodal_vos.train.state import cpu_state_dict, load_state, optimizer_state, save_state
from amodal_vos.train.step import StepModule, discriminator_step, make_work
from amodal_vos.train.workers import SampleWorkers

MAX_BAD_STEPS = 10  # steps in a row with non-finite gradients before a run stops


class Trainer:
    """``Trainer(recipe, out_dir, ...).run()`` -> path of the final weights. ``sources`` maps objective names (or
    "*") to clip sources that replace the recipe's data specs (for tests and custom data)."""

    def __init__(
        self,
        recipe: Recipe,
        out_dir: str | Path,
        *,
        init: str | None = None,
        resume: bool = False,
        device: str = "auto",
        sources: dict | None = None,
        quiet: bool = False,
    ) -> None:
        self.recipe = recipe
        self.out = Path(out_dir)
        self.init = recipe.init if init is None else init
        self.resume = resume
        self.device_name = device
        self.source_override = sources or {}
        self.quiet = quiet
        self._sources: dict[str, object] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._pending: dict = {}
        self._workers: SampleWorkers | None = None
        self._bad_steps = 0  # steps in a row whose gradients were not finite (skipped)

    # -- set-up -----------------------------------------------------------------------------------------------
    def _source(self, spec) -> object:
        if spec.name in self.source_override or "*" in self.source_override:
            return self.source_override.get(spec.name, self.source_override.get("*"))
        key = json.dumps(spec.data, sort_keys=True, default=str)
        if key not in self._sources:
            self._sources[key] = build_source(spec.data)
        return self._sources[key]

    def _build(self) -> None:
        m = self.recipe.model
        torch.manual_seed(self.recipe.seed)  # random initial weights (and buffers) are a function of the seed
        self.model = build_model(
            m.get("config", "small"), m.get("overrides") or [], m.get("image_size"), self.info.device
        )
        self.size = int(self.model.image_size)
        disc_cfgs = [s.disc for s in self.recipe.stages if any(o.losses.adv > 0 for o in s.objectives)]
        self.disc = None
        if disc_cfgs:
            d = disc_cfgs[0]
            self.disc = MaskDiscriminator(bool(d.get("use_image", False)), int(d.get("width", 32))).to(
                self.info.device
            )
            self.disc_opt = torch.optim.AdamW(
                self.disc.parameters(), lr=float(d.get("lr", 1e-4)), betas=(0.5, 0.999)
            )

    def _setup_stage(self, index: int, state: dict | None) -> None:
        stage = self.recipe.stages[index]
        apply_freeze(self.model, stage.freeze)
        groups = [
            {"params": [p for _, p in named if p.requires_grad], "lr_scale": scale}
            for named, scale in (
                (self.model.base_parameters(), 1.0),
                (self.model.adapter_parameters(), stage.adapter_lr_scale),
            )
        ]
        self.params = [p for g in groups for p in g["params"]]
        groups = [g for g in groups if g["params"]]
        self.optimizer = torch.optim.AdamW(groups, lr=stage.lr, weight_decay=stage.weight_decay)
        if state is not None and state.get("stage") == index and "optimizer" in state:
            self.optimizer.load_state_dict(state["optimizer"])
        self.step_module = StepModule(self.model)

    def _sync_gradients(self) -> None:
        """Average this step's gradients over the processes (no-op in one process). A bucketed all-reduce after
        the whole backward pass rather than DistributedDataParallel: a step runs several objectives, some with the
        adapters bypassed, and freeze presets change per stage, so DDP needs find_unused_parameters (a graph
        walk every step); with 2 gloo processes it measured within noise of this (docs/training.md)."""
        average_gradients(self.params, self.info.world)

    # -- the loop ---------------------------------------------------------------------------------------------
    def _work(self, stage: StageSpec, iteration: int, drawn: list | None = None) -> list:
        """This rank's batches of one step (a function of seed and iteration: safe to build ahead of time);
        ``drawn``: per objective, its samples drawn by the workers (None: drawn here)."""
        r = self.recipe
        return [
            make_work(
                spec,
                self._source(spec),
                seed=r.seed,
                iteration=iteration,
                objective_index=i,
                indices=rank_share(spec.batch, self.info),
                size=self.size,
                device=self.info.device,
                search=SearchConfig.from_config(self.model.config) is not None,
                drawn=None if drawn is None else drawn[i],
            )
            for i, spec in enumerate(stage.objectives)
        ]

    def _drawn_ahead(self, stage: StageSpec, stage_end: int, iteration: int) -> list:
        """The step's samples from the worker processes, after asking them for the next few steps' samples (enough
        to keep every worker busy). Objectives whose source a caller replaced are drawn here."""
        per_step = max(sum(len(rank_share(s.batch, self.info)) for s in stage.objectives), 1)
        ahead = max(2, -(-2 * self._workers.workers // per_step))
        for it in range(iteration, min(iteration + ahead, stage_end)):
            if it not in self._pending:
                self._pending[it] = [
                    None
                    if spec.name in self.source_override or "*" in self.source_override
                    else self._workers.submit(
                        spec,
                        seed=self.recipe.seed,
                        iteration=it,
                        objective_index=i,
                        indices=rank_share(spec.batch, self.info),
                        size=self.size,
                    )
                    for i, spec in enumerate(stage.objectives)
                ]
        futures = self._pending.pop(iteration)
        return [None if fs is None else [f.result() for f in fs] for fs in futures]

    def _next_work(self, stage: StageSpec, stage_end: int, iteration: int) -> list:
        """The step's batches, prepared in a background thread while the previous step ran (when prefetching), or
        from samples the worker processes drew ahead."""
        if self._workers is not None:
            return self._work(stage, iteration, self._drawn_ahead(stage, stage_end, iteration))
        pending = self._pending.pop(iteration, None)
        work = pending.result() if pending is not None else self._work(stage, iteration)
        if self._pool is not None and iteration + 1 < stage_end:
            self._pending[iteration + 1] = self._pool.submit(self._work, stage, iteration + 1)
        return work

    def _step(self, stage: StageSpec, stage_start: int, iteration: int) -> dict[str, float]:
        r = self.recipe
        generator = seed_torch(r.seed, iteration, self.info.rank)
        lr = lr_at(stage, iteration - stage_start)
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group["lr_scale"]
        work = self._next_work(stage, stage_start + stage.iters, iteration)
        self.model.train()
        amp = r.raw.get("amp", "auto")
        with autocast_for(self.info.device, "off" if amp is False else str(amp)):  # YAML reads `off` as False
            total, parts, disc_inputs = self.step_module(work, self.disc, generator)
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        self._sync_gradients()
        norm = torch.nn.utils.clip_grad_norm_(
            self.params, stage.grad_clip if stage.grad_clip > 0 else math.inf
        )
        if stage.grad_clip > 0:
            parts["grad_norm"] = norm.detach()
        if not torch.isfinite(norm):  # the same on every rank: the gradients are averaged
            self._bad_steps += 1
            if self._bad_steps >= MAX_BAD_STEPS:
                raise UserError(
                    f"gradients were not finite in {MAX_BAD_STEPS} steps in a row (iteration {iteration + 1}); "
                    "the weights of the last saved state are unchanged by them: lower the learning rate, or set "
                    "amp: off if the recipe uses bf16"
                )
            self.optimizer.zero_grad(set_to_none=True)
            return {k: float(v) for k, v in parts.items()} | {"lr": lr, "skipped": 1.0}
        self._bad_steps = 0
        self.optimizer.step()
        if disc_inputs:
            parts["disc"] = discriminator_step(self.disc, self.disc_opt, disc_inputs, self.info.world)
        return {k: float(v) for k, v in parts.items()} | {"lr": lr, "skipped": 0.0}

    def _save(self, iteration: int, stage_index: int, wall: float) -> None:
        if self.info.is_main:
            state = {
                "iteration": iteration,
                "stage": stage_index,
                "wall_s": wall,
                "recipe": self.recipe.name,
                "init": self.init_desc,
                "model": cpu_state_dict(self.model),
                "optimizer": optimizer_state(self.optimizer),
            }
            if self.disc is not None:
                state["disc"] = cpu_state_dict(self.disc)
                state["disc_optimizer"] = optimizer_state(self.disc_opt)
            save_state(self.out, state)
            meta = self.meta(iteration, wall, self.recipe.stages[stage_index].name, {})
            save_checkpoint(self.model, self.out / "latest.safetensors", meta)  # usable while the run goes on
        barrier(self.info)

    def meta(self, iteration: int, wall: float, stage: str, metrics: dict) -> dict:
        """The record stored in a checkpoint: recipe, data, iterations, wall time, metrics."""
        return {
            "recipe": self.recipe.raw,
            "stage": stage,
            "init": self.init_desc,
            "data": [
                {"stage": s.name, "objective": o.name, "data": o.data}
                for s in self.recipe.stages
                for o in s.objectives
            ],
            "iterations": iteration,
            "wall_time_s": round(wall, 1),
            "world_size": self.info.world,
            "device": str(self.info.device),
            "torch": torch.__version__,
            "metrics": metrics,
        }

    def run(self) -> Path:
        self.info: DistInfo = init_distributed(self.device_name)
        self._build()
        prefetch = self.recipe.raw.get("prefetch", "auto")
        if prefetch not in ("auto", True, False):
            raise UserError(f"prefetch must be auto, true or false, got {prefetch!r}")
        on = prefetch is True or (prefetch == "auto" and self.info.device.type == "cuda")
        workers = int(self.recipe.raw.get("workers", 0))
        if workers < 0:
            raise UserError(f"workers must be 0 (draw samples in this process) or more, got {workers}")
        self._workers = SampleWorkers(workers) if workers > 0 else None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="batches") if on and not workers else None
        state = load_state(self.out) if self.resume else None
        if state is None and not self.resume and (self.out / "state.pt").exists():
            raise UserError(
                f"{self.out} already holds a run: pass --resume to continue it, or choose another --out"
            )
        iteration, wall0 = 0, 0.0
        if state is not None and state.get("recipe") != self.recipe.name:
            raise UserError(
                f"{self.out} holds a run of recipe {state.get('recipe')!r}, not {self.recipe.name!r}"
            )
        final = self.out / "model.safetensors"
        if state is not None and int(state["iteration"]) >= self.recipe.total_iters and final.is_file():
            if self.info.is_main and not self.quiet:
                print(
                    f"{self.out} already finished {state['iteration']} iterations; weights: {final}",
                    file=sys.stderr,
                )
            return final
        if state is not None:
            self.model.load_state_dict(state["model"])
            if self.disc is not None and "disc" in state:
                self.disc.load_state_dict(state["disc"])
                self.disc_opt.load_state_dict(state["disc_optimizer"])
            iteration, wall0 = int(state["iteration"]), float(state.get("wall_s", 0.0))
            self.init_desc = str(state.get("init", "unknown (resume file without it)"))
        else:
            self.init_desc = load_init(self.model, self.init, self.recipe.fresh_adapters)
        broadcast_parameters(self.model, self.info)  # every rank starts from rank 0's weights
        if self.disc is not None:
            broadcast_parameters(self.disc, self.info)
        total = self.recipe.total_iters
        columns = sorted(
            {f"{o.name}/{k}" for s in self.recipe.stages for o in s.objectives for k in _terms(o)}
        )
        log = (
            CsvLog(
                self.out / "log.csv",
                columns + ["grad_norm", "disc", "skipped"],
                resume_from=iteration if state else None,
            )
            if self.info.is_main
            else None
        )
        reporter = Reporter(total, iteration, enabled=self.info.is_main, quiet=self.quiet)
        t0 = time.perf_counter()
        last, running, metrics = t0, RunningMean(), {}
        try:
            while iteration < total:
                index, start = self.recipe.stage_at(iteration)
                stage = self.recipe.stages[index]
                self._setup_stage(index, state)
                state = None
                end = start + stage.iters
                while iteration < end:
                    running.add(self._step(stage, start, iteration))
                    iteration += 1
                    if iteration % self.recipe.log_every == 0 or iteration == end:
                        now = time.perf_counter()
                        steps = running.count
                        metrics = mean_across(running.pop(), self.info)
                        row = {
                            "iteration": iteration,
                            "stage": stage.name,
                            "sec_per_it": (now - last) / max(steps, 1),
                        }
                        row |= {"wall_s": wall0 + now - t0} | metrics
                        last = now
                        if log is not None:
                            log.write(row)
                        reporter.update(iteration, stage.name, metrics)
                    if iteration == end and self.info.is_main:
                        path = self.out / f"stage-{index}-{stage.name}.safetensors"
                        save_checkpoint(
                            self.model,
                            path,
                            self.meta(iteration, wall0 + time.perf_counter() - t0, stage.name, metrics),
                        )
                    if iteration % self.recipe.save_every == 0 or iteration == end:
                        self._save(iteration, index, wall0 + time.perf_counter() - t0)
        finally:
            reporter.close()
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
            if self._workers is not None:
                self._workers.close()
        wall = wall0 + time.perf_counter() - t0
        if self.info.is_main:
            save_checkpoint(
                self.model, final, self.meta(iteration, wall, self.recipe.stages[-1].name, metrics)
            )
            reporter.note(f"trained {iteration} iterations in {wall / 60:.1f} min; weights: {final}")
        barrier(self.info)
        return final


def _terms(spec) -> list[str]:
    names = ["total"] + [k for k in ("seg", "iou", "obj", "point") if getattr(spec.losses, k) > 0]
    if spec.target == "amodal":
        names += [k for k in ("reg", "adv", "visible") if getattr(spec.losses, k) > 0]
    return names
