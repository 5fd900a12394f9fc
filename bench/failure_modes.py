"""How tracks fail (issue 10): every in-view object frame after the prompt frame of a 48-frame test set, sorted by
what the predicted amodal mask does there: good (IoU >= 0.5), empty, elsewhere (no overlap with the object), grown
(more than twice the true area), shrunk (less than half) or partial (the rest). Percent of those frames.

    OMP_NUM_THREADS=1 python bench/failure_modes.py --checkpoint amodal_vos/weights/default.safetensors
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from search_sweep import bench_clips, bench_model  # noqa: E402

from amodal_vos.eval.predict import TrackerPredictor, make_prompts  # noqa: E402

KINDS = ("good", "empty", "elsewhere", "grown", "shrunk", "partial")


def kind_of(pred: np.ndarray, true: np.ndarray) -> str:
    """What a predicted mask does on a frame where the object's true amodal mask is non-empty."""
    inter, union = (pred & true).sum(), (pred | true).sum()
    if inter >= 0.5 * union:
        return "good"
    if not pred.any():
        return "empty"
    if inter == 0:
        return "elsewhere"
    if pred.sum() > 2 * true.sum():
        return "grown"
    return "shrunk" if pred.sum() < 0.5 * true.sum() else "partial"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--num-clips", type=int, default=20)
    ap.add_argument("--sets", nargs="+", default=["realistic", "long"])
    args = ap.parse_args()
    predictor = TrackerPredictor(bench_model(args.checkpoint))
    print("| set | frames | " + " | ".join(KINDS) + " |\n" + "|---" * (len(KINDS) + 2) + "|")
    for name in args.sets:
        counts: Counter = Counter()
        for clip in bench_clips(name, args.num_clips):
            prompts = make_prompts(clip)
            masks = predictor(clip, prompts)
            for p in prompts:
                true = next(o for o in clip.objects if o.obj_id == p.obj_id).amodal
                for t in range(p.frame + 1, clip.num_frames):
                    if true[t].any():
                        counts[kind_of(masks[p.obj_id][t], true[t])] += 1
        total = sum(counts.values())
        cells = " | ".join(f"{100 * counts[k] / total:.1f}" for k in KINDS)
        print(f"| {name} | {total} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
