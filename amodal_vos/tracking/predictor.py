"""AmodalPredictor: interactive tracking with the calls of sam2's ``SAM2VideoPredictor``, so sam2 code ports by
changing the import (docs/predictor.md has the details and the differences).

    predictor = AmodalPredictor.default()                      # or .from_checkpoint(...), .from_config("small")
    state = predictor.init_state("clip.mp4")                   # a file, frame folder, uint8 array, FrameSource,
                                                               # an iterator of frames or a stream URL (live)
    predictor.add_new_points_or_box(state, 0, 1, box=[40, 30, 120, 90])                # x0, y0, x1, y1 as sam2
    predictor.add_new_points_or_box(state, 0, 2, points=[[200, 90], [210, 140]], labels=[1, 0])
    for r in predictor.propagate_in_video(state):             # yields each frame as soon as it is computed
        r.frame_idx, r.obj_ids, r.amodal, r.visible, r.occluded, r.occlusion, r.scores, r.ious
    predictor.add_new_points_or_box(state, 40, 1, points=[[60, 50]], labels=[0])       # a correction on frame 40
    list(predictor.propagate_in_video(state))                 # recomputes frames 40.. only
    list(predictor.propagate_in_video(state, reverse=True))   # frames before each object's first prompt
    predictor.result(state).save(output="clip.amodal.mp4", masks="clip.amodal.json")

Each object is tracked forwards from its first prompt, where later prompts condition its memory (corrections),
and backwards from its first prompt to the first frame. Results of a file are kept as RLE; a live input keeps only
its last two frames (memory stays flat over any length) and is tracked forwards; a live input can be prompted on
its latest frame or the next one.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from amodal_vos.errors import UserError
from amodal_vos.io.live import LiveFrames, is_stream_url, open_stream
from amodal_vos.io.video import FrameSource
from amodal_vos.model import AmodalSAM2
from amodal_vos.tracking.exits import EXITS
from amodal_vos.tracking.loading import ModelConstructors, describe
from amodal_vos.tracking.memory import uses_memory
from amodal_vos.tracking.motion import AGREE
from amodal_vos.tracking.prompts import Prompt, check_prompts
from amodal_vos.tracking.result import TrackResult
from amodal_vos.tracking.shape_flow import SHAPE_AGREE
from amodal_vos.tracking.state import FrameResult, ObjectState, PredictorState
from amodal_vos.tracking.strays import STRAYS
from amodal_vos.tracking.sweeps import LIVE_FRAMES, InputEnded, Sweeps
from amodal_vos.tracking.tracker import as_source, frame_range, run_description


class AmodalPredictor(ModelConstructors):
    """sam2-style interactive tracking over an AmodalSAM2 model; options as ``AmodalTracker``'s."""

    def __init__(
        self,
        model: AmodalSAM2,
        *,
        visible: bool = True,
        adapters: bool = True,
        batch_objects: bool = True,
        prune: bool = True,
        motion: float | None = AGREE,
        shape: float | None = SHAPE_AGREE,
        apart: float | None = None,
        strays: float | None = STRAYS,
        views: bool = True,
        box_tracker: bool = True,
        exits: float | None = EXITS,
        memory: bool | None = None,
        description: dict | None = None,
    ) -> None:
        self.model = model.eval()
        self.visible, self.adapters, self.motion, self.shape = visible, adapters, motion, shape
        self.apart, self.strays, self.views, self.box_tracker = apart, strays, views, box_tracker
        self.exits = exits
        self.memory = uses_memory(model) if memory is None else memory
        options = {
            "adapters": adapters,
            "visible": visible and adapters,
            "prune": prune,
            "motion": motion,
            "shape": shape,
            "apart": apart,
            "strays": strays,
            "views": views,
            "box_tracker": box_tracker,
            "exits": exits,
        }
        self.sweeps = Sweeps(self.model, {**options, "batch_objects": batch_objects, "memory": self.memory})
        self.description = describe(model, description)

    @classmethod
    def from_tracker(cls, tracker) -> AmodalPredictor:
        """The same model and options as an ``AmodalTracker``."""
        return cls(
            tracker.model, visible=tracker.visible, adapters=tracker.adapters,
            batch_objects=tracker.batch_objects, motion=tracker.motion, shape=tracker.shape, apart=tracker.apart,
            strays=tracker.strays, views=tracker.views, box_tracker=tracker.box_tracker, exits=tracker.exits,
            memory=tracker.memory, description=dict(tracker.description),
        )  # fmt: skip

    def init_state(
        self,
        video: str | Path | FrameSource | np.ndarray | Iterable[np.ndarray],
        *,
        start: int = 0,
        end: int | None = None,
        max_frames: int | None = None,
        keep_memory: bool = True,
    ) -> PredictorState:
        """The state of one video: a path (file, frame folder, image), FrameSource or uint8 array [T, H, W, 3],
        tracked over frames [start, end); or live input, tracked forwards as it comes: an iterator of RGB uint8
        frames, or a stream URL (rtsp://, http://, /dev/video0) opened with PyAV. Frames are read when needed.
        ``keep_memory``: keep a snapshot of the memory after every frame, so that a correction on any frame
        restarts there at once (as sam2 keeps all outputs); False keeps the last two (a correction on an earlier
        frame then recomputes from the sweep's start). A live input always keeps only the last two."""
        if is_stream_url(video) or not isinstance(video, (str, Path, FrameSource, np.ndarray)):
            frames = open_stream(video) if isinstance(video, str) else video
            live = LiveFrames(frames, name=str(video) if isinstance(video, str) else "<live>")
            return PredictorState(live.info, 0, None, live=live, keep_memory=False)
        source = as_source(video)
        start, end = frame_range(source.info.num_frames, start, end, max_frames)
        return PredictorState(source.info, start, end, source=source, keep_memory=keep_memory)

    def reset_state(self, state: PredictorState) -> None:
        """Forget every object, prompt and result (the video stays open)."""
        state.objects.clear()
        state.frames.clear()
        state.forward.reset()
        state.backward.reset()
        state.last_yielded = None

    def add_new_points_or_box(
        self,
        state: PredictorState,
        frame_idx: int,
        obj_id: int,
        points: Sequence | np.ndarray | torch.Tensor | None = None,
        labels: Sequence | np.ndarray | torch.Tensor | None = None,
        clear_old_points: bool = True,
        normalize_coords: bool = True,
        box: Sequence | np.ndarray | torch.Tensor | None = None,
    ) -> FrameResult:
        """Prompt object ``obj_id`` on frame ``frame_idx`` with clicks (x, y) in frame pixels, labels 1 (on the
        object) or 0 (not on it), and/or a box **(x0, y0, x1, y1)** as sam2 (``Prompt`` and the CLI use x, y, w, h).
        ``normalize_coords=False``: coordinates are given relative to the frame size (0..1). The prompt replaces the
        object's prompt on that frame (``clear_old_points=False``: its clicks are added to it). A prompt for an
        object already tracked is a correction. Returns frame ``frame_idx`` with every object on it."""
        w, h = state.info.width, state.info.height
        scale = np.array([1.0, 1.0]) if normalize_coords else np.array([w, h], float)
        pts = np.zeros((0, 2)) if points is None else np.asarray(points, float).reshape(-1, 2) * scale
        lab = np.ones(len(pts), int) if labels is None else np.asarray(labels, int).reshape(-1)
        xywh = None
        if box is not None:
            x0, y0, x1, y1 = (np.asarray(box, float).reshape(4) * np.tile(scale, 2)).tolist()
            xywh = (x0, y0, x1 - x0, y1 - y0)
        old = state.objects[obj_id].prompts.get(frame_idx) if obj_id in state.objects else None
        if not clear_old_points and old is not None and old.mask is None:
            pts = np.concatenate([np.asarray(old.points, float).reshape(-1, 2), pts])
            lab = np.concatenate([np.asarray(old.labels, int), lab])
            xywh = xywh if xywh is not None else old.box
        prompt = Prompt(frame_idx, xywh, tuple(map(tuple, pts)), tuple(lab.tolist()), obj_id)
        return self._prompt_and_preview(state, prompt)

    def add_new_mask(
        self, state: PredictorState, frame_idx: int, obj_id: int, mask: np.ndarray | torch.Tensor
    ) -> FrameResult:
        """Prompt object ``obj_id`` on frame ``frame_idx`` with a frame-sized mask of its whole (amodal) shape; it
        replaces the object's prompt on that frame. Returns frame ``frame_idx`` with every object on it."""
        mask = mask.cpu().numpy() if isinstance(mask, torch.Tensor) else np.asarray(mask)
        return self._prompt_and_preview(state, Prompt.from_mask(mask > 0, frame_idx, obj_id))

    def add_prompts(self, state: PredictorState, prompts: Iterable[Prompt]) -> None:
        """Add many prompts (``Prompt``: boxes x, y, w, h) without computing any frame, e.g. from a prompts file;
        ``propagate_in_video`` computes them."""
        for prompt in self._checked(state, list(prompts)):
            self._record(state, prompt)

    def propagate_in_video(
        self,
        state: PredictorState,
        start_frame_idx: int | None = None,
        max_frame_num_to_track: int | None = None,
        reverse: bool = False,
    ) -> Iterator[FrameResult]:
        """Yield each frame's FrameResult as soon as it is computed, from ``start_frame_idx`` (default: the first
        object's first prompt forwards, the last object's first prompt backwards) for at most
        ``max_frame_num_to_track`` frames (default: to the end). Frames already current are yielded from the
        stored results without computing them again; a prompt added while iterating is taken up from the next
        frame."""
        sweep = state.backward if reverse else state.forward
        if not state.objects:
            raise UserError("no objects to track: add a prompt first (add_new_points_or_box or add_new_mask)")
        if state.is_live and reverse:
            raise UserError("a live input is tracked forwards only")
        firsts = [o.first_frame for o in state.objects.values()]
        first = start_frame_idx
        if first is None:
            first = max(firsts) if reverse else min(firsts)
            if state.is_live and state.last_yielded is not None:
                first = max(first, state.last_yielded + 1)
        if not state.is_live and not state.start <= first < state.end:
            raise UserError(
                f"start frame {first} is outside the tracked frames {state.start}..{state.end - 1}"
            )
        limit = max_frame_num_to_track
        if state.is_live:
            order = itertools.count(first) if limit is None else range(first, first + limit)
        elif reverse:
            order = range(first, max(state.start - 1, first - (limit or LIVE_FRAMES)), -1)
        else:
            order = range(first, min(state.end, first + (limit or LIVE_FRAMES)))
        for t in order:
            arrays = None
            if not self.sweeps.is_current(state, sweep, t):
                try:
                    computed = self.sweeps.step(state, sweep, t)
                except InputEnded:
                    return
                arrays = {obj_id: masks for obj_id, (_, masks) in computed.items()}
            if state.is_live:
                state.last_yielded = t
            yield FrameResult.build(t, state.obj_ids, state.frames.get(t, {}), state.info.hw, arrays)

    def remove_object(self, state: PredictorState, obj_id: int) -> list[int]:
        """Drop an object: its prompts and results on every frame; tracking goes on without it (also in the
        middle of ``propagate_in_video``). Returns the remaining object ids. The other objects' results are kept
        as they are (their visible masks were shared out with it present)."""
        if obj_id not in state.objects:
            raise UserError(f"no object {obj_id} (objects: {state.obj_ids})")
        del state.objects[obj_id]
        for objects in state.frames.values():
            objects.pop(obj_id, None)
        for sweep in (state.forward, state.backward):
            sweep.propagation = sweep.position = None  # restarts from its last snapshot, without the object
        return state.obj_ids

    def result(self, state: PredictorState) -> TrackResult:
        """The tracked frames as a TrackResult (to save, render or convert); ``partial`` while some frame lacks an
        object (propagate both ways first)."""
        if state.is_live:
            raise UserError(
                "a live input keeps no results to collect; use the frames propagate_in_video yields"
            )
        if not state.objects:
            raise UserError("no objects tracked")
        ids = state.obj_ids
        prompts = [o.prompts[o.first_frame] for o in state.objects.values()]
        description = run_description(self, self.visible)
        result = TrackResult(state.info, prompts, state.start, state.end, description, source=state.source)
        result.object_prompts = {
            o.obj_id: [o.prompts[f] for f in o.cond_frames] for o in state.objects.values()
        }
        for t in range(state.start, state.end):
            objects = state.frames.get(t, {})
            result.frames.append({i: objects[i] for i in ids if i in objects})
        result.partial = any(len(f) < len(ids) for f in result.frames)
        return result

    def _checked(self, state: PredictorState, prompts: list[Prompt]) -> list[Prompt]:
        info = replace(state.info, num_frames=LIVE_FRAMES) if state.is_live else state.info
        prompts = check_prompts(prompts, info, state.start, state.end, multiple=True)
        for p in prompts:
            if state.is_live and p.frame not in (state.live.index, state.live.index + 1):
                raise UserError(
                    f"{p.describe()}: a live input can be prompted on its latest frame ({state.live.index}) "
                    "or the next one"
                )
        return prompts

    def _record(self, state: PredictorState, prompt: Prompt) -> None:
        """Store the prompt; frames from its frame on become stale forwards (and backwards when it is the
        object's first prompt)."""
        obj = state.objects.setdefault(prompt.obj_id, ObjectState(prompt.obj_id))
        first = obj.first_frame if obj.prompts else None
        obj.prompts[prompt.frame] = prompt
        state.forward.invalidate(prompt.frame)
        if first is None or prompt.frame <= first:
            state.backward.invalidate(prompt.frame)

    def _prompt_and_preview(self, state: PredictorState, prompt: Prompt) -> FrameResult:
        (prompt,) = self._checked(state, [prompt])
        self._record(state, prompt)
        try:
            computed = self.sweeps.preview(state, prompt.frame, prompt.obj_id)
        except InputEnded:
            raise UserError(f"frame {prompt.frame} of the live input cannot be read: it has ended") from None
        arrays = {obj_id: masks for obj_id, (_, masks) in computed.items()}
        return FrameResult.build(
            prompt.frame, state.obj_ids, state.frames[prompt.frame], state.info.hw, arrays
        )
