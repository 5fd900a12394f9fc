"""Training recipes: YAML files in configs/train/ (shipped as amodal_vos.configs) or any path, resolved into
stages of objectives.

A recipe has top-level settings (model, init, seed, data, save/log cadence), ``defaults`` merged into every stage,
and ``stages`` run one after another from one command. A stage's keys that are not stage settings (batch, frames,
data, prompts, targets, losses, spec_jitter, spec_drop, crop_jitter, memory) are defaults for its objectives; each
objective names its target (amodal or visible masks) and whether the adapters are on. ``${data_root}`` in a recipe
is the --data-root option.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml
from omegaconf import DictConfig, OmegaConf

from amodal_vos.errors import UserError
from amodal_vos.model.freeze import FREEZE_PRESETS
from amodal_vos.train.batch import TargetRules
from amodal_vos.train.objective import TARGETS, LossConfig

STAGE_KEYS = {
    "name",
    "iters",
    "freeze",
    "lr",
    "lr_end",
    "adapter_lr_scale",
    "warmup",
    "weight_decay",
    "grad_clip",
    "disc",
    "objectives",
}
OBJECTIVE_KEYS = {
    "batch",
    "frames",
    "data",
    "prompts",
    "targets",
    "losses",
    "spec_jitter",
    "spec_drop",
    "crop_jitter",
    "memory",
}


@dataclass
class ObjectiveSpec:
    """One loss evaluated every step of a stage, on its own batch of ``batch`` clips of ``frames`` frames."""

    name: str
    target: str
    adapters: bool
    weight: float
    batch: int
    frames: int
    data: dict
    prompts: dict
    targets: TargetRules
    losses: LossConfig
    spec_jitter: float
    crop_jitter: float = (
        0.0  # search-region models: crop centre shift / log-scale noise, share of the box size
    )
    spec_drop: float = (
        0.0  # share of later frames whose Mspec covers the whole input (memory must find the object)
    )
    memory: bool = (
        True  # False: later frames are box-prompted from their prior box, no memory (tracker memory=False)
    )


@dataclass
class StageSpec:
    name: str
    iters: int
    freeze: str
    lr: float
    lr_end: float
    adapter_lr_scale: float  # adapters' learning rate relative to the rest
    warmup: int
    weight_decay: float
    grad_clip: float
    disc: dict
    objectives: list[ObjectiveSpec]


@dataclass
class Recipe:
    name: str
    model: dict
    init: str
    seed: int
    save_every: int
    log_every: int
    stages: list[StageSpec]
    raw: dict = field(default_factory=dict)  # the resolved YAML, kept in checkpoint metadata
    fresh_adapters: bool = False  # load ``init`` without its adapters (setup.load_init)

    @property
    def total_iters(self) -> int:
        return sum(s.iters for s in self.stages)

    def stage_at(self, iteration: int) -> tuple[int, int]:
        """(stage index, first global iteration of that stage) for a global iteration."""
        start = 0
        for i, stage in enumerate(self.stages):
            if iteration < start + stage.iters:
                return i, start
            start += stage.iters
        return len(self.stages) - 1, start - self.stages[-1].iters


def _recipe_dir():
    return resources.files("amodal_vos.configs") / "train"


def list_recipes() -> list[str]:
    """Names of the shipped recipes."""
    folder = _recipe_dir()
    if not folder.is_dir():
        return []
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def _load_yaml(name_or_path: str | Path) -> DictConfig:
    path = Path(str(name_or_path))
    if path.suffix in (".yaml", ".yml") and path.is_file():
        cfg = OmegaConf.load(path)
        cfg.setdefault("name", path.stem)
        return cfg
    if str(name_or_path) in list_recipes():
        cfg = OmegaConf.load(str(_recipe_dir() / f"{name_or_path}.yaml"))
        cfg.setdefault("name", str(name_or_path))
        return cfg
    raise UserError(
        f"unknown recipe {str(name_or_path)!r}: give a YAML file or one of {', '.join(list_recipes())}"
    )


def _share(value, what: str) -> float:
    """A probability from a recipe, or a one-line error."""
    try:
        share = float(value)
    except (TypeError, ValueError):
        share = -1.0
    if not 0.0 <= share <= 1.0:
        raise UserError(f"{what} must be a number from 0 to 1, got {value!r}")
    return share


def _objective(stage_cfg: dict, obj: dict, index: int, stage_name: str) -> ObjectiveSpec:
    merged = {k: stage_cfg[k] for k in OBJECTIVE_KEYS if k in stage_cfg}
    merged.update(obj)
    where = f"stage {stage_name!r} objective {index}"
    target = merged.get("target", "amodal")
    if target not in TARGETS:
        raise UserError(f"{where}: target must be one of {TARGETS}, got {target!r}")
    for key in ("batch", "frames"):
        if int(merged.get(key, 0)) < 1:
            raise UserError(f"{where}: '{key}' must be a positive integer")
    if "data" not in merged:
        raise UserError(f"{where}: no data source (set 'data' in the recipe)")
    return ObjectiveSpec(
        name=str(merged.get("name", target)),
        target=target,
        adapters=bool(merged.get("adapters", target == "amodal")),
        weight=float(merged.get("weight", 1.0)),
        batch=int(merged["batch"]),
        frames=int(merged["frames"]),
        data=dict(merged["data"]),
        prompts=dict(merged.get("prompts", {"box": 1.0})),
        targets=TargetRules.from_dict(merged.get("targets")),
        losses=LossConfig.from_dict(merged.get("losses")),
        spec_jitter=float(merged.get("spec_jitter", 0.0)),
        crop_jitter=float(merged.get("crop_jitter", 0.0)),
        spec_drop=_share(merged.get("spec_drop", 0.0), f"{where}: spec_drop"),
        memory=bool(merged.get("memory", True)),
    )


def _stage(cfg: dict, index: int) -> StageSpec:
    name = str(cfg.get("name", f"stage{index}"))
    unknown = set(cfg) - STAGE_KEYS - OBJECTIVE_KEYS
    if unknown:
        raise UserError(f"stage {name!r}: unknown setting(s) {sorted(unknown)}")
    if int(cfg.get("iters", 0)) < 1:
        raise UserError(f"stage {name!r}: 'iters' must be a positive integer")
    freeze = str(cfg.get("freeze", "full"))
    if freeze not in FREEZE_PRESETS:
        raise UserError(f"stage {name!r}: freeze must be one of {FREEZE_PRESETS}, got {freeze!r}")
    objectives = [_objective(cfg, dict(o), i, name) for i, o in enumerate(cfg.get("objectives") or [])]
    if not objectives:
        raise UserError(f"stage {name!r} has no objectives")
    lr = float(cfg.get("lr", 1e-4))
    return StageSpec(
        name=name,
        iters=int(cfg["iters"]),
        freeze=freeze,
        lr=lr,
        lr_end=float(cfg.get("lr_end", lr)),
        adapter_lr_scale=float(cfg.get("adapter_lr_scale", 1.0)),
        warmup=int(cfg.get("warmup", 0)),
        weight_decay=float(cfg.get("weight_decay", 0.01)),
        grad_clip=float(cfg.get("grad_clip", 0.0)),
        disc=dict(cfg.get("disc") or {}),
        objectives=objectives,
    )


def scale_iters(iters: list[int], total: int) -> list[int]:
    """Split ``total`` iterations over stages in the proportions of ``iters`` (each stage at least 1)."""
    if total < len(iters):
        raise UserError(f"--iters {total} is fewer than the recipe's {len(iters)} stages")
    whole = sum(iters)
    extra = total - len(iters)  # every stage gets 1, the rest goes by largest remainder
    shares = [extra * n / whole for n in iters]
    out = [1 + int(x) for x in shares]
    for i in sorted(range(len(iters)), key=lambda i: int(shares[i]) - shares[i])[: total - sum(out)]:
        out[i] += 1
    return out


def load_recipe(
    name_or_path: str | Path,
    data_root: str | None = None,
    iters: int | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    stages: list[str] | None = None,
) -> Recipe:
    """Load, override (``key.path=value``, list indices allowed: ``stages.2.iters=500``), resolve and validate.
    ``stages`` keeps only the named stages (e.g. the amodal stage alone, from a base checkpoint given as init);
    ``iters`` then splits over those."""
    cfg = _load_yaml(name_or_path)
    cfg.data_root = (
        str(data_root) if data_root else cfg.get("data_root") or "???"
    )  # ??? = missing: asked for below
    for item in overrides:
        if "=" not in item:
            raise UserError(f"bad recipe override {item!r}: expected key=value")
        key, value = item.split("=", 1)
        try:
            OmegaConf.update(cfg, key, yaml.safe_load(value) if value else None, force_add=True)
        except Exception as err:
            raise UserError(f"bad recipe override {item!r}: {err}") from None
    try:
        raw = OmegaConf.to_container(cfg, resolve=True)
    except Exception as err:
        if "data_root" in str(err):
            raise UserError(f"recipe {cfg.get('name')!r} reads a dataset: pass --data-root DIR") from None
        raise UserError(f"recipe {cfg.get('name')!r}: {str(err).splitlines()[0]}") from None
    defaults = raw.get("defaults") or {}
    if "data" in raw:
        defaults.setdefault("data", raw["data"])
    names = stages
    stages = [_stage({**defaults, **(s or {})}, i) for i, s in enumerate(raw.get("stages") or [])]
    if not stages:
        raise UserError(f"recipe {raw.get('name')!r} has no stages")
    if names:
        known = [s.name for s in stages]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise UserError(
                f"recipe {raw.get('name')!r} has no stage(s) {unknown}; its stages: {', '.join(known)}"
            )
        stages = [s for s in stages if s.name in names]
    if iters is not None:
        for stage, n in zip(stages, scale_iters([s.iters for s in stages], int(iters)), strict=True):
            stage.iters = n
    return Recipe(
        name=str(raw.get("name")),
        model=dict(raw.get("model") or {"config": "small"}),
        init=str(raw.get("init") or "none"),
        seed=int(raw.get("seed", 0)),
        save_every=int(raw.get("save_every", 500)),
        log_every=int(raw.get("log_every", 10)),
        stages=stages,
        raw=raw,
        fresh_adapters=bool(raw.get("fresh_adapters", False)),
    )
