"""Tiny moving-shape clips for the train and eval tests (and their one-thread fixture): coloured discs on a textured background gliding past each
other and behind a static bar, with exact amodal and visible masks. Not a data generator for real training."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
import torch

from amodal_vos.data.sample import Clip, ObjectTrack


@pytest.fixture(autouse=True)
def one_torch_thread():
    """One torch thread in the train and eval tests: on a shared 2-core machine two threads stall waiting for each
    other whenever another job holds a core (measured here: 5.5 s vs 0.6 s per training step); idle, one costs little."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def make_clip(
    rng: np.random.Generator, num_frames: int = 4, size: tuple[int, int] = (64, 64), objects: int = 2
) -> Clip:
    """Discs (radius 7-11 px) moving 1-3 px per frame, back to front in list order, plus a vertical bar in front of
    all of them in every other clip."""
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w]
    frames = np.empty((num_frames, h, w, 3), np.uint8)
    background = rng.integers(20, 60, size=(h, w, 3)).astype(np.uint8)
    frames[:] = background
    amodal = np.zeros((objects, num_frames, h, w), bool)
    pos = rng.uniform([12, 12], [w - 12, h - 12], size=(objects, 2))
    vel = rng.uniform(-3, 3, size=(objects, 2))
    radius = rng.uniform(7, 11, size=objects)
    colours = rng.integers(90, 255, size=(objects, 3))
    for t in range(num_frames):
        for k in range(objects):
            cx, cy = pos[k] + t * vel[k]
            amodal[k, t] = (xx - cx) ** 2 + (yy - cy) ** 2 <= radius[k] ** 2
    bar = np.zeros((h, w), bool)
    if rng.random() < 0.5:
        x0 = int(rng.integers(w // 4, 3 * w // 4))
        bar[:, x0 : x0 + int(rng.integers(4, 8))] = True
    visible = amodal.copy()
    for k in range(objects):
        in_front = amodal[k + 1 :].any(axis=0) if k + 1 < objects else np.zeros_like(amodal[k])
        visible[k] &= ~in_front & ~bar[None]
    for t in range(num_frames):
        for k in range(objects):
            frames[t][amodal[k, t]] = colours[k]
        frames[t][bar] = (200, 200, 200)
    tracks = [ObjectTrack(k + 1, amodal[k], visible[k]) for k in range(objects)]
    return Clip(frames=frames, objects=tracks, source="shapes", clip_id=str(rng.integers(1 << 30)))


class ShapesSource:
    """A clip source for the trainer: ``sample(rng, num_frames) -> Clip``. With the environment variable
    SHAPES_KILL_AFTER=N it SIGKILLs its own process on the N+1-th clip (the resume test's crash)."""

    def __init__(self, size: int = 64, objects: int = 2) -> None:
        self.size = (size, size)
        self.objects = objects
        self.served = 0
        self.kill_after = int(os.environ.get("SHAPES_KILL_AFTER", "0"))

    def sample(self, rng: np.random.Generator, num_frames: int) -> Clip:
        if self.kill_after and self.served >= self.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        self.served += 1
        return make_clip(rng, num_frames, self.size, self.objects)

    def __repr__(self) -> str:
        return "shapes"


def make_source(size: int = 64, objects: int = 2) -> ShapesSource:
    """Entry point for recipes: data: {kind: python, target: "tests/train/shapes.py:make_source"}."""
    return ShapesSource(size, objects)
