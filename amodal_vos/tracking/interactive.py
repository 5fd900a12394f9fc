"""`track` through the predictor, for prompts that the one-pass tracker cannot take: the routing rule and the whole
run (forwards, re-prompting from detections; then backwards), shared by `amodal-vos track` and `track-many`."""

from __future__ import annotations

from collections.abc import Callable

from amodal_vos.tracking.detections import Detections, follow_detections
from amodal_vos.tracking.predictor import AmodalPredictor
from amodal_vos.tracking.prompts import Prompt
from amodal_vos.tracking.state import FrameResult, PredictorState


def needs_predictor(prompts: list[Prompt], detections: Detections | None) -> bool:
    """Whether a run goes through the predictor: several prompts for one object, a mask prompt, or detections."""
    ids = [p.obj_id for p in prompts]
    return detections is not None or len(set(ids)) < len(ids) or any(p.mask is not None for p in prompts)


def propagate_both_ways(
    predictor: AmodalPredictor,
    state: PredictorState,
    detections: Detections | None = None,
    on_frame: Callable[[FrameResult, str], None] | None = None,
) -> list[tuple[int, int]]:
    """Track every object of ``state`` forwards from its first prompt (re-prompting it with its detection box where
    the two disagree, detections.py), then backwards to the first frame; ``on_frame(result, phase)`` sees each
    frame ("forward" / "backward"). Returns the corrections made from detections, as (frame, obj_id) pairs."""
    fixes: list[tuple[int, int]] = []
    if detections is not None:
        forward = None if on_frame is None else (lambda r: on_frame(r, "forward"))
        fixes = follow_detections(predictor, state, detections, on_frame=forward)
    else:
        for result in predictor.propagate_in_video(state):
            if on_frame is not None:
                on_frame(result, "forward")
    for result in predictor.propagate_in_video(state, reverse=True):
        if on_frame is not None:
            on_frame(result, "backward")
    return fixes
