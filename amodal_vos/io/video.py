"""Streaming frame sources: a video file (PyAV), a folder of JPEG/PNG frames, or a single image.

Frames are decoded as they are asked for and never all held in memory. Every source gives ``info`` (size, fps,
frame count), ``frames(start, end)`` (RGB uint8 [H, W, 3], in order), ``frame(i)`` and ``reverse_frames(start, end)``
(backwards, decoded forwards in chunks of bounded size). Problems with the input are UserErrors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from amodal_vos.errors import UserError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
FRAME_SUFFIXES = (".jpg", ".jpeg", ".png")
DEFAULT_FPS = Fraction(25)
CHUNK_BYTES = 128 * 2**20  # decoded frames held at once when reading backwards


class TruncatedVideo(UserError):
    """The input ends (or stops decoding) before the frames its index promises: ``available`` frames (0 ..
    available-1) could be read, ``expected`` were announced."""

    def __init__(self, path: str, available: int, expected: int, reason: str = "") -> None:
        got = "no frame" if available <= 0 else f"only frames 0..{available - 1}"
        super().__init__(
            f"video {path} is truncated or damaged: {got} of {expected} can be decoded"
            + (f" ({reason})" if reason else "")
        )
        self.path, self.available, self.expected = path, available, expected


@dataclass(frozen=True)
class VideoInfo:
    """What a frame source holds: frame size, frame rate and frame count; ``kind`` is video, frames or image."""

    path: str
    width: int
    height: int
    rate: Fraction
    num_frames: int
    kind: str = "video"

    @property
    def fps(self) -> float:
        return float(self.rate)

    @property
    def hw(self) -> tuple[int, int]:
        return self.height, self.width

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "kind": self.kind,
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "num_frames": self.num_frames,
        }


class FrameSource:
    """Base class: subclasses implement ``info`` and ``frames(start, end)``; random and backward access follow."""

    info: VideoInfo

    def frames(self, start: int = 0, end: int | None = None) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def __iter__(self) -> Iterator[np.ndarray]:
        return self.frames()

    def __len__(self) -> int:
        return self.info.num_frames

    def frame(self, index: int) -> np.ndarray:
        """One frame by index (seeks; prefer ``frames`` for runs of frames)."""
        if not 0 <= index < self.info.num_frames:
            raise UserError(
                f"frame {index} is beyond the end of {self.info.path} ({self.info.num_frames} frames)"
            )
        for image in self.frames(index, index + 1):
            return image
        raise UserError(f"frame {index} of {self.info.path} could not be decoded")

    def reverse_frames(self, start: int, end: int) -> Iterator[np.ndarray]:
        """Frames end-1, end-2, ..., start: chunks of at most CHUNK_BYTES are decoded forwards, then yielded reversed."""
        chunk = max(1, CHUNK_BYTES // max(1, 3 * self.info.width * self.info.height))
        stop = end
        while stop > start:
            first = max(start, stop - chunk)
            buffer = list(self.frames(first, stop))
            if len(buffer) != stop - first:
                raise UserError(f"{self.info.path}: frames {first}..{stop - 1} could not all be decoded")
            yield from reversed(buffer)
            stop = first


def _check_file(path: Path) -> None:
    if not path.exists():
        raise UserError(f"video not found: {path}")
    if path.is_file() and path.stat().st_size == 0:
        raise UserError(f"video file is empty: {path}")


def open_video(path: str | Path) -> FrameSource:
    """A frame source for a video file, a folder of JPEG/PNG frames, or a single image (one frame)."""
    from amodal_vos.io.frames import FolderSource, ImageSource
    from amodal_vos.io.pyav_source import PyAVSource

    path = Path(path)
    _check_file(path)
    if path.is_dir():
        return FolderSource(path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource(path)
    return PyAVSource(path)


def natural_key(name: str) -> list:
    """Sort key that orders frame_2 before frame_10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]
