"""Frame access for the app: frames decoded on demand, a few recent ones kept.

The page shows one frame at a time (slider, clicks) and a long video must stay responsive, so frames are never all
decoded: ``FrameCache.frame(i)`` seeks and decodes frame i (``FrameSource.frame``) and keeps the last few in an
LRU, since the user tends to click on the frame just shown and to step to its neighbours.
"""

from __future__ import annotations

import tempfile
from collections import OrderedDict
from pathlib import Path

import numpy as np

from amodal_vos.errors import UserError
from amodal_vos.io.video import FrameSource, VideoInfo, open_video

CACHED_FRAMES = 8


class FrameCache:
    """Frames of one video by index, decoded when first asked for; the ``size`` most recent stay decoded."""

    def __init__(self, source: FrameSource, size: int = CACHED_FRAMES) -> None:
        self.source, self.size = source, size
        self._frames: OrderedDict[int, np.ndarray] = OrderedDict()

    @classmethod
    def open(cls, path: str | Path, size: int = CACHED_FRAMES) -> FrameCache:
        """Open a video file, frame folder or image; a file that is not one is a UserError (frame 0 is decoded
        here, so that a broken file is reported when opened rather than on the first click)."""
        source = open_video(path)
        if source.info.num_frames < 1:
            raise UserError(f"{Path(path).name} has no frames")
        cache = cls(source, size)
        cache.frame(0)
        return cache

    @property
    def info(self) -> VideoInfo:
        return self.source.info

    def __len__(self) -> int:
        return self.info.num_frames

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` as RGB uint8 [H, W, 3] (read-only: callers draw on a copy)."""
        index = int(index)
        if index in self._frames:
            self._frames.move_to_end(index)
            return self._frames[index]
        image = self.source.frame(index)
        image.setflags(write=False)
        self._frames[index] = image
        while len(self._frames) > self.size:
            self._frames.popitem(last=False)
        return image


def demo_video(folder: str | Path | None = None) -> Path:
    """The demo clip (amodal_vos/demo.py: two fish passing behind things), generated once into ``folder``
    (default: a folder in the system's temp dir) and reused after that."""
    from amodal_vos.demo import write_demo_clip

    folder = Path(folder) if folder is not None else Path(tempfile.gettempdir()) / "amodal-vos-app"
    path = folder / "demo_clip.mp4"
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        path = write_demo_clip(folder, force=True).video
    return path
