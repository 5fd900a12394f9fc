"""Checkpoints paired with a baseline checkpoint on the same clips (issue 10): is a new model better than the one
it would replace? Every model runs the protocol of ``amodal-vos eval`` without baselines on the sets of
bench/search_sweep.py ("realistic" and "long": ``--num-clips`` clips of 48 frames at 480x320, seeds 777 and 12345;
"short": the 40 8-frame fish clips), and each row after the first is compared with the first clip by clip: ``d full``
/ ``d switch`` are mean per-clip differences ± their standard error (within about 2 SE is noise).

    OMP_NUM_THREADS=1 python bench/compare_models.py amodal_vos/weights/default.safetensors runs/x/model.safetensors \
        [more checkpoints] [--sets realistic,long,short] [--num-clips 20]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import string  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from search_sweep import bench_clips, bench_model, paired_header, paired_row, run_set  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("baseline", help="the checkpoint the others are compared with (row A)")
    ap.add_argument("others", nargs="+", help="checkpoints to compare (rows B, C, ...)")
    ap.add_argument("--sets", default="realistic,long,short")
    ap.add_argument("--num-clips", type=int, default=20)
    args = ap.parse_args()
    models = [bench_model(path) for path in [args.baseline, *args.others]]
    print(paired_header("model"))
    for name in args.sets.split(","):
        clips = bench_clips(name, args.num_clips)
        base = run_set(models[0], clips, name)
        print(paired_row("A", base, base), flush=True)
        for letter, model in zip(string.ascii_uppercase[1:], models[1:], strict=False):
            print(paired_row(letter, run_set(model, clips, name), base), flush=True)


if __name__ == "__main__":
    main()
