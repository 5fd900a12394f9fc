"""AmodalTracker end to end on a generated clip: outputs match the input, the JSON matches the API, backward
propagation mirrors forward propagation, Ctrl-C leaves valid partial outputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from amodal_vos.io.palette import read_label_png
from amodal_vos.tracking import Prompt, TrackingInterrupted, TrackResult

from .conftest import FRAMES, HEIGHT, RATE, WIDTH, decode_count, frames_of


@pytest.fixture(scope="module")
def tracked(clip, model, tmp_path_factory):
    """One run with every output: object 1 boxed on frame 0, object 2 clicked on frame 9."""
    from amodal_vos.tracking import AmodalTracker

    path, boxes = clip
    out = tmp_path_factory.mktemp("run")
    x, y, w, h = boxes[9, 1]
    prompts = [Prompt.from_box(boxes[0, 0]), Prompt.from_points([(x + w / 2, y + h / 2)], frame=9)]
    tracker = AmodalTracker(model)
    result = tracker.track(path, prompts, output=out / "o.mp4", masks=out / "o.json", png_dir=out / "png")
    return result, out, tracker


def test_overlay_has_the_input_size_rate_and_frame_count(tracked):
    result, out, tracker = tracked
    assert decode_count(out / "o.mp4") == (WIDTH, HEIGHT, RATE, FRAMES)
    assert sorted(p.name for p in out.iterdir()) == ["o.json", "o.mp4", "png"]  # no temporary files left
    assert len(result) == FRAMES and not result.partial


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pycocotools 2.0.x with numpy 2
def test_json_decodes_with_pycocotools_and_matches_the_api(tracked):
    result, out, _ = tracked
    doc = json.loads((out / "o.json").read_text())
    assert doc["format"] == "amodal-vos-masks/1" and doc["partial"] is False
    assert doc["video"]["num_frames"] == FRAMES and doc["video"]["fps"] == float(RATE)
    assert [o["prompt"]["frame"] for o in doc["objects"]] == [0, 9]
    assert [f["index"] for f in doc["frames"]] == list(range(FRAMES))
    nonempty = 0
    for entry in doc["frames"]:
        masks = result.masks(entry["index"])
        for i, obj in enumerate(entry["objects"]):
            amodal = mask_utils.decode(
                {"size": obj["amodal"]["size"], "counts": obj["amodal"]["counts"].encode()}
            )
            visible = mask_utils.decode(
                {"size": obj["visible"]["size"], "counts": obj["visible"]["counts"].encode()}
            )
            assert amodal.shape == (HEIGHT, WIDTH)
            assert np.array_equal(amodal.astype(bool), masks.amodal[i])
            assert np.array_equal(visible.astype(bool), masks.visible[i])
            area = amodal.sum()
            assert obj["occlusion"] == pytest.approx((amodal & ~visible).sum() / area if area else 0.0)
            if area:
                nonempty += 1
                ys, xs = np.nonzero(amodal)
                assert obj["box"] == [xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()]
            assert 0.0 <= obj["score"] <= 1.0
    assert nonempty > FRAMES  # the check above ran on real masks
    loaded = TrackResult.load(out / "o.json")
    assert np.array_equal(loaded.masks(5).amodal, result.masks(5).amodal) and loaded.prompts == result.prompts


def test_palette_pngs_and_occluded_part(tracked):
    result, out, _ = tracked
    for index in (0, 9, FRAMES - 1):
        masks = result.masks(index)
        labels = read_label_png(out / "png" / "visible" / f"{index:05d}.png")
        assert np.array_equal(labels == 2, masks.visible[1])
        amodal2 = read_label_png(out / "png" / "amodal" / "002" / f"{index:05d}.png")
        assert np.array_equal(amodal2 == 2, masks.amodal[1])
        assert np.array_equal(result.occluded(index, 1), masks.amodal[0] & ~masks.visible[0])


def test_backward_propagation_mirrors_forward_tracking_of_the_reversed_clip(tracked, clip, model):
    from amodal_vos.tracking import AmodalTracker

    result, _, _ = tracked
    frames = frames_of(clip[0])
    prompt = result.prompts[1]  # clicked on frame 9: frames 0..8 come from the backward sweep
    mirrored = Prompt.from_points(prompt.points, frame=FRAMES - 1 - prompt.frame)
    tracker = AmodalTracker(model)
    alone = tracker.track(frames, [prompt])
    backwards = tracker.track(frames[::-1].copy(), [mirrored])
    for t in range(FRAMES):
        assert np.array_equal(alone.masks(t).amodal, backwards.masks(FRAMES - 1 - t).amodal)
        assert np.array_equal(alone.masks(t).visible, backwards.masks(FRAMES - 1 - t).visible)
    assert np.array_equal(alone.masks(3).amodal[0], result.masks(3).amodal[1])  # same in the 2-object run
    assert any(alone.masks(t).amodal.any() for t in range(prompt.frame))


def test_range_options_track_only_the_asked_frames(clip, tracker, tmp_path):
    result = tracker.track(clip[0], [Prompt.from_box(clip[1][6, 0], frame=6)], start=4, max_frames=7,
                           visible=False, output=tmp_path / "r.mp4", masks=tmp_path / "r.json")  # fmt: skip
    assert list(result.frame_indices) == list(range(4, 11))
    assert decode_count(tmp_path / "r.mp4")[3] == 7
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["range"] == {"start": 4, "end": 11} and doc["frames"][0]["objects"][0]["visible"] is None


def test_ctrl_c_leaves_a_shorter_valid_video_and_a_partial_json(clip, tracker, tmp_path):
    def stop_after_five(event):
        if event.phase == "forward" and event.done == 5:
            raise KeyboardInterrupt

    with pytest.raises(TrackingInterrupted) as stopped:
        tracker.track(clip[0], [Prompt.from_box(clip[1][0, 0])], visible=False, on_frame=stop_after_five,
                      output=tmp_path / "p.mp4", masks=tmp_path / "p.json", png_dir=tmp_path / "png")  # fmt: skip
    assert len(stopped.value.result) == 5 and stopped.value.result.partial
    assert decode_count(tmp_path / "p.mp4")[3] == 5
    doc = json.loads((tmp_path / "p.json").read_text())
    assert doc["partial"] is True and len(doc["frames"]) == 5
    assert len(list((tmp_path / "png" / "amodal" / "001").iterdir())) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json", "p.mp4", "png"]


def test_existing_outputs_need_force_and_failures_leave_nothing(clip, tracker, tmp_path, monkeypatch):
    from amodal_vos.errors import UserError

    (tmp_path / "o.mp4").write_bytes(b"old")
    prompt = [Prompt.from_box(clip[1][0, 0])]
    with pytest.raises(UserError, match="already exists"):
        tracker.track(clip[0], prompt, output=tmp_path / "o.mp4")
    monkeypatch.setattr(
        "amodal_vos.tracking.run.TrackingRun._report", lambda *a: (_ for _ in ()).throw(RuntimeError("boom"))
    )
    with pytest.raises(RuntimeError):
        tracker.track(clip[0], prompt, output=tmp_path / "o.mp4", masks=tmp_path / "o.json", force=True)
    assert (
        sorted(p.name for p in tmp_path.iterdir()) == ["o.mp4"]
        and (tmp_path / "o.mp4").read_bytes() == b"old"
    )


def test_result_saves_the_same_files_as_tracking_did_and_renders_frames(tracked, tmp_path):
    from amodal_vos.io.annotators import render

    result, out, _ = tracked
    written = result.save(output=tmp_path / "again.mp4", masks=tmp_path / "again.json")
    assert set(written) == {"video", "masks"}
    assert json.loads((tmp_path / "again.json").read_text()) == json.loads((out / "o.json").read_text())
    again, first = frames_of(tmp_path / "again.mp4"), frames_of(out / "o.mp4")
    assert again.shape == first.shape and np.abs(again.astype(int) - first).mean() < 1.0
    frame = frames_of(result.video.path)[3]
    assert np.array_equal(result.render(3), render(frame, result.masks(3)))
