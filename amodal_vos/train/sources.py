"""Where training clips come from: a recipe's ``data`` spec -> a source with ``sample(rng, num_frames) -> Clip``
(amodal_vos.data's sources, built from YAML).

Kinds: ``synthetic`` (SynthConfig fields; clips generated on the fly), ``realistic`` (RealisticConfig fields;
photo backgrounds, clip art and shapes generated on the fly; needs the packages of amodal_vos.data.assets), any
dataset format of amodal_vos.data (``fishbowl``, ``movid-a``, ``kins``, ... with ``root`` and ``split``), ``taos``
(TAOSConfig fields; occlusions pasted onto a modal image dataset, ``format`` sa1b by default), ``mix`` (weighted
``sources``) and ``python`` (``target: "module:function"`` or ``"file.py:function"`` returning a source; for
custom data and tests).
All randomness comes from the ``rng`` passed in, so a sample is a function of its seed.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from pathlib import Path

import numpy as np

from amodal_vos.data.sample import Clip
from amodal_vos.errors import UserError
from amodal_vos.train.settings import settings_from_dict


def _dataset(fmt: str, root: str | None, split: str | None, **kwargs):
    if not root:
        raise UserError(f"data source '{fmt}' needs a dataset folder: pass --data-root DIR")
    from amodal_vos.data.registry import open_dataset

    return open_dataset(fmt, root, split, **kwargs)


def dataset_source(fmt: str, root: str | None, split: str | None = None, **kwargs):
    """Random windows of random items of an amodal_vos.data dataset."""
    from amodal_vos.data.sampler import DatasetSource

    return DatasetSource(_dataset(fmt, root, split, **kwargs))


def synthetic_source(**cfg):
    """FISHBOWL-like clips generated in memory, one per draw (amodal_vos.data.synthetic)."""
    from amodal_vos.data.sampler import SyntheticSource
    from amodal_vos.data.synthetic import SynthConfig

    return SyntheticSource(settings_from_dict(SynthConfig, cfg, "synthetic data"))


def realistic_source(**cfg):
    """Real-looking clips generated in memory, one per draw (amodal_vos.data.realistic); the asset packages are
    checked here, so a missing install is reported before training starts."""
    from amodal_vos.data import assets
    from amodal_vos.data.realistic import RealisticConfig, generate_realistic_clip
    from amodal_vos.data.sampler import SyntheticSource

    settings = settings_from_dict(RealisticConfig, cfg, "realistic data")
    assets.photo_paths()  # a UserError naming the apt-get command when the packages are missing
    assets.clipart_paths()
    return SyntheticSource(settings, generate_realistic_clip)


def taos_source(root: str | None, format: str = "sa1b", split: str | None = None, max_side: int = 512, **cfg):
    """Target-aware occlusion synthesis over a modal image dataset (amodal_vos.data.taos); 1-frame clips that keep
    the unoccluded image for the discriminator."""
    from amodal_vos.data.taos import TAOSConfig, TAOSSource

    return TAOSSource(
        [_dataset(format, root, split)], settings_from_dict(TAOSConfig, cfg, "TAOS"), max_side=max_side
    )


class MixSource:
    """Draws each clip from one of several sources with fixed probabilities (joint image-video training)."""

    def __init__(self, sources: list[dict]) -> None:
        if not sources:
            raise UserError("a 'mix' data source needs a non-empty 'sources' list")
        weights = np.array([float(s.get("weight", 1.0)) for s in sources])
        if (weights < 0).any() or weights.sum() <= 0:
            raise UserError("'mix' source weights must be >= 0 with a positive sum")
        self.probs = weights / weights.sum()
        self.sources = [build_source({k: v for k, v in s.items() if k != "weight"}) for s in sources]

    def sample(self, rng: np.random.Generator, num_frames: int) -> Clip:
        return self.sources[int(rng.choice(len(self.sources), p=self.probs))].sample(rng, num_frames)

    def __repr__(self) -> str:
        return "mix(" + ", ".join(f"{p:.2f}:{s}" for p, s in zip(self.probs, self.sources, strict=True)) + ")"


def _load_callable(target: str) -> Callable:
    module, _, func = target.rpartition(":")
    if not module or not func:
        raise UserError(
            f"python data source target must be 'module:function' or 'file.py:function', got {target!r}"
        )
    if module.endswith(".py"):
        path = Path(module)
        if not path.is_file():
            raise UserError(f"python data source file not found: {path}")
        spec = importlib.util.spec_from_file_location(f"amodal_vos_user_source_{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    else:
        mod = importlib.import_module(module)
    if not hasattr(mod, func):
        raise UserError(f"{module} has no function {func!r}")
    return getattr(mod, func)


def build_source(spec: dict):
    """A clip source from a recipe's data spec (see the module docstring for the kinds)."""
    spec = dict(spec)
    kind = str(spec.pop("kind", "")).lower()
    if kind == "synthetic":
        return synthetic_source(**spec)
    if kind == "realistic":
        return realistic_source(**spec)
    if kind == "mix":
        return MixSource(list(spec.get("sources") or []))
    if kind == "taos":
        return taos_source(**spec)
    if kind == "python":
        return _load_callable(str(spec.pop("target", "")))(**spec.get("args", {}))
    if not kind:
        raise UserError(f"data spec {spec} has no 'kind'")
    root = spec.pop("root", None)
    split = spec.pop("split", None)
    return dataset_source(kind, root, split, **spec)
