"""VideoSink: write RGB frames to an H.264 mp4 (PyAV, libx264) under a temporary name, renamed when complete.

    with VideoSink("out.mp4", info) as sink:
        for frame in frames:
            sink.write(frame)

The output has the input's size and frame rate. yuv420p (plays everywhere) needs an even width and height; an odd
size is kept exactly by switching to yuv444p. Leaving the block normally or by Ctrl-C (KeyboardInterrupt) flushes
the encoder and renames the file (after Ctrl-C a valid, shorter video); any other exception deletes it.
"""

from __future__ import annotations

import contextlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from amodal_vos.errors import UserError
from amodal_vos.io.atomic import commit, discard, temp_path
from amodal_vos.io.video import VideoInfo


class VideoSink:
    """An mp4 writer for frames of one fixed size; ``write`` takes RGB uint8 [H, W, 3]."""

    def __init__(
        self,
        path: str | Path,
        info: VideoInfo,
        *,
        crf: int = 20,
        preset: str = "veryfast",
        codec: str = "libx264",
        gop: int | None = None,
        threads: int | None = None,
    ) -> None:
        """``gop``: keyframe interval (a short one keeps seeking cheap); ``threads``: encoder threads (default:
        the codec's own)."""
        self.path = Path(path)
        self.temp = temp_path(self.path)
        self.width, self.height, self.rate = info.width, info.height, Fraction(info.rate)
        self.codec, self.options = codec, {"crf": str(crf), "preset": preset} if codec == "libx264" else {}
        if gop is not None:
            self.options["g"] = str(gop)
        self.threads = threads
        self.frames_written = 0
        self._container = None
        self._stream = None

    @property
    def pix_fmt(self) -> str:
        even = self.width % 2 == 0 and self.height % 2 == 0
        return "yuv420p" if even or self.codec != "libx264" else "yuv444p"

    def open(self) -> VideoSink:
        try:
            self._container = av.open(str(self.temp), mode="w")
            stream = self._container.add_stream(self.codec, rate=self.rate)
            stream.width, stream.height, stream.pix_fmt = self.width, self.height, self.pix_fmt
            stream.options = self.options
            if self.threads:
                stream.codec_context.thread_count = self.threads
        except (av.error.FFmpegError, OSError, ValueError) as err:
            self._abort()
            raise UserError(f"cannot write video {self.path}: {err}") from None
        self._stream = stream
        return self

    def write(self, frame: np.ndarray) -> None:
        if frame.shape != (self.height, self.width, 3):
            raise ValueError(f"frame of shape {frame.shape} for a {self.width}x{self.height} video")
        video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        video_frame.pts = self.frames_written
        self._mux(self._stream.encode(video_frame))
        self.frames_written += 1

    def _mux(self, packets) -> None:
        for packet in packets:
            self._container.mux(packet)

    def close(self, keep: bool = True, rename: bool = True) -> Path | None:
        """Flush and close; rename to the final name if ``keep`` and at least one frame was written, else delete.
        Returns the final path (the temporary one with ``rename=False``: the caller commits it), or None when
        nothing was kept."""
        if self._container is None:
            return None
        try:
            if keep and self.frames_written:
                self._mux(self._stream.encode())
            self._container.close()
        except (av.error.FFmpegError, OSError) as err:
            self._abort()
            raise UserError(f"cannot finish video {self.path}: {err}") from None
        self._container = None
        if keep and self.frames_written:
            return commit(self.temp, self.path) if rename else self.temp
        discard(self.temp)
        return None

    def _abort(self) -> None:
        if self._container is not None:
            with contextlib.suppress(av.error.FFmpegError, OSError):
                self._container.close()
            self._container = None
        discard(self.temp)

    def __enter__(self) -> VideoSink:
        return self.open()

    def __exit__(self, exc_type, exc, tb) -> None:
        keep = exc_type is None or issubclass(exc_type, KeyboardInterrupt)
        if keep:
            self.close(keep=True)
        else:
            self._abort()
