"""Training samples drawn in worker processes, a few steps ahead of the step that needs them (recipe ``workers``).

On a GPU the clip generators, not the model, bound a step (a 12-frame realistic clip takes ~0.2 s of one core).
A sample is a function of its seed: a worker draws it from the same stream the main process would and hands back
that stream's state, so the prompt and jitter draws that follow are the same as without workers.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
from concurrent.futures import Future, ProcessPoolExecutor

import numpy as np

from amodal_vos.train.batch import Sample, draw_sample
from amodal_vos.train.distributed import sample_rng
from amodal_vos.train.recipe import ObjectiveSpec

_SOURCES: dict[str, object] = {}  # per worker process: sources built from their data spec


def _init_worker() -> None:
    """One thread per worker: the pool is the parallelism."""
    import cv2

    cv2.setNumThreads(1)
    os.environ["OMP_NUM_THREADS"] = "1"


def _draw(
    data: dict, frames: int, size: int, rules, seed: int, key: tuple[int, int, int]
) -> tuple[Sample, dict]:
    """One sample (``key`` = iteration, objective, index) and its random stream's state after drawing it."""
    from amodal_vos.train.sources import build_source

    spec_key = json.dumps(data, sort_keys=True, default=str)
    if spec_key not in _SOURCES:
        _SOURCES[spec_key] = build_source(data)
    rng = sample_rng(seed, *key)
    sample = draw_sample(_SOURCES[spec_key], frames, size, rules, rng)
    return sample, rng.bit_generator.state


class SampleWorkers:
    """A pool of ``workers`` spawned processes (spawn: safe beside CUDA) drawing samples of objectives."""

    def __init__(self, workers: int) -> None:
        ctx = mp.get_context("spawn")
        self.workers = workers
        self.pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker)

    def submit(
        self,
        spec: ObjectiveSpec,
        *,
        seed: int,
        iteration: int,
        objective_index: int,
        indices: range,
        size: int,
    ) -> list[Future]:
        """Futures of (sample, stream state) for the samples ``indices`` of one objective's batch."""
        return [
            self.pool.submit(
                _draw, spec.data, spec.frames, size, spec.targets, seed, (iteration, objective_index, i)
            )
            for i in indices
        ]

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def restore(drawn: list[tuple[Sample, dict]]) -> tuple[list[Sample], list[np.random.Generator]]:
    """Samples and their random streams, continued where the workers left them."""
    rngs = []
    for _, state in drawn:
        rng = np.random.default_rng()
        rng.bit_generator.state = state
        rngs.append(rng)
    return [s for s, _ in drawn], rngs
