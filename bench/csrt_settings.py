"""What OpenCV's CSRT settings cost (tracking/box_tracker.py uses OpenCV's defaults without the segmentation mask):
time per update of CSRT started from a patch's box on a generated 640x480 sequence (a photograph from the Debian
wallpapers pasted over another and moved across it, 59 updates), per setting, median of ``--rounds`` rounds
alternating the settings; box IoU with the patch's true box beside it. One thread for OpenCV.

    make assets && python bench/csrt_settings.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

SETTINGS = {
    "OpenCV's defaults": {},
    "9 scales": {"number_of_scales": 9},
    "no segmentation mask (shipped)": {"use_segmentation": False},
    "150 px template": {"template_size": 150},
    "100 px template": {"template_size": 100},
    "no colour names": {"use_color_names": False},
}
PATCH = (80, 120)  # w, h


def sequence() -> tuple[list[np.ndarray], list[tuple[int, int]]]:
    """60 BGR frames 640x480 and the patch's top-left corner on each."""
    photos = sorted(Path("/usr/share/backgrounds").rglob("*.jpg"))
    if len(photos) < 2:
        raise SystemExit("needs the wallpaper photographs: make assets")
    scene = cv2.resize(cv2.imread(str(photos[0])), (800, 600))[60:540, 80:720]
    patch = cv2.resize(cv2.imread(str(photos[1])), PATCH)
    frames, corners = [], []
    for t in range(60):
        x, y = 40 + 6 * t, 200 + int(30 * np.sin(t / 8))
        frame = scene.copy()
        frame[y : y + PATCH[1], x : x + PATCH[0]] = patch
        frames.append(frame)
        corners.append((x, y))
    return frames, corners


def run(frames, corners, settings: dict) -> tuple[float, float]:
    """Milliseconds per update and mean box IoU with the patch over frames 1-59."""
    params = cv2.TrackerCSRT_Params()
    for key, value in settings.items():
        setattr(params, key, value)
    tracker = cv2.TrackerCSRT_create(params)
    tracker.init(frames[0], (*corners[0], *PATCH))
    seconds, ious = 0.0, []
    for frame, (x, y) in zip(frames[1:], corners[1:], strict=True):
        tic = time.perf_counter()
        ok, (bx, by, bw, bh) = tracker.update(frame)
        seconds += time.perf_counter() - tic
        across = max(0, min(x + PATCH[0], bx + bw) - max(x, bx))
        inter = across * max(0, min(y + PATCH[1], by + bh) - max(y, by))
        ious.append(inter / (PATCH[0] * PATCH[1] + bw * bh - inter) if ok else 0.0)
    return 1000 * seconds / (len(frames) - 1), float(np.mean(ious))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    frames, corners = sequence()
    times: dict[str, list[float]] = {name: [] for name in SETTINGS}
    ious: dict[str, float] = {}
    for _ in range(args.rounds):
        for name, settings in SETTINGS.items():
            ms, ious[name] = run(frames, corners, settings)
            times[name].append(ms)
    for name in SETTINGS:
        print(f"{name:28s} {statistics.median(times[name]):5.1f} ms per update, box IoU {ious[name]:.3f}")


if __name__ == "__main__":
    main()
