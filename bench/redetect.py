"""Can a lost track be found again by template matching (issue 10: lost objects are almost never re-acquired)?

The shipped tracker runs on the bench sets of bench/search_sweep.py ("realistic" and "long", 20 clips of 48 frames
at 480x320; prompt: the true visible box on each object's first visible frame). On every second later frame where
the object is fully visible (visible >= 90 % of its amodal area), the template (the prompt frame's pixels inside the
prompt box) is matched over the whole frame at 0.8 / 1 / 1.25x (OpenCV TM_CCOEFF_NORMED), and at the box of the
tracked mask (template resized to it). Frames are split into lost (tracked amodal IoU < 0.2) and good (>= 0.5).
Printed: how often the best match is the object (box IoU > 0.5 with its visible box) on lost and on good frames,
and for a verify-and-redetect rule ("best match >= B, tracked box < T, and the two apart") how often it would fire
on lost frames, how often that match is right, and how often it would fire on good frames.

    OMP_NUM_THREADS=1 python bench/redetect.py --sets realistic long
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

sys.path.insert(0, str(Path(__file__).parent))
from search_sweep import bench_clips  # noqa: E402

from amodal_vos.io.frame_masks import mask_box as frame_mask_box  # noqa: E402
from amodal_vos.tracking import AmodalTracker, Prompt  # noqa: E402
from amodal_vos.tracking.apart import iou as mask_iou  # noqa: E402
from amodal_vos.tracking.detections import box_iou  # noqa: E402

SCALES = (0.8, 1.0, 1.25)
RULES = [(b, t) for b in (0.6, 0.7, 0.8) for t in (0.2, 0.4)]


def mask_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """x, y, w, h of a mask's pixels (io.frame_masks.mask_box as detections.box_iou reads boxes), None when empty."""
    box = frame_mask_box(mask)
    return None if box is None else (box[0], box[1], box[2] - box[0], box[3] - box[1])


def score_at(frame: np.ndarray, template: np.ndarray, box: tuple | None) -> float:
    """Normalised correlation of the template resized to ``box`` with the frame's pixels there (-1: no box)."""
    if box is None:
        return -1.0
    x0, y0 = max(box[0], 0), max(box[1], 0)
    x1, y1 = min(box[0] + box[2], frame.shape[1]), min(box[1] + box[3], frame.shape[0])
    if x1 - x0 < 4 or y1 - y0 < 4:
        return -1.0
    resized = cv2.resize(template, (x1 - x0, y1 - y0))
    return float(cv2.matchTemplate(frame[y0:y1, x0:x1], resized, cv2.TM_CCOEFF_NORMED)[0, 0])


def best_match(frame: np.ndarray, template: np.ndarray) -> tuple[float, tuple]:
    """(score, x y w h box) of the template's best match over the frame at the bench's scales."""
    best = (-2.0, (0, 0, 0, 0))
    for s in SCALES:
        t = cv2.resize(template, None, fx=s, fy=s)
        if min(t.shape[:2]) < 3 or t.shape[0] >= frame.shape[0] or t.shape[1] >= frame.shape[1]:
            continue
        _, score, _, (x, y) = cv2.minMaxLoc(cv2.matchTemplate(frame, t, cv2.TM_CCOEFF_NORMED))
        if score > best[0]:
            best = (score, (x, y, t.shape[1], t.shape[0]))
    return best


def frame_rows(clip, tracker: AmodalTracker) -> list[tuple[float, ...]]:
    """(tracked IoU, score at the tracked box, best score, best match vs true box, best match vs tracked box) for
    every second fully visible frame after each object's prompt frame."""
    prompts, first = [], {}
    for k, obj in enumerate(clip.objects):
        visible = obj.visible.reshape(clip.num_frames, -1).sum(1)
        if visible.any():
            f0 = int(np.argmax(visible > 0))
            b = mask_box(obj.visible[f0])
            prompts.append(Prompt.from_box(tuple(float(v) for v in b), frame=f0, obj_id=k + 1))
            first[k + 1] = (f0, b)
    result = tracker.track(clip.frames, prompts, progress=False)
    rows = []
    for k, obj in enumerate(clip.objects):
        if k + 1 not in first:
            continue
        f0, (x, y, w, h) = first[k + 1]
        template = clip.frames[f0, y : y + h, x : x + w]
        if min(template.shape[:2]) < 4:
            continue
        for t in range(f0 + 1, clip.num_frames, 2):
            area = obj.amodal[t].sum()
            if area == 0 or obj.visible[t].sum() < 0.9 * area:
                continue
            pred = result.amodal(t, k + 1)
            tracked = mask_box(pred)
            score, box = best_match(clip.frames[t], template)
            rows.append(
                (
                    mask_iou(pred, obj.amodal[t]),
                    score_at(clip.frames[t], template, tracked),
                    score,
                    box_iou(box, mask_box(obj.visible[t])),
                    box_iou(box, tracked),
                )
            )
    return rows


def report(name: str, rows: np.ndarray) -> None:
    lost, good = rows[:, 0] < 0.2, rows[:, 0] >= 0.5
    right = rows[:, 3] > 0.5
    print(
        f"{name}: {len(rows)} fully visible frames, {lost.sum()} lost, {good.sum()} good; best match on the object: "
        f"lost {right[lost].mean():.2f}, good {right[good].mean():.2f}; median score at the tracked box: lost "
        f"{np.median(rows[lost, 1]):.2f}, good {np.median(rows[good, 1]):.2f}"
    )
    for b, t in RULES:
        fire = (rows[:, 2] >= b) & (rows[:, 1] < t) & (rows[:, 4] < 0.3)
        hits = fire & lost
        print(
            f"  best >= {b}, tracked < {t}: fires on {fire[lost].mean():.3f} of lost frames (right "
            f"{right[hits].mean() if hits.any() else 0:.2f}), {fire[good].mean():.3f} of good frames"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", default=["realistic", "long"], choices=["realistic", "long"])
    ap.add_argument("--num-clips", type=int, default=20)
    args = ap.parse_args()
    tracker = AmodalTracker.default()
    for name in args.sets:
        rows = [r for clip in bench_clips(name, args.num_clips) for r in frame_rows(clip, tracker)]
        report(name, np.array(rows))


if __name__ == "__main__":
    main()
