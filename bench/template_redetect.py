"""A re-detector tried in the tracker and refused (docs/tracking.md, "Finding lost objects again"): each object's
prompt-box pixels are matched over the whole frame on every later frame (bench/redetect.py's ``best_match``, on the
frame shrunk to 320 px); where the best match reaches ``--threshold`` and its centre lies outside the object's prior
box, the prior jumps there, CSRT starts again from it and the object is taken as present. Paired with the shipped
tracker on the 48-frame bench sets.

    OMP_NUM_THREADS=1 python bench/template_redetect.py --sets realistic,realistic-fresh --threshold 0.8
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
from redetect import best_match  # noqa: E402
from search_sweep import bench_clips, bench_model, paired_header, paired_row, run_set  # noqa: E402

from amodal_vos.tracking.box_tracker import Look  # noqa: E402
from amodal_vos.tracking.exits import NOT_GONE  # noqa: E402
from amodal_vos.tracking.loading import default_checkpoint  # noqa: E402
from amodal_vos.tracking.looks import SweepLooks  # noqa: E402

SIDE = 320  # px: the longer side of the frame the match runs on


def shrink(frame: np.ndarray) -> tuple[np.ndarray, float]:
    """The frame with its longer side at most ``SIDE`` px, and the factor applied."""
    f = min(SIDE / max(frame.shape[:2]), 1.0)
    return (cv2.resize(frame, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else frame), f


def patch(threshold: float, jumps: list) -> tuple:
    """Wrap SweepLooks.start (a template per object on its prompt frame) and .follow (the jump); the originals."""
    start, follow = SweepLooks.start, SweepLooks.follow

    def remembering_start(looks, t, frame, groups):
        start(looks, t, frame, groups)
        small, f = shrink(frame)
        looks.templates = getattr(looks, "templates", {})
        for g in groups:
            if looks.prompted(g, t):
                for i, p in enumerate(g.prompts):
                    x0, y0, x1, y1 = (g.boxes[i].numpy() * f).round().astype(int).tolist()
                    crop = small[max(y0, 0) : y1, max(x0, 0) : x1]
                    looks.templates[p.obj_id] = crop.copy() if min(crop.shape[:2]) >= 6 else None

    def jumping_follow(looks, t, frame, groups, moved):
        follow(looks, t, frame, groups, moved)
        small, f = shrink(frame)
        for g in groups:
            for i, p in enumerate(g.prompts):
                template = getattr(looks, "templates", {}).get(p.obj_id)
                if looks.prompted(g, t) or template is None:
                    continue
                score, (x, y, w, h) = best_match(small, template)
                if score < threshold:
                    continue
                box = torch.tensor([x, y, x + w, y + h], dtype=torch.float32) / f
                cx, cy = float(box[0] + box[2]) / 2, float(box[1] + box[3]) / 2
                x0, y0, x1, y1 = g.boxes[i].tolist()
                if x0 <= cx <= x1 and y0 <= cy <= y1:
                    continue
                jumps.append(t)  # the prior jumps to the match: CSRT, presence and the mask move start there
                g.boxes = g.boxes.clone()
                g.boxes[i] = box.to(g.boxes.dtype)
                g.looks = list(g.looks)
                g.looks[i] = Look.start(frame, box.tolist(), t)
                looks.unseen.discard(p.obj_id)
                if g.gone is not None:
                    g.gone = g.gone.clone()
                    g.gone[i] = NOT_GONE
                _, trusted, moves = moved.get(
                    id(g), (None, torch.zeros(len(g.prompts), dtype=torch.bool), None)
                )
                trusted = trusted.clone()
                trusted[i] = True
                moves = None if moves is None else [None if k == i else m for k, m in enumerate(moves)]
                moved[id(g)] = (g.boxes, trusted, moves)

    SweepLooks.start, SweepLooks.follow = remembering_start, jumping_follow
    return start, follow


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=str(default_checkpoint()))
    ap.add_argument("--sets", default="realistic,realistic-fresh")
    ap.add_argument("--num-clips", type=int, default=20)
    ap.add_argument("--threshold", type=float, default=0.8)
    args = ap.parse_args()
    model = bench_model(args.checkpoint)
    print(paired_header("tracker"))
    for name in args.sets.split(","):
        clips = bench_clips(name, args.num_clips)
        base = run_set(model, clips, name)
        print(paired_row("as shipped", base, base), flush=True)
        jumps: list = []
        kept = patch(args.threshold, jumps)
        try:
            row = run_set(model, clips, name)
        finally:
            SweepLooks.start, SweepLooks.follow = kept
        print(paired_row(f"re-detect >= {args.threshold} ({len(jumps)} jumps)", row, base), flush=True)


if __name__ == "__main__":
    main()
