"""The shipped default model on an ordinary real video: a photograph (matplotlib's sample portrait) filmed by a
panning, zooming virtual camera at 30 fps with an odd frame size, tracked from a box around the face."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from amodal_vos.cli.main import cli
from amodal_vos.io.sink import VideoSink
from amodal_vos.io.video import VideoInfo, open_video

FRAMES, WIDTH, HEIGHT, RATE = 30, 161, 121, Fraction(30)


def write_pan_video(path, photo: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Write a pan and zoom over ``photo``; returns the face box (x, y, w, h) in every frame."""
    ph, pw = photo.shape[:2]
    face = np.array([0.30 * pw, 0.12 * ph, 0.42 * pw, 0.40 * ph])  # x, y, w, h of the face in the photo
    boxes = []
    with VideoSink(path, VideoInfo(str(path), WIDTH, HEIGHT, RATE, FRAMES)) as sink:
        for t in range(FRAMES):
            s = t / (FRAMES - 1)
            cw, ch = (0.9 - 0.2 * s) * pw, (0.9 - 0.2 * s) * ph * HEIGHT / WIDTH * pw / ph  # zoom in
            x0, y0 = s * (pw - cw) * 0.5, 0.05 * ph
            crop = Image.fromarray(photo).crop((x0, y0, x0 + cw, y0 + ch)).resize((WIDTH, HEIGHT))
            sink.write(np.asarray(crop.convert("RGB")))
            sx, sy = WIDTH / cw, HEIGHT / ch
            boxes.append(
                tuple(
                    round(v) for v in ((face[0] - x0) * sx, (face[1] - y0) * sy, face[2] * sx, face[3] * sy)
                )
            )
    return boxes


@pytest.fixture(scope="module")
def pan_video(tmp_path_factory):
    from matplotlib import cbook

    with cbook.get_sample_data("grace_hopper.jpg") as f:
        photo = np.asarray(Image.open(f).convert("RGB"))
    path = tmp_path_factory.mktemp("real") / "portrait_pan.mp4"
    return path, write_pan_video(path, photo)


def test_default_model_tracks_a_real_video(pan_video):
    path, boxes = pan_video
    out = path.with_suffix(".amodal.mp4")
    x, y, w, h = boxes[0]
    masks = path.with_suffix(".amodal.json")
    args = ["track", str(path), "--box", f"{x},{y},{w},{h}", "--output", str(out), "--masks", str(masks)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    src, overlay = open_video(path).info, open_video(out).info
    assert (overlay.width, overlay.height, overlay.rate, overlay.num_frames) == (WIDTH, HEIGHT, RATE, FRAMES)
    assert (src.width, src.height, src.num_frames) == (WIDTH, HEIGHT, FRAMES)
    doc = json.loads(masks.read_text())
    assert doc["model"]["checkpoint"].endswith("default.safetensors")  # the shipped model, not random weights
    assert (
        doc["model"]["prompt_views"] is True
    )  # memory-free search regions: the prompt frame is seen several ways
    frames = doc["frames"]
    assert len(frames) == FRAMES
    assert all(f["objects"][0]["box"] is not None for f in frames), "the object was lost on some frame"
    # the prompt frame's mask lies mostly inside the face box the model was given
    bx, by, bw, bh = frames[0]["objects"][0]["box"]
    assert x - 0.2 * w <= bx and bx + bw <= x + 1.2 * w and y - 0.2 * h <= by and by + bh <= y + 1.2 * h
