"""A video file as a streaming frame source, decoded with PyAV (FFmpeg).

Reading from frame 0 needs nothing but the decoder. Random access (``frames(start>0)``, ``frame(i)``, backwards
reading) uses an index of presentation timestamps and keyframes, built once by demuxing the packets (no decoding),
so it also works for variable frame rates; decoding then starts at the keyframe at or before the wanted frame.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from amodal_vos.errors import UserError
from amodal_vos.io.video import DEFAULT_FPS, FrameSource, VideoInfo

AV_ERRORS = (av.error.FFmpegError, OSError, ValueError)


def _reason(err: Exception) -> str:
    return str(err).splitlines()[0][:160] if str(err) else type(err).__name__


class PyAVSource(FrameSource):
    """Frames of the first video stream of a file, RGB uint8, decoded on demand."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._pts: list[int] | None = None
        self._keyframes: list[int] | None = None
        try:
            with av.open(str(self.path)) as container:
                if not container.streams.video:
                    raise UserError(f"unsupported input {self.path}: it has no video stream")
                stream = container.streams.video[0]
                width, height = stream.codec_context.width, stream.codec_context.height
                rate = stream.average_rate or stream.guessed_rate or DEFAULT_FPS
                count = stream.frames
        except AV_ERRORS as err:
            raise UserError(
                f"cannot read video {self.path} (corrupt or unsupported format): {_reason(err)}"
            ) from None
        if not width or not height:
            raise UserError(f"unsupported video {self.path}: the decoder reports no frame size")
        if not count:
            count = len(self._index()[0])
        if count == 0:
            raise UserError(f"video has no frames: {self.path}")
        self.info = VideoInfo(
            str(self.path), int(width), int(height), Fraction(rate), int(count), kind="video"
        )

    def _index(self) -> tuple[list[int], list[int]]:
        """(presentation timestamps in order, positions of the keyframes among them), from the packets alone."""
        if self._pts is None:
            stamps: list[tuple[int, bool]] = []
            try:
                with av.open(str(self.path)) as container:
                    stream = container.streams.video[0]
                    for packet in container.demux(stream):
                        ts = packet.pts if packet.pts is not None else packet.dts
                        if ts is not None and packet.size > 0:
                            stamps.append((ts, packet.is_keyframe))
            except AV_ERRORS as err:
                raise UserError(f"cannot read video {self.path} (corrupt?): {_reason(err)}") from None
            stamps.sort()
            self._pts = [ts for ts, _ in stamps]
            self._keyframes = [i for i, (_, key) in enumerate(stamps) if key] or [0]
        return self._pts, self._keyframes

    def frames(self, start: int = 0, end: int | None = None) -> Iterator[np.ndarray]:
        stop = self.info.num_frames if end is None else min(end, self.info.num_frames)
        if start >= stop:
            return
        index = -1
        try:
            with av.open(str(self.path)) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"
                position: dict[int, int] = {}
                if start > 0:
                    pts, keyframes = self._index()
                    if start >= len(pts):
                        return
                    key = keyframes[max(0, bisect.bisect_right(keyframes, start) - 1)]
                    container.seek(pts[key], stream=stream, backward=True, any_frame=False)
                    position = {ts: i for i, ts in enumerate(pts)}
                for frame in container.decode(stream):
                    index = position.get(frame.pts, index + 1) if position else index + 1
                    if index < start:
                        continue
                    if index >= stop:
                        break
                    yield frame.to_ndarray(format="rgb24")
        except AV_ERRORS as err:
            raise UserError(
                f"video {self.path} is corrupt: decoding failed after frame {index}: {_reason(err)}"
            ) from None
