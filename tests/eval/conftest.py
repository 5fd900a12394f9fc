"""Fixtures for the evaluation tests: the moving-shape clips of tests/train/shapes.py and its one-thread fixture."""

from __future__ import annotations

import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

SHAPES_FILE = Path(__file__).parent.parent / "train" / "shapes.py"
_shapes = SimpleNamespace(**runpy.run_path(str(SHAPES_FILE)))  # a file, not a package: loaded by path
one_torch_thread = _shapes.one_torch_thread  # autouse


@pytest.fixture(scope="session")
def shapes():
    return _shapes
