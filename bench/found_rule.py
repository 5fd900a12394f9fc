"""A rule tried and refused (docs/tracking.md, "Where presence is lost on the photographed sets"): where the mask rules
leave an object's mask empty on a frame where its appearance tracker (CSRT) found it, keep it present with its last
mask moved onto CSRT's box. Patched into ``MaskRules.choose`` here, run paired with the shipped tracker on the 48-frame
bench sets; prints the paired row, then for the in-view frames the rule turns from empty to non-empty: the kept mask's
IoU with the true amodal mask and CSRT's box IoU with the true amodal box.

    OMP_NUM_THREADS=1 python bench/found_rule.py [--sets realistic,realistic-fresh] [--num-clips 20]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from absent_causes import Recorder  # noqa: E402
from search_sweep import bench_clips, bench_model, paired_header, paired_row, run_set  # noqa: E402

from amodal_vos.tracking.box_tracker import Look  # noqa: E402
from amodal_vos.tracking.loading import default_checkpoint  # noqa: E402
from amodal_vos.tracking.looks import SweepLooks  # noqa: E402
from amodal_vos.tracking.mask_rules import MaskRules  # noqa: E402
from amodal_vos.tracking.motion import box_iou  # noqa: E402
from amodal_vos.tracking.shape_flow import ShapeFlow  # noqa: E402


def mask_box(logits: np.ndarray, grid: np.ndarray) -> np.ndarray | None:
    """The xyxy frame box (pixel edges) of the positive logits of a model-grid map; None: none positive."""
    ys, xs = np.nonzero(logits > 0)
    if len(xs) == 0:
        return None
    back = cv2.invertAffineTransform(grid)
    ends = (
        np.array([[xs.min() - 0.5, ys.min() - 0.5], [xs.max() + 0.5, ys.max() + 0.5]]) @ back[:, :2].T
        + back[:, 2]
    )
    return np.concatenate([ends.min(0), ends.max(0)]) + 0.5  # pixel centres -> edges


def box_onto(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2x3 map of frame pixel centres (a scale per axis, a shift) taking xyxy box ``src`` onto ``dst``."""
    s = (dst[2:] - dst[:2]) / np.maximum(src[2:] - src[:2], 1e-6)
    shift = dst[:2] - s * src[:2] + 0.5 * s - 0.5
    return np.array([[s[0], 0.0, shift[0]], [0.0, s[1], shift[1]]])


class FoundShape:
    """Stands in for a MaskRules' ShapeFlow for one ``choose``: the shape rule as shipped, then the found rule on each
    group in turn (MaskRules.choose asks once per group, in order), with the finds the recorder noted on this frame."""

    def __init__(self, shape: ShapeFlow, groups: list, recorder: Recorder) -> None:
        self.shape, self.groups, self.recorder = shape, iter(groups), recorder

    def choose(self, logits: torch.Tensor, shapes, moves, grids) -> torch.Tensor:
        kept, group = self.shape.choose(logits, shapes, moves, grids), next(self.groups)
        r = self.recorder
        for i, p in enumerate(group.prompts):
            box = r.found.get((len(r.clips), p.obj_id, r.frame))
            if box is None or shapes is None or bool((kept[i] > 0).any()):
                continue
            last, grid = shapes[i]
            start = mask_box(last, grid)
            if start is not None:
                kept = kept.clone()
                moved = ShapeFlow.warp(last, grid, box_onto(start, box), grids[i])
                kept[i] = torch.from_numpy(moved).to(kept)
        return kept


def run(model, clips: list, name: str, rule: bool) -> tuple[dict, Recorder]:
    """``run_set`` with the rule on or off, CSRT's finds noted by absent_causes.py's recorder; (its row, the
    recorder)."""
    recorder, kept = Recorder(model), (Look.update, SweepLooks.follow, MaskRules.choose)
    choose = MaskRules.choose

    def ruled(rules, groups, logits, moved):
        shape, rules.shape = rules.shape, FoundShape(rules.shape, groups, recorder)
        try:
            return choose(rules, groups, logits, moved)
        finally:
            rules.shape = shape

    recorder.patch(steps=False)
    if rule:
        MaskRules.choose = ruled
    try:
        return run_set(model, clips, name, recorder), recorder
    finally:
        Look.update, SweepLooks.follow, MaskRules.choose = kept


def csrt_iou(box: np.ndarray | None, mask: np.ndarray) -> float:
    """IoU of CSRT's xyxy box with a true mask's box; NaN where CSRT did not find the object (a frame changed by an
    earlier frame's change)."""
    if box is None:
        return float("nan")
    ys, xs = np.nonzero(mask)
    truth = torch.tensor([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], dtype=torch.float32)
    return float(box_iou(torch.tensor(box[None], dtype=torch.float32), truth)[0])


def won_frames(off: Recorder, on: Recorder) -> np.ndarray:
    """[k, 2]: per in-view frame turned from empty to non-empty with the rule on, the kept mask's IoU with the true
    amodal mask and CSRT's box IoU with the true amodal box (NaN where CSRT did not find the object)."""
    rows = []
    for c, ((local, before, truth), (_, after, _)) in enumerate(zip(off.clips, on.clips, strict=True)):
        for lid, p in local.items():
            gt = truth[p.obj_id]
            for t in range(p.frame + 1, len(gt)):
                a, b, g = before[p.obj_id][t] > 0, after[p.obj_id][t] > 0, gt[t]
                if g.any() and b.any() and not a.any():
                    rows.append(((b & g).sum() / (b | g).sum(), csrt_iou(on.found.get((c, lid, t)), g)))
    return np.array(rows, dtype=float).reshape(-1, 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=str(default_checkpoint()))
    ap.add_argument("--sets", default="realistic,realistic-fresh")
    ap.add_argument("--num-clips", type=int, default=20)
    args = ap.parse_args()
    model = bench_model(args.checkpoint)
    print(paired_header("tracker"))
    for name in args.sets.split(","):
        clips = bench_clips(name, args.num_clips)
        (base, off), (row, on) = run(model, clips, name, False), run(model, clips, name, True)
        print(paired_row("as shipped", base, base), flush=True)
        print(paired_row("found rule", row, base), flush=True)
        won = won_frames(off, on)
        if len(won):
            csrt = won[np.isfinite(won[:, 1]), 1]
            print(
                f"{name}: {len(won)} in-view frames turned non-empty; kept mask IoU with the object"
                f" {won[:, 0].mean():.3f} (mean); on the {len(csrt)} where CSRT found it, CSRT's box IoU with the"
                f" true box {csrt.mean():.3f} (mean), {np.mean(csrt > 0.5):.2f} above 0.5",
                flush=True,
            )


if __name__ == "__main__":
    main()
