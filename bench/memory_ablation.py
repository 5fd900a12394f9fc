"""Does a model's tracking use its memory of past frames? (issue 10: identity switches)

Runs the ``amodal-vos eval`` protocol without baselines twice on the same clips: as shipped, and with a memory bank
that keeps only the prompt frame (``MemoryBank.add`` stores conditioning frames and drops every later one, so memory
attention reads the prompted frame and nothing since). If the two agree clip by clip, the model tracks through its
Mspec prior and crop alone, and nothing it saw after the prompt tells it which object it follows. Paired per-clip
differences (``d``) with their standard error, as in bench/search_sweep.py.

    OMP_NUM_THREADS=1 python bench/memory_ablation.py --checkpoint runs/track/model.safetensors
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from search_sweep import bench_clips, bench_model, paired_header, paired_row, run_set  # noqa: E402

from amodal_vos.tracking.memory import MemoryBank  # noqa: E402


@contextmanager
def prompt_frame_memory():
    """While active, memory banks keep their conditioning (prompted) frames only."""
    add = MemoryBank.add

    def add_prompted(self, frame_idx, out, is_cond, reverse=False):
        if is_cond:
            add(self, frame_idx, out, is_cond, reverse)

    MemoryBank.add = add_prompted
    try:
        yield
    finally:
        MemoryBank.add = add


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--num-clips", type=int, default=20, help="clips of each 48-frame set")
    ap.add_argument("--sets", nargs="+", default=["long", "realistic"], choices=["long", "realistic"])
    args = ap.parse_args()
    model = bench_model(args.checkpoint)
    print(paired_header("memory"))
    for name in args.sets:
        clips = bench_clips(name, args.num_clips)
        full = run_set(model, clips, name)
        with prompt_frame_memory():
            cut = run_set(model, clips, name)
        print(paired_row("all frames", full, full))
        print(paired_row("prompt frame only", cut, full), flush=True)


if __name__ == "__main__":
    main()
