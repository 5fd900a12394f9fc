"""The demo: a generated clip with two occluded fish, tracked and scored against the generator's ground truth."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from amodal_vos.cli.main import cli
from amodal_vos.demo import NUM_TARGETS, find_demo_clip, run_demo
from amodal_vos.io.video import open_video
from amodal_vos.tracking import AmodalTracker, TrackResult


def test_demo_clip_has_two_targets_clear_at_first_and_hidden_later():
    clip, targets = find_demo_clip()
    assert len(targets) == NUM_TARGETS
    for i in targets:
        obj = clip.objects[i]
        assert obj.visible[0].sum() >= 0.6 * obj.amodal[0].sum()
        assert obj.occlusion_rate().max() > 0.2


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    tracker = AmodalTracker.from_config("small", image_size=64, device="cpu", warn=False)
    rows, files = run_demo(out, tracker)
    return out, rows, files


def test_demo_writes_overlay_masks_and_summary(demo_run):
    out, rows, files = demo_run
    clip = open_video(files["clip"]).info
    overlay = open_video(files["overlay"]).info
    assert (overlay.num_frames, overlay.width, overlay.height) == (clip.num_frames, clip.width, clip.height)
    summary = json.loads(files["summary"].read_text())
    assert [o["object"] for o in summary["objects"]] == [1, 2] == [r["object"] for r in rows]
    result = TrackResult.load(files["masks"])
    assert result.ids == [1, 2] and len(result) == clip.num_frames


def test_demo_scores_are_the_iou_of_the_written_masks(demo_run):
    """The summary's IoU is recomputed here from the masks JSON and the generator's ground truth."""
    _, rows, files = demo_run
    clip, targets = find_demo_clip()
    result = TrackResult.load(files["masks"])
    for row, i in zip(rows, targets, strict=True):
        gt = clip.objects[i].amodal
        pred = np.stack([result.amodal(t, row["object"]) for t in range(clip.num_frames)])
        inter = (pred & gt).sum((1, 2))
        union = (pred | gt).sum((1, 2))
        present = gt.any((1, 2))
        expected = 100 * np.mean(np.where(union > 0, inter / np.maximum(union, 1), 0)[present])
        assert row["iou_full"] == pytest.approx(expected, abs=0.06)


def test_demo_cli_refuses_to_overwrite_without_force(demo_run):
    out, _, _ = demo_run
    res = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert res.exit_code == 2
    assert "already exists (pass --force to overwrite)" in res.output
