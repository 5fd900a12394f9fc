"""How good is the visible part the tracker outputs, and is its threshold right? (issue 10: "a fully visible
object is >= 80 % visible on its prompt frame")

``amodal-vos eval`` scores amodal masks only; this bench scores the visible masks ``track`` writes (the visible
token of a ``visible_head: token`` model). For each ``--bias`` b the visible logits are shifted by b before the
usual threshold at 0 (b > 0: more pixels called visible; on top of the model's own config ``visible_bias``), and the tracker runs with the protocol's prompts (each
object's GT visible box on its first visible frame) on
- the 8-frame synthetic set (``amodal-vos eval synthetic --seed 12345``: 40 clips at 128x128) and
- the realistic set (``--seed 777``, ``--num-clips`` clips x 48 frames at 480x320).

Each set also gets the row "whole shape as visible": the same run's amodal masks taken as the visible part (nothing
hidden), the trivial answer a visible output has to beat. A model without a visible token (its visible part is a
second encoder pass) runs with bias 0 only. Printed per set and bias: mean IoU of predicted and true visible masks (object-frames where either is non-empty),
mean absolute error of the occlusion rate (hidden share of the whole shape; object-frames with a true mask), and,
for objects fully visible on their prompt frame, the mean predicted visible share there and the share of those
objects predicted >= 80 % visible.

    OMP_NUM_THREADS=1 python bench/visible_calibration.py --checkpoint runs/track/model.safetensors --bias 0 1 2
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from amodal_vos.eval.clips import realistic_clips, synthetic_clips  # noqa: E402
from amodal_vos.eval.predict import make_prompts, tracker_prompts  # noqa: E402
from amodal_vos.model.amodal_sam2 import AmodalSAM2  # noqa: E402
from amodal_vos.model.checkpoint import load_checkpoint  # noqa: E402
from amodal_vos.tracking import AmodalTracker, default_checkpoint  # noqa: E402


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def _visible_scores(pairs: list[tuple]) -> dict[str, float]:
    """(visible, amodal, true visible, true amodal, is prompt frame) per object-frame -> the printed figures."""
    ious, rate_err, f0_share = [], [], []
    for visible, amodal, true_vis, true_amodal, prompted in pairs:
        if true_vis.any() or visible.any():
            ious.append(iou(visible, true_vis))
        if true_amodal.any():
            pred_rate = 1 - visible.sum() / max(amodal.sum(), 1) if amodal.any() else 1.0
            rate_err.append(abs(pred_rate - (1 - true_vis.sum() / true_amodal.sum())))
        if prompted and true_amodal.any() and (true_vis == true_amodal).all():
            f0_share.append(visible.sum() / max(amodal.sum(), 1))
    share = np.array(f0_share)
    return {
        "visible_iou": 100 * float(np.mean(ious)),
        "rate_mae": 100 * float(np.mean(rate_err)),
        "f0_share": 100 * float(share.mean()) if len(share) else float("nan"),
        "f0_at_least_80": 100 * float((share >= 0.8).mean()) if len(share) else float("nan"),
        "fully_visible_prompts": len(share),
    }


def score(tracker: AmodalTracker, clips: list) -> tuple[dict[str, float], dict[str, float]]:
    """(the tracker's visible masks, the whole shape as visible) scored over ``clips``."""
    ours, whole = [], []
    for clip in clips:
        prompts = make_prompts(clip)
        if not prompts:
            continue
        local, asks = tracker_prompts(prompts)
        result = tracker.track(clip.frames, asks)
        by_id = {o.obj_id: o for o in clip.objects}
        for t in result.frame_indices:
            frame = result.masks(t)
            for k, i in enumerate(frame.ids):
                p = local[i]
                if t < p.frame:
                    continue
                obj = by_id[p.obj_id]
                truth = (obj.visible[t], obj.amodal[t], t == p.frame)
                ours.append((frame.visible[k], frame.amodal[k], *truth))
                whole.append((frame.amodal[k], frame.amodal[k], *truth))
    return _visible_scores(ours), _visible_scores(whole)


def row(name: str, label: str, s: dict[str, float]) -> str:
    return (
        f"| {name} | {label} | {s['visible_iou']:.1f} | {s['rate_mae']:.1f} | {s['f0_share']:.1f} "
        f"| {s['f0_at_least_80']:.1f} | {s['fully_visible_prompts']} |"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=str(default_checkpoint()), help="default: the shipped model")
    ap.add_argument("--bias", type=float, nargs="+", default=[0.0, 1.0, 2.0, 4.0])
    ap.add_argument("--num-clips", type=int, default=20, help="realistic clips")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, _ = load_checkpoint(args.checkpoint, device="cpu")
    model.eval()
    biases = args.bias if model.visible_token else [0.0]
    logits = AmodalSAM2._visible_logits
    sets = {
        "synthetic, 40 x 8 frames": list(synthetic_clips(12345, 40, 8, (128, 128))),
        f"realistic, {args.num_clips} x 48 frames": list(
            realistic_clips(777, args.num_clips, 48, (480, 320))
        ),
    }
    tracker = AmodalTracker(model, visible=True)
    print("| set | visible part | visible IoU | occlusion rate MAE | visible share on prompt frame (fully visible) "
          "| >= 80 % visible | objects |\n|---|---|---|---|---|---|---|")  # fmt: skip
    try:
        for name, clips in sets.items():
            for bias in biases:
                AmodalSAM2._visible_logits = lambda self, o, b=bias: logits(self, o) + b
                ours, whole = score(tracker, clips)
                print(
                    row(name, f"ours, bias {bias:g}" if model.visible_token else "ours (second pass)", ours)
                )
                if bias == biases[0]:
                    print(row(name, "whole shape as visible", whole), flush=True)
    finally:
        AmodalSAM2._visible_logits = logits


if __name__ == "__main__":
    main()
