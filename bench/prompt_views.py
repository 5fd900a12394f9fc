"""How much do other views of the prompt frame help, and can the prompt box pick the right one? (issue 10)

Each object's prompt frame of a 48-frame test set is segmented alone (a one-frame track from its GT visible box, prompt
views off) under several views: the model's own crop, mirrored, the box grown or shrunk 10 %, crops of 1.5x and 3x the
box's longer side instead of the config's ``min_context``, and the 3x crop mirrored. Prints per view the mean amodal
IoU and the share of objects below 0.3, then the best view per object (an oracle), the view whose mask's box overlaps
the prompt box most (all views, and the four that tracking/prompt_views.py uses).

    OMP_NUM_THREADS=1 python bench/prompt_views.py --checkpoint amodal_vos/weights/default.safetensors
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
from omegaconf import open_dict  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from search_sweep import bench_clips, bench_model  # noqa: E402

from amodal_vos.eval.predict import make_prompts  # noqa: E402
from amodal_vos.model.prior import mask_to_box  # noqa: E402
from amodal_vos.tracking import AmodalTracker, Prompt  # noqa: E402
from amodal_vos.tracking.motion import box_iou  # noqa: E402

VIEWS = {  # name: (mirror, box scale, min_context or None for the config's)
    "own crop": (False, 1.0, None),
    "mirrored": (True, 1.0, None),
    "box -10 %": (False, 0.9, None),
    "box +10 %": (False, 1.1, None),
    "crop 1.5x": (False, 1.0, 1.5),
    "crop 3x": (False, 1.0, 3.0),
    "crop 3x mirrored": (True, 1.0, 3.0),
}
SHIPPED = ("own crop", "mirrored", "crop 3x", "crop 3x mirrored")


def segment(tracker: AmodalTracker, frame: np.ndarray, box: np.ndarray, view: tuple) -> np.ndarray:
    """The amodal mask [H, W] of a one-frame track of ``frame`` from the xyxy ``box`` under ``view``."""
    mirror, scale, min_context = view
    model, h, w = tracker.model, *frame.shape[:2]
    x0, y0, x1, y1 = box
    if mirror:
        frame, (x0, x1) = np.ascontiguousarray(frame[:, ::-1]), (w - x1, w - x0)
    cx, cy, bw, bh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * scale, (y1 - y0) * scale
    x0, x1, y0, y1 = max(cx - bw / 2, 0), min(cx + bw / 2, w), max(cy - bh / 2, 0), min(cy + bh / 2, h)
    search = dict(model.config["search"])
    with open_dict(model.config):
        model.config["search"] = {**search, **({} if min_context is None else {"min_context": min_context})}
    try:
        result = tracker.track(frame[None], [Prompt.from_box((x0, y0, x1 - x0, y1 - y0), frame=0, obj_id=1)])
    finally:
        with open_dict(model.config):
            model.config["search"] = search
    mask = result.masks(0).amodal[0]
    return np.ascontiguousarray(mask[:, ::-1]) if mirror else mask


def box_fit(mask: np.ndarray, box: np.ndarray) -> float:
    """IoU of the mask's box with the xyxy ``box`` (as PromptViews judges a view); 0 for an empty mask."""
    boxes, found = mask_to_box(mask[None])
    return float(box_iou(boxes, torch.from_numpy(box[None]).float())[0]) if bool(found[0]) else 0.0


def picked(ious: list[dict], fits: list[dict], views: tuple) -> str:
    """Mean amodal IoU (percent) and share of objects below 0.3 when each object keeps the view among ``views`` that
    fits its box best, as table cells."""
    values = np.array([r[max(views, key=f.get)] for r, f in zip(ious, fits, strict=True)])
    return f"{100 * values.mean():.1f} | {100 * (values < 0.3).mean():.0f} %"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--num-clips", type=int, default=20)
    ap.add_argument("--sets", nargs="+", default=["realistic", "long"])
    args = ap.parse_args()
    tracker = AmodalTracker(bench_model(args.checkpoint), visible=False, views=False)
    for name in args.sets:
        ious, fits = [], []  # per object: {view: amodal IoU}, {view: box IoU with the prompt box}
        for clip in bench_clips(name, args.num_clips):
            for p in make_prompts(clip):
                true = next(o for o in clip.objects if o.obj_id == p.obj_id).amodal[p.frame]
                box = np.asarray(p.box, dtype=float)
                masks = {
                    k: segment(tracker, np.asarray(clip.frames[p.frame]), box, v) for k, v in VIEWS.items()
                }
                ious.append({k: (m & true).sum() / (m | true).sum() for k, m in masks.items()})
                fits.append({k: box_fit(m, box) for k, m in masks.items()})
        print(f"\n{name}, {len(ious)} objects: amodal IoU on the prompt frame (percent)")
        print("| view | mIoU | objects below 0.3 |\n|---|---|---|")
        for k in VIEWS:
            values = np.array([r[k] for r in ious])
            print(f"| {k} | {100 * values.mean():.1f} | {100 * (values < 0.3).mean():.0f} % |")

        print(f"| best view per object (oracle) | {100 * np.mean([max(r.values()) for r in ious]):.1f} | |")
        print(f"| best box fit, all views | {picked(ious, fits, tuple(VIEWS))} |")
        print(f"| best box fit, {', '.join(SHIPPED)} | {picked(ious, fits, SHIPPED)} |", flush=True)


if __name__ == "__main__":
    main()
