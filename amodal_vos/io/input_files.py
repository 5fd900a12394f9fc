"""Reading the small text inputs a user hands us (masks JSON, prompts file, detections, manifest) with one-line
errors: a missing file, an unreadable one, one that is not UTF-8 text, or (JSON) not valid JSON."""

from __future__ import annotations

import json
from pathlib import Path

from amodal_vos.errors import UserError


def read_text(path: str | Path, what: str) -> str:
    """The text of ``path``; ``what`` names the file in the error ("prompts file", "manifest", ...)."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"cannot read {what} {path}: {err}") from None


def read_json(path: str | Path, what: str) -> object:
    """The parsed JSON of ``path``, with read_text's errors and one for text that is not JSON."""
    text = read_text(path, what)
    try:
        return json.loads(text)
    except ValueError as err:
        raise UserError(f"cannot read {what} {path}: {err}") from None
