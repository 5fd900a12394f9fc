"""A video file as a streaming frame source, decoded with PyAV (FFmpeg).

Reading from frame 0 needs nothing but the decoder. Random access (``frames(start>0)``, ``frame(i)``, backwards
reading) uses an index of presentation timestamps and keyframes, built once by demuxing the packets (no decoding),
so it also works for variable frame rates; decoding then starts at the keyframe at or before the wanted frame.

A display rotation (the stream's display matrix, e.g. a phone's portrait video) is applied: frames, size and so
prompt coordinates are as the video is displayed (a multiple of 90 degrees; flips and other angles are ignored).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from amodal_vos.errors import UserError
from amodal_vos.io.video import DEFAULT_FPS, FrameSource, TruncatedVideo, VideoInfo

AV_ERRORS = (av.error.FFmpegError, OSError, ValueError)


def _reason(err: Exception) -> str:
    return str(err).splitlines()[0][:160] if str(err) else type(err).__name__


def _quarter_turns(container, stream) -> int:
    """Counter-clockwise quarter turns that display the stream as intended, from the first frame's display matrix
    (PyAV's ``VideoFrame.rotation``: degrees the display rotates the frame counter-clockwise). 0 when the first
    frame cannot be decoded (its error is reported when frames are read)."""
    try:
        for frame in container.decode(stream):
            return int(round(getattr(frame, "rotation", 0) / 90)) % 4
    except AV_ERRORS:
        return 0
    return 0


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
                self.quarter_turns = _quarter_turns(container, stream)
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
        if self.quarter_turns % 2:
            width, height = height, width
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
        """Frames start .. end-1. A file that ends (or stops decoding) before ``end`` although its index announces
        more frames (a truncated or damaged mp4) raises TruncatedVideo after the last frame that could be read."""
        stop = self.info.num_frames if end is None else min(end, self.info.num_frames)
        if start >= stop:
            return
        state = {"index": -1, "next": start}  # last frame decoded, first frame not yet yielded
        try:
            yield from self._decode(start, stop, "AUTO", state)
        except AV_ERRORS:
            # frame threading loses the frames still in flight when a packet is broken: read again on one
            # thread from the first frame not yet given, so every frame that can be decoded is
            state["index"] = -1
            try:
                yield from self._decode(state["next"], stop, "NONE", state)
            except AV_ERRORS as err:
                index = state["index"]
                if index < 0:
                    raise UserError(
                        f"video {self.path} is corrupt: decoding failed before the first frame: {_reason(err)}"
                    ) from None
                raise TruncatedVideo(
                    str(self.path),
                    index + 1,
                    self.info.num_frames,
                    f"decoding failed after frame {index}: {_reason(err)}",
                ) from None
        if state["index"] + 1 < stop:
            raise TruncatedVideo(str(self.path), state["index"] + 1, self.info.num_frames)

    def _decode(self, start: int, stop: int, threads: str, state: dict) -> Iterator[np.ndarray]:
        """Frames start .. stop-1 (fewer if the file ends early); ``state`` follows the last decoded frame; FFmpeg
        errors are raised as they are."""
        with av.open(str(self.path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = threads
            position: dict[int, int] = {}
            if start > 0:
                pts, keyframes = self._index()
                if start >= len(pts):
                    raise TruncatedVideo(str(self.path), len(pts), self.info.num_frames)
                key = keyframes[max(0, bisect.bisect_right(keyframes, start) - 1)]
                container.seek(pts[key], stream=stream, backward=True, any_frame=False)
                position = {ts: i for i, ts in enumerate(pts)}
            index = -1
            for frame in _decoded(container, stream):
                index = position.get(frame.pts, index + 1) if position else index + 1
                state["index"] = index
                if index < start:
                    continue
                if index >= stop:
                    state["index"] = stop - 1
                    return
                image = frame.to_ndarray(format="rgb24")
                state["next"] = index + 1
                yield (
                    np.ascontiguousarray(np.rot90(image, self.quarter_turns)) if self.quarter_turns else image
                )


def _decoded(container, stream) -> Iterator[av.VideoFrame]:
    """The stream's frames, packet by packet. At a packet that cannot be read or decoded (a file cut short) the
    decoder is first drained, so the frames it holds from the good packets before are not lost, then the error is
    raised."""
    packets = container.demux(stream)
    while True:
        broken = None
        try:
            packet = next(packets)
            frames = packet.decode()
        except StopIteration:
            return
        except AV_ERRORS as err:
            broken = err
            try:
                frames = stream.codec_context.decode(None)
            except AV_ERRORS:
                frames = []
        yield from frames
        if broken is not None:
            raise broken
