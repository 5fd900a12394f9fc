"""Evaluation of video amodal segmentation (DESIGN.md protocol): per-frame IoU_full / IoU_occ, per object then over
objects, both mIoU_occ conventions, modal IoU on prompted vs propagated frames, and the modal and copied-mask
baselines in the same run. Entry points: ``evaluate`` with a predictor (``TrackerPredictor``: the ``amodal-vos track`` engine)."""

from amodal_vos.eval.evaluate import EvalOptions, EvalResult, evaluate
from amodal_vos.eval.metrics import score_object, summarize
from amodal_vos.eval.predict import RolloutPredictor, TrackerPredictor, make_prompts

__all__ = [
    "EvalOptions",
    "EvalResult",
    "RolloutPredictor",
    "TrackerPredictor",
    "evaluate",
    "make_prompts",
    "score_object",
    "summarize",
]
