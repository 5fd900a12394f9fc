"""VideoSink: same size, rate and frame count as asked; temporary name until complete; Ctrl-C keeps a valid file."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from amodal_vos.io.sink import BackgroundSink, VideoSink
from amodal_vos.io.video import VideoInfo, open_video


def frames(n, h, w):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 255, (h, w, 3), dtype=np.uint8) for _ in range(n)]


def probe(path):
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        count = sum(1 for _ in c.decode(s))
        return s.codec_context.width, s.codec_context.height, s.average_rate, count, s.codec_context.pix_fmt


@pytest.mark.parametrize(("h", "w", "pix_fmt"), [(48, 64, "yuv420p"), (45, 61, "yuv444p")])
def test_size_rate_and_count_are_kept(tmp_path, h, w, pix_fmt):
    rate = Fraction(30000, 1001)
    path = tmp_path / "out.mp4"
    with VideoSink(path, VideoInfo("x", w, h, rate, 7)) as sink:
        for f in frames(7, h, w):
            sink.write(f)
        assert not path.exists()  # written under sink.temp until complete
    assert not sink.temp.exists()
    assert probe(path) == (w, h, rate, 7, pix_fmt)
    info = open_video(path).info
    assert (info.width, info.height, info.rate, info.num_frames) == (w, h, rate, 7)


def test_error_leaves_nothing_and_ctrl_c_keeps_a_shorter_valid_video(tmp_path):
    info = VideoInfo("x", 32, 32, Fraction(10), 9)
    failed = tmp_path / "failed.mp4"
    with pytest.raises(RuntimeError), VideoSink(failed, info) as sink:
        for f in frames(3, 32, 32):
            sink.write(f)
        raise RuntimeError("boom")
    assert not failed.exists() and not sink.temp.exists()
    stopped = tmp_path / "stopped.mp4"
    with pytest.raises(KeyboardInterrupt), VideoSink(stopped, info) as sink:
        for f in frames(4, 32, 32):
            sink.write(f)
        raise KeyboardInterrupt
    assert probe(stopped)[3] == 4 and not sink.temp.exists()


def test_wrong_frame_size_is_refused(tmp_path):
    with (
        VideoSink(tmp_path / "o.mp4", VideoInfo("x", 32, 32, Fraction(10), 1)) as sink,
        pytest.raises(ValueError),
    ):
        sink.write(np.zeros((16, 32, 3), np.uint8))


def test_background_sink_writes_all_frames_and_keeps_them_after_ctrl_c(tmp_path):
    info = VideoInfo("x", 32, 32, Fraction(10), 9)
    sink = BackgroundSink(VideoSink(tmp_path / "o.mp4", info), depth=2).open()
    for f in frames(9, 32, 32):
        sink.write(f)
    assert sink.close() == tmp_path / "o.mp4" and probe(tmp_path / "o.mp4")[3] == 9
    sink = BackgroundSink(VideoSink(tmp_path / "gone.mp4", info)).open()
    sink.write(frames(1, 32, 32)[0])
    assert sink.close(keep=False) is None and not (tmp_path / "gone.mp4").exists() and not sink.temp.exists()
    sink = BackgroundSink(VideoSink(tmp_path / "w.mp4", info)).open()
    with pytest.raises(ValueError):  # a wrong size is refused at once, not in the thread
        sink.write(np.zeros((16, 32, 3), np.uint8))
    sink.close(keep=False)


def test_background_sink_error_in_the_thread_is_raised_to_the_caller(tmp_path, monkeypatch):
    info = VideoInfo("x", 32, 32, Fraction(10), 9)
    inner = VideoSink(tmp_path / "o.mp4", info)
    written = []

    def failing(frame):
        if len(written) == 2:
            raise OSError("disk full")
        written.append(frame)

    monkeypatch.setattr(inner, "write", failing)
    sink = BackgroundSink(inner, depth=1).open()
    with pytest.raises(OSError, match="disk full"):
        for f in frames(9, 32, 32):
            sink.write(f)
        sink.close()
    sink.close(keep=False)  # what Outputs.__exit__ does after the error
    assert len(written) == 2 and not sink.temp.exists() and not (tmp_path / "o.mp4").exists()
