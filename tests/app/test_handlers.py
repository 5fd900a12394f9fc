"""The app's handlers called directly (no browser): bad input gives a message and leaves the page as it was, a box
and Track give overlay frames, a plot and a masks JSON, a click on a tracked object is a correction."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("gradio", reason="the app needs gradio (pip install 'amodal-vos[app]')")

from amodal_vos.app.handlers import Handlers  # noqa: E402
from amodal_vos.io.shapes_video import write_shapes_video  # noqa: E402
from amodal_vos.tracking.predictor import AmodalPredictor  # noqa: E402

FRAMES, HEIGHT, WIDTH = 8, 72, 96
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # gr.Warning outside a page is a UserWarning


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """(handlers over the shipped model and a generated clip, ground-truth boxes [T, 2, 4] x,y,w,h)."""
    import torch

    torch.set_num_threads(1)
    clip = tmp_path_factory.mktemp("app") / "shapes.mp4"
    boxes = write_shapes_video(clip, FRAMES, HEIGHT, WIDTH, 12)
    return Handlers(AmodalPredictor.default(), clip), boxes


def is_skip(value) -> bool:
    return isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1


def opened(handlers):
    out = handlers.load(None)
    assert out[-1].startswith("opened shapes.mp4: 8 frames")
    return out[0]


def draw_box(handlers, session, box, t=0, obj_id=1):
    x, y, w, h = box
    first = handlers.click(session, t, "box", obj_id, None, None, x, y)
    assert "first corner" in first[-1]
    return handlers.click(session, t, "box", obj_id, None, None, x + w, y + h)


def test_not_a_video_gives_a_message(app, tmp_path):
    handlers, _ = app
    junk = tmp_path / "notes.mp4"
    junk.write_text("not a video")
    out = handlers.load(str(junk))
    assert len(out) == 7 and all(is_skip(v) for v in out[:-1])
    assert "cannot read video" in out[-1] and "\n" not in out[-1]


def test_zero_size_box_gives_a_message(app):
    handlers, _ = app
    session = opened(handlers)
    handlers.click(session, 0, "box", 1, None, None, 30, 20)
    out = handlers.click(session, 0, "box", 1, None, None, 30.4, 20)
    assert "zero size" in out[-1] and all(is_skip(v) for v in out[:-1])
    assert session.obj_ids == [] and session.corner is None


def test_track_without_object_gives_a_message(app):
    handlers, _ = app
    session = opened(handlers)
    (out,) = list(handlers.track(session, None, None))
    assert out[-1].startswith("nothing to track") and all(is_skip(v) for v in out[:-1])
    assert handlers.show(None, 0, None, None)[-1].startswith("no video open")
    assert "outside the video" in handlers.show(session, FRAMES, None, None)[-1]
    assert "object id" in handlers.click(session, 0, "box", 0, None, None, 5, 5)[-1]


def test_box_and_track_give_overlays_and_masks_json(app):
    handlers, boxes = app
    session = opened(handlers)
    raw = session.frames.frame(0)
    _, image, objects, text = draw_box(handlers, session, boxes[0, 0])
    assert text.startswith("object 1: box on frame 0") and objects["choices"] == ["1"]
    x, y, w, h = (int(v) for v in boxes[0, 0])
    assert np.abs(image[y : y + h, x : x + w].astype(int) - raw[y : y + h, x : x + w]).mean() > 10

    steps = list(handlers.track(session, None, ["1"]))
    *frames, last = steps
    assert frames and all(isinstance(s[1], np.ndarray) and s[1].shape == (HEIGHT, WIDTH, 3) for s in frames)
    assert last[-1].startswith(f"tracked 1 object(s) over {FRAMES} frames")
    plot, (masks,) = last[3], last[4]
    assert set(plot["series"]) == {"object 1 hidden", "object 1 presence"} and len(plot) == 2 * FRAMES
    doc = json.loads(Path(masks).read_text())
    assert len(doc["frames"]) == FRAMES and not doc["partial"]

    hidden = handlers.show(session, 3, ["outline (whole shape)"], [])[0]  # object 1 not ticked: raw frame
    assert np.array_equal(hidden, session.frames.frame(3))


def test_correction_recomputes_from_its_frame(app):
    handlers, boxes = app
    session = opened(handlers)
    draw_box(handlers, session, boxes[0, 0])
    list(handlers.track(session, None, None))
    before = {t: dict(session.state.frames[t]) for t in range(FRAMES)}
    _, _, _, text = handlers.click(session, 5, "negative click", 1, None, None, 2, 2)
    assert "a correction" in text
    list(handlers.track(session, None, None))
    for t in range(5):
        assert session.state.frames[t][1].amodal == before[t][1].amodal  # frames before the click untouched
    files, text = handlers.export(session)
    assert text.startswith("wrote 6 files") and any(f.endswith(".davis.zip") for f in files)
