"""Our tracker (amodal + visible masks) vs Meta's SAM2VideoPredictor, side by side in one run, on CPU.

1. fps of ``AmodalTracker.track(..., visible=True)`` (no outputs written) vs sam2 1.1.0's own
   ``SAM2VideoPredictor`` (init_state + add_new_points_or_box + propagate_in_video, masks to numpy), built
   from the same model config with the adapter classes swapped back to sam2's Hiera / ImageEncoder, loaded
   with the checkpoint's base weights (strict=False; only adapter keys may be skipped). Same JPEG folder (a
   640x480 generated fish clip), same frame-0 boxes, 1 and 3 objects, for (a) the shipped default model as its
   config says and (b) a search-region checkpoint, each also without moved masks (``shape=None``,
   tracking/shape_flow.py) and without the appearance tracker (``box_tracker=False``, tracking/box_tracker.py),
   (b) also with the other memory setting than its config's
   (``track_memory``); if (b) has no ``visible_head: token``, also
   (b+token): the same weights with that flag set in memory (one-pass speed; its token-1 masks are untrained).
2. fps of (b) and (b+token), one object, same 640x480 clip, 1 and 2 torch threads (goal >= 10 fps).

Every measurement: one warm-up, then ``--repeats`` rounds alternating the runs compared; medians are reported,
ratios are medians of the per-round ratios.

    nice -n 5 .venv/bin/python bench/sam2_speed.py [--checkpoint runs/track/model.safetensors] [--frames 60]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TQDM_DISABLE", "1")  # sam2's progress bars

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from importlib.metadata import version  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from hydra.utils import instantiate  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402
from PIL import Image  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

from amodal_vos.data.synthetic import SynthConfig, generate_clip  # noqa: E402
from amodal_vos.model import read_header  # noqa: E402
from amodal_vos.model.amodal_sam2 import ADAPTER_PREFIX  # noqa: E402
from amodal_vos.model.build import plain_sam2_config  # noqa: E402
from amodal_vos.tracking import AmodalTracker, Prompt, default_checkpoint, load_model  # noqa: E402
from amodal_vos.tracking.shape_flow import SHAPE_AGREE  # noqa: E402

Box = tuple[int, int, int, int]  # x, y, w, h in frame pixels
Run = Callable[[], dict[str, float]]  # one timed run; returns extra seconds to report (parts of the run)
PARTS = ("decode", "prepare", "model", "masks", "write")


def write_clip(folder: Path, frames: int, seed: int = 3) -> list[Box]:
    """A 640x480 generated fish clip as 00000.jpg... (the layout sam2 reads); the frame-0 boxes of 3 fish."""
    for s in range(seed, seed + 50):
        clip = generate_clip(s, SynthConfig(width=640, height=480, num_frames=frames, num_fish=(3, 4)))
        masks = [o.visible[0] if o.visible[0].sum() > 100 else o.amodal[0] for o in clip.objects]
        masks = [m for m in masks if m.sum() > 100]
        if len(masks) >= 3:
            break
    else:
        raise RuntimeError("no generated clip with 3 objects on frame 0")
    for t, frame in enumerate(clip.frames):
        Image.fromarray(frame).save(folder / f"{t:05d}.jpg", quality=92)
    boxes = []
    for m in masks[:3]:
        ys, xs = np.nonzero(m)
        x0, y0 = int(xs.min()), int(ys.min())
        boxes.append((x0, y0, int(xs.max()) + 1 - x0, int(ys.max()) + 1 - y0))
    return boxes


def meta_predictor(checkpoint: Path):
    """sam2's SAM2VideoPredictor from the checkpoint's config (adapter classes swapped back, all values kept:
    no apply_postprocessing overrides, fill_hole_area 0) with the checkpoint's non-adapter weights."""
    from sam2.sam2_video_predictor import SAM2VideoPredictor

    cfg = plain_sam2_config(read_header(checkpoint)[0].model, "sam2.sam2_video_predictor.SAM2VideoPredictor")
    predictor = instantiate(OmegaConf.create(cfg), _recursive_=True)
    assert type(predictor) is SAM2VideoPredictor
    state = {k: v.float() if v.is_floating_point() else v for k, v in load_file(str(checkpoint)).items()}
    result = predictor.load_state_dict(state, strict=False)
    skipped = result.unexpected_keys
    assert not result.missing_keys, result.missing_keys
    assert skipped and all(k.startswith(ADAPTER_PREFIX) for k in skipped), skipped
    return predictor.eval()


def meta_run(predictor, folder: Path, boxes: list[Box]) -> Run:
    def run() -> dict[str, float]:
        tic = time.perf_counter()
        state = predictor.init_state(str(folder))  # reads + resizes every frame, encodes frame 0
        init = time.perf_counter() - tic
        for i, (x, y, w, h) in enumerate(boxes):
            box = np.array([x, y, x + w, y + h], np.float32)
            predictor.add_new_points_or_box(state, frame_idx=0, obj_id=i + 1, box=box)
        for _, _, logits in predictor.propagate_in_video(state):
            (logits > 0).cpu().numpy()  # the masks at video size, as ours are
        return {"init_state": init}

    return run


def our_run(tracker: AmodalTracker, folder: Path, boxes: list[Box], threads: int | None = None) -> Run:
    def run() -> dict[str, float]:
        if threads:
            torch.set_num_threads(threads)
        tracker.track(folder, [Prompt.from_box(b) for b in boxes], visible=True)
        return {k: getattr(tracker.last_timings, k) for k in PARTS}

    return run


def alternate(runs: dict[str, Run], repeats: int) -> tuple[dict[str, list[float]], dict[str, list[dict]]]:
    """Warm each run up once, then ``repeats`` rounds in turn: (seconds per run, extra parts per run)."""
    for fn in runs.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in runs}
    parts: dict[str, list[dict]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            tic = time.perf_counter()
            parts[name].append(fn())
            times[name].append(time.perf_counter() - tic)
    return times, parts


def per_frame(parts: list[dict], frames: int) -> str:
    """Median ms per frame of each part of our runs (tracker.last_timings)."""
    return " | ".join(f"{k} {1000 * statistics.median(p[k] for p in parts) / frames:.1f}" for k in PARTS)


def ratio(times: dict, slow: str, fast: str, minus: list[float] | None = None) -> float:
    """Median over rounds of time(slow) / time(fast) = fps(fast) / fps(slow); ``minus``: seconds off slow."""
    minus = minus or [0.0] * len(times[slow])
    return statistics.median((s - m) / f for s, m, f in zip(times[slow], minus, times[fast], strict=True))


def ours(
    checkpoint: Path,
    token: bool = False,
    memory: bool | None = None,
    shape: float | None = SHAPE_AGREE,
    box_tracker: bool = True,
) -> AmodalTracker:
    """Our tracker over a checkpoint; ``memory`` None: as its config says (``track_memory``)."""
    model, description = load_model(checkpoint, None, None, "cpu")
    if token:
        OmegaConf.update(model.config, "visible_head", "token", force_add=True)
    return AmodalTracker(
        model, visible=True, memory=memory, shape=shape, box_tracker=box_tracker, description=description
    )


def section_vs_sam2(
    label: str, ckpt: Path, folder: Path, boxes: list[Box], frames: int, reps: int, memoryless: bool = False
) -> None:
    meta = meta_predictor(ckpt)
    trackers = {
        f"ours {label}": ours(ckpt),
        f"ours {label}, no moved masks": ours(ckpt, shape=None),
        f"ours {label}, no box tracker": ours(ckpt, box_tracker=False),
    }
    cfg = read_header(ckpt)[0]
    if memoryless:  # the other memory setting than the checkpoint's own
        other = not cfg.get("track_memory", True)
        trackers[f"ours {label}, {'with' if other else 'no'} memory"] = ours(ckpt, memory=other)
    if cfg.get("search") and cfg.get("visible_head") != "token":
        trackers[f"ours {label}+token"] = ours(ckpt, token=True)
    search = dict(cfg["search"]) if cfg.get("search") else "none (whole frame)"
    visible = cfg.get("visible_head", "none (second pass)")
    print(f"\n({label}) {ckpt}: search {search}, visible_head {visible}, {cfg.model.image_size} px input")
    for n in (1, 3):
        runs = {"SAM2VideoPredictor": meta_run(meta, folder, boxes[:n])}
        runs.update({name: our_run(t, folder, boxes[:n]) for name, t in trackers.items()})
        times, parts = alternate(runs, reps)
        inits = [p["init_state"] for p in parts["SAM2VideoPredictor"]]
        sam, init = statistics.median(times["SAM2VideoPredictor"]), statistics.median(inits)
        print(f"  {n} object{'s' if n > 1 else ' '}, {frames} frames:")
        print(f"    {'SAM2VideoPredictor':24s} {frames / sam:6.2f} fps (init_state {init:.2f} s of {sam:.2f}"
              f" s; {frames / (sam - init):.2f} fps without it)")  # fmt: skip
        for name in trackers:
            fps, r = frames / statistics.median(times[name]), ratio(times, "SAM2VideoPredictor", name)
            r_no_init = ratio(times, "SAM2VideoPredictor", name, inits)
            print(f"    {name:24s} {fps:6.2f} fps   ours/SAM2 {r:.3f} (SAM2 w/o init_state {r_no_init:.3f})")
            print(f"    {'':24s} ms/frame: {per_frame(parts[name], frames)}")


def section_threads(checkpoint: Path, folder: Path, boxes: list[Box], frames: int, reps: int) -> None:
    cfg = read_header(checkpoint)[0]
    variants = {"": ours(checkpoint)}
    if cfg.get("visible_head") != "token":
        variants["+token"] = ours(checkpoint, token=True)
    runs = {f"(b){v} {n} thread{'s' * (n > 1)}": our_run(t, folder, boxes[:1], n)
            for v, t in variants.items() for n in (1, 2)}  # fmt: skip
    times, parts = alternate(runs, reps)
    torch.set_num_threads(1)
    print(f"\n2. one object, 640x480, {checkpoint.name}, amodal + visible, {frames} frames (goal >= 10 fps)")
    for name, ts in times.items():
        fps = frames / statistics.median(ts)
        goal = "OK " if fps >= 10 else "LOW"
        print(f"    {name:22s} {fps:6.2f} fps  {goal}  ms/frame: {per_frame(parts[name], frames)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=Path("runs/track/model.safetensors"))
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads in section 1")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    torch.set_num_threads(args.threads)
    default = default_checkpoint()
    assert default is not None, "needs the shipped amodal_vos/weights/default.safetensors"
    print(f"torch {torch.__version__}, sam2 {version('sam2')}, "
          f"{args.threads} thread(s) in section 1, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, "
          f"{args.repeats} alternated rounds per measurement, medians")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        boxes = write_clip(folder, args.frames)
        print(f"video: {args.frames} JPEG frames 640x480, one folder; frame-0 boxes (x, y, w, h): {boxes}")
        print("\n1. fps, ours (amodal + visible, no outputs) vs SAM2VideoPredictor (same model, weights)")
        section_vs_sam2("a", default, folder, boxes, args.frames, args.repeats)
        if not args.checkpoint.is_file():
            return print(f"\n(b) and 2. skipped: no checkpoint {args.checkpoint} (pass --checkpoint)")
        section_vs_sam2("b", args.checkpoint, folder, boxes, args.frames, args.repeats, memoryless=True)
        section_threads(args.checkpoint, folder, boxes, args.frames, args.repeats)


if __name__ == "__main__":
    main()
