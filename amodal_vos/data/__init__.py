"""Datasets for amodal training and evaluation: loaders (one module per format), TAOS occlusion synthesis, the
synthetic FISHBOWL-format generator, joint image-video sampling. Everything returns ``Clip`` (data/sample.py).

The names below are imported lazily so that ``amodal_vos.data.sample`` stays cheap to import.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Clip": "sample",
    "ObjectTrack": "sample",
    "ClipDataset": "base",
    "open_dataset": "registry",
    "detect_format": "registry",
    "FORMATS": "registry",
    "resize_clip": "clips",
    "MixedSampler": "sampler",
    "DatasetSource": "sampler",
    "SyntheticSource": "sampler",
    "SynthConfig": "synthetic",
    "generate_clip": "synthetic",
    "write_fishbowl": "fishbowl_writer",
    "TAOSConfig": "taos",
    "TAOSSource": "taos",
    "synthesize": "taos",
    "dataset_stats": "stats",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
