"""Process setup: one process by default, torch.distributed data parallel when launched by torchrun
(WORLD_SIZE > 1): gloo on CPU, nccl on CUDA; gradients are averaged after the backward pass with one all-reduce
per ~25 MB bucket (``average_gradients``; bench/ddp_step.py compares it with DistributedDataParallel and with one
all-reduce per parameter). Also the per-iteration random streams, derived from (seed, iteration, ...) so that data
order and dropout never depend on what ran before (resume-safe).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist

from amodal_vos.errors import UserError


@dataclass
class DistInfo:
    rank: int
    world: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world > 1


def pick_device(name: str = "auto") -> torch.device:
    """'auto' -> cuda when available, else cpu; 'cuda' without a GPU is a UserError."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError("--device cuda asked for, but torch sees no CUDA GPU")
    if name not in ("cpu",) and not name.startswith("cuda"):
        raise UserError(f"unknown device {name!r}: use auto, cpu or cuda")
    return torch.device(name)


def init_distributed(device: str = "auto") -> DistInfo:
    """Join the process group torchrun set up (env WORLD_SIZE/RANK/LOCAL_RANK), or run as a single process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    dev = pick_device(device)
    if world <= 1:
        return DistInfo(0, 1, dev)
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if dev.type == "cuda":
        dev = torch.device("cuda", local_rank)
        torch.cuda.set_device(dev)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo")
    return DistInfo(dist.get_rank(), dist.get_world_size(), dev)


def shutdown_distributed() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


BUCKET_BYTES = 25 * 2**20  # DistributedDataParallel's default bucket size


def _buckets(grads: list[torch.Tensor], limit: int) -> list[list[torch.Tensor]]:
    """Consecutive runs of gradients of one dtype and device, each run at most ``limit`` bytes (a single larger
    tensor is a run of its own)."""
    runs: list[list[torch.Tensor]] = []
    size = 0
    for g in grads:
        nbytes = g.numel() * g.element_size()
        last = runs[-1] if runs else None
        if last is None or size + nbytes > limit or (g.dtype, g.device) != (last[0].dtype, last[0].device):
            runs.append([g])
            size = nbytes
        else:
            last.append(g)
            size += nbytes
    return runs


def average_gradients(params: Iterable[torch.Tensor], world: int, bucket_bytes: int = BUCKET_BYTES) -> None:
    """All-reduce-average the gradients of ``params`` over the ``world`` processes, after the backward pass.

    The gradients are flattened into buckets of at most ``bucket_bytes`` and each bucket is one all-reduce (one per
    parameter would be hundreds of small ones per step, each paying the collective's latency). Which parameters got
    a gradient can differ between the objectives of a step (adapters bypassed, frozen stages), so one small
    all-reduce first counts, per parameter, the ranks that have one: a parameter no rank used keeps ``grad=None``
    (AdamW then leaves it alone, as in one process), one used on some ranks only averages with zeros elsewhere.
    Every rank must pass the same parameters in the same order.
    """
    if world <= 1:
        return
    params = [p for p in params if p.requires_grad]
    if not params:
        return
    device = params[0].device
    has = torch.tensor([p.grad is not None for p in params], dtype=torch.float32, device=device)
    dist.all_reduce(has)
    used = [p for p, n in zip(params, has.tolist(), strict=True) if n > 0]
    for p in used:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
    for bucket in _buckets([p.grad for p in used], bucket_bytes):
        flat = torch.cat([g.reshape(-1) for g in bucket])
        dist.all_reduce(flat)
        flat.div_(world)
        offset = 0
        for g in bucket:
            g.copy_(flat[offset : offset + g.numel()].view_as(g))
            offset += g.numel()


def broadcast_parameters(module: torch.nn.Module, info: DistInfo) -> None:
    """Give every rank rank 0's parameters and buffers (what DistributedDataParallel does when it wraps a model),
    so that ranks stay identical even if their initial weights were not."""
    if not info.enabled:
        return
    tensors = [t.data for t in module.parameters()] + [b for b in module.buffers()]
    for bucket in _buckets(tensors, BUCKET_BYTES):
        flat = torch.cat([t.reshape(-1) for t in bucket])
        dist.broadcast(flat, src=0)
        offset = 0
        for t in bucket:
            t.copy_(flat[offset : offset + t.numel()].view_as(t))
            offset += t.numel()


def mean_across(values: dict[str, float], info: DistInfo) -> dict[str, float]:
    """Average logged scalars over ranks (same keys on every rank)."""
    if not info.enabled or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=info.device)
    dist.all_reduce(t)
    return {k: float(v) / info.world for k, v in zip(keys, t.tolist(), strict=True)}


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def rank_share(global_batch: int, info: DistInfo) -> range:
    """The global sample indices this rank computes (the global batch must split evenly over ranks)."""
    if global_batch % info.world:
        raise UserError(f"batch {global_batch} does not split evenly over {info.world} processes")
    per = global_batch // info.world
    return range(info.rank * per, (info.rank + 1) * per)


def sample_rng(seed: int, iteration: int, objective: int, index: int) -> np.random.Generator:
    """The random stream of one sample of one step (data, target, prompt, jitter)."""
    return np.random.default_rng([seed, iteration, objective, 1, index])


def batch_rng(seed: int, iteration: int, objective: int) -> np.random.Generator:
    """The random stream of choices shared by a whole batch (prompt kind, number of clicks)."""
    return np.random.default_rng([seed, iteration, objective, 0])


def seed_torch(seed: int, iteration: int, rank: int) -> torch.Generator:
    """Reseed torch's global RNG (dropout) for this step and rank; returns a CPU generator for other draws."""
    value = int(np.random.default_rng([seed, iteration, rank, 2]).integers(2**62))
    torch.manual_seed(value)
    return torch.Generator().manual_seed(value + 1)
