"""Write synthetic clips to disk in the FISHBOWL raw layout, so every loader, training and evaluation path runs on
real files: per scene ``video.mp4`` (libx264, yuv420p), ``objects.json`` (per-fish visible RLE per frame),
``recording.json``, and one single-fish render folder per fish holding the amodal masks' ``objects.json``
(``<id>/object<NNN>/``, or ``<id>_object<fish_id>/`` with layout="flat"). The single-fish videos are not written.

Video i is generated from ``SeedSequence(seed, spawn_key=(i,))``, so the output depends on (seed, i) only, not on
the worker count; the same seed gives the same bytes in every objects.json. The clips come from the fish generator
(amodal_vos.data.synthetic) by default, or from any ``generator(rng, cfg) -> Clip`` whose clips list each object's
FISHBOWL fields in ``meta["fish"]`` or ``meta["objects"]`` (amodal_vos.data.realistic).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np

from amodal_vos.data.sample import Clip
from amodal_vos.data.synthetic import SynthConfig, generate_clip
from amodal_vos.data.video import write_video
from amodal_vos.errors import UserError
from amodal_vos.io import rle

FISHBOWL_FIELDS = ("id", "type_id", "type_name", "speed", "scale")  # per object in objects.json
MARKER = "synth_fishbowl.json"  # written at the dataset root; --force only deletes folders that carry it
LAYOUTS = ("nested", "flat")
# fork starts workers without re-importing the package (spawn costs ~1 s each); workers never touch torch
_START_METHOD = "fork" if "fork" in mp.get_all_start_methods() else "spawn"


def _dump(obj, path: Path) -> None:
    path.write_text(json.dumps(obj, separators=(",", ":")))


def video_rng(seed: int, index: int) -> np.random.Generator:
    """The random stream of video ``index`` of a dataset generated with ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))


Generator = Callable[[np.random.Generator, object], Clip]


def write_scene(
    out: Path,
    index: int,
    seed: int,
    cfg: SynthConfig,
    layout: str = "nested",
    generator: Generator | None = None,
) -> str:
    """Generate video ``index`` (with ``generator``, default the fish generator) and write it under ``out``;
    returns its sample id."""
    clip = (generator or generate_clip)(video_rng(seed, index), cfg)
    objects_meta = clip.meta["fish"] if "fish" in clip.meta else clip.meta["objects"]
    sample_id = f"{index:05d}"
    scene = out / sample_id
    scene.mkdir(parents=True, exist_ok=True)
    write_video(scene / "video.mp4", clip.frames, fps=cfg.fps)
    fields = [{k: v for k, v in f.items() if k in FISHBOWL_FIELDS} for f in objects_meta]
    _dump(
        [{**f, "masks": rle.encode_many(o.visible)} for f, o in zip(fields, clip.objects, strict=True)],
        scene / "objects.json",
    )
    for k, (f, o) in enumerate(zip(fields, clip.objects, strict=True)):
        render = scene / f"object{k:03d}" if layout == "nested" else out / f"{sample_id}_object{f['id']}"
        render.mkdir(exist_ok=True)
        _dump([{**f, "masks": rle.encode_many(o.amodal)}], render / "objects.json")
    recording = {
        "generator": f"amodal-vos {clip.source or 'synthetic'}",
        "seed": seed,
        "index": index,
        "fps": cfg.fps,
        "num_frames": cfg.num_frames,
        "width": cfg.width,
        "height": cfg.height,
        "occluders": clip.meta["occluders"],
        "fish": objects_meta,
        **{k: v for k, v in clip.meta.items() if k not in ("fish", "objects", "occluders")},
    }
    _dump(recording, scene / "recording.json")
    return sample_id


def _write_job(args: tuple) -> str:
    return write_scene(*args)


REAL_SIZE = SynthConfig(width=480, height=320, num_frames=128)  # the real FISHBOWL's frame size and length


def check_request(out: str | Path, videos: int, cfg: SynthConfig, layout: str, force: bool) -> None:
    """Raise a UserError for anything that would make a write fail, before any file is touched."""
    if layout not in LAYOUTS:
        raise UserError(f"unknown layout '{layout}'; use one of: {', '.join(LAYOUTS)}")
    if videos < 1:
        raise UserError("--videos must be at least 1")
    if cfg.width % 2 or cfg.height % 2:
        raise UserError(f"frame size must be even for yuv420p video, got {cfg.width}x{cfg.height}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise UserError(f"{out} exists and is not empty; pass --force to replace it")
        if not (out / MARKER).is_file():
            raise UserError(f"{out} was not written by synth-fishbowl (no {MARKER}); refusing to delete it")


def write_fishbowl(
    out: str | Path,
    videos: int,
    seed: int = 0,
    cfg: SynthConfig | None = None,
    workers: int = 1,
    layout: str = "nested",
    force: bool = False,
    on_done: Callable[[str], None] | None = None,
    generator: Generator | None = None,
) -> Path:
    """Write ``videos`` synthetic scenes under ``out`` with ``workers`` processes (default size: the real
    FISHBOWL's); ``on_done`` is called with each sample id as it finishes. ``force`` replaces an earlier output.
    ``generator(rng, cfg) -> Clip`` makes the clips (default: the fish generator, with a SynthConfig)."""
    cfg = cfg or REAL_SIZE
    check_request(out, videos, cfg, layout, force)
    out = Path(out)
    if out.is_dir() and any(out.iterdir()):
        shutil.rmtree(out)  # check_request made sure this writer made it and force is set
    out.mkdir(parents=True, exist_ok=True)
    marker = {"seed": seed, "videos": videos, "layout": layout, "config": asdict(cfg)}
    if generator is not None:
        marker["generator"] = f"{generator.__module__}.{generator.__qualname__}"
    _dump(marker, out / MARKER)
    jobs = [(out, i, seed, cfg, layout, generator) for i in range(videos)]
    for sample_id in _run_jobs(jobs, workers):
        if on_done is not None:
            on_done(sample_id)
    return out


def _run_jobs(jobs: list[tuple], workers: int) -> Iterator[str]:
    if workers <= 1:
        for job in jobs:
            yield _write_job(job)
        return
    with mp.get_context(_START_METHOD).Pool(workers) as pool:
        yield from pool.imap_unordered(_write_job, jobs)
