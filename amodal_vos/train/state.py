"""The resume file (``state.pt`` in the run folder): everything --resume needs to continue bit-for-bit, as plain
tensors and Python values so it loads with ``torch.load(weights_only=True)``; written atomically (temporary file,
then rename), so a run killed mid-write keeps the previous state.

No RNG state is stored: every random stream is derived from (seed, iteration, ...) (see distributed.py).
"""

from __future__ import annotations

from pathlib import Path

import torch

from amodal_vos.errors import UserError
from amodal_vos.io.atomic import commit, temp_path
from amodal_vos.model.checkpoint import read_torch_file

STATE_FILE = "state.pt"
VERSION = 1


def save_state(out_dir: Path, state: dict) -> Path:
    """Write ``state`` to out_dir/state.pt atomically."""
    path = Path(out_dir) / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path(path)
    torch.save({"version": VERSION, **state}, temp)
    return commit(temp, path)


def load_state(out_dir: Path) -> dict | None:
    """The saved state of a run folder, or None when it has none; UserError when it is unreadable."""
    path = Path(out_dir) / STATE_FILE
    if not path.is_file():
        return None
    state = read_torch_file(path, "the resume file")
    if not isinstance(state, dict) or state.get("version") != VERSION:
        raise UserError(f"{path} is not an amodal-vos resume file of version {VERSION}")
    return state


def cpu_state_dict(module: torch.nn.Module) -> dict:
    """A detached CPU copy of a module's state dict (safe to keep while training goes on)."""
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


def optimizer_state(optimizer: torch.optim.Optimizer) -> dict:
    """The optimizer's state dict with tensors moved to CPU."""
    sd = optimizer.state_dict()
    return {
        "state": {
            k: {n: v.cpu() if torch.is_tensor(v) else v for n, v in s.items()} for k, s in sd["state"].items()
        },
        "param_groups": sd["param_groups"],
    }
