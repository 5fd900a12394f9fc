"""Can the tracker tell when it has lost an object, or when the object has left? (issue 10: presence)

The shipped tracker runs on the 48-frame bench sets (bench/search_sweep.py); every frame after a prompt where the
predicted amodal mask is non-empty is scored by two signals the tracker already has, the presence score (sigmoid of
SAM-2's object score) and the predicted IoU. Printed: ROC AUC of each signal for good (IoU >= 0.5) against lost
(IoU < 0.2) in-view frames and for in-view against out-of-view frames; then what reporting an object absent below a
higher presence score would do to presence in view, absent out of view and the mean IoU of in-view frames, and
how many in-view frames have an empty mask while the presence score says the object is there.

    OMP_NUM_THREADS=1 python bench/presence_signals.py --checkpoint amodal_vos/weights/default.safetensors
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from search_sweep import LONG_SETS, bench_clips, bench_model  # noqa: E402

from amodal_vos.eval.predict import make_prompts, tracker_prompts  # noqa: E402
from amodal_vos.tracking import AmodalTracker  # noqa: E402

THRESHOLDS = (0.5, 0.8, 0.9, 0.95)


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Probability that a random ``pos`` value exceeds a random ``neg`` one (ties count half)."""
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).mean()
    return float(greater + 0.5 * (pos[:, None] == neg[None, :]).mean())


def frame_rows(tracker: AmodalTracker, clips: list) -> np.ndarray:
    """[N, 5] rows (in view, IoU, presence score, predicted IoU, predicted area) of every frame after a prompt."""
    rows = []
    for clip in clips:
        local, asks = tracker_prompts(make_prompts(clip))
        result = tracker.track(clip.frames, asks)
        for i, p in local.items():
            true_masks = next(o for o in clip.objects if o.obj_id == p.obj_id).amodal
            for t in range(p.frame + 1, clip.num_frames):
                frame = result.object_frame(t, i)
                pred, true = result.amodal(t, i), true_masks[t]
                union = (pred | true).sum()
                iou = (pred & true).sum() / union if union else 1.0
                predicted = np.nan if frame.iou is None else frame.iou
                rows.append((true.any(), iou, frame.score, predicted, pred.sum()))
    return np.array(rows, dtype=float)


def report(name: str, rows: np.ndarray) -> None:
    in_view, iou, score, area = rows[:, 0] == 1, rows[:, 1], rows[:, 2], rows[:, 4]
    shown = area > 0
    good, lost = in_view & shown & (iou >= 0.5), in_view & shown & (iou < 0.2)
    out = ~in_view & shown
    print(f"{name}: {int(in_view.sum())} in-view frames ({int(good.sum())} good, {int(lost.sum())} lost), "
          f"{int((~in_view).sum())} out of view ({int(out.sum())} with a mask)")  # fmt: skip
    empty = in_view & ~shown
    print(f"  in-view frames with an empty mask: {int(empty.sum())}, "
          f"{int((empty & (score < 0.5)).sum())} of them with a presence score below 0.5")  # fmt: skip
    for col, label in ((2, "presence score"), (3, "predicted IoU")):
        v = rows[:, col]
        print(f"  {label}: AUC good vs lost {auc(v[good], v[lost]):.2f}, "
              f"in view vs out of view {auc(v[in_view & shown], v[out]):.2f}")  # fmt: skip
    print("  | presence score at least | present in view % | absent out of view % | mean IoU in view |")
    for th in THRESHOLDS:
        kept = shown & (score >= th)
        present = 100 * (kept & in_view).sum() / in_view.sum()
        absent = 100 * (~kept & ~in_view).sum() / max((~in_view).sum(), 1)
        mean_iou = 100 * np.where(kept, iou, 0.0)[in_view].mean()
        print(f"  | {th} | {present:.1f} | {absent:.1f} | {mean_iou:.1f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--num-clips", type=int, default=20)
    ap.add_argument("--sets", nargs="+", default=["long", "realistic"], choices=sorted(LONG_SETS))
    args = ap.parse_args()
    tracker = AmodalTracker(bench_model(args.checkpoint), visible=False)
    for name in args.sets:
        report(name, frame_rows(tracker, bench_clips(name, args.num_clips)))


if __name__ == "__main__":
    main()
