"""Output paths: checked before any work starts, written under a temporary name, renamed into place when complete.

A reader never sees a half-written file under the final name; an interrupted run still renames what it finished
(a valid, shorter file) while a failed run removes its temporary files.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from amodal_vos.errors import UserError


def temp_path(path: str | Path) -> Path:
    """The temporary name a file or folder is written under: ``out.mp4`` -> ``out.partial.mp4`` (same suffix, so
    the container format is still recognised)."""
    path = Path(path)
    return path.with_name(f"{path.stem}.partial{path.suffix}")


def check_output(path: str | Path, force: bool = False, kind: str = "file") -> Path:
    """Raise a UserError unless ``path`` can be written: no existing output without ``force``, no directory in the
    way of a file, a parent folder that can be created and written to."""
    path = Path(path)
    if path.exists():
        if kind == "file" and path.is_dir():
            raise UserError(f"output {path} is a directory")
        if kind == "folder" and not path.is_dir():
            raise UserError(f"output folder {path} exists and is not a folder")
        if not force:
            raise UserError(f"output {path} already exists (pass --force to overwrite)")
    parent = path.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"cannot write output {path}: {err.strerror or err}") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise UserError(f"cannot write output {path}: folder {parent} is not writable")
    return path


def commit(temp: Path, path: Path) -> Path:
    """Move a finished temporary file or folder to its final name (replacing an older output)."""
    if temp.is_dir():
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    os.replace(temp, path)
    return path


def discard(temp: Path) -> None:
    """Remove a temporary file or folder (a failed run leaves nothing behind)."""
    if temp.is_dir():
        shutil.rmtree(temp, ignore_errors=True)
    elif temp.exists():
        temp.unlink()
