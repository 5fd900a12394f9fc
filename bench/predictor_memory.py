"""Peak memory of the predictor on a live stream: 300 vs 3000 pushed frames (goal: ratio <= 1.2).

    python bench/predictor_memory.py                     # both runs, each in its own process; a few minutes
    python bench/predictor_memory.py --frames 300 --child   # one run, prints its numbers

Frames are generated one at a time (a square moving over noise, 64x64) and pushed through an iterator, as a
webcam would; one object is prompted on frame 0 and on every 500th frame (a correction), the small config runs at
64 px with random weights on one thread. Each run reports its peak resident set size (ru_maxrss) and, at the end,
what the state holds: result frames, checkpoints and memory-bank entries.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np


def frames(n: int, size: int = 64):
    rng = np.random.default_rng(0)
    background = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
    for t in range(n):
        frame = background.copy()
        x = 8 + (t * 2) % (size - 28)
        frame[20:40, x : x + 20] = (250, 40, 40)
        yield frame


def child(n: int) -> dict:
    import torch

    torch.set_num_threads(1)
    from amodal_vos.tracking.predictor import AmodalPredictor

    predictor = AmodalPredictor.from_config("small", image_size=64, device="cpu", warn=False)
    state = predictor.init_state(frames(n))
    predictor.add_new_points_or_box(state, 0, 1, box=[8, 20, 28, 40])
    tic, count = time.perf_counter(), 0
    for result in predictor.propagate_in_video(state):
        count += 1
        t = result.frame_idx
        if (
            t and t % 500 == 0 and t + 1 < n
        ):  # a correction on the next frame, as a user or detector would give
            x = 8 + ((t + 1) * 2) % (64 - 28)
            predictor.add_new_points_or_box(state, t + 1, 1, box=[x, 20, x + 20, 40])
    seconds = time.perf_counter() - tic
    banks = [len(g.amodal) for g in state.forward.propagation.groups]
    return {
        "frames": count,
        "fps": round(count / seconds, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "state_frames": len(state.frames),
        "checkpoints": len(state.forward.checkpoints),
        "bank_entries": banks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, nargs="*", default=[300, 3000])
    parser.add_argument("--child", action="store_true", help="run one length in this process")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.frames[0])))
        return
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    runs = {}
    for n in args.frames:
        out = subprocess.run([sys.executable, __file__, "--child", "--frames", str(n)], env=env, check=True,
                             capture_output=True, text=True).stdout  # fmt: skip
        runs[n] = json.loads(out.strip().splitlines()[-1])
        print(f"{n:5d} frames: {runs[n]}")
    small, large = (runs[n]["peak_rss_mib"] for n in (min(runs), max(runs)))
    print(
        f"peak RSS {max(runs)} vs {min(runs)} frames: {large} vs {small} MiB, ratio {large / small:.3f} (goal <= 1.2)"
    )


if __name__ == "__main__":
    main()
