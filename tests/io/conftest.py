"""Fixtures for io tests: a generated clip of shapes passing behind a bar, as an mp4 and as a frame folder."""

from __future__ import annotations

from fractions import Fraction

import pytest

from amodal_vos.io.shapes_video import shapes_frames, write_shapes_video

FRAMES, HEIGHT, WIDTH, RATE = 20, 48, 64, Fraction(12)


@pytest.fixture(scope="session")
def shapes_mp4(tmp_path_factory):
    path = tmp_path_factory.mktemp("io") / "shapes.mp4"
    write_shapes_video(path, FRAMES, HEIGHT, WIDTH, RATE)
    return path


@pytest.fixture(scope="session")
def shapes_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("io") / "frames"
    write_shapes_video(path, 6, HEIGHT, WIDTH)
    return path


@pytest.fixture(scope="session")
def raw_frames():
    return [frame for frame, _ in shapes_frames(FRAMES, HEIGHT, WIDTH)]
