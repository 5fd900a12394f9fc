"""A checkpoint at larger input sizes than it was trained at (issue 10, item 1: does more resolution per crop help
without retraining?), paired with its own size on the sets of bench/search_sweep.py.

The weights do not depend on the input size (Hiera's position tables are resized to the token grid), so the model
is rebuilt from its config at each size and given the same weights; every size runs on the same clips and rows
give paired per-clip differences (``d``) against the trained size.

    OMP_NUM_THREADS=1 python bench/input_size.py --sizes 160 192 --sets short realistic
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from search_sweep import bench_model, compare_models_table  # noqa: E402

from amodal_vos.model.build import build_model, load_config  # noqa: E402
from amodal_vos.model.checkpoint import read_header  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default="amodal_vos/weights/default.safetensors")
    ap.add_argument("--sizes", nargs="+", type=int, default=[160, 192])
    ap.add_argument(
        "--sets", nargs="+", default=["short", "realistic"], choices=["short", "realistic", "long"]
    )
    ap.add_argument("--num-clips", type=int, default=20)
    args = ap.parse_args()
    trained = bench_model(args.checkpoint)
    config, _ = read_header(args.checkpoint)
    models = {str(trained.image_size): trained}
    for size in args.sizes:
        models[str(size)] = build_model(load_config(config, image_size=size)).eval()
        models[str(size)].load_state_dict(trained.state_dict())
    compare_models_table(models, args.sets, args.num_clips, "input px")


if __name__ == "__main__":
    main()
