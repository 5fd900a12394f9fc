"""The clips an evaluation runs on: a dataset folder in any format amodal_vos.data reads, or a synthetic test set
(fish, or realistic) generated in memory from a seed (clip i from the random stream (seed, i), so a set is
reproducible and a fresh seed gives a fresh set)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from amodal_vos.data.sample import Clip
from amodal_vos.errors import UserError


@dataclass
class ClipSet:
    """An iterable of clips with its length and a description for the results."""

    clips: object
    count: int
    description: dict

    def __iter__(self) -> Iterator[Clip]:
        return iter(self.clips)

    def __len__(self) -> int:
        return self.count


def synthetic_clips(
    seed: int, num_clips: int, frames: int = 8, size: tuple[int, int] = (128, 128)
) -> ClipSet:
    """``num_clips`` generated FISHBOWL-like clips of ``frames`` frames, ``size`` = (width, height)."""
    try:
        from amodal_vos.data.synthetic import SynthConfig, generate_clip
    except ImportError as err:
        raise UserError(f"the synthetic data generator is not available: {err}") from None
    cfg = SynthConfig(width=size[0], height=size[1], num_frames=frames)

    def gen() -> Iterator[Clip]:
        for i in range(num_clips):
            clip = generate_clip(np.random.default_rng([seed, i]), cfg)
            clip.clip_id = f"synthetic-{seed}-{i}"  # the generator names every clip "synthetic"
            yield clip

    desc = {"dataset": "synthetic", "seed": seed, "clips": num_clips, "frames": frames, "size": list(size)}
    return ClipSet(gen(), num_clips, desc)


def realistic_clips(
    seed: int, num_clips: int, frames: int = 8, size: tuple[int, int] = (128, 128)
) -> ClipSet:
    """``num_clips`` generated realistic clips (photo backgrounds, clip art, shapes; amodal_vos.data.realistic) of
    ``frames`` frames, ``size`` = (width, height); clip i from the random stream (seed, i)."""
    try:
        from amodal_vos.data import assets
        from amodal_vos.data.realistic import RealisticConfig, generate_realistic_clip
    except ImportError as err:
        raise UserError(f"the realistic data generator is not available: {err}") from None
    assets.photo_paths()  # a UserError naming the apt-get command, before any clip
    assets.clipart_paths()
    cfg = RealisticConfig(width=size[0], height=size[1], num_frames=frames)

    def gen() -> Iterator[Clip]:
        for i in range(num_clips):
            clip = generate_realistic_clip(np.random.default_rng([seed, i]), cfg)
            clip.clip_id = f"realistic-{seed}-{i}"
            yield clip

    desc = {"dataset": "realistic", "seed": seed, "clips": num_clips, "frames": frames, "size": list(size)}
    return ClipSet(gen(), num_clips, desc)


def dataset_clips(
    fmt: str | None, root: str, split: str | None = None, max_clips: int | None = None
) -> ClipSet:
    """Every item (whole videos) of a dataset folder, or the first ``max_clips``."""
    from amodal_vos.data.registry import open_dataset

    ds = open_dataset(None if fmt in (None, "auto") else fmt, root, split)
    n = len(ds) if not max_clips else min(len(ds), max_clips)
    if n == 0:
        raise UserError(f"no clips in {root}")

    def gen() -> Iterator[Clip]:
        for i in range(n):
            yield ds[i]

    return ClipSet(gen(), n, {"dataset": ds.format_name, "root": str(root), "split": ds.split, "clips": n})
