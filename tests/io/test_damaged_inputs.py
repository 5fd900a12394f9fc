"""Issue 14, inputs: truncated mp4s whose index survived, 16-bit PNGs, display rotation."""

from __future__ import annotations

import av
import numpy as np
import pytest
from PIL import Image

from amodal_vos.errors import UserError
from amodal_vos.io.video import TruncatedVideo, open_video

from .videos import write_faststart


def truncate(path, out, share=0.6):
    data = path.read_bytes()
    out.write_bytes(data[: int(len(data) * share)])
    return out


@pytest.fixture(scope="module")
def truncated_mp4(tmp_path_factory):
    folder = tmp_path_factory.mktemp("damaged")
    return truncate(write_faststart(folder / "whole.mp4"), folder / "cut.mp4")


def test_truncated_mp4_with_index_raises_with_the_frames_that_can_be_read(truncated_mp4):
    source = open_video(truncated_mp4)
    assert source.info.num_frames == 20  # the index still announces every frame
    read = []
    with pytest.raises(TruncatedVideo) as info:
        read.extend(source.frames())
    assert 0 < info.value.available == len(read) < 20 and info.value.expected == 20
    assert "truncated" in str(info.value) and "\n" not in str(info.value)


def test_reading_from_inside_the_lost_part_is_an_error(truncated_mp4):
    source = open_video(truncated_mp4)
    with pytest.raises(TruncatedVideo):
        list(source.frames(15, 20))
    with pytest.raises(UserError):
        source.frame(18)


def test_16_bit_grey_png_is_scaled_not_clipped(tmp_path):
    values = np.linspace(0, 65535, 48 * 32).reshape(32, 48).astype(np.uint16)
    Image.fromarray(values).save(tmp_path / "grey16.png")
    image = open_video(tmp_path / "grey16.png").frame(0)
    expected = np.round(values / 257.0).astype(np.uint8)
    assert image.dtype == np.uint8 and image.shape == (32, 48, 3)
    assert np.abs(image[..., 0].astype(int) - expected).max() <= 1
    assert (image == 255).mean() < 0.01  # before: everything above 255 came out white
    folder = tmp_path / "frames"
    folder.mkdir()
    Image.fromarray(values).save(folder / "0.png")
    Image.fromarray(values[::-1].copy()).save(folder / "1.png")
    frames = list(open_video(folder).frames())
    assert np.abs(frames[1][..., 0].astype(int) - expected[::-1]).max() <= 1


@pytest.mark.parametrize("rotation", [90, -90, 180])
def test_display_rotation_is_applied(tmp_path, rotation):
    path = write_faststart(tmp_path / "rotated.mp4", num_frames=3, rotation=rotation)
    with av.open(str(path)) as c:
        raw = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    source = open_video(path)
    turns = rotation // 90 % 4
    expected_size = (32, 48) if turns % 2 else (48, 32)
    assert (source.info.width, source.info.height) == expected_size
    frames = list(source.frames())
    assert len(frames) == 3 and frames[0].shape == (expected_size[1], expected_size[0], 3)
    assert all(np.array_equal(a, np.rot90(b, turns)) for a, b in zip(frames, raw, strict=True))
    assert np.array_equal(source.frame(2), frames[2]) and frames[0].flags["C_CONTIGUOUS"]


def test_decoding_error_before_any_frame_says_so(shapes_mp4, monkeypatch):
    """Was: "decoding failed after frame -1"."""
    import types

    import amodal_vos.io.pyav_source as pyav_source

    source = open_video(shapes_mp4)

    class Broken:
        streams = types.SimpleNamespace(video=[types.SimpleNamespace(thread_type=None)])

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def demux(self, stream):
            raise ValueError("invalid data found when processing input")

        decode = demux

    monkeypatch.setattr(pyav_source, "av", types.SimpleNamespace(open=lambda *a, **k: Broken()))
    with pytest.raises(UserError, match="before the first frame") as info:
        list(source.frames())
    assert "frame -1" not in str(info.value)  # (pytest's temporary folder names hold "-1")
    assert "no frame of 5" in str(TruncatedVideo("x", 0, 5))
