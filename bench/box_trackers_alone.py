"""Which appearance tracker could give the prior box (issue 10; tracking/box_tracker.py)? OpenCV's CSRT, KCF and MIL
trackers alone, started from each object's prompt box (its true visible box on its first visible frame), against the
boxes of the shipped tracker's amodal masks, on the 48-frame sets of bench/search_sweep.py. Printed per set and
tracker: the mean IoU of its box with the true amodal box over the in-view frames after the prompt (no box: 0), the
share above 0.5, the mean over frames more than 30 frames after the prompt, and the share of out-of-view frames on
which it reports nothing (``ok`` false; for ours: an empty mask).

    OMP_NUM_THREADS=1 python bench/box_trackers_alone.py [--sets realistic long] [--num-clips 20]
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
from redetect import mask_box  # noqa: E402
from search_sweep import bench_clips  # noqa: E402

from amodal_vos.tracking import AmodalTracker, Prompt  # noqa: E402
from amodal_vos.tracking.detections import box_iou  # noqa: E402

TRACKERS = {"CSRT": cv2.TrackerCSRT_create, "KCF": cv2.TrackerKCF_create, "MIL": cv2.TrackerMIL_create}


def clip_rows(clip, tracker: AmodalTracker) -> dict[str, list[tuple]]:
    """Per tracker name (and "ours"): (amodal box IoU or nan out of view, reported nothing, frames since prompt)."""
    first = {}
    for k, obj in enumerate(clip.objects):
        visible = obj.visible.reshape(clip.num_frames, -1).sum(1)
        if visible.any():
            f0 = int(np.argmax(visible > 0))
            box = mask_box(obj.visible[f0])
            if min(box[2:]) >= 4:
                first[k + 1] = (f0, box)
    prompts = [Prompt.from_box(tuple(map(float, b)), frame=f0, obj_id=i) for i, (f0, b) in first.items()]
    result = tracker.track(clip.frames, prompts, progress=False)
    bgr = [np.ascontiguousarray(f[..., ::-1]) for f in clip.frames]
    rows: dict[str, list[tuple]] = {name: [] for name in [*TRACKERS, "ours"]}
    for i, (f0, box) in first.items():
        truth = clip.objects[i - 1].amodal
        for name in rows:
            if name != "ours":
                box_tracker = TRACKERS[name]()
                box_tracker.init(bgr[f0], tuple(int(v) for v in box))
            for t in range(f0 + 1, clip.num_frames):
                if name == "ours":
                    found = mask_box(result.amodal(t, i))
                else:
                    ok, xywh = box_tracker.update(bgr[t])
                    found = tuple(int(v) for v in xywh) if ok else None
                true_box = mask_box(truth[t])
                iou = np.nan if true_box is None else (box_iou(found, true_box) if found else 0.0)
                rows[name].append((iou, found is None, t - f0))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", default=["realistic", "long"])
    ap.add_argument("--num-clips", type=int, default=20)
    args = ap.parse_args()
    tracker = AmodalTracker.default(box_tracker=False)
    for name in args.sets:
        rows: dict[str, list] = {}
        for clip in bench_clips(name, args.num_clips):
            for key, r in clip_rows(clip, tracker).items():
                rows.setdefault(key, []).extend(r)
        for key, r in rows.items():
            r = np.array(r, float)
            seen, late = ~np.isnan(r[:, 0]), r[:, 2] > 30
            print(
                f"{name} {key}: {seen.sum()} in-view frames, amodal box IoU {r[seen, 0].mean():.3f}, > 0.5 "
                f"{(r[seen, 0] > 0.5).mean():.3f}, after frame 30 {r[seen & late, 0].mean():.3f}; nothing reported "
                f"on {r[~seen, 1].mean():.3f} of the out-of-view frames"
            )


if __name__ == "__main__":
    main()
