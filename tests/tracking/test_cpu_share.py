"""OpenCV's threads while tracking on a CPU: the cores torch leaves free, and the caller's count back afterwards."""

from __future__ import annotations

import cv2
import pytest
import torch

from amodal_vos.tracking import AmodalTracker, Prompt, cpu_share
from amodal_vos.tracking.cpu_share import opencv_threads
from amodal_vos.tracking.predictor import AmodalPredictor
from amodal_vos.tracking.propagation import Propagation


@pytest.fixture
def four_cores(monkeypatch):
    """Four cores for this process, OpenCV at 5 threads before each test and as it was after."""
    monkeypatch.setattr(cpu_share.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    before = cv2.getNumThreads()
    cv2.setNumThreads(5)
    yield
    cv2.setNumThreads(before)


@pytest.mark.parametrize(("torch_threads", "want"), [(1, 3), (3, 1), (4, 1), (8, 1)])
def test_opencv_gets_the_cores_torch_leaves_and_the_callers_count_back(four_cores, torch_threads, want):
    before = torch.get_num_threads()
    torch.set_num_threads(torch_threads)
    try:
        with opencv_threads("cpu") as inside:
            assert inside == want == cv2.getNumThreads()
    finally:
        torch.set_num_threads(before)
    assert cv2.getNumThreads() == 5


def test_on_a_gpu_opencv_is_left_alone(four_cores):
    with opencv_threads(torch.device("cuda")) as inside:
        assert inside == 5 == cv2.getNumThreads()


@pytest.mark.parametrize("api", ["track", "predictor"])
def test_tracking_steps_run_with_the_spare_cores(four_cores, clip, model, monkeypatch, api):
    seen = []
    step = Propagation.step

    def spy(self, *args, **kwargs):
        seen.append(cv2.getNumThreads())
        return step(self, *args, **kwargs)

    monkeypatch.setattr(Propagation, "step", spy)
    prompt = Prompt.from_box(clip[1][0, 0])
    if api == "track":
        AmodalTracker(model).track(clip[0], [prompt], max_frames=4, visible=False)
    else:
        predictor = AmodalPredictor(model)
        state = predictor.init_state(clip[0])
        x, y, w, h = prompt.box
        predictor.add_new_points_or_box(state, 0, 1, box=[x, y, x + w, y + h])
        list(predictor.propagate_in_video(state, max_frame_num_to_track=4))
    assert seen and set(seen) == {4 - torch.get_num_threads()}  # one torch thread in these tests: 3
    assert cv2.getNumThreads() == 5
