"""Dataset formats by name: ``open_dataset(format_name, root, split)`` and format autodetection for a folder."""

from __future__ import annotations

import importlib
from pathlib import Path

from amodal_vos.data.base import ClipDataset
from amodal_vos.errors import UserError

# name -> "module:Class"; imported on first use. Order matters for detection (most specific first).
FORMATS: dict[str, str] = {
    "fishbowl": "amodal_vos.data.fishbowl:FishbowlRaw",
    "fishbowl-savos": "amodal_vos.data.fishbowl_savos:FishbowlSavos",
    "movid-a": "amodal_vos.data.movid_a:MoviDA",
    "cocoa-cls": "amodal_vos.data.cocoa:CocoaCls",
    "kins": "amodal_vos.data.kins:Kins",
    "sa1b": "amodal_vos.data.sa1b:SA1B",
    "coco": "amodal_vos.data.coco:CocoInstances",
}


def dataset_class(format_name: str) -> type[ClipDataset]:
    """The loader class of a format name; UserError naming the supported formats for an unknown one."""
    key = format_name.lower().replace("_", "-")
    if key not in FORMATS:
        raise UserError(f"unknown dataset format '{format_name}'; supported: {', '.join(FORMATS)}")
    module, _, cls = FORMATS[key].partition(":")
    return getattr(importlib.import_module(module), cls)


def detect_format(root: str | Path) -> str:
    """The format a folder holds, by its layout; UserError when none (or the folder is missing)."""
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"dataset root not found: {root}")
    for name in FORMATS:
        if dataset_class(name).detect(root):
            return name
    raise UserError(f"cannot tell the dataset format of {root}; pass --format (one of: {', '.join(FORMATS)})")


def open_dataset(
    format_name: str | None, root: str | Path, split: str | None = None, **kwargs
) -> ClipDataset:
    """Open a dataset: ``format_name`` is one of FORMATS, or None to detect it from the layout of ``root``."""
    name = format_name or detect_format(root)
    return dataset_class(name)(root, split, **kwargs)
