"""Dataset-side video I/O with PyAV: decode only the frames a clip needs, and write mp4 (libx264, yuv420p).

Loaders read a window of a short dataset video (FISHBOWL: 128 frames); streaming over long user videos is
amodal_vos.io's job. Decoding seeks to the keyframe before the window and converts only the requested frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np

from amodal_vos.errors import UserError


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


def read_video_frames(path: str | Path, indices: Sequence[int] | None = None) -> np.ndarray:
    """Frames ``indices`` (0-based, any order, repeats allowed) of a video as [T, H, W, 3] uint8 RGB; all frames
    when ``indices`` is None. Only the frames between the first and last requested index are converted."""
    with _open(path) as container:
        stream = container.streams.video[0]
        fps = stream.average_rate or stream.guessed_rate or 30
        start = stream.start_time or 0
        tb = stream.time_base

        def index_of(frame) -> int:
            return int(round(float((frame.pts - start) * tb * fps))) if frame.pts is not None else -1

        wanted = None if indices is None else sorted(set(int(i) for i in indices))
        got: dict[int, np.ndarray] = {}
        if wanted:
            first = wanted[0]
            if first > 0:
                container.seek(start + int(first / (fps * tb)), stream=stream, backward=True, any_frame=False)
        pos = -1
        for frame in container.decode(stream):
            idx = index_of(frame)
            pos = idx if idx >= 0 else pos + 1
            if wanted is None:
                got[pos] = frame.to_ndarray(format="rgb24")
                continue
            if pos > wanted[-1]:
                break
            if pos in wanted:
                got[pos] = frame.to_ndarray(format="rgb24")
    order = sorted(got) if indices is None else [int(i) for i in indices]
    missing = [i for i in order if i not in got]
    if missing:
        raise UserError(f"{path}: frames {missing[:5]} not in the video ({len(got)} decoded)")
    if not order:
        return np.zeros((0, 0, 0, 3), np.uint8)
    return np.stack([got[i] for i in order])


def write_video(
    path: str | Path, frames: np.ndarray, fps: float = 30.0, crf: int = 18, gop: int = 16
) -> None:
    """Write [T, H, W, 3] uint8 RGB frames as H.264 mp4 (yuv420p, so H and W must be even). A short GOP keeps
    window reads cheap (seek to the nearest keyframe); one encoder thread, as writers run one per core."""
    t, h, w = frames.shape[:3]
    if h % 2 or w % 2:
        raise UserError(f"yuv420p video needs an even frame size, got {w}x{h}")
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=int(round(fps)))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"crf": str(crf), "g": str(gop), "preset": "veryfast"}
        stream.codec_context.thread_count = 1
        for frame in frames:
            for packet in stream.encode(
                av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            ):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
