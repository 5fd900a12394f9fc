"""Issue 14, outputs: run-unique temporary names, no clobbering, outputs committed as one set, partial results
beside complete ones, the input never overwritten, and the CLI side (truncated videos, eval --out)."""

from __future__ import annotations

import json
import os
from fractions import Fraction

import numpy as np
import pytest

import amodal_vos.io.atomic as atomic
from amodal_vos.errors import UserError
from amodal_vos.io.frame_masks import FrameMasks
from amodal_vos.io.video import VideoInfo
from amodal_vos.tracking.outputs import Outputs
from amodal_vos.tracking.prompts import Prompt
from amodal_vos.tracking.result import TrackResult

from .conftest import invoke

INFO = VideoInfo("in.mp4", 32, 24, Fraction(10), 4)


def result(partial=False):
    r = TrackResult(INFO, [Prompt(box=(1, 1, 5, 5), obj_id=1)], 0, 4, {"config": "test"})
    r.partial = partial
    return r


def write(outputs, n=2, value=0):
    for i in range(n):
        frame = np.full((24, 32, 3), value, np.uint8)
        outputs.write_frame(i, frame, FrameMasks([1], np.zeros((1, 24, 32), bool), None))


def listing(folder):
    return sorted(p.name for p in folder.iterdir())


def test_two_runs_on_one_output_never_mix_and_never_crash(tmp_path):
    """Both runs used out.partial.mp4: the second crashed with a traceback, leaving a mixed set."""
    out, masks = tmp_path / "out.mp4", tmp_path / "out.json"
    first, second = Outputs(INFO, out, masks), Outputs(INFO, out, masks)
    with first, pytest.raises(UserError, match="was created while this run was writing"), second:
        write(first, 2, value=10)
        write(second, 3, value=200)
        first.finish(result())
        second.finish(result())
    assert listing(tmp_path) == ["out.json", "out.mp4"]  # the first run's set, no temporaries left
    assert len(json.loads(masks.read_text())["frames"]) == 0
    from amodal_vos.io.video import open_video

    frames = list(open_video(out).frames())
    assert len(frames) == 2 and frames[0].mean() < 50


def test_files_that_look_like_temporaries_are_never_touched(tmp_path):
    (tmp_path / "out.partial.mp4").write_bytes(b"mine")
    (tmp_path / "out.partial.json").write_bytes(b"also mine")
    (tmp_path / "masks.partial").mkdir()
    with Outputs(INFO, tmp_path / "out.mp4", tmp_path / "out.json", tmp_path / "masks") as outputs:
        write(outputs)
        outputs.finish(result())
    assert (tmp_path / "out.partial.mp4").read_bytes() == b"mine"
    assert (tmp_path / "out.partial.json").read_bytes() == b"also mine"
    assert listing(tmp_path) == [
        "masks",
        "masks.partial",
        "out.json",
        "out.mp4",
        "out.partial.json",
        "out.partial.mp4",
    ]


def test_partial_result_goes_beside_a_complete_one(tmp_path):
    out, masks = tmp_path / "out.mp4", tmp_path / "out.json"
    out.write_bytes(b"complete video")
    masks.write_bytes(b"complete json")
    (tmp_path / "out.partial.json").write_bytes(b"not ours")  # taken: the partial set moves on to -2
    with Outputs(INFO, out, masks, force=True) as outputs:
        write(outputs)
        written = outputs.finish(result(partial=True))
    assert out.read_bytes() == b"complete video" and masks.read_bytes() == b"complete json"
    assert (tmp_path / "out.partial.json").read_bytes() == b"not ours"
    assert written == {"video": tmp_path / "out.partial-2.mp4", "masks": tmp_path / "out.partial-2.json"}
    assert json.loads(written["masks"].read_text())["partial"] is True


def test_outputs_are_replaced_as_a_set_or_not_at_all(tmp_path, monkeypatch):
    out, masks = tmp_path / "out.mp4", tmp_path / "out.json"
    out.write_bytes(b"old video")
    masks.write_bytes(b"old json")
    real_replace, real_rename = os.replace, os.rename

    def failing(kind):
        def move(src, dst):
            if str(dst).endswith("out.json") and "tmp-" in str(src):
                raise OSError(28, "No space left on device")
            return (real_replace if kind == "replace" else real_rename)(src, dst)

        return move

    monkeypatch.setattr(atomic.os, "replace", failing("replace"))
    monkeypatch.setattr(atomic.os, "rename", failing("rename"))
    with (
        pytest.raises(UserError, match="earlier outputs were left in place"),
        Outputs(INFO, out, masks, force=True) as o,
    ):
        write(o)
        o.finish(result())
    assert out.read_bytes() == b"old video" and masks.read_bytes() == b"old json"
    assert listing(tmp_path) == ["out.json", "out.mp4"]
    monkeypatch.undo()
    with Outputs(INFO, out, masks, force=True) as o:  # and without a failure the new set replaces the old
        write(o)
        o.finish(result())
    assert json.loads(masks.read_text())["partial"] is False and out.stat().st_size > 100


def test_output_naming_the_input_is_refused_even_with_force(tmp_path):
    video = tmp_path / "in.mp4"
    video.write_bytes(b"precious")
    info = VideoInfo(str(video), 32, 24, Fraction(10), 4)
    for kwargs in (
        {"video": video},
        {"masks": video},
        {"video": tmp_path / "x.mp4", "masks": tmp_path / "in.mp4"},
    ):
        with pytest.raises(UserError, match="is the input"):
            Outputs(info, force=True, **kwargs)
    assert video.read_bytes() == b"precious"
    frames = tmp_path / "frames"
    frames.mkdir()
    (frames / "0.png").write_bytes(b"frame")
    with pytest.raises(UserError, match="is the input"):
        Outputs(VideoInfo(str(frames), 32, 24, Fraction(10), 1, "frames"), png_dir=frames, force=True)
    assert (frames / "0.png").read_bytes() == b"frame"


def test_strict_json_never_holds_nan(tmp_path):
    r = result()
    r.model = {"config": "test", "bad": float("nan")}
    with pytest.raises(UserError, match="not a finite number"), Outputs(INFO, None, tmp_path / "o.json") as o:
        o.finish(r)
    assert listing(tmp_path) == []


# --- command line -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def truncated(tmp_path_factory):
    from tests.io.test_damaged_inputs import truncate, write_faststart

    folder = tmp_path_factory.mktemp("cut")
    return truncate(write_faststart(folder / "whole.mp4", num_frames=12, gop=3), folder / "cut.mp4", 0.6)


def one_error_line(run, text):
    lines = [
        line for line in run.stderr.strip().splitlines() if not line.startswith("WARNING: no trained model")
    ]
    assert run.exit_code == 2, run.output
    assert len(lines) == 1 and lines[0].startswith("error: ") and text in lines[0], run.stderr
    assert "Traceback" not in run.output


def test_truncated_video_is_an_error_unless_allowed(truncated, small_yaml, tmp_path):
    from amodal_vos.io.video import TruncatedVideo, open_video

    with pytest.raises(TruncatedVideo) as err:
        list(open_video(truncated).frames())
    readable = err.value.available
    args = ["track", truncated, "--box", "2,2,12,12", "--config", small_yaml, "-q", "--no-visible"]
    one_error_line(invoke(*args, "-o", tmp_path / "a.mp4"), "--allow-truncated")
    assert listing(tmp_path) == []
    run = invoke(*args, "-o", tmp_path / "b.mp4", "--allow-truncated")
    assert run.exit_code == 0, run.output
    doc = json.loads((tmp_path / "b.json").read_text())
    assert doc["partial"] is True and doc["truncated"] is True and len(doc["frames"]) == readable
    assert f"tracked frames 0..{readable - 1} of 0..11" in run.stderr
    assert listing(tmp_path) == ["b.json", "b.mp4"]


def test_starting_inside_the_lost_part_is_an_error(truncated, small_yaml, tmp_path):
    run = invoke("track", truncated, "--box", "2,2,12,12", "--start", 10, "--frame", 10, "--config", small_yaml, "-q",
                 "--no-visible", "-o", tmp_path / "a.mp4", "--allow-truncated")  # fmt: skip
    one_error_line(run, "cannot be read")
    assert listing(tmp_path) == []


def test_output_naming_the_input_video_on_the_command_line(truncated, small_yaml, tmp_path):
    video = tmp_path / "clip.mp4"
    video.write_bytes(truncated.read_bytes())
    before = video.read_bytes()
    run = invoke("track", video, "--box", "2,2,12,12", "--config", small_yaml, "-o", video, "--force", "-q")
    one_error_line(run, "is the input")
    assert video.read_bytes() == before


def test_eval_out_needs_force_to_replace_results(tmp_path):
    (tmp_path / "results.json").write_text("{}")
    run = invoke("eval", "synthetic", "--checkpoint", tmp_path / "missing.safetensors", "--out", tmp_path)
    one_error_line(run, "already exists (pass --force")
    assert (tmp_path / "results.json").read_text() == "{}"


class NotATensor:
    """Pickled into a checkpoint: torch's weights-only loader refuses it (and suggests weights_only=False)."""


def test_checkpoint_error_does_not_repeat_torchs_weights_only_hint(tmp_path):
    import torch

    from amodal_vos.io.shapes_video import write_shapes_video

    path = tmp_path / "odd_tiny.pt"
    torch.save({"model": {}, "extra": NotATensor()}, path)
    video = tmp_path / "v.mp4"
    write_shapes_video(video, 2, 32, 48)
    run = invoke("track", video, "--box", "2,2,10,10", "--checkpoint", path, "-o", tmp_path / "o.mp4")
    one_error_line(run, "Weights only load failed")
    assert (
        "weights_only" not in run.stderr
        and "can still be loaded" not in run.stderr
        and "\x1b" not in run.stderr
    )
