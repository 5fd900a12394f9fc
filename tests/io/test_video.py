"""Frame sources: sizes, rates and counts, random and backward access, and one-line errors for bad input."""

from __future__ import annotations

import av
import numpy as np
import pytest
from PIL import Image

from amodal_vos.errors import UserError
from amodal_vos.io.frames import ArraySource
from amodal_vos.io.pyav_source import PyAVSource
from amodal_vos.io.video import open_video

from .conftest import FRAMES, HEIGHT, RATE, WIDTH


def decode_all(path):
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def test_mp4_info_matches_what_was_written(shapes_mp4):
    info = open_video(shapes_mp4).info
    assert (info.width, info.height, info.rate, info.num_frames, info.kind) == (
        WIDTH,
        HEIGHT,
        RATE,
        FRAMES,
        "video",
    )


def test_sequential_frames_equal_plain_pyav_decode(shapes_mp4, raw_frames):
    frames = list(open_video(shapes_mp4).frames())
    reference = decode_all(shapes_mp4)
    assert len(frames) == len(reference) == FRAMES
    assert all(np.array_equal(a, b) for a, b in zip(frames, reference, strict=True))
    # lossy, but close to the generated pixels
    assert np.mean([np.abs(a.astype(int) - b).mean() for a, b in zip(frames, raw_frames, strict=True)]) < 8


def test_random_and_backward_access_match_sequential(shapes_mp4, monkeypatch):
    source = open_video(shapes_mp4)
    reference = decode_all(shapes_mp4)
    middle = list(source.frames(7, 12))
    assert len(middle) == 5 and all(np.array_equal(a, reference[7 + i]) for i, a in enumerate(middle))
    assert np.array_equal(source.frame(FRAMES - 1), reference[-1])
    monkeypatch.setattr("amodal_vos.io.video.CHUNK_BYTES", 3 * WIDTH * HEIGHT * 4)  # chunks of 4 frames
    backward = list(source.reverse_frames(2, 15))
    assert len(backward) == 13
    assert all(np.array_equal(a, reference[14 - i]) for i, a in enumerate(backward))


def test_frame_count_from_packets_when_container_has_none(shapes_mp4):
    source = PyAVSource(shapes_mp4)
    pts, keyframes = source._index()
    assert len(pts) == FRAMES and keyframes[0] == 0 and pts == sorted(pts)


def test_frame_folder_sorts_naturally_and_checks_sizes(tmp_path):
    for i in (10, 2, 1):
        Image.fromarray(np.full((8, 10, 3), i, np.uint8)).save(tmp_path / f"f{i}.png")
    source = open_video(tmp_path)
    assert source.info.num_frames == 3 and source.info.kind == "frames"
    assert [int(f[0, 0, 0]) for f in source.frames()] == [1, 2, 10]
    assert [int(f[0, 0, 0]) for f in source.reverse_frames(0, 3)] == [10, 2, 1]
    Image.fromarray(np.zeros((9, 10, 3), np.uint8)).save(tmp_path / "f20.png")
    with pytest.raises(UserError, match="f20.png is 10x9"):
        list(open_video(tmp_path).frames())


def test_single_image_and_array_sources(shapes_dir):
    image = open_video(shapes_dir / "00003.png")
    assert image.info.num_frames == 1 and image.info.kind == "image"
    array = np.stack(list(open_video(shapes_dir).frames()))
    assert np.array_equal(image.frame(0), array[3])
    source = ArraySource(array)
    assert source.info.num_frames == 6 and np.array_equal(list(source.reverse_frames(1, 3))[0], array[2])


def test_missing_empty_corrupt_and_unsupported_inputs(tmp_path, shapes_mp4):
    with pytest.raises(UserError, match="not found"):
        open_video(tmp_path / "nope.mp4")
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(UserError, match="empty"):
        open_video(tmp_path / "empty.mp4")
    (tmp_path / "noise.mp4").write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(UserError, match="cannot read video"):
        open_video(tmp_path / "noise.mp4")
    (tmp_path / "notes.txt").write_text("not a video\n" * 20)
    with pytest.raises(UserError, match="cannot read video"):
        open_video(tmp_path / "notes.txt")
    data = shapes_mp4.read_bytes()
    (tmp_path / "truncated.mp4").write_bytes(data[: len(data) // 3])
    with pytest.raises(UserError):
        list(open_video(tmp_path / "truncated.mp4").frames())
    (tmp_path / "nothing").mkdir()
    with pytest.raises(UserError, match="no JPEG or PNG frames"):
        open_video(tmp_path / "nothing")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG garbage")
    with pytest.raises(UserError, match="cannot read image"):
        open_video(tmp_path / "broken.png")


def test_audio_only_and_frameless_files(tmp_path):
    audio = tmp_path / "tone.wav"
    with av.open(str(audio), "w") as c:
        stream = c.add_stream("pcm_s16le", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        for packet in stream.encode(frame):
            c.mux(packet)
    with pytest.raises(UserError, match="no video stream"):
        open_video(audio)
    frameless = tmp_path / "frameless.mp4"
    with av.open(str(frameless), "w") as c:
        stream = c.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        c.start_encoding()
    assert frameless.stat().st_size > 0
    with pytest.raises(UserError, match="no video stream"):
        open_video(frameless)
