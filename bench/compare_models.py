"""Checkpoints paired with a baseline checkpoint on the same clips (issue 10): is a new model better than the one
it would replace? Every model runs the protocol of ``amodal-vos eval`` without baselines on the sets of
bench/search_sweep.py ("realistic" and "long": ``--num-clips`` clips of 48 frames at 480x320, seeds 777 and 12345;
"short": the 40 8-frame fish clips; "realistic-fresh" and "long-fresh": the same at seeds 2718 and 31337, which no
setting was chosen on), and each row after the first is compared with the first clip by clip: ``d full``
/ ``d switch`` are mean per-clip differences ± their standard error (within about 2 SE is noise).

    OMP_NUM_THREADS=1 python bench/compare_models.py amodal_vos/weights/default.safetensors runs/x/model.safetensors \
        [more checkpoints] [--sets realistic,long,short,realistic-fresh,long-fresh] [--num-clips 20]
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
from search_sweep import bench_model, compare_models_table  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("baseline", help="the checkpoint the others are compared with (row A)")
    ap.add_argument("others", nargs="+", help="checkpoints to compare (rows B, C, ...)")
    ap.add_argument("--sets", default="realistic,long,short")
    ap.add_argument("--num-clips", type=int, default=20)
    args = ap.parse_args()
    paths = [args.baseline, *args.others]
    models = {letter: bench_model(path) for letter, path in zip(string.ascii_uppercase, paths, strict=False)}
    compare_models_table(models, args.sets.split(","), args.num_clips, "model")


if __name__ == "__main__":
    main()
