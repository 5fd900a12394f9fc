"""Optical-flow box motion (tracking/motion.py) and how propagation uses it: the prior moves with the object, and
a predicted box that jumps away from the flow is refused as the next prior."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from amodal_vos.model.transforms import frames_to_input
from amodal_vos.tracking.motion import BoxFlow, FlowFrame, box_iou, gray_frame, gray_frames
from amodal_vos.tracking.propagation import Propagation

from .test_propagation import box_prompt, spec_rect, spy  # noqa: F401  (spy is a fixture)

SIZE = 128


def texture(side: int, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).integers(0, 256, (side, side, 3)).astype(np.uint8)
    return cv2.GaussianBlur(noise, (0, 0), 1.0)


def frame_with_patch(x: int, y: int, side: int = 40, hw: tuple[int, int] = (SIZE, SIZE)) -> np.ndarray:
    """A flat grey frame with a textured square patch at (x, y)."""
    frame = np.full((*hw, 3), 128, np.uint8)
    frame[y : y + side, x : x + side] = texture(side)
    return frame


def grey(frame: np.ndarray) -> FlowFrame:
    return gray_frame(frames_to_input(frame, None))


def test_gray_frame_undoes_the_normalisation_and_downscales_large_frames():
    frame = texture(64)
    small = grey(frame)
    assert small.scale == 1.0
    assert np.abs(small.grey.astype(int) - frame.mean(axis=2)).max() <= 1
    large = grey(np.zeros((480, 640, 3), np.uint8))
    assert large.grey.shape == (240, 320) and large.scale == 0.5


@pytest.mark.parametrize("hw", [(480, 640), (576, 768), (300, 200)])
def test_gray_frames_equal_two_gray_frame_calls(hw):
    """The coarse frame is read from the fine one when its step divides (640x480: every 2nd pixel) and made
    anew when it does not (768x576: steps 2 and 3); either way it equals gray_frame at that side."""
    image = frames_to_input(np.random.default_rng(1).integers(0, 256, (*hw, 3)).astype(np.uint8), None)
    coarse, fine = gray_frames(image, 320, 640)
    for made, side in ((coarse, 320), (fine, 640)):
        want = gray_frame(image, side)
        assert made.scale == want.scale and np.array_equal(made.grey, want.grey)


def test_skipped_boxes_are_neither_moved_nor_trusted():
    boxes = torch.tensor([[30.0, 30.0, 70.0, 70.0], [30.0, 30.0, 70.0, 70.0]])
    before, after = grey(frame_with_patch(30, 30)), grey(frame_with_patch(35, 27))
    moved, trusted = BoxFlow().move(before, after, boxes, skip=[True, False])
    assert trusted.tolist() == [False, True]
    assert torch.equal(moved[0], boxes[0]) and not torch.equal(moved[1], boxes[1])


def test_a_translated_patch_moves_its_box_by_the_same_shift():
    boxes = torch.tensor([[30.0, 30.0, 70.0, 70.0]])
    moved, trusted = BoxFlow().move(grey(frame_with_patch(30, 30)), grey(frame_with_patch(35, 27)), boxes)
    assert trusted.tolist() == [True]
    assert torch.allclose(moved, torch.tensor([[35.0, 27.0, 75.0, 67.0]]), atol=0.5)


def test_a_zoomed_patch_scales_its_box():
    big = cv2.resize(texture(40), (48, 48), interpolation=cv2.INTER_LINEAR)
    after = np.full((SIZE, SIZE, 3), 128, np.uint8)
    after[26:74, 26:74] = big  # same centre (50, 50), 1.2x larger
    moved, trusted = BoxFlow().move(
        grey(frame_with_patch(30, 30)), grey(after), torch.tensor([[30.0, 30, 70, 70]])
    )
    assert trusted.tolist() == [True]
    width = float(moved[0, 2] - moved[0, 0])
    assert 44 < width < 52 and abs(float(moved[0, 0] + moved[0, 2]) / 2 - 50) < 1.5


def test_a_box_without_texture_is_not_trusted_and_stays_put():
    flat = np.full((SIZE, SIZE, 3), 90, np.uint8)
    boxes = torch.tensor([[10.0, 10.0, 50.0, 50.0]])
    moved, trusted = BoxFlow().move(grey(flat), grey(flat), boxes)
    assert trusted.tolist() == [False] and torch.equal(moved, boxes)


def test_box_iou():
    a = torch.tensor([[0.0, 0, 10, 10], [0, 0, 10, 10]])
    b = torch.tensor([[5.0, 0, 15, 10], [20, 20, 30, 30]])
    assert torch.allclose(box_iou(a, b), torch.tensor([1 / 3, 0.0]))


@pytest.fixture
def moving():
    """Four frames of a textured patch moving 4 px right and 2 px down per frame, from (30, 30)."""
    return [frames_to_input(frame_with_patch(30 + 4 * t, 30 + 2 * t), SIZE) for t in range(4)]


def priors(model, images, spy, motion, ahead: bool = False):  # noqa: F811
    """Each frame's Mspec rectangle; ``ahead``: the grey flow frames made before ``step`` (as a prefetch does)."""
    calls, script = spy
    calls.clear()
    script.update({0: [(30, 30, 70, 70)], 1: [(90, 90, 120, 120)], 2: [(38, 34, 78, 74)]})
    sweep = Propagation(
        model, [box_prompt(1, 0, [30, 30, 70, 70])], num_frames=4, visible=False, motion=motion
    )
    for t in range(4):
        sweep.step(t, images[t], sweep.flow_frames(images[t]) if ahead else None)
    return [spec_rect(p[0]) for _, p in calls]


def near(a, b, tol=1):
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def test_flow_moves_the_prior_and_refuses_a_box_that_jumps(model, moving, spy):  # noqa: F811
    without = priors(model, moving, spy, None)
    assert without[1] == (22, 22, 78, 78) and without[2] == (
        84,
        84,
        126,
        126,
    )  # the jump makes the next prior
    moved_only = priors(model, moving, spy, 0.0)
    assert near(moved_only[1], (26, 24, 82, 80))  # frame 0's box moved by the flow (+4, +2), grown 20 %
    assert moved_only[2] == without[2]  # nothing refused; flat grey where the jump landed: no flow, not moved
    refused = priors(model, moving, spy, 0.5)
    assert near(refused[2], (30, 26, 86, 82))  # the jump refused: frame 1's flow box, moved again
    assert near(refused[3], (34, 28, 90, 84))  # frame 2's mask agrees with the flow and is taken, then moved
    assert priors(model, moving, spy, 0.5, ahead=True) == refused  # grey frames made ahead: the same steps


def test_without_memory_later_frames_are_box_prompted_like_a_prompt_frame(model, moving, spy, monkeypatch):  # noqa: F811
    _, script = spy
    script.update({0: [(30, 30, 70, 70)], 1: [(36, 32, 76, 72)]})
    seen = []
    track_frame = model.track_frame

    def recording(t, feats, memory, **kwargs):
        seen.append(
            (
                t,
                kwargs["is_cond"],
                kwargs["point_inputs"]["point_coords"].tolist(),
                len(memory["cond_frame_outputs"]),
            )
        )
        return track_frame(t, feats, memory, **kwargs)

    monkeypatch.setattr(model, "track_frame", recording)
    sweep = Propagation(
        model, [box_prompt(1, 0, [30, 30, 70, 70])], num_frames=3, visible=False, memory=False
    )
    for t in range(3):
        sweep.step(t, moving[t])
    assert [s[1] for s in seen] == [True, True, True] and [s[3] for s in seen] == [0, 0, 0]
    assert seen[1][2] == [[[30.0, 30.0], [70.0, 70.0]]]  # frame 0's box (motion is off here)
    assert seen[2][2] == [[[36.0, 32.0], [76.0, 72.0]]]
    assert all(len(bank) == 0 for g in sweep.groups for bank in (g.amodal, g.visible))
