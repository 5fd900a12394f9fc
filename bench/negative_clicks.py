"""Do negative clicks take their region away? (issue 10; docs/tracking.md "The default tracks without memory").

On every third frame of the predictor tests' generated clip (two shapes passing behind a bar, 96x72) where both
objects are in view, each checkpoint gets one object's clicks: positive clicks on both objects' centres, then the
same clicks with the second one negative. A frame passes when the first mask covers more than 30 % of the second
object's box, the second covers less than half of that, and the first object keeps more than 30 % of its box.
Printed per frame: the share of each object's box inside the mask, both clicks positive -> second one negative.
``--far-end`` runs the earlier form of the test instead (both objects, every third frame): a click on an object's
centre, then a negative click on the pixel of its mask farthest from that centre; a click passes when that pixel
leaves the mask and the mask loses at least a fifth without growing elsewhere.

    OMP_NUM_THREADS=1 python bench/negative_clicks.py amodal_vos/weights/default.safetensors runs/track/model.safetensors
"""

from __future__ import annotations

import argparse
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from amodal_vos.io.shapes_video import write_shapes_video
from amodal_vos.model.checkpoint import load_checkpoint
from amodal_vos.tracking.predictor import AmodalPredictor

FRAMES, HEIGHT, WIDTH = 24, 72, 96


def box_region(box: np.ndarray) -> np.ndarray:
    x, y, w, h = box
    region = np.zeros((HEIGHT, WIDTH), bool)
    region[int(y) : int(y + h), int(x) : int(x + w)] = True
    return region


def share(mask: np.ndarray, region: np.ndarray) -> float:
    return float((mask & region).sum() / region.sum())


def check(predictor: AmodalPredictor, video: Path, boxes: np.ndarray) -> list[tuple[int, list[float], bool]]:
    """(frame, [obj 1, obj 2 with both positive, obj 1, obj 2 with the second negative], passed) per frame."""
    rows = []
    for frame in range(0, FRAMES, 3):
        if (boxes[frame, :, 2] * boxes[frame, :, 3] == 0).any():
            continue
        centres = [[int(x + w / 2), int(y + h / 2)] for x, y, w, h in boxes[frame]]
        regions = [box_region(b) for b in boxes[frame]]
        state = predictor.init_state(video)
        both = predictor.add_new_points_or_box(state, frame, 1, points=centres, labels=[1, 1]).amodal[0]
        cut = predictor.add_new_points_or_box(state, frame, 1, points=centres, labels=[1, 0]).amodal[0]
        shares = [
            share(both, regions[0]),
            share(both, regions[1]),
            share(cut, regions[0]),
            share(cut, regions[1]),
        ]
        passed = shares[1] > 0.3 and shares[3] < 0.5 * shares[1] and shares[2] > 0.3
        rows.append((frame, shares, passed))
    return rows


def check_far_end(predictor: AmodalPredictor, video: Path, boxes: np.ndarray) -> tuple[int, int]:
    """(passed, tried) clicks of the far-end form."""
    passed = tried = 0
    for frame in range(0, FRAMES, 3):
        for x, y, w, h in boxes[frame]:
            if w * h == 0:
                continue
            state = predictor.init_state(video)
            centre = [int(x + w / 2), int(y + h / 2)]
            whole = predictor.add_new_points_or_box(state, frame, 1, points=[centre], labels=[1]).amodal[0]
            tried += 1
            ys, xs = np.nonzero(whole)
            if len(xs) == 0:
                continue
            far = np.argmax((xs - centre[0]) ** 2 + (ys - centre[1]) ** 2)
            click = [int(xs[far]), int(ys[far])]
            cut = predictor.add_new_points_or_box(
                state, frame, 1, points=[centre, click], labels=[1, 0]
            ).amodal[0]
            gone = not cut[click[1], click[0]] and cut.sum() < 0.8 * whole.sum()
            passed += bool(gone and (cut & ~whole).sum() <= 0.05 * whole.sum())
    return passed, tried


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoints", nargs="+")
    ap.add_argument("--far-end", action="store_true", help="the earlier form of the test")
    args = ap.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "shapes.mp4"
        boxes = write_shapes_video(video, FRAMES, HEIGHT, WIDTH, Fraction(12))
        print(
            "| checkpoint | frame | both positive: obj 1 / obj 2 | obj 2 negative: obj 1 / obj 2 | passed |"
        )
        print("|---|---|---|---|---|")
        for checkpoint in args.checkpoints:
            model, _ = load_checkpoint(checkpoint)
            predictor = AmodalPredictor(model.eval())
            if args.far_end:
                print(
                    "| {} | far end | | | {} / {} |".format(
                        checkpoint, *check_far_end(predictor, video, boxes)
                    )
                )
                continue
            rows = check(predictor, video, boxes)
            for frame, s, passed in rows:
                print(
                    f"| {checkpoint} | {frame} | {s[0]:.2f} / {s[1]:.2f} | {s[2]:.2f} / {s[3]:.2f} | {passed} |"
                )
            print(f"| {checkpoint} | all | | | {sum(r[2] for r in rows)} / {len(rows)} |", flush=True)


if __name__ == "__main__":
    main()
