"""Video amodal tracking: prompts, the per-frame engine with pruned memory banks, results, the AmodalTracker API
and the interactive, sam2-style AmodalPredictor."""

from amodal_vos.tracking.loading import default_checkpoint, load_model
from amodal_vos.tracking.predictor import AmodalPredictor, FrameResult
from amodal_vos.tracking.prompts import Prompt, parse_box, parse_points
from amodal_vos.tracking.result import ObjectFrame, TrackResult
from amodal_vos.tracking.run import FrameEvent, TrackingInterrupted
from amodal_vos.tracking.tracker import AmodalTracker

__all__ = [
    "AmodalPredictor",
    "AmodalTracker",
    "FrameResult",
    "FrameEvent",
    "ObjectFrame",
    "Prompt",
    "TrackResult",
    "TrackingInterrupted",
    "default_checkpoint",
    "load_model",
    "parse_box",
    "parse_points",
]
