"""Joint image-video sampling (Amodal SAM III-E): draw each training clip from one of several sources in configured
ratios. Videos give T consecutive frames, images 1-frame clips; optionally every clip is resized to S x S.

A source is anything with ``sample(rng, num_frames) -> Clip`` and an ``is_video`` flag: ``DatasetSource`` wraps a
loader, ``SyntheticSource`` an on-the-fly generator (fish or realistic), ``amodal_vos.data.taos.TAOSSource`` TAOS pairs.
``MixedSampler.clip_at(iteration, rank)`` derives its randomness from (seed, iteration, rank) only, so a resumed or
distributed run sees the same data order as an uninterrupted one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any, Protocol

import numpy as np

from amodal_vos.data.base import ClipDataset
from amodal_vos.data.clips import resize_clip
from amodal_vos.data.sample import Clip
from amodal_vos.data.synthetic import SynthConfig, generate_clip
from amodal_vos.errors import UserError


class ClipSource(Protocol):
    is_video: bool

    def sample(self, rng: np.random.Generator, num_frames: int) -> Clip: ...


class DatasetSource:
    """Random items of a loader: a random window of ``num_frames`` frames for videos, the image for images."""

    def __init__(self, dataset: ClipDataset) -> None:
        if len(dataset) == 0:
            raise UserError(f"{dataset.format_name}: the dataset is empty")
        self.dataset = dataset
        self.is_video = dataset.is_video

    def sample(self, rng: np.random.Generator, num_frames: int) -> Clip:
        return self.dataset.sample_clip(int(rng.integers(len(self.dataset))), num_frames, rng)


class SyntheticSource:
    """Synthetic clips generated on the fly (``num_frames`` overrides the config's length): the fish generator by
    default, or ``generator(rng, cfg) -> Clip`` with its own config dataclass (e.g. the realistic generator)."""

    is_video = True

    def __init__(self, cfg=None, generator: Callable[[np.random.Generator, Any], Clip] | None = None) -> None:
        self.cfg = cfg or SynthConfig()
        self.generator = generator or generate_clip

    def sample(self, rng: np.random.Generator, num_frames: int) -> Clip:
        cfg = self.cfg if num_frames == self.cfg.num_frames else replace(self.cfg, num_frames=num_frames)
        return self.generator(rng, cfg)


def has_target(clip: Clip, min_px: int = 1) -> bool:
    """Whether some object is visible on the clip's first frame (a box prompt exists)."""
    return any(o.visible[0].sum() >= min_px for o in clip.objects)


class MixedSampler:
    """Clips drawn from ``sources`` with probabilities proportional to ``weights``.

    ``num_frames``: T for video sources (images stay 1 frame); ``size``: resize every clip to S x S (None keeps
    it); ``min_target_px``: redraw (up to ``retries`` times) clips whose first frame shows no object with at
    least that many visible pixels, since a training target needs a prompt there.
    """

    def __init__(
        self,
        sources: Sequence[ClipSource],
        weights: Sequence[float] | None = None,
        num_frames: int = 8,
        size: int | None = None,
        seed: int = 0,
        min_target_px: int = 1,
        retries: int = 20,
    ) -> None:
        if not sources:
            raise UserError("the sampler needs at least one source")
        w = np.ones(len(sources)) if weights is None else np.asarray(weights, np.float64)
        if len(w) != len(sources) or (w < 0).any() or w.sum() <= 0:
            raise UserError(
                f"sampler weights must be {len(sources)} non-negative numbers with a positive sum"
            )
        self.sources = list(sources)
        self.probs = w / w.sum()
        self.num_frames = int(num_frames)
        self.size = size
        self.seed = int(seed)
        self.min_target_px = min_target_px
        self.retries = retries

    def sample(self, rng: np.random.Generator) -> Clip:
        """One clip from a source chosen by weight, redrawn while it has no first-frame target."""
        for _ in range(self.retries):
            src = self.sources[int(rng.choice(len(self.sources), p=self.probs))]
            clip = src.sample(rng, self.num_frames if src.is_video else 1)
            if self.min_target_px <= 0 or has_target(clip, self.min_target_px):
                return clip if self.size is None else resize_clip(clip, self.size)
        raise UserError(f"no clip with a visible object on its first frame in {self.retries} draws")

    def clip_at(self, iteration: int, rank: int = 0) -> Clip:
        """The clip of a given training iteration and process rank (a function of seed, iteration, rank only)."""
        return self.sample(np.random.default_rng([self.seed, int(iteration), int(rank)]))

    def __iter__(self) -> Iterator[Clip]:
        it = 0
        while True:
            yield self.clip_at(it)
            it += 1
