"""How the predictor computes a frame in one direction: the same Propagation and frame conversion as ``track``.

The forward sweep holds every prompt of every object (each starts at its first prompt; later prompts are
corrections); the backward sweep holds the first prompt of each object prompted after the first tracked frame and
keeps its results only on frames before that prompt, exactly as TrackingRun's two sweeps do. Frames are decoded,
prepared (``frames_to_input``) and turned into masks (``StepMasks``) as there, so a run
without corrections gives the masks of ``track`` bit for bit.

To compute frame t a sweep must stand just before it: at its first frame it starts fresh; otherwise it restarts
from the snapshot taken after the previous frame (``Propagation.restore``), or, when that frame is not current
either, computes the frames in between first. A prompt on frame k therefore recomputes frames from k on in that
direction and leaves every frame before k as it was.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from amodal_vos.errors import UserError
from amodal_vos.io.prefetch import Prefetch
from amodal_vos.model import AmodalSAM2
from amodal_vos.model.search import SearchConfig
from amodal_vos.model.transforms import frames_to_input
from amodal_vos.tracking.cpu_share import opencv_threads
from amodal_vos.tracking.groups import ModelPrompt
from amodal_vos.tracking.prompts import Prompt
from amodal_vos.tracking.propagation import Propagation
from amodal_vos.tracking.result import ObjectFrame
from amodal_vos.tracking.run import Timings, model_prompt
from amodal_vos.tracking.state import PredictorState, SweepState
from amodal_vos.tracking.step_masks import StepMasks

LIVE_FRAMES = 2**31 - 1  # the length a live stream is tracked as (SAM-2 only uses it to bound memory lookups)
Computed = dict[
    int, tuple[ObjectFrame, tuple]
]  # obj_id -> (its ObjectFrame, (amodal, visible) at frame size)


class InputEnded(Exception):
    """A live input has no more frames."""


class Sweeps:
    """Computes frames of a PredictorState's sweeps with one model and one set of tracking options."""

    def __init__(self, model: AmodalSAM2, options: dict) -> None:
        self.model, self.options = model, options
        self.size = int(model.image_size)
        self.search = SearchConfig.from_config(getattr(model, "config", None)) is not None
        self.device = next(model.parameters()).device
        self._step_masks: dict[tuple, StepMasks] = {}

    def model_prompt(self, state: PredictorState, prompt: Prompt) -> ModelPrompt:
        """A prompt in model pixels (frame pixels for search regions), its frame local to the tracked range. A mask
        is resized as sam2 does (bilinear with antialiasing, then >= 0.5)."""
        size = None if self.search else self.size
        if prompt.mask is None:
            return model_prompt(prompt, state.info.hw, size, state.start)
        mask = torch.from_numpy(prompt.mask)
        if size is not None:
            mask = mask[None, None].float()
            mask = F.interpolate(
                mask, size=(size, size), mode="bilinear", align_corners=False, antialias=True
            )
            mask = mask[0, 0] >= 0.5
        empty = torch.zeros(0, 2), torch.zeros(0, dtype=torch.int32)
        return ModelPrompt(prompt.obj_id, prompt.frame - state.start, None, *empty, mask)

    def sweep_start(self, state: PredictorState, sweep: SweepState) -> int | None:
        """The sweep's first frame: the earliest first prompt forwards, the latest one after the range start
        backwards (None: nothing to track in this direction)."""
        firsts = [o.first_frame for o in state.objects.values() if o.prompts]
        if sweep.reverse:
            firsts = [f for f in firsts if f > state.start]
            return max(firsts, default=None)
        return min(firsts, default=None)

    def next_to_compute(self, state: PredictorState, sweep: SweepState) -> int | None:
        """The first frame of the sweep whose results are not current (None: nothing to track)."""
        start = self.sweep_start(state, sweep)
        if start is None:
            return None
        key = max(sweep.valid, sweep.key(start))
        return -key if sweep.reverse else key

    def is_current(self, state: PredictorState, sweep: SweepState, t: int) -> bool:
        """Whether frame t needs no computing in this sweep (computed already, or outside the sweep)."""
        first = self.next_to_compute(state, sweep)
        return first is None or sweep.key(t) < sweep.key(first)

    def new_propagation(
        self, state: PredictorState, sweep: SweepState, prompts: list[ModelPrompt] | None = None
    ):
        if prompts is None:
            prompts = []
            for obj in state.objects.values():
                frames = (
                    obj.cond_frames
                    if not sweep.reverse
                    else [obj.first_frame] * (obj.first_frame > state.start)
                )
                prompts += [self.model_prompt(state, obj.prompts[f]) for f in frames]
        n = LIVE_FRAMES if state.end is None else state.end - state.start
        return Propagation(
            self.model, prompts, num_frames=n, reverse=sweep.reverse, hw=state.info.hw, **self.options
        )

    def step(self, state: PredictorState, sweep: SweepState, t: int) -> Computed:
        """Compute frame t in this sweep (and the frames before it that are not current) and store the results."""
        with opencv_threads(self.device):
            return self._step(state, sweep, t)

    def _step(self, state: PredictorState, sweep: SweepState, t: int) -> Computed:
        self._position(state, sweep, t)
        image = self._image(state, sweep, t)
        local, prop = t - state.start, sweep.propagation
        steps = prop.step(local, image) if prop.active(local) else []
        if sweep.reverse:  # backwards, an object's own prompt frame and later belong to the forward sweep
            steps = [s for s in steps if state.objects[s.obj_id].first_frame > t]
        computed = self._masks_of(state).object_frames(steps) if steps else {}
        state.frames.setdefault(t, {}).update((i, entry) for i, (entry, _) in computed.items())
        sweep.checkpoints[t] = prop.snapshot()
        sweep.valid, sweep.position = sweep.key(t) + 1, t - 1 if sweep.reverse else t + 1
        if state.is_live:  # flat memory: the last two frames (a prompt may correct the latest one)
            state.frames = {f: v for f, v in state.frames.items() if f >= t - 1}
        if not state.keep_memory:
            near = (t, t + 1) if sweep.reverse else (t - 1, t)
            sweep.checkpoints = {f: v for f, v in sweep.checkpoints.items() if f in near}
        return computed

    def preview(self, state: PredictorState, t: int, obj_id: int) -> Computed:
        """Frame t right after a prompt there. A first prompt on a frame the forward sweep has not reached is
        computed on its own (no memory is needed); the forward sweep computes that frame again when it gets there."""
        sweep = state.forward
        first_prompt = state.objects[obj_id].first_frame == t
        if state.is_live or not first_prompt or t == self.next_to_compute(state, sweep):
            return self.step(state, sweep, t)
        objects = [o for o in state.objects.values() if o.first_frame == t]
        prop = self.new_propagation(state, sweep, [self.model_prompt(state, o.prompts[t]) for o in objects])
        image = self._prepare(state.source.frame(t))
        with opencv_threads(self.device):
            computed = self._masks_of(state).object_frames(prop.step(t - state.start, image))
        state.frames.setdefault(t, {}).update((i, entry) for i, (entry, _) in computed.items())
        return computed

    def _position(self, state: PredictorState, sweep: SweepState, t: int) -> None:
        """Make the sweep's propagation stand just before frame t."""
        if sweep.propagation is not None and sweep.position == t:
            return
        previous = t + 1 if sweep.reverse else t - 1
        if t == self.sweep_start(state, sweep):
            sweep.propagation = self.new_propagation(state, sweep)
        elif previous in sweep.checkpoints and sweep.key(previous) < sweep.valid:
            sweep.propagation = self.new_propagation(state, sweep)
            sweep.propagation.restore(sweep.checkpoints[previous], previous - state.start)
        else:  # compute the frames before t first: from the first stale one, or from the start without snapshot
            if state.is_live:
                raise UserError(
                    f"frame {t} of a live input cannot be tracked: frame {previous} was not tracked"
                )
            step = -1 if sweep.reverse else 1
            first, start = self.next_to_compute(state, sweep), self.sweep_start(state, sweep)
            if first != start and first - step not in sweep.checkpoints:
                first = start
            for u in range(first, t, step):
                self.step(state, sweep, u)
            return
        sweep.position = t

    def _image(self, state: PredictorState, sweep: SweepState, t: int) -> torch.Tensor:
        if state.is_live:
            frame = state.live.get(t)
            if frame is None:
                raise InputEnded
            return self._prepare(frame)
        if sweep.reader is None or sweep.read_next != t:  # frames decoded and prepared ahead in a thread
            source = state.source
            frames = (
                source.reverse_frames(state.start, t + 1) if sweep.reverse else source.frames(t, state.end)
            )
            sweep.reader = iter(Prefetch(frames, self._prepare))
        pair = next(sweep.reader, None)
        if pair is None:
            raise UserError(f"frame {t} of {state.info.path} cannot be read")
        sweep.read_next = t - 1 if sweep.reverse else t + 1
        return pair[1]

    def _prepare(self, frame: np.ndarray) -> torch.Tensor:
        return frames_to_input(frame, None if self.search else self.size, self.device)

    def _masks_of(self, state: PredictorState) -> StepMasks:
        key = state.info.hw
        if key not in self._step_masks:
            self._step_masks[key] = StepMasks(key, Timings())
        return self._step_masks[key]
