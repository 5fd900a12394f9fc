"""Tracking speed and memory, each measured side by side in one run and printed as ratios.

1. fps of amodal tracking (adapters on, no visible pass) vs plain SAM-2 tracking (adapters bypassed), same model
   and video, runs alternated; also the cost of the visible pass, and batched vs per-object memory banks;
2. peak memory (ru_maxrss of a subprocess running the CLI path: track + overlay mp4 + masks JSON, without the visible
   pass to keep the run short; its bank is pruned the same way) for a long vs a short video;
3. share of wall time outside the model (decode, input preparation, masks to frame size + RLE, render, mp4/JSON)
   in the full path.

    python bench/track_speed.py                 # small config @256, 640x360 video; about 5 minutes on 2 cores
    python bench/track_speed.py --hiera-t       # sam2.1_hiera_t @512, amodal vs SAM-2 and section 3 only

Random weights (the model's speed does not depend on them, and the bench runs on any config); the object-score bias
is raised so objects count as present and masks are non-empty: the random model's masks are large and ragged, a
pessimistic case for RLE and rendering.
OMP_WAIT_POLICY=PASSIVE is set (before torch loads) so that busy neighbours on a shared machine do not make
OpenMP's spinning threads dominate the timings.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

from amodal_vos.io.shapes_video import write_shapes_video  # noqa: E402
from amodal_vos.tracking import AmodalTracker, Prompt  # noqa: E402
from amodal_vos.tracking.loading import load_model  # noqa: E402


def make_tracker(config: str, image_size: int | None, **kwargs) -> AmodalTracker:
    model, description = load_model(None, config, image_size, "cpu", warn=False)
    with torch.no_grad():
        model.sam_mask_decoder.pred_obj_score_head.layers[2].bias += 3.0
        for adapter in model.image_encoder.trunk.sca:
            torch.nn.init.normal_(adapter.up.weight, std=0.02)
    return AmodalTracker(model, description=description, **kwargs)


def prompts(boxes, n: int) -> list[Prompt]:
    """n objects boxed on frame 0 (the clip's two shapes, then shifted copies)."""
    return [Prompt.from_box(boxes[0, i % 2] + [12 * (i // 2), 0, 0, 0]) for i in range(n)]


def alternate(runs: dict, repeats: int) -> dict[str, list[float]]:
    """Run each named callable once to warm up, then ``repeats`` rounds in turn; seconds per run."""
    for fn in runs.values():
        fn()
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            tic = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - tic)
    return times


def paired_ratio(times: dict, a: str, b: str) -> float:
    """Median over rounds of time(a) / time(b), i.e. fps(b) / fps(a); robust to load drifting during the run."""
    return statistics.median(x / y for x, y in zip(times[a], times[b], strict=True))


def section_fps(tracker_args, video, boxes, frames: int, repeats: int, only_ratio: bool) -> None:
    amodal = make_tracker(*tracker_args, visible=False)
    plain = AmodalTracker(amodal.model, adapters=False, description=amodal.description)
    full = AmodalTracker(amodal.model, visible=True, description=amodal.description)
    per_object = AmodalTracker(
        amodal.model, visible=False, batch_objects=False, description=amodal.description
    )
    one, three = prompts(boxes, 1), prompts(boxes, 3)
    runs = {
        "sam2": lambda: plain.track(video, one, max_frames=frames),
        "amodal": lambda: amodal.track(video, one, max_frames=frames),
        "amodal+visible": lambda: full.track(video, one, max_frames=frames),
        "3 objects, batched bank": lambda: amodal.track(video, three, max_frames=frames),
        "3 objects, bank per object": lambda: per_object.track(video, three, max_frames=frames),
    }
    if only_ratio:
        runs = {name: runs[name] for name in ("sam2", "amodal")}
    times = alternate(runs, repeats)
    print(
        f"\n1. tracking speed, {frames} frames, median of {repeats} alternated runs (decode included, no outputs)"
    )
    for name, t in times.items():
        print(f"   {name:28s} {frames / statistics.median(t):7.2f} fps")
    print(
        f"   amodal / plain SAM-2 fps ratio:        {paired_ratio(times, 'sam2', 'amodal'):.3f}   (goal >= 0.9)"
    )
    if only_ratio:
        return
    print(f"   amodal+visible / amodal fps ratio:     {paired_ratio(times, 'amodal', 'amodal+visible'):.3f}")
    batched = paired_ratio(times, "3 objects, bank per object", "3 objects, batched bank")
    print(f"   3 objects: batched / per-object fps:   {batched:.3f}")


def section_share(tracker_args, video, boxes, frames: int, out: Path) -> None:
    tracker = make_tracker(*tracker_args, visible=True)
    tracker.track(video, prompts(boxes, 2), max_frames=4)  # warm-up
    tic = time.perf_counter()
    tracker.track(
        video, prompts(boxes, 2), max_frames=frames, output=out / "o.mp4", masks=out / "o.json", force=True
    )
    wall = time.perf_counter() - tic
    t = tracker.last_timings
    print(
        f"\n3. full path (2 objects, visible pass, overlay mp4 + masks JSON), {frames} frames, {wall:.1f} s wall"
    )
    print(f"   model {t.model:.2f} s | decode {t.decode:.2f} | prepare {t.prepare:.2f} | masks+RLE {t.masks:.2f} "
          f"| render+write {t.write:.2f}")  # fmt: skip
    print(f"   share of time outside the model: {(wall - t.model) / wall:.1%}   (goal <= 10%)")


def vm_hwm_mib() -> float:
    """Peak resident memory since the last reset (Linux /proc/self/status VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child_memory(video: str, config: str, image_size: int) -> None:
    """Subprocess body: track + mp4 + JSON on one video; prints the process's peak RSS (ru_maxrss) and the peak RSS
    while tracking (VmHWM reset just before, so the model build's own peak does not hide growth during tracking)."""
    import resource

    out = Path(tempfile.mkdtemp())
    tracker = make_tracker(config, image_size, visible=False)
    boxes = json.loads(os.environ["BENCH_BOXES"])
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    tracker.track(video, [Prompt.from_box(b) for b in boxes], output=out / "o.mp4", masks=out / "o.json")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"process_peak_mib": peak, "tracking_peak_mib": vm_hwm_mib()}))


def section_memory(short: int, long: int, tmp: Path, config: str, image_size: int) -> None:
    results = {}
    for n in (short, long):
        video = tmp / f"mem{n}.mp4"
        boxes = write_shapes_video(video, n, 120, 160, 25)
        env = {**os.environ, "BENCH_BOXES": json.dumps(boxes[0].tolist())}
        command = [
            sys.executable,
            __file__,
            "--child-memory",
            str(video),
            "--config",
            config,
            "--image-size",
            str(image_size),
        ]
        tic = time.perf_counter()
        line = (
            subprocess.run(command, env=env, check=True, capture_output=True, text=True)
            .stdout.strip()
            .splitlines()[-1]
        )
        results[n] = json.loads(line)
        r = results[n]
        print(f"   {n:5d} frames: peak RSS while tracking {r['tracking_peak_mib']:.0f} MiB, "
              f"process peak {r['process_peak_mib']:.0f} MiB ({time.perf_counter() - tic:.0f} s)")  # fmt: skip
    ratio = results[long]["tracking_peak_mib"] / results[short]["tracking_peak_mib"]
    print(f"   peak memory ratio {long} / {short} frames: {ratio:.3f}   (goal <= 1.2)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="small")
    parser.add_argument("--image-size", type=int, default=None, help="default: the config's own")
    parser.add_argument("--hiera-t", action="store_true", help="sections 1 and 3 on sam2.1_hiera_t @512")
    parser.add_argument(
        "--frames", type=int, default=None, help="frames per run in sections 1 and 3 [40; 12 with --hiera-t]"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--short", type=int, default=300)
    parser.add_argument("--long", type=int, default=3000)
    parser.add_argument(
        "--memory-size", type=int, default=128, help="model input size in section 2 (small config)"
    )
    parser.add_argument("--child-memory", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_memory:
        return child_memory(args.child_memory, args.config, args.image_size)
    sys.stdout.reconfigure(line_buffering=True)
    if args.hiera_t:
        args.config, args.image_size, args.long = "sam2.1_hiera_t", args.image_size or 512, 0
    args.frames = args.frames or (12 if args.hiera_t else 40)
    tracker_args = (args.config, args.image_size)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, config {args.config}"
          f" @{args.image_size or 'default'}, video 640x360")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        video = tmp / "clip.mp4"
        boxes = write_shapes_video(video, args.frames, 360, 640, 25)
        section_fps(tracker_args, video, boxes, args.frames, args.repeats, only_ratio=args.hiera_t)
        if args.long:
            print(
                f"\n2. peak memory, track + mp4 + JSON on 160x120 videos, small @{args.memory_size}, subprocesses"
            )
            section_memory(args.short, args.long, tmp, "small", args.memory_size)
        section_share(tracker_args, video, boxes, args.frames, tmp)


if __name__ == "__main__":
    main()
