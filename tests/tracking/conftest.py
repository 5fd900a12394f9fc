"""Fixtures for tracking tests: a generated clip (shapes passing behind a bar) and the small model at 128 px.

Random weights cannot be tested for accuracy; the tests check mechanics. The object-score bias is raised so that
objects count as present and masks are non-empty (with SAM-2's default a random model reports every object absent).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from omegaconf import OmegaConf

from amodal_vos.cli.main import cli
from amodal_vos.io.shapes_video import write_shapes_video
from amodal_vos.model import build_model, load_config
from amodal_vos.tracking import AmodalTracker

FRAMES, HEIGHT, WIDTH, RATE, SIZE = 24, 72, 96, Fraction(12), 128


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """One torch thread: on this shared 2-core machine two spinning OpenMP threads are several times slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def clip(tmp_path_factory):
    """(mp4 path, ground-truth boxes [T, 2, 4] x,y,w,h)."""
    path = tmp_path_factory.mktemp("tracking") / "shapes.mp4"
    return path, write_shapes_video(path, FRAMES, HEIGHT, WIDTH, RATE)


@pytest.fixture(scope="session")
def model():
    torch.manual_seed(0)
    m = build_model("small", image_size=SIZE)
    with torch.no_grad():
        m.sam_mask_decoder.pred_obj_score_head.layers[2].bias += 3.0
        for adapter in m.image_encoder.trunk.sca:  # non-zero adapters, so Mspec changes the features
            torch.nn.init.normal_(adapter.up.weight, std=0.05)
    return m


@pytest.fixture
def tracker(model):
    return AmodalTracker(model, description={"config": "small", "checkpoint": None})


@pytest.fixture(scope="session")
def search_model():
    """A search-region model (model/search.py) with random weights, objects reported present."""
    torch.manual_seed(0)
    m = build_model("small", ["search.context=2.5", "search.max_zoom=4.0"], image_size=SIZE)
    with torch.no_grad():
        m.sam_mask_decoder.pred_obj_score_head.layers[2].bias += 3.0
    return m


@pytest.fixture(scope="session")
def small_yaml(tmp_path_factory):
    """The small config at 128 px as a YAML file (what --config accepts besides shipped names)."""
    path = tmp_path_factory.mktemp("cfg") / "small128.yaml"
    OmegaConf.save(load_config("small", image_size=128), path)
    return path


def invoke(*args):
    """The CLI in-process; arguments may be paths or numbers."""
    return CliRunner().invoke(cli, [str(a) for a in args])


def decode_count(path) -> tuple[int, int, Fraction, int]:
    """(width, height, rate, frames) of a video, decoded with plain PyAV."""
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        n = sum(1 for _ in c.decode(s))
        return s.codec_context.width, s.codec_context.height, s.average_rate, n


def frames_of(path) -> np.ndarray:
    from amodal_vos.io.video import open_video

    return np.stack(list(open_video(path).frames()))
