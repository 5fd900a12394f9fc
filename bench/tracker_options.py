"""Tracker options on and off, paired on the same clips (issue 10: tracks that hold). The shipped default runs the
``amodal-vos eval`` protocol without baselines on the sets of bench/search_sweep.py, once as shipped and once per
``--off`` option with that option changed (``box_tracker``: False; ``exits``, ``strays``, ``shape``: None;
``hidden``: every object CSRT loses reported absent, wherever its box lies, as before looks.HIDDEN_MARGIN;
``likeness``: CSRT's box taken wherever it finds the object unless it parts from a trusted move of the object's mask,
and started again there, as before the colour choice of looks.parted); each
row after a set's first is compared with it clip by clip (``d full`` / ``d switch``: mean per-clip difference ± its
standard error).

    OMP_NUM_THREADS=1 python bench/tracker_options.py --off box_tracker [--checkpoint CKPT] \
        [--sets realistic,realistic-fresh,long,long-fresh] [--num-clips 20]
    OMP_NUM_THREADS=1 python bench/tracker_options.py --off exits hidden
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from search_sweep import bench_clips, bench_model, paired_header, paired_row, run_set  # noqa: E402

from amodal_vos.tracking import looks  # noqa: E402
from amodal_vos.tracking.loading import default_checkpoint  # noqa: E402
from amodal_vos.tracking.motion import box_iou  # noqa: E402


def _parted_before(look, frame, box, own, shaped: bool) -> str | None:
    """looks.parted as it was before the colour choice: CSRT parting from a trusted move of the object's
    mask starts again from it, and is taken everywhere else."""
    return "stuck" if shaped and float(box_iou(box[None], own[None])[0]) < looks.LOOK_AGREE else None


OFF = {"box_tracker": False, "exits": None, "strays": None, "shape": None}  # an option's value when it is off
MODULE_OFF = {  # module settings rather than tracker options
    "hidden": (looks, "HIDDEN_MARGIN", float("inf")),
    "likeness": (looks, "parted", _parted_before),
}


def run_off(model, clips: list, name: str, option: str) -> dict:
    """``run_set`` with ``option`` off: a tracker option, or a module setting set for the run's length."""
    if option not in MODULE_OFF:
        return run_set(model, clips, name, **{option: OFF[option]})
    module, attr, value = MODULE_OFF[option]
    kept = getattr(module, attr)
    setattr(module, attr, value)
    try:
        return run_set(model, clips, name)
    finally:
        setattr(module, attr, kept)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--off",
        nargs="+",
        choices=sorted({**OFF, **MODULE_OFF}),
        required=True,
        help="options to turn off, one row each",
    )
    ap.add_argument("--checkpoint", default=str(default_checkpoint()))
    ap.add_argument("--sets", default="realistic,realistic-fresh,long,long-fresh")
    ap.add_argument("--num-clips", type=int, default=20)
    args = ap.parse_args()
    model = bench_model(args.checkpoint)
    print(paired_header("tracker"))
    for name in args.sets.split(","):
        clips = bench_clips(name, args.num_clips)
        base = run_set(model, clips, name)
        print(paired_row("as shipped", base, base), flush=True)
        for option in args.off:
            print(paired_row(f"{option} off", run_off(model, clips, name, option), base), flush=True)


if __name__ == "__main__":
    main()
