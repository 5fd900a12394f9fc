"""Output paths: checked before any work starts, written under a temporary name, renamed into place when complete.

A reader never sees a half-written file under the final name; an interrupted run still renames what it finished
(a valid, shorter file) while a failed run removes its temporary files.

Temporary names are unique to the process and the call (``out.mp4`` -> ``out.tmp-<pid>-<random>.mp4``), so two
runs writing the same output never share one, and a file that merely looks like a temporary is never touched.
``commit_all`` renames a set of temporaries (overlay, JSON, PNG folder) together, under a lock of their folders,
and puts the earlier set back if one rename fails.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

from amodal_vos.errors import UserError

try:  # POSIX: commits of concurrent runs into one folder are serialised with flock on the folder
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


def _unique(path: Path, tag: str) -> Path:
    """A name beside ``path`` that does not exist yet: ``stem.<tag>-<pid>-<random><suffix>``."""
    while True:
        token = f"{os.getpid()}-{secrets.token_hex(3)}"
        candidate = path.with_name(f"{path.stem}.{tag}-{token}{path.suffix}")
        if not os.path.lexists(candidate):
            return candidate


def temp_path(path: str | Path) -> Path:
    """The temporary name a file or folder is written under: ``out.mp4`` -> ``out.tmp-<pid>-<random>.mp4`` (same
    suffix, so the container format is still recognised); unique to this call and never an existing path."""
    return _unique(Path(path), "tmp")


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
    commit_all([(Path(temp), Path(path))], replace=True)
    return Path(path)


class OutputTaken(UserError):
    """An output appeared under its final name while this run was writing (another run?); nothing was replaced."""


@contextlib.contextmanager
def _locked(folders: Sequence[Path]) -> Iterator[None]:
    """Hold an exclusive flock on each folder (sorted, so two processes never deadlock); no-op without fcntl."""
    fds = []
    try:
        for folder in sorted({str(Path(f).absolute()) for f in folders}):
            if fcntl is None:
                break
            try:
                fd = os.open(folder, os.O_RDONLY)
            except OSError:
                continue
            fds.append(fd)
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)  # closing releases the lock


def commit_all(pairs: Sequence[tuple[Path, Path]], replace: bool = False) -> list[Path]:
    """Rename every (temporary, final) pair, as one set. Without ``replace`` an existing final name is an
    OutputTaken error and nothing is renamed; with it the earlier outputs are moved aside first and removed only
    once the whole new set is in place. If a rename fails, the new files renamed so far are removed and the earlier
    ones put back, and the error is a UserError. Returns the final paths."""
    pairs = [(Path(t), Path(p)) for t, p in pairs]
    with _locked([p.absolute().parent for _, p in pairs]):
        taken = [p for _, p in pairs if os.path.lexists(p)]
        if taken and not replace:
            raise OutputTaken(
                f"output {taken[0]} was created while this run was writing (another run writing the same "
                "output?); it was not replaced (pass --force to overwrite)"
            )
        aside: list[tuple[Path, Path]] = []
        done: list[Path] = []
        try:
            for temp, path in pairs:
                if os.path.lexists(path):
                    old = _unique(path, "old")
                    if _keep_aside(path, old):  # a file stays in place until os.replace swaps it atomically
                        aside.append((path, old))
                        os.replace(temp, path)
                        done.append(path)
                        continue
                    os.rename(path, old)
                    aside.append((path, old))
                os.rename(temp, path)
                done.append(path)
        except OSError as err:
            message = f"cannot move {temp} to {path}: {err.strerror or err}"
            kept = {p for p, _ in aside}
            for new in done:
                if new not in kept:
                    discard(new)
            for final, old in reversed(aside):
                with contextlib.suppress(OSError):
                    if os.path.lexists(final) and os.path.samefile(final, old):
                        os.unlink(old)  # never replaced: the second name goes (rename would do nothing)
                        continue
                    if os.path.isdir(final) and not os.path.islink(final):
                        discard(final)
                    os.replace(old, final)
            raise UserError(f"{message}; the earlier outputs were left in place") from None
        for _, old in aside:
            discard(old)
    return [p for _, p in pairs]


def _keep_aside(path: Path, old: Path) -> bool:
    """A second name (hard link) for an existing file, so that it can be put back; False for folders or where
    the file system has no hard links."""
    if path.is_dir() or path.is_symlink():
        return False
    try:
        os.link(path, old)
    except OSError:
        return False
    return True


def discard(temp: Path) -> None:
    """Remove a temporary file or folder (a failed run leaves nothing behind)."""
    temp = Path(temp)
    if temp.is_dir() and not temp.is_symlink():
        shutil.rmtree(temp, ignore_errors=True)
    elif os.path.lexists(temp):
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
