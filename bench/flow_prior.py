"""Does a model-free motion estimate hold tracks better? (issue 10: drift and identity switches)

Runs the ``amodal-vos eval`` protocol without baselines on the same clips with the tracker's ``motion`` setting off
and at each given value: optical flow (tracking/motion.py) moves each object's box from the last frame to this one
before its Mspec and crop are made, and a predicted box whose IoU with the flow-moved box is below the value is
refused as the next prior (0: the prior is moved, nothing is refused). Paired per-clip differences (``d``) with
their standard error, as in bench/search_sweep.py.

``--setting shape`` varies the tracker's ``shape`` instead (motion at the trackers' default): each object's last
mask, moved by the flow of its own pixels (tracking/shape_flow.py), replaces a new mask that overlaps it at IoU below
the value ("off": masks from the model alone). ``--setting apart`` varies ``apart`` (tracking/apart.py, moved masks on):
where two objects' new masks overlap at IoU >= the value while their last ones did not, the one that jumped keeps its
last mask; each row's label then also gives the frames with a collapsed pair (IoU > 0.7) of the frames with 2+ objects.
``--setting strays`` varies ``strays`` (tracking/strays.py, moved masks on): a part of a new mask, other than its
largest, with at least the value's share on another object's new mask (and more on the others' last masks than on
its own) is removed; collapsed pairs are given as for ``apart``. ``--setting views --values 1`` turns the prompt
views on (tracking/prompt_views.py: each box prompt's frame also segmented from a wider and a mirrored crop, the mask
whose box fits the prompt box best kept); the label then also gives the box-prompted frames' modal IoU.

    OMP_NUM_THREADS=1 python bench/flow_prior.py --checkpoint amodal_vos/weights/default.safetensors
    OMP_NUM_THREADS=1 python bench/flow_prior.py --checkpoint amodal_vos/weights/default.safetensors \
        --setting shape --values 0.8 2
    OMP_NUM_THREADS=1 python bench/flow_prior.py --checkpoint amodal_vos/weights/default.safetensors \
        --setting strays --values 0.8 0.5
    OMP_NUM_THREADS=1 python bench/flow_prior.py --checkpoint amodal_vos/weights/default.safetensors \
        --setting views --values 1
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
def propagation_setting(key: str, value: float | None):
    """While active, every Propagation is built with ``key=value``."""
    init = Propagation.__init__

    def with_setting(self, *args, **kwargs):
        kwargs[key] = value
        init(self, *args, **kwargs)

    Propagation.__init__ = with_setting
    try:
        yield
    finally:
        Propagation.__init__ = init


def collapses(run: dict) -> str:
    """ " (collapse N/M)": frames with a pair of masks at IoU > 0.7, of the frames with two or more objects."""
    return f" (collapse {run['collapse_frames']}/{run['multi_object_frames']})"


def prompt_iou(run: dict) -> str:
    """ " (prompt frame N)": modal IoU on the box-prompted frames."""
    return f" (prompt frame {run['modal_prompted']:.1f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--num-clips", type=int, default=20, help="clips of each 48-frame set")
    ap.add_argument("--sets", nargs="+", default=["long", "realistic", "short"])
    ap.add_argument("--values", nargs="+", type=float, default=[0.0, 0.3, 0.5])
    ap.add_argument(
        "--setting",
        choices=["motion", "shape", "apart", "strays", "views"],
        default="motion",
        help="the Propagation setting varied",
    )
    args = ap.parse_args()
    model = bench_model(args.checkpoint)
    label = {
        "motion": "flow, refuse below IoU",
        "shape": "moved mask, replace below IoU",
        "apart": "keep apart, collapse at IoU",
        "strays": "drop stray parts, share on others",
        "views": "prompt views",
    }[args.setting]
    extra = prompt_iou if args.setting == "views" else collapses
    print(paired_header(args.setting))
    for name in args.sets:
        clips = bench_clips(name, args.num_clips)
        with propagation_setting(args.setting, None):
            base = run_set(model, clips, name)
        print(paired_row(f"off{extra(base)}", base, base), flush=True)
        for value in args.values:
            with propagation_setting(args.setting, value):
                run = run_set(model, clips, name)
            print(paired_row(f"{label} {value:g}{extra(run)}", run, base), flush=True)


if __name__ == "__main__":
    main()
