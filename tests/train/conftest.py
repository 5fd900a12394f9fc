"""Fixtures for the training tests: tiny shape clips (shapes.py) and tiny recipes on them, small config at 64 px."""

from __future__ import annotations

import copy
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

HERE = Path(__file__).parent
SHAPES_FILE = HERE / "shapes.py"
NO_DROPOUT = [
    "model.memory_attention.layer.dropout=0.0",
    "model.memory_attention.layer.self_attention.dropout=0.0",
    "model.memory_attention.layer.cross_attention.dropout=0.0",
]


_shapes = SimpleNamespace(**runpy.run_path(str(SHAPES_FILE)))  # a file, not a package: loaded by path
one_torch_thread = _shapes.one_torch_thread  # autouse


@pytest.fixture(scope="session")
def shapes():
    """The shapes module (make_clip, ShapesSource)."""
    return _shapes


def recipe_dict(stages: list[dict], **top) -> dict:
    """A recipe on shape clips: small config at 64 px, no dropout (so runs compare exactly across processes)."""
    return {
        "name": "test",
        "model": {"config": "small", "image_size": 64, "overrides": NO_DROPOUT},
        "seed": 3,
        "save_every": 2,
        "log_every": 1,
        "data": {"kind": "python", "target": f"{SHAPES_FILE}:make_source", "args": {"size": 64}},
        "defaults": {
            "lr": 1e-3,
            "lr_end": 1e-4,
            "warmup": 1,
            "grad_clip": 1.0,
            "batch": 2,
            "frames": 3,
            "prompts": {
                "box": 1.0,
                "point": 0.3,
                "mask": 0.3,
                "amodal_box": 0.5,
                "box_jitter": 0.05,
                "points": [1, 2],
            },
            "spec_jitter": 0.05,
            "targets": {"min_visible_px": 10, "min_visible_frac": 0.2},
        },
        "stages": stages,
        **top,
    }


AMODAL_STAGE = {
    "name": "amodal",
    "iters": 4,
    "freeze": "full",
    "disc": {"lr": 1e-4, "width": 8},
    "targets": {"min_visible_px": 10, "min_visible_frac": 0.2, "occluded_bias": 0.8},
    "objectives": [
        {
            "name": "amodal",
            "target": "amodal",
            "adapters": True,
            "losses": {"reg": 0.1, "adv": 0.1, "point": 0.5},
        },
        {"name": "visible", "target": "visible", "adapters": False, "weight": 0.5},
    ],
}
IMAGE_STAGE = {
    "name": "image",
    "iters": 3,
    "freeze": "base",
    "frames": 1,
    "batch": 4,
    "objectives": [{"target": "visible", "adapters": False}],
}


@pytest.fixture
def image_stage() -> dict:
    """A 1-frame visible-mask stage (3 steps, batch 4)."""
    return copy.deepcopy(IMAGE_STAGE)


@pytest.fixture
def amodal_stage() -> dict:
    """A 3-frame stage with both objectives and every loss term switched on (4 steps, batch 2)."""
    return copy.deepcopy(AMODAL_STAGE)


@pytest.fixture
def write_recipe(tmp_path):
    """write_recipe(stages, **top) -> path of a recipe YAML in tmp_path."""

    def write(stages: list[dict], **top) -> Path:
        path = tmp_path / f"recipe{len(list(tmp_path.glob('recipe*.yaml')))}.yaml"
        path.write_text(yaml.safe_dump(recipe_dict(stages, **top)))
        return path

    return write
