"""Prompts: CLI text forms, ids, and one-line errors for malformed, zero-size, outside or out-of-range prompts."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from amodal_vos.errors import UserError
from amodal_vos.io.video import VideoInfo
from amodal_vos.tracking.prompts import Prompt, check_prompts, parse_box, parse_points

INFO = VideoInfo("v.mp4", 100, 80, Fraction(10), 30)


def test_text_forms():
    assert parse_box("1,2,30,40") == Prompt(frame=0, box=(1, 2, 30, 40))
    assert parse_box("1.5,2,30,40@7", frame=3).frame == 7
    assert parse_box("1,2,30,40", frame=3).frame == 3
    p = parse_points("10,20:30,40@5")
    assert p.points == ((10, 20), (30, 40)) and p.labels == (1, 1) and p.frame == 5


@pytest.mark.parametrize("text", ["1,2,3", "a,b,c,d", "1,2,3,4,5", "1,2,3,4@x", "nan,1,2,3", ""])
def test_malformed_boxes(text):
    with pytest.raises(UserError, match="malformed box"):
        parse_box(text)


@pytest.mark.parametrize("text", ["1", "1,2,3", "x,y", "1,2@"])
def test_malformed_points(text):
    with pytest.raises(UserError, match="malformed point"):
        parse_points(text)


def test_ids_are_assigned_in_order_around_given_ones():
    prompts = check_prompts(
        [Prompt(box=(0, 0, 5, 5)), Prompt(box=(0, 0, 5, 5), obj_id=1), Prompt(points=((3, 3),))], INFO
    )
    assert [p.obj_id for p in prompts] == [2, 1, 3]
    with pytest.raises(UserError, match="unique"):
        check_prompts([Prompt(box=(0, 0, 5, 5), obj_id=4), Prompt(box=(1, 1, 5, 5), obj_id=4)], INFO)


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        (Prompt(box=(10, 10, 0, 5)), "zero size"),
        (Prompt(box=(10, 10, 5, -1)), "negative size"),
        (Prompt(box=(float("nan"), 10, 5, 5)), "finite"),
        (Prompt(box=(100, 10, 5, 5)), "outside the 100x80 frame"),
        (Prompt(box=(-20, 10, 20, 5)), "outside the 100x80 frame"),
        (Prompt(points=((50, 80),)), "outside the 100x80 frame"),
        (Prompt(box=(10, 10, 5, 5), frame=30), "beyond the end"),
    ],
)
def test_bad_prompts(prompt, message):
    with pytest.raises(UserError, match=message):
        check_prompts([prompt], INFO)


def test_prompt_frames_must_lie_in_the_tracked_range():
    box = (10, 10, 5, 5)
    with pytest.raises(UserError, match="beyond the end"):
        check_prompts([Prompt(box=box, frame=12)], INFO, start=0, end=12)
    with pytest.raises(UserError, match="before the first tracked frame"):
        check_prompts([Prompt(box=box, frame=2)], INFO, start=5)
    assert check_prompts([Prompt(box=(90, 70, 30, 30))], INFO)[0].obj_id == 1  # partly outside is fine
    with pytest.raises(UserError, match="nothing to track"):
        check_prompts([], INFO)


def test_huge_box_is_clipped_to_the_frame_and_stays_finite():
    """Issue 14: --box 0,0,1e308,1e308 passed validation and gave NaN/inf in the model input and the JSON."""
    prompt = check_prompts([parse_box("0,0,1e308,1e308")], INFO)[0]
    assert prompt.box == (0, 0, 100, 80) and np.isfinite(prompt.xyxy()).all()
    assert check_prompts([Prompt(box=(-1e300, -5, 1e308, 50))], INFO)[0].box == (0, 0, 100, 45)
