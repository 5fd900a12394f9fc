"""Quality of the tracker's visible pass against generated ground truth: on frames after the prompt frame, the IoU of
the visible masks, the IoU of the hidden part (amodal minus visible) on occluded frames, and the mean absolute error
of the hidden share per object and frame.

    python bench/visible_pass.py [--checkpoint CKPT] [--clips 16] [--frames 8] [--seed 12345]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from amodal_vos.eval.clips import synthetic_clips
from amodal_vos.eval.predict import make_prompts
from amodal_vos.tracking import AmodalTracker, Prompt


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="default: the shipped model")
    parser.add_argument("--clips", type=int, default=16)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()
    torch.set_num_threads(1)
    tracker = AmodalTracker.from_checkpoint(args.checkpoint) if args.checkpoint else AmodalTracker.default()
    visible, hidden, share_error = [], [], []
    for clip in synthetic_clips(args.seed, args.clips, args.frames):
        prompts = [p for p in make_prompts(clip) if p.frame == 0]
        if not prompts:
            continue
        asks = [Prompt.from_box((x0, y0, x1 - x0, y1 - y0), obj_id=k + 1)
                for k, p in enumerate(prompts) for x0, y0, x1, y1 in [p.box.tolist()]]  # fmt: skip
        result = tracker.track(clip.frames, asks, visible=True, progress=False)
        truth = {o.obj_id: o for o in clip.objects}
        for t in range(1, clip.num_frames):
            masks = result.masks(t)
            for k, p in enumerate(prompts):
                true_vis, true_amodal = truth[p.obj_id].visible[t], truth[p.obj_id].amodal[t]
                amodal, vis = masks.amodal[k], masks.visible[k]
                true_hidden = true_amodal & ~true_vis
                visible.append(iou(vis, true_vis))
                if true_hidden.any():
                    hidden.append(iou(amodal & ~vis, true_hidden))
                if true_amodal.any() and amodal.any():
                    share_error.append(
                        abs((amodal & ~vis).sum() / amodal.sum() - true_hidden.sum() / true_amodal.sum())
                    )
    print(
        f"{len(visible)} object-frames after the prompt frame ({args.clips} clips x {args.frames} frames, seed {args.seed})"
    )
    print(f"  visible IoU                        {100 * np.nanmean(visible):.1f}")
    print(f"  hidden-part IoU on occluded frames {100 * np.nanmean(hidden):.1f}")
    print(f"  |hidden share error|, points       {100 * np.mean(share_error):.1f}")


if __name__ == "__main__":
    main()
