"""Metrics on hand-made masks: both mIoU_occ conventions, modal IoU on prompted vs propagated frames, and the
aggregation per object, then over objects."""

from __future__ import annotations

import numpy as np
import pytest

from amodal_vos.eval.metrics import score_object, summarize


def _masks():
    """One object over 4 frames of 1 x 10 pixels (columns are pixels).

    frame 0: amodal 0-5, visible 0-5 (unoccluded)       pred 0-5
    frame 1: amodal 0-5, visible 0-2 (3..5 hidden)      pred 0-3   -> occ: pred-vis = {3}, gt occ = {3,4,5}
    frame 2: amodal 2-7, visible none (fully hidden)    pred 2-9   -> occ: {2..9} vs {2..7}
    frame 3: absent (empty amodal)                      pred 0-1   -> not evaluated
    """
    amodal = np.zeros((4, 1, 10), bool)
    visible = np.zeros((4, 1, 10), bool)
    pred = np.zeros((4, 1, 10), bool)
    amodal[0, 0, 0:6] = visible[0, 0, 0:6] = pred[0, 0, 0:6] = True
    amodal[1, 0, 0:6] = True
    visible[1, 0, 0:3] = True
    pred[1, 0, 0:4] = True
    amodal[2, 0, 2:8] = True
    pred[2, 0, 2:10] = True
    pred[3, 0, 0:2] = True
    return pred, amodal, visible


def test_per_frame_scores_and_both_occlusion_conventions():
    pred, amodal, visible = _masks()
    s = score_object(pred, amodal, visible, prompt_frame=0)
    full = [1.0, 4 / 6, 6 / 8]
    occ = [0.0, 1 / 3, 6 / 8]  # frame 0 has no occluded region: 0 in C2F's convention
    assert s.frames == 3 and s.occluded_frames == 2
    assert s.miou_full == pytest.approx(np.mean(full))
    assert s.miou_occ_c2f == pytest.approx(np.mean(occ))
    assert s.miou_occ_only == pytest.approx(np.mean(occ[1:]))
    assert s.miou_full_occluded == pytest.approx(np.mean(full[1:]))
    assert s.modal_prompted == pytest.approx(1.0)
    assert s.modal_propagated == pytest.approx(3 / 4)  # frame 1 only: frame 2 has no visible part


def test_frames_before_the_prompt_and_unoccluded_frames_can_be_left_out():
    pred, amodal, visible = _masks()
    late = score_object(pred, amodal, visible, prompt_frame=1)
    assert late.frames == 2 and late.modal_prompted == pytest.approx(3 / 4)  # frame 1 is now the prompted one
    assert late.modal_propagated is None  # frame 2, the only later one, has no visible part
    only_occ = score_object(pred, amodal, visible, prompt_frame=0, exclude_unoccluded=True)
    assert only_occ.frames == 2 and only_occ.miou_full == pytest.approx(np.mean([4 / 6, 6 / 8]))


def test_summary_averages_per_object_then_over_objects():
    pred, amodal, visible = _masks()
    a = score_object(pred, amodal, visible, prompt_frame=0, obj_id=1)  # 3 frames
    b = score_object(
        amodal[:1], amodal[:1], visible[:1], prompt_frame=0, obj_id=2
    )  # 1 perfect, unoccluded frame
    s = summarize([a, b])
    assert s["objects"] == 2 and s["objects_occluded"] == 1 and s["object_frames"] == 4
    assert s["miou_full"] == pytest.approx(100 * (a.miou_full + 1.0) / 2)  # not the pooled mean over 4 frames
    assert s["miou_occ_c2f"] == pytest.approx(
        100 * (a.miou_occ_c2f + 0.0) / 2
    )  # unoccluded object: 0, counted
    assert s["miou_occ_only"] == pytest.approx(100 * a.miou_occ_only)  # object b left out
    assert s["modal_propagated"] == pytest.approx(100 * a.modal_propagated)
