"""Where do masks go after their object has left the frame? (issue 10: presence)

Tracks the long synthetic (or realistic) set as ``amodal-vos eval`` does and sorts every frame after a prompt on
which the object is entirely out of view (empty true amodal mask): predicted empty (right), predicted on another
object (more than 30 % of the predicted mask inside other objects' true amodal masks), touching the frame border,
or elsewhere. Presence rules that look at the border or at motion can only fix the last two kinds.

    OMP_NUM_THREADS=1 python bench/exit_masks.py --checkpoint amodal_vos/weights/default.safetensors
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from search_sweep import LONG_SETS  # noqa: E402

from amodal_vos.eval.predict import TrackerPredictor, make_prompts  # noqa: E402
from amodal_vos.model.checkpoint import load_checkpoint  # noqa: E402


def kind(pred: np.ndarray, others: np.ndarray) -> str:
    """How one out-of-view frame's predicted mask [H, W] went wrong, given the other objects' true masks."""
    if not pred.any():
        return "empty"
    if (pred & others).sum() > 0.3 * pred.sum():
        return "on another object"
    ys, xs = np.nonzero(pred)
    h, w = pred.shape
    return (
        "at the border"
        if min(ys.min(), xs.min()) == 0 or ys.max() == h - 1 or xs.max() == w - 1
        else "elsewhere"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--num-clips", type=int, default=20)
    ap.add_argument("--set", default="long", choices=sorted(LONG_SETS))
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, _ = load_checkpoint(args.checkpoint, device="cpu")
    predict = TrackerPredictor(model.eval())
    make, seed = LONG_SETS[args.set]
    counts = dict.fromkeys(["empty", "on another object", "at the border", "elsewhere"], 0)
    for clip in make(seed, args.num_clips, 48, (480, 320)):
        prompts = make_prompts(clip)
        masks = predict(clip, prompts)
        truth = {o.obj_id: o.amodal for o in clip.objects}
        for p in prompts:
            for t in range(p.frame + 1, clip.num_frames):
                if truth[p.obj_id][t].any():
                    continue
                others = np.zeros(clip.size, bool)
                for obj_id, amodal in truth.items():
                    others |= amodal[t] if obj_id != p.obj_id else False
                counts[kind(masks[p.obj_id][t], others)] += 1
    total = sum(counts.values())
    print(f"{args.checkpoint}, {args.set} set, {args.num_clips} clips: {total} out-of-view object frames")
    for name, n in counts.items():
        print(f"  {name}: {n} ({100 * n / max(total, 1):.1f} %)")


if __name__ == "__main__":
    main()
