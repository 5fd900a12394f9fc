"""Live input: frames pushed one at a time (any iterator of RGB uint8 frames), or a webcam / RTSP / HTTP stream
opened with PyAV. Only the latest frame is held, so a stream may run for any length.

    frames = LiveFrames(open_stream("rtsp://camera/stream"))   # or LiveFrames(my_generator())
    frames.get(0), frames.get(1), ...                            # in order; get(i) again for the latest frame

Frame indices count from 0 at the first frame read. The frame size is read from the first frame (so it is pulled
when the LiveFrames is made); every later frame must have the same size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction

import numpy as np

from amodal_vos.errors import UserError
from amodal_vos.io.video import DEFAULT_FPS, VideoInfo


def is_stream_url(video: object) -> bool:
    """Whether ``video`` names a live stream rather than a file: a URL (rtsp://, http://, ...) or a V4L2 device."""
    text = str(video)
    return isinstance(video, str) and ("://" in text or text.startswith("/dev/video"))


def open_stream(url: str, options: dict | None = None) -> Iterator[np.ndarray]:
    """Decode a stream (RTSP, HTTP, a webcam device such as /dev/video0, or any file PyAV opens) frame by frame as
    RGB uint8 [H, W, 3]. RTSP is read over TCP unless ``options`` say otherwise."""
    import av

    options = dict(options or {})
    if url.startswith("rtsp://"):
        options.setdefault("rtsp_transport", "tcp")
    fmt = "v4l2" if url.startswith("/dev/video") else None
    try:
        container = av.open(url, format=fmt, options=options)
    except (av.error.FFmpegError, OSError, ValueError) as err:
        raise UserError(f"cannot open stream {url}: {err}") from None
    try:
        if not container.streams.video:
            raise UserError(f"stream {url} has no video")
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            yield frame.to_ndarray(format="rgb24")
    except av.error.FFmpegError as err:
        raise UserError(f"stream {url} failed: {err}") from None
    finally:
        container.close()


class LiveFrames:
    """Frames of an iterator, read in order on demand; ``get(i)`` gives frame i if it is the latest frame read or
    the next one. ``ended`` once the iterator is exhausted."""

    def __init__(self, frames: Iterable[np.ndarray], name: str = "<live>", rate: Fraction = DEFAULT_FPS):
        self._frames = iter(frames)
        self.index, self.frame, self.ended = -1, None, False
        first = self.get(0)
        if first is None:
            raise UserError(f"live input {name} gave no frame")
        h, w = first.shape[:2]
        self.info = VideoInfo(name, int(w), int(h), Fraction(rate), 0, kind="live")

    def get(self, index: int) -> np.ndarray | None:
        """Frame ``index``: the latest frame read, or the next one (read now; None when the input has ended)."""
        if index == self.index:
            return self.frame
        if index != self.index + 1:
            raise UserError(
                f"frame {index} of a live input cannot be read: the latest frame read is {self.index} "
                "(a live input can be prompted on its latest frame or the next one)"
            )
        try:
            frame = next(self._frames)
        except StopIteration:
            self.ended = True
            return None
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[-1] != 3 or frame.dtype != np.uint8:
            raise UserError(f"live frames must be RGB uint8 [H, W, 3], got {frame.dtype} {frame.shape}")
        if self.frame is not None and frame.shape != self.frame.shape:
            raise UserError(
                f"live frame {index} is {frame.shape[1]}x{frame.shape[0]}, the first was different"
            )
        self.index, self.frame = index, frame
        return frame
