"""Interaction latency of the web app (amodal_vos/app/), measured through its handlers (no browser), beside the
CLI's tracking rate on the same clip in the same run (issue 12).

    OMP_NUM_THREADS=1 python bench/app_latency.py [--frames 64] [--size 360x640] [--repeats 5]

- click -> mask: the second corner of a box (``Handlers.click``) until the frame's overlay image is returned:
  the model's prompt-frame pass (``add_new_points_or_box``), masks to frame size, the overlay. Timed on frames at
  the start, middle and end of the clip (a fresh session each time, so the frame is decoded by seeking);
- tracking: frames per second of ``Handlers.track`` (the generator the Track button runs; it renders and yields
  an overlay at most every 0.2 s and writes the masks JSON at the end), with two objects;
- CLI: frames per second of ``AmodalTracker.track`` with the same model, clip and boxes (no output files), the
  rate ``amodal-vos track`` reports; and ``track`` writing the overlay mp4 and masks JSON as the CLI does.

Clip: the generated shapes clip (amodal_vos/io/shapes_video.py), model: the shipped default (or --checkpoint).
Runs alternate app and CLI so that load on the machine hits both alike; medians are printed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from amodal_vos.app.handlers import Handlers
from amodal_vos.io.shapes_video import write_shapes_video
from amodal_vos.tracking import AmodalTracker, Prompt
from amodal_vos.tracking.loading import load_model
from amodal_vos.tracking.predictor import AmodalPredictor


def click_latency(handlers: Handlers, boxes, t: int) -> float:
    """Seconds from the box's second corner to the overlay of frame t, on a fresh session."""
    session = handlers.load(None)[0]
    x, y, w, h = boxes[t, 0]
    handlers.click(session, t, "box", 1, None, None, float(x), float(y))
    began = time.perf_counter()
    out = handlers.click(session, t, "box", 1, None, None, float(x + w), float(y + h))
    seconds = time.perf_counter() - began
    assert out[-1].startswith("object 1: box"), out[-1]
    return seconds


def app_rate(handlers: Handlers, boxes) -> float:
    """Frames per second of the Track handler with two objects boxed on frame 0 (boxing not timed)."""
    session = handlers.load(None)[0]
    for obj_id in (1, 2):
        x, y, w, h = (float(v) for v in boxes[0, obj_id - 1])
        handlers.click(session, 0, "box", obj_id, None, None, x, y)
        handlers.click(session, 0, "box", obj_id, None, None, x + w, y + h)
    began = time.perf_counter()
    last = list(handlers.track(session, None, None))[-1]
    seconds = time.perf_counter() - began
    assert last[-1].startswith("tracked 2 object(s)"), last[-1]
    return len(session.tracked_frames()) / seconds


def cli_rate(tracker: AmodalTracker, clip: Path, boxes, out: Path | None) -> float:
    prompts = [Prompt.from_box(tuple(float(v) for v in boxes[0, i]), obj_id=i + 1) for i in (0, 1)]
    files = {} if out is None else {"output": out / "clip.amodal.mp4", "masks": out / "clip.masks.json"}
    began = time.perf_counter()
    result = tracker.track(clip, prompts, force=True, **files)
    return len(result) / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=64)
    parser.add_argument("--size", default="360x640", help="HxW of the generated clip")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--checkpoint", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    height, width = (int(v) for v in args.size.split("x"))
    work = Path(tempfile.mkdtemp(prefix="app-latency-"))
    clip = work / "clip.mp4"
    boxes = write_shapes_video(clip, args.frames, height, width, 24)
    model, description = load_model(args.checkpoint)
    handlers = Handlers(AmodalPredictor(model, description=dict(description)), clip)
    tracker = AmodalTracker(model, description=dict(description))
    print(
        f"clip {width}x{height}, {args.frames} frames; model {description['config']} at {model.image_size} px, CPU"
    )

    clicks = {t: [] for t in (0, args.frames // 2, args.frames - 1)}
    app, cli, cli_files = [], [], []
    click_latency(handlers, boxes, 0)  # warm-up
    for _ in range(args.repeats):
        for t in clicks:
            clicks[t].append(click_latency(handlers, boxes, t))
        app.append(app_rate(handlers, boxes))
        cli.append(cli_rate(tracker, clip, boxes, None))
        cli_files.append(cli_rate(tracker, clip, boxes, work))
    for t, seconds in clicks.items():
        print(
            f"click -> mask on frame {t:4d}: {1000 * statistics.median(seconds):7.1f} ms (median of {len(seconds)})"
        )
    print(f"app Track handler, 2 objects : {statistics.median(app):6.1f} fps")
    print(f"AmodalTracker.track (no files): {statistics.median(cli):6.1f} fps")
    print(
        f"track + overlay mp4 + JSON    : {statistics.median(cli_files):6.1f} fps (what `amodal-vos track` does)"
    )


if __name__ == "__main__":
    main()
