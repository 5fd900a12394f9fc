"""Share of wall time outside the model, at 640x360 and 1920x1080 side by side in one run (issue 14).

The shipped default model (amodal_vos/weights/default.safetensors, whole-frame, 128 px), 2 objects, visible pass,
outputs on (overlay mp4 + masks JSON), on a generated shapes clip at each size; prints the per-part ms/frame
(decode, prepare, model, masks + RLE, render + write) and (wall - model) / wall.

    OMP_WAIT_POLICY=PASSIVE python bench/outside_share.py [--frames 30] [--threads 1]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

from amodal_vos.io.shapes_video import write_shapes_video  # noqa: E402
from amodal_vos.tracking import AmodalTracker, Prompt  # noqa: E402
from amodal_vos.tracking.loading import load_model  # noqa: E402

SIZES = {"640x360": (360, 640), "1920x1080": (1080, 1920)}
GOALS = {"640x360": 0.10, "1920x1080": 0.25}


def measure(tracker: AmodalTracker, video: Path, boxes, frames: int, out: Path) -> dict:
    prompts = [Prompt.from_box(boxes[0, i]) for i in range(2)]
    tracker.track(
        video, prompts, max_frames=3, output=out / "w.mp4", masks=out / "w.json", force=True
    )  # warm-up
    tic = time.perf_counter()
    tracker.track(video, prompts, max_frames=frames, output=out / "o.mp4", masks=out / "o.json", force=True)
    wall = time.perf_counter() - tic
    t = tracker.last_timings
    parts = {k: getattr(t, k) for k in ("decode", "prepare", "wait", "model", "masks", "write")}
    return {"wall": wall, "frames": t.frames, **parts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sys.stdout.reconfigure(line_buffering=True)
    model, description = load_model(None, None, None, "cpu", warn=False)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, model {description['checkpoint']} "
          f"@{description['image_size']}, {args.frames} frames, 2 objects, visible pass, mp4 + JSON")  # fmt: skip
    tracker = AmodalTracker(model, description=description, visible=True)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, (h, w) in SIZES.items():
            video = tmp / f"{name}.mp4"
            boxes = write_shapes_video(video, args.frames, h, w, 25)
            results[name] = measure(tracker, video, boxes, args.frames, tmp)
    print(f"\n{'ms/frame':>10s}" + "".join(f"{name:>12s}" for name in SIZES))
    for part in ("decode", "prepare", "wait", "model", "masks", "write", "wall"):
        cells = "".join(f"{1000 * r[part] / max(r['frames'], 1):12.1f}" for r in results.values())
        print(f"{part:>10s}{cells}")
    shares = {name: (r["wall"] - r["model"]) / r["wall"] for name, r in results.items()}
    print(f"{'outside':>10s}" + "".join(f"{s:12.1%}" for s in shares.values()))
    print(f"{'goal':>10s}" + "".join(f"{'<= ' + format(GOALS[n], '.0%'):>12s}" for n in SIZES))


if __name__ == "__main__":
    main()
