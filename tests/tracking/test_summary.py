"""The run summary the CLI prints: a prompt whose frame's mask does not fit its box is pointed out."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from amodal_vos.io.video import VideoInfo
from amodal_vos.tracking.prompts import Prompt
from amodal_vos.tracking.result import ObjectFrame, TrackResult
from cli.track_options import summarize

INFO = VideoInfo("in.mp4", 32, 24, Fraction(10), 3)


def mask(x: int, y: int, w: int, h: int) -> np.ndarray:
    m = np.zeros((24, 32), bool)
    m[y : y + h, x : x + w] = True
    return m


def tracked(masks_on_frame_1: dict[int, np.ndarray]) -> TrackResult:
    prompts = [
        Prompt(box=(2, 2, 6, 4), frame=1, obj_id=1),
        Prompt(box=(12, 10, 8, 8), frame=1, obj_id=2),
        Prompt(points=((25, 5),), frame=1, obj_id=3),
    ]
    result = TrackResult(INFO, prompts, 0, 3, {"config": "test"})
    for t in range(3):
        on = masks_on_frame_1 if t == 1 else {}
        result.frames.append(
            {i: ObjectFrame.from_masks(on.get(i, np.zeros((24, 32), bool)), None, 0.9) for i in (1, 2, 3)}
        )
    return result


def test_prompt_fit_is_the_box_iou_on_the_prompt_frame():
    result = tracked({1: mask(2, 2, 6, 4), 2: mask(12, 10, 4, 8), 3: mask(24, 4, 3, 3)})
    assert result.prompt_fit(1) == pytest.approx(1.0)
    assert result.prompt_fit(2) == pytest.approx(0.5)  # half the box
    assert result.prompt_fit(3) is None  # clicks: no box to compare with
    assert tracked({}).prompt_fit(1) == 0.0  # an empty mask fits nothing


def test_the_summary_warns_about_a_prompt_whose_mask_misses_its_box(capsys):
    summarize(tracked({1: mask(2, 2, 6, 4), 2: mask(22, 2, 8, 8), 3: mask(24, 4, 3, 3)}))
    lines = capsys.readouterr().out.splitlines()
    warnings = [line for line in lines if "warning" in line]
    assert len(warnings) == 1 and "frame 1" in warnings[0] and "box IoU 0.00" in warnings[0]
    assert lines.index(warnings[0]) == 3  # right under object 2's line
