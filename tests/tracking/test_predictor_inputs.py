"""Inputs of interactive tracking: prompts files, MOT / COCO detections, negative clicks on the CLI, and results that
reopen from any folder and carry the predicted IoU."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest
from PIL import Image

from amodal_vos.errors import UserError
from amodal_vos.tracking import TrackResult
from amodal_vos.tracking.detections import box_iou, follow_detections, read_detections
from amodal_vos.tracking.predictor import AmodalPredictor
from amodal_vos.tracking.prompt_file import read_prompts

from .conftest import FRAMES, HEIGHT, WIDTH, invoke


def write_prompts(folder, objects):
    path = folder / "prompts.json"
    path.write_text(json.dumps({"objects": objects}))
    return path


def test_a_prompts_file_with_two_prompts_for_one_object(tracker, clip, tmp_path):
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    mask[20:40, 30:60] = 255
    Image.fromarray(mask).save(tmp_path / "m.png")
    path = write_prompts(tmp_path, [
        {"id": 1, "prompts": [{"frame": 0, "box": [5, 20, 25, 25]},
                              {"frame": 8, "points": [[20, 30], [10, 25]], "labels": [1, 0]}]},
        {"id": 4, "prompts": [{"frame": 3, "mask": "m.png"}]},
    ])  # fmt: skip
    prompts = read_prompts(path)
    assert [(p.obj_id, p.frame) for p in prompts] == [(1, 0), (1, 8), (4, 3)]
    assert prompts[1].labels == (1, 0) and prompts[2].mask.sum() == 20 * 30
    predictor = AmodalPredictor.from_tracker(tracker)
    state = predictor.init_state(clip[0])
    predictor.add_prompts(state, prompts)
    assert state.objects[1].cond_frames == [0, 8]
    list(predictor.propagate_in_video(state))
    list(predictor.propagate_in_video(state, reverse=True))
    result = predictor.result(state)
    assert not result.partial and result.ids == [1, 4]
    saved = result.save(masks=tmp_path / "out.json")["masks"]
    doc = json.loads(saved.read_text())
    assert [p["frame"] for p in doc["objects"][0]["prompts"]] == [0, 8]
    back = TrackResult.load(saved)
    assert [p.frame for p in back.object_prompts[1]] == [0, 8] and back.prompts[1].mask.sum() == 600


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"id": 0, "prompts": [{"frame": 0, "box": [1, 2, 3, 4]}]}, r"objects\[0\]: id must be an integer"),
        ({"id": 1, "prompts": [{"frame": 0, "box": [1, 2, 3]}]}, r"prompts\[0\]: box must be 4 numbers"),
        ({"id": 1, "prompts": [{"frame": 0, "points": [[1, 2]], "labels": [1, 0]}]}, "1 points but 2 labels"),
        ({"id": 1, "prompts": [{"frame": -1, "box": [1, 2, 3, 4]}]}, "frame must be an integer >= 0"),
        ({"id": 1, "prompts": [{"frame": 0, "mask": "none.png"}]}, "mask image not found"),
        ({"id": 1, "prompts": [{"frame": 0, "box": [1, 2, 3, 4], "colour": 1}]}, "unknown key"),
        ({"id": 1, "prompts": []}, "at least one prompt"),
    ],
)
def test_prompts_file_errors_are_one_line(tmp_path, entry, message):
    with pytest.raises(UserError, match=message) as err:
        read_prompts(write_prompts(tmp_path, [entry]))
    assert "\n" not in str(err.value)


def write_detections(folder, kind):
    """Two tracks: 7 moves right from frame 2, 9 sits still from frame 4 (frames from 0)."""
    rows = [(t, 7, (5 + t, 20, 22, 22)) for t in range(2, 12)] + [
        (t, 9, (60, 30, 20, 20)) for t in range(4, 12)
    ]
    if kind == "mot":
        path = folder / "dets.txt"
        lines = [f"{t + 1},{i},{x},{y},{w},{h},0.9,-1,-1,-1" for t, i, (x, y, w, h) in rows]
        path.write_text("\n".join(lines + ["3,-1,1,1,5,5,0.5,-1,-1,-1"]))  # an untracked detection: skipped
    else:
        path = folder / "dets.json"
        items = [
            {"image_id": t + 1, "track_id": i, "bbox": list(b), "score": 0.9, "category_id": 1}
            for t, i, b in rows
        ]
        path.write_text(json.dumps(items + [{"image_id": 3, "bbox": [1, 1, 5, 5], "score": 0.5}]))
    return path


@pytest.mark.parametrize("kind", ["mot", "coco"])
def test_detection_files_make_one_object_per_track(tracker, clip, tmp_path, kind):
    found = read_detections(write_detections(tmp_path, kind))
    assert sorted(found.tracks) == [7, 9] and found.tracks[7][2] == (7, 20, 22, 22)
    prompts = found.first_prompts()
    assert [(p.obj_id, p.frame, p.box) for p in prompts] == [
        (7, 2, (7, 20, 22, 22)),
        (9, 4, (60, 30, 20, 20)),
    ]
    predictor = AmodalPredictor.from_tracker(tracker)
    state = predictor.init_state(clip[0], max_frames=12)
    predictor.add_prompts(state, prompts)
    fixes = follow_detections(predictor, state, found, iou=1.01, patience=2)  # every 2nd detection re-prompts
    assert (4, 7) in fixes and (6, 9) in fixes and all(t > state.objects[i].first_frame for t, i in fixes)
    assert state.objects[7].cond_frames == [2] + [t for t, i in fixes if i == 7]
    list(predictor.propagate_in_video(state, reverse=True))
    result = predictor.result(state)
    assert result.ids == [7, 9] and not result.partial and len(result) == 12


def test_detection_file_errors(tmp_path):
    (tmp_path / "bad.txt").write_text("1,2,3\n")
    with pytest.raises(UserError, match=r"bad.txt:1: expected frame,id,x,y,w,h"):
        read_detections(tmp_path / "bad.txt")
    (tmp_path / "none.txt").write_text("1,-1,1,1,5,5,0.9\n")
    with pytest.raises(UserError, match="no tracked detections"):
        read_detections(tmp_path / "none.txt")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00\x81 not text")  # was a UnicodeDecodeError traceback
    with pytest.raises(UserError, match="cannot read detections file .*binary.txt"):
        read_detections(tmp_path / "binary.txt")
    (tmp_path / "broken.json").write_text("[{")
    with pytest.raises(UserError, match="cannot read detections file .*broken.json"):
        read_detections(tmp_path / "broken.json")
    assert (
        box_iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(1 / 3) and box_iou((0, 0, 1, 1), None) == 0
    )


def test_track_cli_runs_prompt_files_and_detections_through_the_predictor(clip, small_yaml, tmp_path):
    path = write_prompts(tmp_path, [{"id": 2, "prompts": [{"frame": 0, "box": [5, 20, 25, 25]},
                                                          {"frame": 6, "points": [[20, 30]], "labels": [0]}]}])  # fmt: skip
    out = tmp_path / "a.mp4"
    result = invoke(
        "track", clip[0], "--prompts", path, "--config", small_yaml, "-o", out, "--max-frames", 10, "-q"
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(out.with_suffix(".json").read_text())
    assert len(doc["frames"]) == 10 and [len(o["prompts"]) for o in doc["objects"]] == [2]
    assert all(isinstance(o["iou"], float) for f in doc["frames"] for o in f["objects"])
    result = invoke("track", clip[0], "--detections", write_detections(tmp_path, "mot"), "--config", small_yaml,
                    "-o", tmp_path / "b.mp4", "--max-frames", 8, "-q")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [o["id"] for o in json.loads((tmp_path / "b.json").read_text())["objects"]] == [7, 9]
    bad = invoke("track", clip[0], "--prompts", path, "--box", "1,1,5,5", "--config", small_yaml, "-q")
    assert bad.exit_code == 2 and "error: --prompts cannot be combined with --box" in bad.output


def test_interrupted_predictor_run_writes_a_partial_result(clip, small_yaml, tmp_path, monkeypatch):
    """SIGTERM in the middle of a --prompts run (the predictor path): the frames done are written, marked partial,
    exit 128 + 15, as for plain `track`."""
    forward = AmodalPredictor.propagate_in_video

    def stopped_after_four(self, state, **kwargs):
        for n, result in enumerate(forward(self, state, **kwargs)):
            if n == 3:
                os.kill(
                    os.getpid(), signal.SIGTERM
                )  # caught by the run's handler: stop at the frame boundary
            yield result

    monkeypatch.setattr(AmodalPredictor, "propagate_in_video", stopped_after_four)
    path = write_prompts(tmp_path, [{"id": 1, "prompts": [{"frame": 0, "box": [5, 20, 25, 25]},
                                                          {"frame": 6, "points": [[20, 30]], "labels": [0]}]}])  # fmt: skip
    out = tmp_path / "p.mp4"
    result = invoke("track", clip[0], "--prompts", path, "--config", small_yaml, "-o", out, "-q")
    assert result.exit_code == 128 + signal.SIGTERM, result.output
    assert "interrupted after 4 of" in result.output and "Traceback" not in result.output
    doc = json.loads(out.with_suffix(".json").read_text())
    assert doc["partial"] is True and len(doc["frames"]) == 4
    assert out.exists()


def test_negative_clicks_on_the_command_line(clip, small_yaml, tmp_path):
    out = tmp_path / "n.mp4"
    args = ["track", clip[0], "--box", "5,20,25,25", "--neg-point", "20,30", "--neg-point", "1=22,31:10,40@5",
            "--config", small_yaml, "-o", out, "--max-frames", 8, "-q"]  # fmt: skip
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    (first, later) = json.loads(out.with_suffix(".json").read_text())["objects"][0]["prompts"]
    assert first["box"] == [5, 20, 25, 25] and first["labels"] == [0]  # joined the box on frame 0
    assert later == {"frame": 5, "box": None, "points": [[22, 31], [10, 40]], "labels": [0, 0]}
    bad = invoke(
        "track", clip[0], "--box", "5,20,25,25", "--neg-point", "x=1,2", "--config", small_yaml, "-q"
    )
    assert bad.exit_code == 2 and "malformed negative point" in bad.output


def test_a_saved_result_reopens_from_any_folder_and_old_files_load(tracker, clip, tmp_path, monkeypatch):
    result = tracker.track(clip[0], [(5, 20, 25, 25)], max_frames=3)
    (tmp_path / "sub").mkdir()
    saved = result.save(masks=tmp_path / "sub" / "r.json")["masks"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    back = TrackResult.load(os.path.relpath(saved))
    assert back.render(1).shape == (HEIGHT, WIDTH, 3) and back.frames == result.frames
    doc = json.loads(saved.read_text())
    video = tmp_path / "sub" / "v.mp4"
    video.write_bytes(clip[0].read_bytes())  # moved along with the JSON, written with a relative path
    doc["video"]["path"] = "gone/v.mp4"
    for frame in doc["frames"]:
        for o in frame["objects"]:
            del o["iou"]  # as written before the IoU was recorded
    (tmp_path / "sub" / "old.json").write_text(json.dumps(doc))
    old = TrackResult.load(tmp_path / "sub" / "old.json")
    assert old.video.path == str(video) and old.frames[0][1].iou is None and old.render(0).shape[0] == HEIGHT
    assert FRAMES > 3
