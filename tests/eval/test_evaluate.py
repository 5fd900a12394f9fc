"""The protocol runner, its baselines, the predictor seam and the outputs, on generated shape clips."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from amodal_vos.cli.main import cli
from amodal_vos.data.sample import Clip, ObjectTrack
from amodal_vos.eval.evaluate import EvalOptions, evaluate
from amodal_vos.eval.predict import RolloutPredictor, TrackerPredictor, make_prompts
from amodal_vos.eval.report import results_table, write_results
from amodal_vos.model.build import build_model
from amodal_vos.model.checkpoint import save_checkpoint


def oracle(clip, prompts, *, adapters=True, oracle=False):
    """GT amodal masks with adapters on, GT visible masks with adapters bypassed (from each prompt frame on)."""
    by_id = {o.obj_id: o for o in clip.objects}
    out = {}
    for p in prompts:
        m = (by_id[p.obj_id].amodal if adapters else by_id[p.obj_id].visible).copy()
        m[: p.frame] = False
        out[p.obj_id] = m
    return out


def test_gt_predictions_score_perfectly_and_the_baselines_separate(shapes):
    clips = [shapes.make_clip(np.random.default_rng(s), 5, (48, 64), 3) for s in range(6)]
    result = evaluate(oracle, clips, EvalOptions())
    s = result.summary()
    assert set(s) == {"amodal", "modal", "copy-first"}
    assert s["amodal"]["miou_full"] == pytest.approx(100) and s["amodal"]["miou_occ_only"] == pytest.approx(
        100
    )
    assert s["amodal"]["objects_occluded"] > 0
    assert s["amodal"]["miou_occ_c2f"] < 100  # unoccluded frames count as 0 in C2F's convention
    assert s["modal"]["miou_occ_only"] == pytest.approx(0) and s["modal"]["modal_prompted"] == pytest.approx(
        100
    )
    assert s["modal"]["miou_full"] < 100
    assert s["copy-first"]["modal_prompted"] == s["amodal"]["modal_prompted"]
    assert s["copy-first"]["miou_full"] < 100  # the shapes move
    only = evaluate(oracle, clips, EvalOptions(occluded_objects_only=True, baselines=False)).summary()
    assert set(only) == {"amodal"} and only["amodal"]["objects"] == s["amodal"]["objects_occluded"]


def test_prompts_sit_on_each_objects_first_visible_frame():
    t, h, w = 4, 16, 16
    a = np.zeros((t, h, w), bool)
    a[:, 2:6, 2:8] = True
    late = a.copy()
    late[:2] = False  # visible from frame 2 on
    never = np.zeros_like(a)
    clip = Clip(
        np.zeros((t, h, w, 3), np.uint8),
        [ObjectTrack(1, a, a), ObjectTrack(2, a, late), ObjectTrack(3, a, never)],
    )
    prompts = make_prompts(clip)
    assert [(p.obj_id, p.frame) for p in prompts] == [(1, 0), (2, 2)]
    assert prompts[0].box.tolist() == [2, 2, 8, 6]
    assert make_prompts(clip, "visible-mask")[1].mask.sum() == 24
    assert make_prompts(clip, min_px=25) == []  # 24 visible pixels are too few
    late_part = late.copy()
    late_part[2, 2:6, 2:5] = False  # frame 2 shows half of object 2: below 60 %, frame 3 is the first
    clip.objects[1] = ObjectTrack(2, a, late_part)
    assert [(p.obj_id, p.frame) for p in make_prompts(clip, min_frac=0.6)] == [(1, 0), (2, 3)]


def test_rollout_predictor_returns_full_resolution_masks_from_the_prompt_frame_on(shapes):
    torch.manual_seed(0)
    model = build_model("small", image_size=64)
    clip = shapes.make_clip(np.random.default_rng(1), 5, (48, 80), 2)
    clip.objects[1].visible[:2] = False  # object 2 is prompted on frame 2
    prompts = make_prompts(clip)
    predictor = RolloutPredictor(model)
    masks = predictor(clip, prompts)
    assert set(masks) == {1, 2} and masks[1].shape == (5, 48, 80) and masks[1].dtype == bool
    assert not masks[2][:2].any()
    oracle_masks = predictor(clip, prompts, oracle=True)
    assert oracle_masks[1].shape == (5, 48, 80)


def test_the_tracker_and_the_training_rollout_predict_the_same_masks(shapes):
    """Training runs clips exactly as inference does: amodal_vos.tracking and train/rollout.py agree pixel for pixel
    (the tracker without its optical-flow steps, which the rollout does not take)."""
    torch.manual_seed(0)
    model = build_model("small", image_size=64)
    with torch.no_grad():
        for _, p in model.adapter_parameters():
            p.normal_(0, 0.05)  # adapters that change the output, so Mspec matters
        model.sam_mask_decoder.pred_obj_score_head.layers[2].bias.fill_(
            20.0
        )  # always "present": non-empty masks
    clip = shapes.make_clip(np.random.default_rng(1), 6, (48, 80), 3)
    clip.objects[1].visible[:2] = False  # prompted on frame 2: a second memory bank
    prompts = make_prompts(clip)
    for adapters in (True, False):
        ours = RolloutPredictor(model)(clip, prompts, adapters=adapters)
        theirs = TrackerPredictor(model, motion=None)(clip, prompts, adapters=adapters)
        assert ours.keys() == theirs.keys()
        for k in ours:
            assert ours[k][2:].any() and np.array_equal(ours[k], theirs[k]), (adapters, k)


def test_results_are_written_as_json_and_csv(shapes, tmp_path):
    clips = [shapes.make_clip(np.random.default_rng(s), 4, (48, 48), 2) for s in range(3)]
    result = evaluate(oracle, clips, EvalOptions())
    json_path, csv_path = write_results(result, tmp_path, {"checkpoint": "x"})
    data = json.loads(json_path.read_text())
    assert data["checkpoint"] == "x" and "GT visible box" in data["protocol"]
    assert data["summary"]["amodal"]["miou_full"] == pytest.approx(100)
    with csv_path.open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(result.rows) == 3 * data["summary"]["amodal"]["objects"]
    assert {r["method"] for r in rows} == {"amodal", "modal", "copy-first"}
    assert results_table(result).row_count == 3


def test_eval_cli_reports_bad_input_in_one_line(tmp_path):
    model = build_model("small", image_size=64)
    ckpt = save_checkpoint(model, tmp_path / "m.safetensors")
    runner = CliRunner()
    res = runner.invoke(cli, ["eval", "fishbowl", "--checkpoint", str(ckpt)])
    assert res.exit_code == 2 and "--data-root" in res.output and "Traceback" not in res.output
    res = runner.invoke(cli, ["eval", "synthetic", "--checkpoint", str(ckpt), "--prompt", "scribble"])
    assert res.exit_code == 2 and "--prompt" in res.output
    res = runner.invoke(cli, ["eval", "synthetic", "--checkpoint", str(tmp_path / "missing.safetensors")])
    assert res.exit_code == 2 and "not found" in res.output
