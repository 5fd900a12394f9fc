"""The video evaluation protocol over a set of clips, with its baselines in the same run.

Methods scored per object (same prompts, same frames):
- ``amodal``: the model as users run it (adapters on, Mspec from the previous prediction);
- ``modal``: modal SAM-2, i.e. the same weights with every adapter bypassed;
- ``copy-first``: the amodal model's mask on the prompt frame copied to every later frame (no tracking).
Default prompt: the GT visible box on the object's first visible frame, then no further input.
Each method also gets the track-keeping figures of presence.py (presence, identity switches, collapse, mIoU_full by
frame index), per object in its rows and per clip (collapse) in ``EvalResult.clips``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from amodal_vos.data.sample import Clip, ObjectTrack
from amodal_vos.eval.metrics import ObjectScores, score_object, summarize
from amodal_vos.eval.predict import ObjectPrompt, make_prompts
from amodal_vos.eval.presence import TRACK_FIELDS, TrackScores, score_tracks, summarize_tracks

SCORE_FIELDS = tuple(f.name for f in fields(ObjectScores))

METHODS = ("amodal", "modal", "copy-first")


@dataclass
class EvalOptions:
    """Protocol variant flags (recorded with the results)."""

    prompt: str = "visible-box"
    box_oracle: bool = False
    exclude_unoccluded: bool = False
    occluded_objects_only: bool = False
    baselines: bool = True
    max_frames: int | None = None
    min_prompt_px: int = 1
    min_prompt_frac: float = 0.0

    def describe(self) -> str:
        seen = "visible"
        if self.min_prompt_px > 1 or self.min_prompt_frac > 0:
            seen = (
                f"visible (>= {self.min_prompt_px} px and >= {self.min_prompt_frac:.0%} of its amodal area)"
            )
        parts = [f"prompt: GT {self.prompt.replace('-', ' ')} on each object's first {seen} frame"]
        parts.append("GT visible box on every frame (oracle)" if self.box_oracle else "then no further input")
        if self.exclude_unoccluded:
            parts.append("only frames with an occluded region scored")
        if self.occluded_objects_only:
            parts.append("only objects occluded on some frame")
        if self.max_frames:
            parts.append(f"first {self.max_frames} frames per clip")
        return "; ".join(parts)


@dataclass
class EvalResult:
    options: EvalOptions
    # per (method, object): method + ObjectScores + TrackScores fields
    rows: list[dict] = field(default_factory=list)
    clips: list[dict] = field(default_factory=list)  # per (method, clip): method, clip_id + collapse counts

    def summary(self) -> dict[str, dict]:
        """Per method: the means over objects (percent) and counts, then the track-keeping figures (presence.py)."""
        out = {}
        for method in dict.fromkeys(r["method"] for r in self.rows):
            rows = [r for r in self.rows if r["method"] == method]
            objs = [ObjectScores(**{k: r[k] for k in SCORE_FIELDS}) for r in rows]
            tracks = [TrackScores(**{k: r[k] for k in TRACK_FIELDS if k in r}) for r in rows]
            clips = [c for c in self.clips if c["method"] == method] if self.clips else None
            out[method] = {**summarize(objs), **summarize_tracks(tracks, clips)}
        return out

    def as_dict(self) -> dict:
        return {
            "options": asdict(self.options),
            "protocol": self.options.describe(),
            "summary": self.summary(),
            "objects": self.rows,
            "clips": self.clips,
        }


def truncate(clip: Clip, max_frames: int | None) -> Clip:
    """The first ``max_frames`` frames of a clip (unchanged when None or shorter)."""
    if not max_frames or clip.num_frames <= max_frames:
        return clip
    objs = [
        ObjectTrack(o.obj_id, o.amodal[:max_frames], o.visible[:max_frames], o.category) for o in clip.objects
    ]
    unocc = None if clip.unoccluded is None else clip.unoccluded[:max_frames]
    return Clip(
        clip.frames[:max_frames],
        objs,
        clip.source,
        clip.clip_id,
        clip.frame_ids[:max_frames],
        unocc,
        clip.fps,
        clip.meta,
    )


def copy_first(masks: dict[int, np.ndarray], prompts: list[ObjectPrompt]) -> dict[int, np.ndarray]:
    """The copy baseline: each object's prompt-frame mask repeated on every later frame."""
    out = {}
    for p in prompts:
        m = masks[p.obj_id].copy()
        m[p.frame :] = m[p.frame]
        out[p.obj_id] = m
    return out


def evaluate_clip(
    predictor: Callable, clip: Clip, options: EvalOptions, clip_rows: list[dict] | None = None
) -> list[dict]:
    """Rows (method + per-object scores) for one clip; its per-method collapse counts go to ``clip_rows``."""
    clip = truncate(clip, options.max_frames)
    prompts = make_prompts(clip, options.prompt, options.min_prompt_px, options.min_prompt_frac)
    if options.occluded_objects_only:
        occluded = {o.obj_id for o in clip.objects if o.occluded.any()}
        prompts = [p for p in prompts if p.obj_id in occluded]
    if not prompts:
        return []
    preds = {"amodal": predictor(clip, prompts, adapters=True, oracle=options.box_oracle)}
    if options.baselines:
        preds["modal"] = predictor(clip, prompts, adapters=False, oracle=options.box_oracle)
        preds["copy-first"] = copy_first(preds["amodal"], prompts)
    by_id = {o.obj_id: o for o in clip.objects}
    gts = {o.obj_id: (o.amodal, o.visible) for o in clip.objects}
    starts = {p.obj_id: p.frame for p in prompts}
    rows = []
    for method, masks in preds.items():
        tracks, collapse = score_tracks(
            {i: masks[i] for i in starts}, gts, starts, options.exclude_unoccluded
        )
        if clip_rows is not None:
            clip_rows.append({"method": method, "clip_id": str(clip.clip_id), **collapse})
        for p in prompts:
            obj = by_id[p.obj_id]
            s = score_object(
                masks[p.obj_id],
                obj.amodal,
                obj.visible,
                p.frame,
                clip.clip_id,
                p.obj_id,
                options.exclude_unoccluded,
            )
            rows.append({"method": method, **s.as_dict(), **tracks[p.obj_id].as_dict()})
    return rows


def evaluate(
    predictor: Callable,
    clips: Iterable[Clip],
    options: EvalOptions | None = None,
    on_clip: Callable[[int], None] | None = None,
) -> EvalResult:
    """Run the protocol over ``clips``; ``on_clip(n_objects)`` is called after each clip (progress)."""
    options = options or EvalOptions()
    result = EvalResult(options)
    for clip in clips:
        rows = evaluate_clip(predictor, clip, options, result.clips)
        result.rows.extend(rows)
        if on_clip is not None:
            on_clip(len({r["obj_id"] for r in rows}))
    return result
