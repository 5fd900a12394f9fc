"""Video amodal metrics (DESIGN.md, "Evaluation protocol (video)"), at full resolution.

Per frame: IoU_full = IoU(pred, amodal); IoU_occ = IoU(pred - visible, amodal - visible) (Amodal SAM Eq. 11, with
the GT visible mask). Per object: the mean over its evaluated frames (present, from the prompt frame on); then the
mean over objects. mIoU_occ in two conventions: C2F-Seg's (a frame whose occluded region is empty scores 0 and still
counts) and occluded-frames-only (frames where amodal - visible is non-empty; objects without such frames are left
out). Modal IoU = IoU(pred, visible) on frames where the visible mask is non-empty, for the prompted frame and the
propagated ones separately.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

SUMMARY_FIELDS = (
    "miou_full",
    "miou_occ_c2f",
    "miou_occ_only",
    "miou_full_occluded",
    "modal_prompted",
    "modal_propagated",
)


def _iou(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-frame IoU of [T, H, W] bool arrays; frames with an empty union score 0."""
    inter = (pred & gt).reshape(len(pred), -1).sum(1)
    union = (pred | gt).reshape(len(pred), -1).sum(1)
    return np.where(union > 0, inter / np.maximum(union, 1), 0.0)


def frame_scores(pred: np.ndarray, amodal: np.ndarray, visible: np.ndarray) -> dict[str, np.ndarray]:
    """Per-frame IoU_full, IoU_occ, modal IoU and the flags that say which frames count, for [T, H, W] masks."""
    pred, amodal, visible = pred.astype(bool), amodal.astype(bool), visible.astype(bool)
    occ_gt = amodal & ~visible
    t = len(pred)
    return {
        "full": _iou(pred, amodal),
        "occ": _iou(pred & ~visible, occ_gt),
        "modal": _iou(pred, visible),
        "present": amodal.reshape(t, -1).any(1),
        "occluded": occ_gt.reshape(t, -1).any(1),
        "has_visible": visible.reshape(t, -1).any(1),
    }


@dataclass
class ObjectScores:
    """One object's means over its frames (None where no frame qualifies), in [0, 1]."""

    clip_id: str
    obj_id: int
    prompt_frame: int
    frames: int
    occluded_frames: int
    miou_full: float | None
    miou_occ_c2f: float | None
    miou_occ_only: float | None
    miou_full_occluded: float | None
    modal_prompted: float | None
    modal_propagated: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def _mean(values: np.ndarray, keep: np.ndarray) -> float | None:
    return float(values[keep].mean()) if keep.any() else None


def score_object(
    pred: np.ndarray,
    amodal: np.ndarray,
    visible: np.ndarray,
    prompt_frame: int,
    clip_id: str = "",
    obj_id: int = 0,
    exclude_unoccluded: bool = False,
) -> ObjectScores:
    """Scores of one tracked object: masks [T, H, W] over the whole clip; frames before ``prompt_frame`` and frames
    where the object is absent (empty amodal mask) are not evaluated. ``exclude_unoccluded`` keeps only frames
    with a non-empty occluded region in the full and modal means as well."""
    s = frame_scores(pred, amodal, visible)
    after = np.arange(len(pred)) >= prompt_frame
    evaluated = s["present"] & after
    if exclude_unoccluded:
        evaluated &= s["occluded"]
    occluded = evaluated & s["occluded"]
    prompted = np.arange(len(pred)) == prompt_frame
    modal_ok = evaluated & s["has_visible"]
    return ObjectScores(
        clip_id=str(clip_id),
        obj_id=int(obj_id),
        prompt_frame=int(prompt_frame),
        frames=int(evaluated.sum()),
        occluded_frames=int(occluded.sum()),
        miou_full=_mean(s["full"], evaluated),
        miou_occ_c2f=_mean(np.where(s["occluded"], s["occ"], 0.0), evaluated),
        miou_occ_only=_mean(s["occ"], occluded),
        miou_full_occluded=_mean(s["full"], occluded),
        modal_prompted=_mean(s["modal"], prompted & s["has_visible"] & s["present"]),
        modal_propagated=_mean(s["modal"], modal_ok & ~prompted),
    )


def summarize(objects: list[ObjectScores]) -> dict[str, float | int | None]:
    """Mean over objects of every per-object score, in percent, each over the objects that have it; plus counts."""
    out: dict[str, float | int | None] = {"objects": len(objects)}
    for name in SUMMARY_FIELDS:
        vals = [getattr(o, name) for o in objects if getattr(o, name) is not None]
        out[name] = 100.0 * float(np.mean(vals)) if vals else None
    out["objects_occluded"] = sum(1 for o in objects if o.miou_occ_only is not None)
    out["object_frames"] = sum(o.frames for o in objects)
    return out
