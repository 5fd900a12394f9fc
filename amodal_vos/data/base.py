"""The interface every dataset loader implements: ``len(ds)``, ``ds[i] -> Clip`` (a whole video or image) and
``ds.sample_clip(i, num_frames, rng) -> Clip`` (a random window of consecutive frames, decoding only those).

A loader implements four small methods; annotations are read separately from pixels so that statistics
(``amodal-vos data stats``) never decode a frame.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import numpy as np

from amodal_vos.data.sample import Clip, ObjectTrack
from amodal_vos.errors import UserError


class ClipDataset(ABC):
    """A dataset of videos (or images, as 1-frame clips) with per-object amodal and visible masks.

    Loader metadata (``Clip.meta``) may hold ``boxes``: ``{obj_id: {"amodal"|"visible": [T, 4] xyxy}}`` as stored
    in the annotation files (NaN where none), converted to xyxy pixels with an exclusive max edge, and
    ``modal_only`` = True for sources without amodal labels (amodal = visible there; TAOS makes the amodal pairs).
    """

    format_name: ClassVar[str] = ""
    is_video: ClassVar[bool] = True

    def __init__(self, root: str | Path, split: str | None = None) -> None:
        self.root = Path(root)
        self.split = split
        if not self.root.exists():
            raise UserError(f"{self.format_name}: dataset root not found: {self.root}")

    @classmethod
    def detect(cls, root: Path) -> bool:
        """True when ``root`` looks like this format (used to autodetect the format of a folder)."""
        return False

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def item_id(self, i: int) -> str:
        """The video or image id of item i, as the dataset names it."""

    @abstractmethod
    def num_frames(self, i: int) -> int:
        """Frame count of item i (1 for images)."""

    @abstractmethod
    def read_frames(self, i: int, frame_ids: np.ndarray) -> np.ndarray:
        """Frames ``frame_ids`` of item i as [T, H, W, 3] uint8 RGB."""

    @abstractmethod
    def read_annotations(self, i: int, frame_ids: np.ndarray) -> tuple[list[ObjectTrack], dict]:
        """Objects of item i on ``frame_ids`` (masks [T, H, W]) and loader metadata for Clip.meta."""

    def fps(self, i: int) -> float | None:
        """Frame rate of item i where the format records it."""
        return None

    def _check_index(self, i: int) -> int:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"{self.format_name}: index {i} out of range for {n} items")
        return i % n

    def load(self, i: int, frame_ids: np.ndarray | None = None) -> Clip:
        """Item i on ``frame_ids`` (all frames when None) as a Clip."""
        i = self._check_index(i)
        ids = np.arange(self.num_frames(i)) if frame_ids is None else np.asarray(frame_ids, dtype=np.int64)
        objects, meta = self.read_annotations(i, ids)
        frames = self.read_frames(i, ids)
        return Clip(
            frames=frames,
            objects=objects,
            source=self.format_name,
            clip_id=self.item_id(i),
            frame_ids=ids,
            fps=self.fps(i),
            meta=meta,
        )

    def __getitem__(self, i: int) -> Clip:
        return self.load(i)

    def __iter__(self) -> Iterator[Clip]:
        for i in range(len(self)):
            yield self.load(i)

    def sample_clip(self, i: int, num_frames: int, rng: np.random.Generator) -> Clip:
        """A random window of ``num_frames`` consecutive frames of item i (the whole item when it is shorter;
        images give 1-frame clips)."""
        if num_frames < 1:
            raise ValueError(f"num_frames must be >= 1, got {num_frames}")
        i = self._check_index(i)
        total = self.num_frames(i)
        t = min(int(num_frames), total)
        start = int(rng.integers(0, total - t + 1))
        return self.load(i, np.arange(start, start + t))


def find_split(root: Path, patterns: list[str], split: str | None, fmt: str) -> tuple[str, Path]:
    """Resolve a split for layouts like ``{split}_data`` or ``annotations/instances_{split}.json`` (patterns
    relative to root, tried in order): the given split when present, else the only one present. Returns the split
    and its path; a UserError that lists what exists otherwise."""
    found: dict[str, Path] = {}
    for pattern in patterns:
        for path in sorted(root.glob(pattern.format(split="*"))):
            name = _split_of(path.relative_to(root).as_posix(), pattern)
            if name and "/" not in name:
                found.setdefault(name, path)
    names = sorted(found)
    if split is not None:
        if split not in found:
            raise UserError(
                f"{fmt}: split '{split}' not found under {root} (found: {', '.join(names) or 'none'})"
            )
        return split, found[split]
    if len(names) == 1:
        return names[0], found[names[0]]
    if not names:
        raise UserError(f"{fmt}: nothing like {patterns[0].format(split='<split>')} under {root}")
    raise UserError(f"{fmt}: several splits under {root} ({', '.join(names)}); pass one with --split")


def _split_of(name: str, pattern: str) -> str | None:
    prefix, _, suffix = pattern.partition("{split}")
    if name.startswith(prefix) and name.endswith(suffix) and len(name) > len(prefix) + len(suffix):
        return name[len(prefix) : len(name) - len(suffix)]
    return None
