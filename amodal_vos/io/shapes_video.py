"""A generated test video: two shapes moving across a textured background and passing behind a grey bar.

For tests, benchmarks and quick demos (no downloads): deterministic, any size and length, with the ground-truth
amodal box of each object on every frame so prompts can be placed on any frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

from amodal_vos.io.video import VideoInfo

SHAPES = ((230, 40, 40), (40, 90, 230))  # a red disc moving right, a blue square moving left


def _positions(t: int, num_frames: int, height: int, width: int) -> list[tuple[float, float, float]]:
    """(centre x, centre y, radius) of each shape on frame t; both cross the centre bar once per clip."""
    s = t / max(1, num_frames - 1)
    r = 0.14 * min(height, width)
    return [
        (r + s * (width - 2 * r), 0.38 * height, r),
        (width - r - s * (width - 2 * r), 0.64 * height, r),
    ]


def shapes_frames(
    num_frames: int, height: int = 96, width: int = 128
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (RGB frame [H, W, 3] uint8, amodal boxes [2, 4] x,y,w,h) for each frame."""
    yy, xx = np.mgrid[0:height, 0:width]
    background = np.stack(
        [60 + 60 * xx / width, 90 + 40 * yy / height, 70 + 30 * np.sin(xx / 5.0) * np.cos(yy / 7.0)], axis=-1
    ).astype(np.uint8)
    bar = np.abs(xx - width / 2) < 0.08 * width
    for t in range(num_frames):
        frame = background.copy()
        boxes = []
        for (cx, cy, r), color in zip(_positions(t, num_frames, height, width), SHAPES, strict=True):
            inside = (
                (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
                if color == SHAPES[0]
                else ((np.abs(xx - cx) <= r) & (np.abs(yy - cy) <= r))
            )
            frame[inside] = color
            boxes.append((cx - r, cy - r, 2 * r, 2 * r))
        frame[bar] = (150, 150, 150)
        yield frame, np.array(boxes, dtype=np.float32)


def write_shapes_video(
    path: str | Path, num_frames: int = 24, height: int = 96, width: int = 128, fps: Fraction | int = 12
) -> np.ndarray:
    """Write the clip as an mp4 (or, if ``path`` has no suffix, a folder of PNG frames); returns the ground-truth
    boxes [T, 2, 4] (x, y, w, h)."""
    from PIL import Image

    from amodal_vos.io.sink import VideoSink

    path = Path(path)
    boxes = []
    if path.suffix:
        info = VideoInfo(str(path), width, height, Fraction(fps), num_frames)
        with VideoSink(path, info, crf=18, preset="ultrafast") as sink:
            for frame, b in shapes_frames(num_frames, height, width):
                sink.write(frame)
                boxes.append(b)
    else:
        path.mkdir(parents=True, exist_ok=True)
        for t, (frame, b) in enumerate(shapes_frames(num_frames, height, width)):
            Image.fromarray(frame).save(path / f"{t:05d}.png")
            boxes.append(b)
    return np.stack(boxes)
