"""Seconds per training step with 2 gloo processes, three ways of averaging gradients, side by side in one run:

- ``per-param``: one all-reduce per parameter after backward (the old ``average_gradients``);
- ``ddp``: torch's DistributedDataParallel with ``find_unused_parameters=True`` (bucketed, overlapped with the
  backward pass, but it walks the autograd graph every step to find the parameters an objective did not use);
- ``bucketed``: the trainer's way: gradients flattened into ~25 MB buckets after backward, one all-reduce each.

    python bench/ddp_step.py --steps 10 --size 64 --frames 3

Each process gets its own trainer per mode (same seed, same batches) and the modes take turns step by step, so a
change in machine load hits all of them alike. Times are rank 0's, after a barrier before each step; ``sync`` is
the time spent in the after-backward averaging alone (DDP's is hidden inside its backward). Absolute times depend
on the machine and its load: quote them with both.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import tempfile
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

import amodal_vos.train.step as step_module
from amodal_vos.train.distributed import average_gradients, init_distributed
from amodal_vos.train.recipe import load_recipe
from amodal_vos.train.trainer import Trainer

MODES = ("per-param", "ddp", "bucketed")


def per_param_average(params, world: int) -> None:
    """The old averaging: one all-reduce per parameter (missing gradients count as zeros)."""
    if world <= 1:
        return
    for p in params:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
        dist.all_reduce(p.grad)
        p.grad.div_(world)


class BenchTrainer(Trainer):
    """A trainer whose gradient averaging is one of MODES; records the seconds spent averaging after backward."""

    def __init__(self, mode: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.mode = mode
        self.sync_s: list[float] = []

    def _setup_stage(self, index: int, state: dict | None) -> None:
        super()._setup_stage(index, state)
        if self.mode == "ddp":
            self.step_module = DistributedDataParallel(self.step_module, find_unused_parameters=True)

    def _sync_gradients(self) -> None:
        if self.mode == "ddp":
            return
        tic = time.perf_counter()
        if self.mode == "per-param":
            per_param_average(self.params, self.info.world)
        else:
            average_gradients(self.params, self.info.world)
        self.sync_s.append(time.perf_counter() - tic)

    def timed_step(self, stage, iteration: int) -> float:
        """One step's seconds; the discriminator is averaged the old way in the old modes."""
        step_module.average_gradients = average_gradients if self.mode == "bucketed" else per_param_average
        try:
            dist.barrier()
            tic = time.perf_counter()
            self._step(stage, 0, iteration)
            return time.perf_counter() - tic
        finally:
            step_module.average_gradients = average_gradients


def worker(rank: int, args: argparse.Namespace, port: int, queue) -> None:
    os.environ.update(
        RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)
    )
    torch.set_num_threads(args.threads)
    size = args.size
    overrides = [f"model.image_size={size}", f"data.width={size}", f"data.height={size}"]
    recipe = load_recipe(args.recipe, overrides=overrides)
    names = [s.name for s in recipe.stages]
    index = names.index(args.stage) if args.stage in names else len(names) - 1
    stage = recipe.stages[index]
    for o in stage.objectives:
        o.frames = min(o.frames, args.frames)
        o.batch = min(o.batch, args.batch * 2)  # the global batch: args.batch clips per process
    info = init_distributed("cpu")
    with tempfile.TemporaryDirectory() as tmp:
        trainers = {}
        for mode in MODES:
            t = BenchTrainer(mode, recipe, tmp, quiet=True, device="cpu")
            t.info = info
            t._build()
            t._setup_stage(index, None)
            trainers[mode] = t
        times: dict[str, list[float]] = {m: [] for m in MODES}
        for i in range(args.warmup + args.steps):
            for mode in MODES:
                seconds = trainers[mode].timed_step(stage, i)
                if i >= args.warmup:
                    times[mode].append(seconds)
    if rank == 0:
        syncs = {m: trainers[m].sync_s[args.warmup :] for m in MODES}
        params = trainers["bucketed"].params
        queue.put((times, syncs, len(params), sum(p.numel() for p in params), stage.name))
    dist.barrier()
    dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipe", nargs="?", default="scratch-cpu")
    parser.add_argument(
        "--stage", default="amodal", help="stage to time (default: amodal, two objectives + disc)"
    )
    parser.add_argument("--steps", type=int, default=10, help="timed steps per mode")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per mode first")
    parser.add_argument("--size", type=int, default=64, help="model image size and clip size")
    parser.add_argument("--frames", type=int, default=3, help="at most this many frames per clip")
    parser.add_argument("--batch", type=int, default=1, help="clips per process and objective")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    queue = ctx.SimpleQueue()
    mp.start_processes(worker, args=(args, _free_port(), queue), nprocs=2, join=True, start_method="spawn")
    times, syncs, num_params, numel, stage = queue.get()
    print(
        f"2 gloo processes x {args.threads} thread(s), stage {stage!r}, {args.size} px, <= {args.frames} frames, "
        f"{args.batch} clip(s) per process and objective; {num_params} trainable tensors, {numel / 1e6:.2f} M "
        f"values ({numel * 4 / 2**20:.1f} MB fp32); {args.steps} timed steps per mode"
    )
    print(f"{'mode':<10} {'median s/step':>14} {'mean s/step':>12} {'median sync s':>14}")
    medians = {}
    for mode in MODES:
        medians[mode] = statistics.median(times[mode])
        sync = f"{statistics.median(syncs[mode]):14.4f}" if syncs[mode] else f"{'(in backward)':>14}"
        print(f"{mode:<10} {medians[mode]:14.3f} {statistics.mean(times[mode]):12.3f} {sync}")
    new = medians["bucketed"]
    print(
        f"step time ratio per-param / bucketed: {medians['per-param'] / new:.2f}x; "
        f"ddp / bucketed: {medians['ddp'] / new:.2f}x"
    )
    if syncs["per-param"] and syncs["bucketed"]:
        ratio = statistics.median(syncs["per-param"]) / statistics.median(syncs["bucketed"])
        print(f"averaging time ratio per-param / bucketed: {ratio:.1f}x")


if __name__ == "__main__":
    main()
