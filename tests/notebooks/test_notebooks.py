"""The notebooks run headless (nbclient) with small parameters, and are kept in git without outputs."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _load(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def run_notebook(name: str, params: dict, workdir: Path) -> nbformat.NotebookNode:
    """Execute a notebook with its cell tagged 'parameters' replaced by ``params``; returns the executed notebook."""
    nb = _load(name)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{name} needs exactly one cell tagged 'parameters'"
    cells[0].source = "\n".join(f"{k} = {v!r}" for k, v in params.items())
    env_before = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = "1"  # the kernel inherits it: one torch thread, as the other tests use
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    finally:
        if env_before is None:
            os.environ.pop("OMP_NUM_THREADS")
        else:
            os.environ["OMP_NUM_THREADS"] = env_before
    return nb


def _text(nb: nbformat.NotebookNode) -> str:
    return "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def _images(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_notebooks_are_committed_without_outputs(name):
    for cell in _load(name).cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name} has outputs: clear them"


def test_inspect_frames_runs_headless(tmp_path):
    nb = run_notebook("inspect_frames.ipynb", {"CHECKPOINT": None, "OUT": str(tmp_path), "VIDEO": None, "BOXES": [], "SLIDER": False}, tmp_path)
    assert "tracked 2 objects over 64 frames" in _text(nb)
    assert (tmp_path / "demo_clip.mp4").is_file()
    assert _images(nb) == 4  # three frames side by side, then the plots over time


def test_train_small_runs_headless(tmp_path):
    out = tmp_path / "run"
    nb = run_notebook("train_small.ipynb", {"ITERS": 10, "OUT": str(out)}, tmp_path)
    assert (out / "model.safetensors").is_file()
    assert "loss: first" in _text(nb) and _images(nb) == 1
