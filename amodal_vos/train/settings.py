"""Typed settings from recipe YAML: a dataclass built from a dict, unknown keys reported as one UserError."""

from __future__ import annotations

from dataclasses import fields
from typing import TypeVar

from amodal_vos.errors import UserError

T = TypeVar("T")
_CASTS = {"int": int, "float": float, "bool": bool, "str": str}


def settings_from_dict(cls: type[T], cfg: dict | None, what: str) -> T:
    """``cls(**cfg)``; scalar fields annotated int/float/bool/str are cast (YAML writes 1e-4 as a string)."""
    cfg = dict(cfg or {})
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(cfg) - set(known))
    if unknown:
        raise UserError(f"unknown {what} setting(s) {unknown}; known: {sorted(known)}")
    values = {}
    for key, value in cfg.items():
        cast = _CASTS.get(str(known[key].type))
        try:
            values[key] = cast(value) if cast and value is not None else value
        except (TypeError, ValueError):
            raise UserError(f"{what} setting {key}={value!r} is not a {known[key].type}") from None
    return cls(**values)
