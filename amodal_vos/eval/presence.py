"""Whether tracks hold over long clips, exits and re-entries: figures from the predicted amodal masks and the GT.

Per object on its tracked frames (the frames after its prompt frame; the prompt frame itself is given):
- Presence: "in view" = GT amodal mask non-empty, "reported present" = predicted mask non-empty. Presence recall:
  share of in-view frames reported present; hidden: the same on fully hidden frames (GT visible empty, amodal not);
  absent recall: share of out-of-view frames (GT amodal empty) reported absent; absent precision: share of the
  frames reported absent that are out of view. Pooled over all object-frames of a method, with the frame counts.
- Identity switch on a frame: the prediction's IoU with another GT object of the clip (its amodal mask) is > 0.3
  and > its IoU with its own GT amodal mask; share of tracked frames, and objects with at least one.
- Collapse: two predicted objects of one clip whose masks have IoU > 0.7 with each other on a frame where both are
  tracked; counted as clip frames with at least one such pair (out of clip frames with 2+ tracked objects).
- mIoU_full by frame index: frames numbered from the prompt frame (= frame 1) in buckets of 8 (1-8, 9-16, ...);
  per object the mean IoU_full over its scored frames in a bucket (those of mIoU_full), then the mean over objects
  that have such frames. "Drop" = first bucket minus the last bucket that has any object.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

import numpy as np

from amodal_vos.eval.metrics import _iou

BUCKET = 8
SWITCH_IOU = 0.3
COLLAPSE_IOU = 0.7


@dataclass
class TrackScores:
    """One object's counts of tracked frames by kind, and its mean IoU_full per frame-index bucket (None: no frame)."""

    tracked_frames: int = 0
    in_view_frames: int = 0
    in_view_present: int = 0
    hidden_frames: int = 0
    hidden_present: int = 0
    out_of_view_frames: int = 0
    out_of_view_absent: int = 0
    reported_absent: int = 0
    switch_frames: int = 0
    collapse_frames: int = (
        0  # frames on which this object's mask has IoU > 0.7 with another predicted object's
    )
    miou_full_by_frame: list[float | None] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


TRACK_FIELDS = tuple(f.name for f in fields(TrackScores))


def bucket_label(k: int, width: int = BUCKET) -> str:
    return f"{k * width + 1}-{(k + 1) * width}"


def bucket_means(
    iou: np.ndarray, scored: np.ndarray, prompt_frame: int, width: int = BUCKET
) -> list[float | None]:
    """Mean of per-frame ``iou`` over the ``scored`` frames of each bucket of ``width`` frames from ``prompt_frame``
    (the prompt frame is frame 1 of bucket 0); buckets up to the clip's end, None where no frame is scored."""
    n = max(0, len(iou) - prompt_frame)
    out: list[float | None] = []
    for k in range(-(-n // width)):
        sl = slice(prompt_frame + k * width, prompt_frame + (k + 1) * width)
        keep = scored[sl]
        out.append(float(iou[sl][keep].mean()) if keep.any() else None)
    return out


def score_tracks(
    preds: dict[int, np.ndarray],
    gts: dict[int, tuple[np.ndarray, np.ndarray]],
    prompt_frames: dict[int, int],
    exclude_unoccluded: bool = False,
) -> tuple[dict[int, TrackScores], dict[str, int]]:
    """Per predicted object its ``TrackScores``, and the clip's collapse counts (``multi_object_frames``: frames
    with 2+ tracked objects, ``collapse_frames``: those with a pair of predictions at IoU > 0.7).

    ``preds``: obj_id -> [T, H, W] predicted amodal masks; ``gts``: obj_id -> (amodal, visible) [T, H, W] for every
    GT object of the clip (the others count for identity switches); ``prompt_frames``: obj_id -> prompt frame.
    ``exclude_unoccluded`` restricts the bucketed IoU to frames with an occluded region, as it does mIoU_full."""
    t_len = len(next(iter(gts.values()))[0])
    frame = np.arange(t_len)
    tracked = {i: frame > prompt_frames[i] for i in preds}
    out = {}
    for i, pred in preds.items():
        pred = pred.astype(bool)
        amodal, visible = (m.astype(bool) for m in gts[i])
        tr = tracked[i]
        in_view = amodal.reshape(t_len, -1).any(1)
        hidden = in_view & ~visible.reshape(t_len, -1).any(1)
        present = pred.reshape(t_len, -1).any(1)
        own = _iou(pred, amodal)
        other = np.zeros(t_len)
        for j, (amodal_j, _) in gts.items():
            if j != i:
                other = np.maximum(other, _iou(pred, amodal_j.astype(bool)))
        switch = tr & (other > SWITCH_IOU) & (other > own)
        scored = in_view & (frame >= prompt_frames[i])
        if exclude_unoccluded:
            scored &= (amodal & ~visible).reshape(t_len, -1).any(1)
        out[i] = TrackScores(
            tracked_frames=int(tr.sum()),
            in_view_frames=int((tr & in_view).sum()),
            in_view_present=int((tr & in_view & present).sum()),
            hidden_frames=int((tr & hidden).sum()),
            hidden_present=int((tr & hidden & present).sum()),
            out_of_view_frames=int((tr & ~in_view).sum()),
            out_of_view_absent=int((tr & ~in_view & ~present).sum()),
            reported_absent=int((tr & ~present).sum()),
            switch_frames=int(switch.sum()),
            miou_full_by_frame=bucket_means(own, scored, prompt_frames[i]),
        )
    ids = list(preds)
    collapsed = np.zeros(t_len, bool)
    for a, i in enumerate(ids):
        for j in ids[a + 1 :]:
            both = tracked[i] & tracked[j]
            pair = both & (_iou(preds[i].astype(bool), preds[j].astype(bool)) > COLLAPSE_IOU)
            collapsed |= pair
            out[i].collapse_frames += int(pair.sum())  # per object: frames it shares with another prediction
            out[j].collapse_frames += int(pair.sum())
    multi = np.sum([tracked[i] for i in ids], axis=0) >= 2 if ids else np.zeros(t_len, bool)
    return out, {"multi_object_frames": int(multi.sum()), "collapse_frames": int(collapsed.sum())}


def _share(num: int, den: int) -> float | None:
    return 100.0 * num / den if den else None


def summarize_tracks(objects: list[TrackScores], clips: list[dict] | None = None) -> dict:
    """Pooled shares in percent with their frame counts, identity and collapse counts, and the mean over objects of
    the per-object bucket means (``clips``: the per-clip collapse counts of ``score_tracks``; None: not counted)."""

    def total(name: str) -> int:
        return sum(getattr(o, name) for o in objects)

    out: dict = {
        "presence_recall": _share(total("in_view_present"), total("in_view_frames")),
        "in_view_frames": total("in_view_frames"),
        "hidden_presence_recall": _share(total("hidden_present"), total("hidden_frames")),
        "hidden_frames": total("hidden_frames"),
        "absent_recall": _share(total("out_of_view_absent"), total("out_of_view_frames")),
        "out_of_view_frames": total("out_of_view_frames"),
        "objects_out_of_view": sum(1 for o in objects if o.out_of_view_frames),
        "absent_precision": _share(total("out_of_view_absent"), total("reported_absent")),
        "reported_absent_frames": total("reported_absent"),
        "switch_rate": _share(total("switch_frames"), total("tracked_frames")),
        "switch_frames": total("switch_frames"),
        "tracked_frames": total("tracked_frames"),
        "objects_switched": sum(1 for o in objects if o.switch_frames),
        "collapse_frames": None if clips is None else sum(c["collapse_frames"] for c in clips),
        "multi_object_frames": None if clips is None else sum(c["multi_object_frames"] for c in clips),
    }
    buckets = []
    for k in range(max((len(o.miou_full_by_frame) for o in objects), default=0)):
        vals = [o.miou_full_by_frame[k] for o in objects if k < len(o.miou_full_by_frame)]
        vals = [v for v in vals if v is not None]
        buckets.append(
            {
                "frames": bucket_label(k),
                "miou_full": 100.0 * float(np.mean(vals)) if vals else None,
                "objects": len(vals),
            }
        )
    out["miou_full_by_frame"] = buckets
    filled = [b for b in buckets if b["miou_full"] is not None]
    out["miou_full_first"] = filled[0]["miou_full"] if filled else None
    out["miou_full_last"] = filled[-1]["miou_full"] if filled else None
    out["miou_full_last_frames"] = filled[-1]["frames"] if filled else None
    out["miou_full_drop"] = filled[0]["miou_full"] - filled[-1]["miou_full"] if filled else None
    return out
