"""VideoSink: write RGB frames to an H.264 mp4 (PyAV, libx264) under a temporary name, renamed when complete.

    with VideoSink("out.mp4", info) as sink:
        for frame in frames:
            sink.write(frame)

The output has the input's size and frame rate. yuv420p (plays everywhere) needs an even width and height; an odd
size is kept exactly by switching to yuv444p. Leaving the block normally or by Ctrl-C (KeyboardInterrupt) flushes
the encoder and renames the file (after Ctrl-C a valid, shorter video); any other exception deletes it.

BackgroundSink wraps a VideoSink and encodes in a thread behind a bounded queue, so that the caller does not wait
for x264; it also takes a function that makes the frame (the overlay renderer), which then runs in the thread too.
An error in the thread is raised (the same exception) by the next ``write`` or by ``close``.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
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


_STOP = object()


class BackgroundSink:
    """A VideoSink encoding in its own thread; ``write`` queues the frame, or a function returning it (at most
    ``depth`` wait; the caller must not modify a frame, or what the function reads, after writing it)."""

    def __init__(self, sink: VideoSink, depth: int = 4) -> None:
        self.sink, self.temp = sink, sink.temp
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def open(self) -> BackgroundSink:
        self.sink.open()
        self._thread = threading.Thread(target=self._work, name="video-sink", daemon=True)
        self._thread.start()
        return self

    def _work(self) -> None:
        while True:
            frame = self._queue.get()
            if frame is _STOP:
                return
            if self._error is None:
                try:
                    self.sink.write(frame() if callable(frame) else frame)
                except BaseException as err:  # noqa: BLE001 - handed to the caller's thread
                    self._error = err

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    @property
    def frames_written(self) -> int:
        return self.sink.frames_written

    def write(self, frame: np.ndarray | Callable[[], np.ndarray]) -> None:
        self._raise()
        if callable(frame):
            self._queue.put(frame)
            return
        if frame.shape != (self.sink.height, self.sink.width, 3):  # fail at once, as VideoSink does
            raise ValueError(f"frame of shape {frame.shape} for a {self.sink.width}x{self.sink.height} video")
        self._queue.put(frame)

    def _join(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
            self._thread = None

    def close(self, keep: bool = True, rename: bool = True) -> Path | None:
        """Wait for the queued frames, then as VideoSink.close; with ``keep`` an error of the thread is raised (the
        file deleted); without, it is dropped (the caller is already failing)."""
        self._join()
        if not keep:
            self._error = None
        if self._error is not None:
            self.sink.close(keep=False)
            self._raise()
        return self.sink.close(keep=keep, rename=rename)
