"""Fixtures for the evaluation tests: the moving-shape clips of tests/train/shapes.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

SHAPES_FILE = Path(__file__).parent.parent / "train" / "shapes.py"


@pytest.fixture(scope="session")
def shapes():
    spec = importlib.util.spec_from_file_location("amodal_vos_test_shapes_eval", SHAPES_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
