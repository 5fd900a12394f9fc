"""Bucketed gradient averaging over 2 gloo processes: the mean of every rank's gradient, whatever the bucket size;
a parameter used on one rank only averages with zeros; one no rank used keeps no gradient (as in one process);
broadcast_parameters gives every rank rank 0's weights."""

from __future__ import annotations

import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from amodal_vos.train.distributed import DistInfo, average_gradients, broadcast_parameters

pytestmark = pytest.mark.slow


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _params(rank: int) -> list[torch.nn.Parameter]:
    """Five tensors of mixed shapes; their gradient on a rank is (rank + 1) * (index + 1) * arange."""
    shapes = [(3, 4), (7,), (2, 2, 2), (5,), (1,)]
    params = [torch.nn.Parameter(torch.zeros(s)) for s in shapes]
    for i, p in enumerate(params):
        p.grad = (rank + 1) * (i + 1) * torch.arange(p.numel(), dtype=torch.float32).reshape(p.shape)
    params[3].grad = None if rank == 1 else params[3].grad  # used on rank 0 only
    params[4].grad = None  # used on no rank
    return params


BUCKETS = (0, 64, 25 * 2**20)  # one tensor per bucket, a few per bucket, all in one


def _worker(rank: int, port: int, results) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=2)
    averaged = []
    for bucket_bytes in BUCKETS:
        params = _params(rank)
        average_gradients(params, 2, bucket_bytes=bucket_bytes)
        averaged.append([None if p.grad is None else p.grad.tolist() for p in params])
    module = torch.nn.Linear(3, 2)
    torch.nn.init.constant_(module.weight, float(rank))
    broadcast_parameters(module, DistInfo(rank, 2, torch.device("cpu")))
    # plain lists: tensors would travel as shared memory of a process that is gone when they are read
    results.put((rank, averaged, module.weight.tolist()))
    dist.barrier()
    dist.destroy_process_group()


def test_bucketed_average_is_the_mean_over_ranks():
    ctx = mp.get_context("spawn")
    results = ctx.SimpleQueue()
    mp.start_processes(_worker, args=(_port(), results), nprocs=2, join=True, start_method="spawn")
    outs = {rank: (averaged, weight) for rank, averaged, weight in (results.get() for _ in range(2))}
    assert all(outs[r][1] == [[0.0] * 3] * 2 for r in (0, 1))  # rank 0's weights everywhere
    ranks = [_params(0), _params(1)]
    for b, bucket_bytes in enumerate(BUCKETS):
        got = {r: [None if g is None else torch.tensor(g) for g in outs[r][0][b]] for r in (0, 1)}
        for i in range(3):
            want = (ranks[0][i].grad + ranks[1][i].grad) / 2
            assert all(torch.equal(got[r][i], want) for r in (0, 1)), (bucket_bytes, i)
        assert all(torch.equal(got[r][3], ranks[0][3].grad / 2) for r in (0, 1))  # zeros on rank 1
        assert got[0][4] is None and got[1][4] is None
