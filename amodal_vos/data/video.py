"""Dataset-side video I/O with PyAV: decode only the frames a clip needs, and write mp4 (libx264, yuv420p, through
amodal_vos.io's VideoSink).

Loaders read a window of a short dataset video (FISHBOWL: 128 frames); streaming over long user videos is
amodal_vos.io's job. Decoding seeks to the keyframe before the window and converts only the requested frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from amodal_vos.errors import UserError
from amodal_vos.io.sink import VideoSink
from amodal_vos.io.video import VideoInfo


def _open(path: str | Path):
    try:
        return av.open(str(path))
    except (av.error.FileNotFoundError, FileNotFoundError) as err:
        raise UserError(f"video not found: {path}") from err
    except av.error.InvalidDataError as err:
        raise UserError(f"not a readable video: {path}") from err


def video_frame_count(path: str | Path) -> int:
    """Number of frames in a video (from the container header, or by demuxing when the header lacks it)."""
    with _open(path) as container:
        stream = container.streams.video[0]
        if stream.frames:
            return int(stream.frames)
        return sum(1 for p in container.demux(stream) if p.pts is not None)


def _decode(path: str | Path, wanted: list[int] | None, seek: bool) -> dict[int, np.ndarray]:
    """Decoded frames by index: all of them (``wanted`` None), or those in ``wanted`` (sorted), seeking first to
    the keyframe before the first one when ``seek``. Indices come from timestamps."""
    got: dict[int, np.ndarray] = {}
    with _open(path) as container:
        stream = container.streams.video[0]
        fps = stream.average_rate or stream.guessed_rate or 30
        start = stream.start_time or 0
        tb = stream.time_base
        if seek and wanted and wanted[0] > 0:
            container.seek(start + int(wanted[0] / (fps * tb)), stream=stream, backward=True, any_frame=False)
        keep = None if wanted is None else set(wanted)
        pos = -1
        for frame in container.decode(stream):
            pos = int(round(float((frame.pts - start) * tb * fps))) if frame.pts is not None else pos + 1
            if keep is not None and pos > wanted[-1]:
                break
            if keep is None or pos in keep:
                got[pos] = frame.to_ndarray(format="rgb24")
    return got


def read_video_frames(path: str | Path, indices: Sequence[int] | None = None) -> np.ndarray:
    """Frames ``indices`` (0-based, any order, repeats allowed) of a video as [T, H, W, 3] uint8 RGB; all frames
    when ``indices`` is None. Only the frames between the first and last requested index are converted; if the
    seek lands past the first one (some containers), the window is decoded again from the start."""
    wanted = None if indices is None else sorted({int(i) for i in indices})
    if wanted is not None and not wanted:
        return np.zeros((0, 0, 0, 3), np.uint8)
    got = _decode(path, wanted, seek=True)
    if wanted is not None and any(i not in got for i in wanted):
        got = _decode(path, wanted, seek=False)
    order = sorted(got) if indices is None else [int(i) for i in indices]
    missing = [i for i in order if i not in got]
    if missing:
        raise UserError(f"{path}: frames {missing[:5]} not in the video ({len(got)} decoded)")
    return np.stack([got[i] for i in order]) if order else np.zeros((0, 0, 0, 3), np.uint8)


def write_video(
    path: str | Path, frames: np.ndarray, fps: float = 30.0, crf: int = 18, gop: int = 16
) -> None:
    """Write [T, H, W, 3] uint8 RGB frames as H.264 mp4 (yuv420p, so H and W must be even). A short GOP keeps
    window reads cheap (seek to the nearest keyframe); one encoder thread, as writers run one per core."""
    t, h, w = frames.shape[:3]
    if h % 2 or w % 2:
        raise UserError(f"yuv420p video needs an even frame size, got {w}x{h}")
    info = VideoInfo(str(path), w, h, Fraction(int(round(fps))), t)
    with VideoSink(path, info, crf=crf, gop=gop, threads=1) as sink:
        for frame in frames:
            sink.write(frame)
