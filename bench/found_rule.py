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
from absent_causes import Recorder as CausesRecorder  # noqa: E402
from search_sweep import bench_clips, bench_model, paired_header, paired_row, per_clip  # noqa: E402

from amodal_vos.eval.evaluate import EvalOptions, evaluate  # noqa: E402
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
    ends = np.array([[xs.min() - 0.5, ys.min() - 0.5], [xs.max() + 0.5, ys.max() + 0.5]]) @ back[:, :2].T
    return np.concatenate([(ends + back[:, 2]).min(0), (ends + back[:, 2]).max(0)]) + 0.5


def box_onto(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 2x3 map of frame pixel centres (a scale per axis, a shift) taking xyxy box ``src`` onto ``dst``."""
    s = (dst[2:] - dst[:2]) / np.maximum(src[2:] - src[:2], 1e-6)
    shift = dst[:2] - s * src[:2] + 0.5 * s - 0.5
    return np.array([[s[0], 0.0, shift[0]], [0.0, s[1], shift[1]]])


class Recorder(CausesRecorder):
    """absent_causes.py's recorder of each clip's (tracker ids, predicted masks, true masks), with CSRT's found boxes
    by (clip, tracker id, frame) in ``found``."""

    def __init__(self, model, found: dict) -> None:
        super().__init__(model)
        self.found = found


class FoundShape:
    """Stands in for a MaskRules' ShapeFlow for one ``choose``: the shape rule as shipped, then the found rule on each
    group in turn (MaskRules.choose asks once per group, in order)."""

    def __init__(self, shape: ShapeFlow, groups: list, found: dict) -> None:
        self.shape, self.groups, self.found = shape, iter(groups), found

    def choose(self, logits: torch.Tensor, shapes, moves, grids) -> torch.Tensor:
        kept, group = self.shape.choose(logits, shapes, moves, grids), next(self.groups)
        for i, p in enumerate(group.prompts):
            box = self.found.get(p.obj_id)
            if box is None or shapes is None or bool((kept[i] > 0).any()):
                continue
            last, grid = shapes[i]
            start = mask_box(last, grid)
            if start is not None:
                kept = kept.clone()
                kept[i] = torch.from_numpy(ShapeFlow.warp(last, grid, box_onto(start, box), grids[i])).to(
                    kept
                )
        return kept


def run(model, clips: list, rule: bool) -> tuple[dict, Recorder]:
    """The eval protocol (no baselines) with the rule on or off; (paired-row figures, the recorder)."""
    found: dict = {}
    recorder = Recorder(model, found)
    update, follow, choose = Look.update, SweepLooks.follow, MaskRules.choose

    def noted_update(look, image, frame):
        look.noted = (frame, update(look, image, frame))
        return look.noted[1]

    def noted_follow(looks, t, frame, groups, moved):
        follow(looks, t, frame, groups, moved)
        looks.found = {}  # this frame's CSRT finds taken as the prior (a look not started again), not unseen
        for g in groups:
            for i, p in enumerate(g.prompts):
                frame_box = getattr((g.looks or [None] * len(g.prompts))[i], "noted", (None, None))
                if frame_box[0] != t or frame_box[1] is None or p.obj_id in looks.unseen:
                    continue
                looks.found[p.obj_id] = frame_box[1].numpy().astype(np.float64)
                found[(len(recorder.clips), p.obj_id, t)] = looks.found[p.obj_id]
        noted_follow.found = looks.found

    def ruled(rules, groups, logits, moved):
        shape, rules.shape = rules.shape, FoundShape(rules.shape, groups, noted_follow.found)
        try:
            return choose(rules, groups, logits, moved)
        finally:
            rules.shape = shape

    noted_follow.found = {}
    Look.update, SweepLooks.follow = noted_update, noted_follow
    if rule:
        MaskRules.choose = ruled
    try:
        result = evaluate(recorder, clips, EvalOptions(baselines=False))
    finally:
        Look.update, SweepLooks.follow, MaskRules.choose = update, follow, choose
    s = result.summary()["amodal"]
    keys = ("miou_full", "miou_occ_only", "switch_rate", "presence_recall", "absent_recall")
    row = {k: s[k] for k in keys} | {
        "miou_full_first": s["miou_full_first"],
        "miou_full_last": s["miou_full_last"],
    }
    return row | {"clips": per_clip(result.rows)}, recorder


def true_box(mask: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    return np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], dtype=np.float32)


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
                    box = on.found.get(
                        (c, lid, t)
                    )  # none: changed by an earlier frame's change, CSRT lost it
                    csrt = (
                        np.nan
                        if box is None
                        else float(box_iou(torch.tensor(box[None]), torch.tensor(true_box(g)))[0])
                    )
                    rows.append(((b & g).sum() / (b | g).sum(), csrt))
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
        (base, off), (row, on) = run(model, clips, False), run(model, clips, True)
        base["set"] = row["set"] = name
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
