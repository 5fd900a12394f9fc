"""Track-keeping figures on hand-built clips: presence through exits and fully hidden frames, identity switches,
collapsed predictions and mIoU_full by frame-index bucket."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from amodal_vos.cli.main import cli
from amodal_vos.data.sample import Clip, ObjectTrack
from amodal_vos.eval.evaluate import EvalOptions, evaluate
from amodal_vos.eval.presence import TrackScores, bucket_means, score_tracks, summarize_tracks
from amodal_vos.eval.report import tracks_table, write_results

T, H, W = 10, 20, 20
DEFAULT = Path(__file__).parents[2] / "amodal_vos" / "weights" / "default.safetensors"


def _square(y: int, x: int, t_len: int = T) -> np.ndarray:
    m = np.zeros((t_len, H, W), bool)
    m[:, y : y + 4, x : x + 4] = True
    return m


def _exit_clip() -> Clip:
    """Object 1 leaves the frame on frames 5-7 (empty GT amodal mask) and is fully hidden on frame 3; object 2
    stays in view and visible. Both are prompted on frame 0."""
    a1 = _square(2, 2)
    a1[5:8] = False
    v1 = a1.copy()
    v1[3] = False
    a2 = _square(12, 12)
    objs = [ObjectTrack(1, a1, v1), ObjectTrack(2, a2, a2.copy())]
    return Clip(np.zeros((T, H, W, 3), np.uint8), objs, clip_id="exit")


def _gts(clip: Clip) -> dict:
    return {o.obj_id: (o.amodal, o.visible) for o in clip.objects}


def test_a_mask_kept_while_the_object_is_out_of_view_scores_absent_recall_0():
    clip = _exit_clip()
    keeps = {1: _square(2, 2), 2: _square(12, 12)}  # object 1's mask stays on frames 5-7
    tracks, _ = score_tracks(keeps, _gts(clip), {1: 0, 2: 0})
    t1 = tracks[1]
    assert t1.tracked_frames == 9 and t1.out_of_view_frames == 3 and t1.out_of_view_absent == 0
    assert t1.in_view_frames == 6 and t1.in_view_present == 6
    assert t1.hidden_frames == 1 and t1.hidden_present == 1  # the fully hidden frame 3 is reported present
    s = summarize_tracks(list(tracks.values()))
    assert s["absent_recall"] == 0.0 and s["out_of_view_frames"] == 3 and s["objects_out_of_view"] == 1
    assert s["absent_precision"] is None and s["reported_absent_frames"] == 0
    assert s["hidden_presence_recall"] == 100.0 and s["hidden_frames"] == 1
    assert s["presence_recall"] == 100.0 and s["in_view_frames"] == 6 + 9


def test_a_mask_that_empties_out_of_view_scores_absent_recall_1_and_a_missed_hidden_frame_counts():
    clip = _exit_clip()
    empties = {1: clip.objects[0].amodal.copy(), 2: _square(12, 12)}
    empties[1][3] = False  # and also drops the object on its fully hidden frame
    tracks, _ = score_tracks(empties, _gts(clip), {1: 0, 2: 0})
    assert tracks[1].out_of_view_absent == 3 and tracks[1].reported_absent == 4
    s = summarize_tracks(list(tracks.values()))
    assert s["absent_recall"] == pytest.approx(100.0)
    assert s["absent_precision"] == pytest.approx(75.0)  # 3 of the 4 frames reported absent are out of view
    assert s["hidden_presence_recall"] == 0.0 and s["hidden_frames"] == 1
    assert s["presence_recall"] == pytest.approx(100 * 14 / 15)


def test_frames_up_to_the_prompt_frame_are_not_tracked():
    clip = _exit_clip()
    keeps = {1: _square(2, 2), 2: _square(12, 12)}
    tracks, collapse = score_tracks(keeps, _gts(clip), {1: 6, 2: 0})
    assert tracks[1].tracked_frames == 3 and tracks[1].out_of_view_frames == 1  # frames 7-9; frame 7 is out
    assert tracks[1].hidden_frames == 0
    assert collapse == {"multi_object_frames": 3, "collapse_frames": 0}


def test_the_protocol_gives_every_method_the_presence_figures():
    """Amodal: GT amodal masks (perfect); modal: GT visible masks (drop the hidden frame); copy-first: the prompt
    frame's mask on every frame (never reports the exit)."""
    clip = _exit_clip()

    def predictor(clip, prompts, *, adapters=True, oracle=False):
        by_id = {o.obj_id: o for o in clip.objects}
        return {
            p.obj_id: (by_id[p.obj_id].amodal if adapters else by_id[p.obj_id].visible).copy()
            for p in prompts
        }

    result = evaluate(predictor, [clip], EvalOptions())
    s = result.summary()
    assert s["amodal"]["miou_full"] == pytest.approx(100)  # the protocol's figures are still there
    assert s["amodal"]["absent_recall"] == 100.0 and s["amodal"]["hidden_presence_recall"] == 100.0
    assert s["modal"]["hidden_presence_recall"] == 0.0 and s["modal"]["absent_recall"] == 100.0
    assert s["copy-first"]["absent_recall"] == 0.0 and s["copy-first"]["out_of_view_frames"] == 3
    assert s["copy-first"]["miou_full_by_frame"][0]["frames"] == "1-8"
    assert s["amodal"]["switch_frames"] == 0 and s["amodal"]["collapse_frames"] == 0
    assert s["amodal"]["multi_object_frames"] == 9
    row = next(r for r in result.rows if r["method"] == "copy-first" and r["obj_id"] == 1)
    assert row["out_of_view_frames"] == 3 and row["out_of_view_absent"] == 0
    assert [c["method"] for c in result.clips] == ["amodal", "modal", "copy-first"]
    assert tracks_table(result).row_count == 3


def _row_clip() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three objects on a 1 x 30 strip over 4 frames: 1 at pixels 0-9, 2 at 10-19, 3 at 20-29."""
    a = np.zeros((3, 4, 1, 30), bool)
    for k in range(3):
        a[k, :, 0, 10 * k : 10 * k + 10] = True
    return a[0], a[1], a[2]


def test_a_prediction_that_sits_on_another_object_is_an_identity_switch():
    a1, a2, a3 = _row_clip()
    gts = {1: (a1, a1), 2: (a2, a2), 3: (a3, a3)}
    p1 = a1.copy()
    p1[2] = a2[2]  # frame 2: on object 2 (IoU 1 with it, 0 with its own)
    p1[3] = False
    p1[3, 0, 6:16] = True  # frame 3: IoU 4/16 with its own, 6/14 with object 2 -> a switch
    p2 = a2.copy()
    p2[1] = False
    p2[1, 0, 4:16] = True  # frame 1: IoU 6/16 with object 1 and with its own: not more than its own
    p2[2] = False
    p2[2, 0, 18:30] = True  # frame 2: IoU 2/20 with its own, 10/12 with object 3 -> a switch
    p3 = a3.copy()
    p3[3, 0, 17:27] = True  # frame 3: IoU 10/13 with its own, 3/20 with object 2: no switch
    preds = {1: p1, 2: p2, 3: p3}
    tracks, _ = score_tracks(preds, gts, {1: 0, 2: 0, 3: 0})
    assert [tracks[i].switch_frames for i in (1, 2, 3)] == [2, 1, 0]
    s = summarize_tracks(list(tracks.values()))
    assert s["switch_frames"] == 3 and s["tracked_frames"] == 9 and s["objects_switched"] == 2
    assert s["switch_rate"] == pytest.approx(100 * 3 / 9)
    # at most 0.3 with the other object it is no switch, even with no overlap with its own object
    p1[3] = False
    p1[3, 0, 16:20] = True  # 4 px of object 2 only: IoU 0.4 -> still a switch; 3 px: 0.3 -> none
    assert score_tracks({1: p1}, gts, {1: 0})[0][1].switch_frames == 2
    p1[3, 0, 16] = False
    assert score_tracks({1: p1}, gts, {1: 0})[0][1].switch_frames == 1


def test_equal_predictions_of_one_clip_are_a_collapse_counted_once_per_frame():
    a1, a2, a3 = _row_clip()
    gts = {1: (a1, a1), 2: (a2, a2), 3: (a3, a3)}
    p1, p2, p3 = a1.copy(), a2.copy(), a3.copy()
    p2[1:] = p1[1:]  # frames 1-3: objects 1 and 2 predicted the same
    p3[3] = p1[3]  # frame 3: all three the same (3 pairs, one frame)
    p3[2, 0, 0:8] = True  # frame 2: IoU 8/20 with object 1's prediction: not a collapse
    tracks, collapse = score_tracks({1: p1, 2: p2, 3: p3}, gts, {1: 0, 2: 0, 3: 0})
    assert collapse == {"multi_object_frames": 3, "collapse_frames": 3}
    assert [tracks[i].collapse_frames for i in (1, 2, 3)] == [3 + 1, 3 + 1, 2]
    s = summarize_tracks(list(tracks.values()), [collapse, {"collapse_frames": 1, "multi_object_frames": 5}])
    assert s["collapse_frames"] == 4 and s["multi_object_frames"] == 8
    # 0.7 is not above 0.7: frame 1 (IoU 7/10) is no collapse, frame 2 (IoU 8/10) is
    q1 = np.zeros((3, 1, 30), bool)
    q1[:, 0, 0:10] = True
    q2 = q1.copy()
    q2[1, 0, 7:10] = False
    q2[2, 0, 8:10] = False
    gt2 = {1: (q1, q1), 2: (q1, q1)}
    assert score_tracks({1: q1, 2: q2}, gt2, {1: 0, 2: 0})[1]["collapse_frames"] == 1
    late = score_tracks({1: q1, 2: q2}, gt2, {1: 0, 2: 2})[1]  # object 2 is tracked from frame 3: never here
    assert late["multi_object_frames"] == 0


def test_bucketed_iou_of_a_prediction_that_degrades_linearly():
    """IoU 1 - t/24 on frame t: bucket means (24 - 3.5) / 24, (24 - 11.5) / 24, (24 - 19.5) / 24."""
    t_len = 24
    gt = np.zeros((t_len, 1, 24), bool)
    gt[:, 0, :] = True
    pred = gt.copy()
    for t in range(t_len):
        pred[t, 0, 24 - t :] = False
    a = score_tracks({1: pred}, {1: (gt, gt)}, {1: 0})[0][1]
    expected = [(24 - 3.5) / 24, (24 - 11.5) / 24, (24 - 19.5) / 24]
    assert a.miou_full_by_frame == pytest.approx(expected)
    # a second object, prompted on frame 10, perfect, out of view from frame 12 on: buckets 1-8 (frames 10-17, 2
    # of them in view) and 9-16 (frames 18-23, none in view: left out there)
    gt2 = gt.copy()
    gt2[12:] = False
    b = score_tracks({2: gt2}, {2: (gt2, gt2)}, {2: 10})[0][2]
    assert b.miou_full_by_frame == [1.0, None]
    s = summarize_tracks([a, b])
    assert [x["frames"] for x in s["miou_full_by_frame"]] == ["1-8", "9-16", "17-24"]
    assert [x["objects"] for x in s["miou_full_by_frame"]] == [2, 1, 1]
    means = [x["miou_full"] for x in s["miou_full_by_frame"]]
    assert means == pytest.approx([100 * (expected[0] + 1) / 2, 100 * expected[1], 100 * expected[2]])
    assert s["miou_full_first"] == pytest.approx(means[0]) and s["miou_full_last"] == pytest.approx(means[2])
    assert s["miou_full_drop"] == pytest.approx(means[0] - means[2]) and s["miou_full_last_frames"] == "17-24"
    assert bucket_means(np.ones(5), np.ones(5, bool), 0, width=2) == [1.0, 1.0, 1.0]  # 5 frames: 3 buckets


def test_an_object_without_tracked_frames_has_no_figures():
    s = summarize_tracks([TrackScores()])
    assert s["presence_recall"] is None and s["miou_full_by_frame"] == [] and s["miou_full_drop"] is None
    assert s["collapse_frames"] is None


def test_rows_and_csv_carry_the_per_object_figures(tmp_path):
    clip = _exit_clip()

    def keeps(clip, prompts, *, adapters=True, oracle=False):
        return {1: _square(2, 2), 2: _square(12, 12)}

    result = evaluate(keeps, [clip], EvalOptions(baselines=False))
    json_path, csv_path = write_results(result, tmp_path)
    data = json.loads(json_path.read_text())
    assert data["summary"]["amodal"]["absent_recall"] == 0.0
    assert data["clips"] == [
        {"method": "amodal", "clip_id": "exit", "multi_object_frames": 9, "collapse_frames": 0}
    ]
    with csv_path.open() as f:
        rows = {int(r["obj_id"]): r for r in csv.DictReader(f)}
    assert rows[1]["out_of_view_frames"] == "3" and rows[1]["out_of_view_absent"] == "0"
    assert json.loads(rows[2]["miou_full_by_frame"]) == [1.0, 1.0]


def test_eval_cli_writes_the_track_figures(tmp_path):
    args = ["eval", "synthetic", "--checkpoint", str(DEFAULT), "--num-clips", "2"]
    res = CliRunner().invoke(cli, args + ["--frames", "10", "--no-baselines", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "id switch" in res.output and "collapse" in res.output  # the second table
    s = json.loads((tmp_path / "results.json").read_text())["summary"]["amodal"]
    for key in (
        "presence_recall",
        "in_view_frames",
        "hidden_presence_recall",
        "hidden_frames",
        "absent_recall",
        "out_of_view_frames",
        "absent_precision",
        "switch_rate",
        "objects_switched",
        "collapse_frames",
        "multi_object_frames",
        "miou_full_first",
        "miou_full_last",
        "miou_full_drop",
    ):
        assert key in s, key
    assert [b["frames"] for b in s["miou_full_by_frame"]] == ["1-8", "9-16"]
    assert s["in_view_frames"] > 0 and s["miou_full"] is not None
