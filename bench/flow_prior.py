"""Does a model-free motion estimate hold tracks better? (issue 10: drift and identity switches)

Runs the ``amodal-vos eval`` protocol without baselines on the same clips with the tracker's ``motion`` setting off
and at each given value: optical flow (tracking/motion.py) moves each object's box from the last frame to this one
before its Mspec and crop are made, and a predicted box whose IoU with the flow-moved box is below the value is
refused as the next prior (0: the prior is moved, nothing is refused). Paired per-clip differences (``d``) with
their standard error, as in bench/search_sweep.py.

    OMP_NUM_THREADS=1 python bench/flow_prior.py --checkpoint amodal_vos/weights/default.safetensors
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

from amodal_vos.tracking.propagation import Propagation  # noqa: E402


@contextmanager
def motion_setting(value: float | None):
    """While active, every Propagation is built with ``motion=value``."""
    init = Propagation.__init__

    def with_motion(self, *args, **kwargs):
        kwargs["motion"] = value
        init(self, *args, **kwargs)

    Propagation.__init__ = with_motion
    try:
        yield
    finally:
        Propagation.__init__ = init


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--num-clips", type=int, default=20, help="clips of each 48-frame set")
    ap.add_argument("--sets", nargs="+", default=["long", "realistic", "short"])
    ap.add_argument("--values", nargs="+", type=float, default=[0.0, 0.3, 0.5])
    args = ap.parse_args()
    model = bench_model(args.checkpoint)
    print(paired_header("motion"))
    for name in args.sets:
        clips = bench_clips(name, args.num_clips)
        with motion_setting(None):
            base = run_set(model, clips, name)
        print(paired_row("off", base, base), flush=True)
        for value in args.values:
            with motion_setting(value):
                print(
                    paired_row(f"flow, refuse below IoU {value:g}", run_set(model, clips, name), base),
                    flush=True,
                )


if __name__ == "__main__":
    main()
