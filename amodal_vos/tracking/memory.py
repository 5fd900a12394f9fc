"""A pruned SAM-2 memory bank: entries that memory attention can no longer read are dropped as tracking goes on.

In eval mode SAM2Base reads, besides the conditioning (prompted) frames, the non-conditioning entries of the last
``num_maskmem - 1`` frames (spread by ``memory_temporal_stride_for_eval``) and the object pointers of the last
``max_obj_ptrs_in_encoder - 1`` frames. Older entries are never read again, so dropping them leaves every mask
bit-identical while memory stays flat in video length (tests/tracking/test_memory.py checks both).

``copy`` and ``take`` let the interactive predictor (predictor.py) keep a bank as it was after a frame and restart
from it, or give one object of a batched bank a bank of its own when it is corrected: entries are never changed in
place, so a copy shares their tensors and costs only the two small dicts.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from amodal_vos.model import AmodalSAM2, memory_entry, new_memory


def uses_memory(model: AmodalSAM2) -> bool:
    """Whether trackers read the model's memory bank: its config's ``track_memory`` (default true). A model that
    segments best from its prior box alone says false (docs/tracking.md: tracking without memory)."""
    config = getattr(model, "config", None)
    return True if config is None else bool(config.get("track_memory", True))


def memory_horizon(model: AmodalSAM2) -> int:
    """The furthest distance (in frames, along the tracking direction) at which an entry is still read."""
    stride = max(1, int(model.memory_temporal_stride_for_eval))
    masks = (model.num_maskmem - 2) * stride + 1 if model.num_maskmem >= 2 else 0
    pointers = model.max_obj_ptrs_in_encoder - 1 if model.use_obj_ptrs_in_encoder else 0
    return max(masks, pointers, 1)


class MemoryBank:
    """The memory of one group of objects (batched tensors, as SAM2Base expects). ``horizon=None`` keeps all."""

    def __init__(self, horizon: int | None) -> None:
        self.memory = new_memory()
        self.horizon = horizon
        self.peak_entries = 0

    def __len__(self) -> int:
        return len(self.memory["cond_frame_outputs"]) + len(self.memory["non_cond_frame_outputs"])

    def add(self, frame_idx: int, out: dict, is_cond: bool, reverse: bool = False) -> None:
        """Store what later frames read of ``out`` and drop the entries now beyond the horizon."""
        key = "cond_frame_outputs" if is_cond else "non_cond_frame_outputs"
        self.memory[key][frame_idx] = memory_entry(out)
        if self.horizon is not None:
            sign = -1 if reverse else 1
            # the next frame (frame_idx + sign) reads entries up to ``horizon`` frames back from itself
            stale = [
                t for t in self.memory["non_cond_frame_outputs"] if (frame_idx - t) * sign >= self.horizon
            ]
            for t in stale:
                del self.memory["non_cond_frame_outputs"][t]
        self.peak_entries = max(self.peak_entries, len(self))

    def copy(self) -> MemoryBank:
        """The bank as it is now: later ``add`` calls on either leave the other unchanged (tensors are shared)."""
        bank = MemoryBank(self.horizon)
        bank.memory = {key: dict(entries) for key, entries in self.memory.items()}
        bank.peak_entries = self.peak_entries
        return bank

    def take(self, index: Sequence[int], size: int) -> MemoryBank:
        """The entries of some objects of this batched bank (``size`` objects), as a bank of their own."""
        index = list(index)
        if index == list(range(size)):
            return self.copy()
        bank = MemoryBank(self.horizon)
        bank.memory = {
            key: {t: _take_entry(entry, index) for t, entry in entries.items()}
            for key, entries in self.memory.items()
        }
        bank.peak_entries = self.peak_entries
        return bank


def _take_entry(entry: dict, index: list[int]) -> dict:
    """One memory entry (``memory_entry``) restricted to some batch rows."""
    rows = torch.tensor(index)

    def pick(value):
        if value is None:
            return None
        if isinstance(value, (list, tuple)):
            return [pick(v) for v in value]
        return value.index_select(0, rows.to(value.device))

    return {key: pick(value) for key, value in entry.items()}
