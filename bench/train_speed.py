"""Seconds per training iteration of each stage of a recipe, measured side by side in one run (for planning stage
lengths), plus each stage's cost relative to the first.

    python bench/train_speed.py scratch --steps 10 --threads 1

Absolute times depend on the machine and its load; quote them with both. On a shared 2-core machine one torch
thread is often faster than two (threads stall waiting for each other when a core is taken).
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch

from amodal_vos.train.distributed import init_distributed
from amodal_vos.train.recipe import load_recipe
from amodal_vos.train.trainer import Trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipe", nargs="?", default="scratch")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per stage (after 2 warm-up steps)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--data-root", default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    recipe = load_recipe(args.recipe, data_root=args.data_root)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(recipe, tmp, quiet=True)
        trainer.info = init_distributed("auto")
        trainer._build()
        rows = []
        for index, stage in enumerate(recipe.stages):
            trainer._setup_stage(index, None)
            for i in range(2):
                trainer._step(stage, 0, i)
            t0 = time.perf_counter()
            for i in range(2, 2 + args.steps):
                trainer._step(stage, 0, i)
            sec = (time.perf_counter() - t0) / args.steps
            frames = sum(o.batch * o.frames for o in stage.objectives)
            rows.append((stage.name, sec, frames, stage.iters))
    base = rows[0][1]
    print(f"recipe {recipe.name}, torch threads {torch.get_num_threads()}, device {trainer.info.device}")
    print(f"{'stage':<10} {'s/it':>7} {'x first':>8} {'frames/s':>9} {'iters':>7} {'est. min':>9}")
    for name, sec, frames, iters in rows:
        print(
            f"{name:<10} {sec:7.3f} {sec / base:8.2f} {frames / sec:9.1f} {iters:7d} {iters * sec / 60:9.1f}"
        )
    print(f"total estimate: {sum(r[1] * r[3] for r in rows) / 60:.1f} min")


if __name__ == "__main__":
    main()
