"""Fixtures for the evaluation tests: the moving-shape clips of tests/train/shapes.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

SHAPES_FILE = Path(__file__).parent.parent / "train" / "shapes.py"


@pytest.fixture(scope="session")
def shapes():
    spec = importlib.util.spec_from_file_location("amodal_vos_test_shapes_eval", SHAPES_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def one_torch_thread():
    """One torch thread in these tests: on a shared 2-core machine two threads stall waiting for each other whenever
    another job holds a core (measured here: 5.5 s vs 0.6 s per training step); idle, one thread costs little."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
