"""One tracking run over a video: a backward sweep from later prompt frames, then a forward sweep that writes.

1. Backward (only if some prompt sits after the first tracked frame): frames are read backwards in bounded chunks
   from the latest prompt frame; each later-prompted object is tracked from its prompt frame back to the start.
   Its masks are kept as RLE until the forward sweep reaches those frames.
2. Forward: frames are decoded in order; each object is tracked from its prompt frame on; every frame is then
   complete (all objects) and is rendered and written at once, so the outputs stream and memory stays flat. Masks
   are brought to frame size in a worker thread while the model steps the next frame.

Ctrl-C (first SIGINT, SIGTERM or SIGHUP: at the next frame boundary; or a KeyboardInterrupt raised by the
``on_frame`` callback) finishes the outputs with the frames done so far, marks the result partial and raises
TrackingInterrupted, which carries the partial result (and the signal).

A video that ends before the frames its index announces (truncated mp4) is an error unless ``allow_truncated``:
then the frames that could be read are kept and the result is marked partial and truncated. A run that cannot
read its first frame is always an error.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch

from amodal_vos.errors import UserError
from amodal_vos.io.frame_masks import FrameMasks
from amodal_vos.io.prefetch import Prefetch, with_next
from amodal_vos.io.rle import decode
from amodal_vos.io.video import FrameSource, TruncatedVideo
from amodal_vos.model import AmodalSAM2
from amodal_vos.model.search import SearchConfig
from amodal_vos.model.transforms import boxes_to_input, frames_to_input, points_to_input
from amodal_vos.tracking.cpu_share import opencv_threads
from amodal_vos.tracking.interrupt import StopAtFrameBoundary
from amodal_vos.tracking.outputs import Outputs
from amodal_vos.tracking.prompts import Prompt
from amodal_vos.tracking.propagation import ModelPrompt, Propagation
from amodal_vos.tracking.result import ObjectFrame, TrackResult
from amodal_vos.tracking.step_masks import StepMasks


@dataclass
class FrameEvent:
    """Progress report after each processed frame: ``phase`` is "backward" or "forward"."""

    phase: str
    index: int
    done: int
    total: int


class TrackingInterrupted(KeyboardInterrupt):
    """Ctrl-C during tracking; ``result`` holds the frames finished (also written to the outputs)."""

    def __init__(self, result: TrackResult, signum: int | None = None) -> None:
        super().__init__(f"interrupted after {len(result)} frames")
        self.result, self.signum = result, signum


@dataclass
class Timings:
    """Seconds spent per part of a run: decoding and preparing model inputs (in the prefetch thread, overlapping
    the model), waiting for the next prepared frame, the model, masks to frame size + RLE, and rendering + writing
    outputs (the caller's share: encoding runs in the sink's thread)."""

    decode: float = 0.0
    prepare: float = 0.0
    wait: float = 0.0
    model: float = 0.0
    masks: float = 0.0
    write: float = 0.0
    total: float = 0.0
    frames: int = 0

    def add_prefetch(self, prefetch: Prefetch) -> None:
        self.decode += prefetch.busy["read"]
        self.prepare += prefetch.busy["prepare"]


def _timed(pairs: Iterable[tuple], timings: Timings) -> Iterator[tuple]:
    """The pairs of a Prefetch, adding the time spent waiting for each to ``timings.wait``."""
    iterator = iter(pairs)
    while True:
        tic = time.perf_counter()
        try:
            pair = next(iterator)
        except StopIteration:
            return
        timings.wait += time.perf_counter() - tic
        yield pair


def model_prompt(prompt: Prompt, hw: tuple[int, int], size: int | None, start: int) -> ModelPrompt:
    """A frame-pixel prompt in model-input pixels (``size`` None: kept in frame pixels, for search-region models),
    its frame made local to the tracked range."""
    if size is None:
        hw, size = (1, 1), 1  # identity scaling
    box = None if prompt.box is None else boxes_to_input(torch.from_numpy(prompt.xyxy()[None]), hw, size)[0]
    points = points_to_input(torch.tensor(prompt.points, dtype=torch.float32).reshape(-1, 2), hw, size)
    return ModelPrompt(
        prompt.obj_id, prompt.frame - start, box, points, torch.tensor(prompt.labels, dtype=torch.int32)
    )


def _stack(masks: list[np.ndarray]) -> np.ndarray:
    """[H, W] masks -> [N, H, W], each [i] Fortran-ordered like the masks of ``frame_masks`` (so no transposing)."""
    h, w = masks[0].shape
    out = np.empty((len(masks), w, h), bool)
    for i, mask in enumerate(masks):
        out[i] = mask.T
    return out.transpose(0, 2, 1)


def _xyxy(box: list[float] | None) -> tuple[int, int, int, int] | None:
    return None if box is None else (int(box[0]), int(box[1]), int(box[0] + box[2]), int(box[1] + box[3]))


class TrackingRun:
    """State of one run; ``run()`` performs both sweeps and returns the TrackResult."""

    def __init__(
        self,
        model: AmodalSAM2,
        source: FrameSource,
        prompts: list[Prompt],
        start: int,
        end: int,
        outputs: Outputs,
        result: TrackResult,
        *,
        adapters: bool = True,
        visible: bool = True,
        prune: bool = True,
        batch_objects: bool = True,
        motion: float | None = None,
        shape: float | None = None,
        apart: float | None = None,
        strays: float | None = None,
        views: bool = False,
        box_tracker: bool = False,
        exits: float | None = None,
        memory: bool = True,
        on_frame: Callable[[FrameEvent], None] | None = None,
        allow_truncated: bool = False,
    ) -> None:
        self.allow_truncated = allow_truncated
        self.model, self.source, self.start, self.end = model, source, start, end
        self.outputs, self.result, self.on_frame = outputs, result, on_frame
        self.hw, self.size = source.info.hw, int(model.image_size)
        self.device = next(model.parameters()).device
        self.search = SearchConfig.from_config(getattr(model, "config", None)) is not None
        self.prompts = [model_prompt(p, self.hw, None if self.search else self.size, start) for p in prompts]
        self.options = {
            "hw": self.hw,
            "adapters": adapters,
            "visible": visible and adapters,
            "prune": prune,
            "batch_objects": batch_objects,
            "motion": motion,
            "shape": shape,
            "apart": apart,
            "strays": strays,
            "views": views,
            "box_tracker": box_tracker,
            "exits": exits,
            "memory": memory,
        }
        self.timings = Timings()
        self.propagations: list[Propagation] = []
        later = [p.frame for p in self.prompts if p.frame > 0]
        self.backward_frames = max(later) + 1 if later else 0
        self.total = self.backward_frames + (end - start)
        self.done = 0
        self.stop = StopAtFrameBoundary()
        self.step_masks = StepMasks(self.hw, self.timings)

    def _prefetched(
        self, frames: Iterable[np.ndarray], sweep: Propagation
    ) -> Iterator[tuple[np.ndarray, tuple]]:
        """(frame, (model input, the sweep's flow frames, the next frame's flow frames or None)), decoded and
        prepared in a thread ahead of the model (io/prefetch.py); ``sweep.step(t, *prepared)`` takes them."""

        def prepare(frame: np.ndarray) -> tuple[torch.Tensor, tuple | None]:
            image = frames_to_input(frame, None if self.search else self.size, self.device)
            # a search-region model's input keeps the frame's size: CSRT reads the decoded frame itself
            return image, sweep.flow_frames(image, frame if self.search else None)

        prefetch = Prefetch(frames, prepare)
        try:
            for (frame, prepared), following in with_next(_timed(prefetch, self.timings)):
                upcoming = None if following is None else following[1][1]  # its (frame, (image, flow frames))
                yield frame, (*prepared, upcoming)
        finally:
            prefetch.close()
            self.timings.add_prefetch(prefetch)

    def _report(self, phase: str, index: int) -> None:
        """End of a frame: report progress, then stop here if Ctrl-C was pressed."""
        self.done += 1
        if self.on_frame is not None:
            self.on_frame(FrameEvent(phase, index, self.done, self.total))
        self.stop.check()

    def _backward(self) -> dict[int, dict[int, ObjectFrame]]:
        later = [p for p in self.prompts if p.frame > 0]
        store: dict[int, dict[int, ObjectFrame]] = {}
        if not later:
            return store
        sweep = Propagation(self.model, later, num_frames=self.end - self.start, reverse=True, **self.options)
        self.propagations.append(sweep)
        top = self.backward_frames - 1
        frames = self._prefetched(self.source.reverse_frames(self.start, self.start + top + 1), sweep)
        with contextlib.closing(frames):
            for t, (_, prepared) in zip(range(top, -1, -1), frames, strict=False):
                steps = [s for s in sweep.step(t, *prepared) if self._prompt_frame(s.obj_id) > t]
                if steps:
                    store[t] = {
                        obj_id: entry for obj_id, (entry, _) in self.step_masks.object_frames(steps).items()
                    }
                self._report("backward", self.start + t)
        return store

    def _prompt_frame(self, obj_id: int) -> int:
        return next(p.frame for p in self.prompts if p.obj_id == obj_id)

    def _forward(self, store: dict[int, dict[int, ObjectFrame]]) -> None:
        sweep = Propagation(self.model, self.prompts, num_frames=self.end - self.start, **self.options)
        self.propagations.append(sweep)
        ids = [p.obj_id for p in self.prompts]
        frames = self._prefetched(self.source.frames(self.start, self.end), sweep)
        try:
            with contextlib.closing(frames):
                self._forward_frames(sweep, ids, frames, store)
        except TruncatedVideo as err:
            self._truncated(err)
            return
        if len(self.result.frames) < self.end - self.start:  # a source that ended early without saying so
            self._truncated(
                TruncatedVideo(
                    self.source.info.path, self.start + len(self.result.frames), self.source.info.num_frames
                )
            )

    def _truncated(self, err: TruncatedVideo) -> None:
        """The video ended before ``self.end``: an error, or with ``allow_truncated`` a partial, truncated result."""
        read = len(self.result.frames)
        if read == 0:
            raise UserError(f"{err}: frame {self.start}, the first frame to track, cannot be read") from None
        done = f"frames {self.start}..{self.start + read - 1} of {self.start}..{self.end - 1}"
        if not self.allow_truncated:
            raise UserError(f"{err}; pass --allow-truncated to keep the {done} that were read") from None
        self.result.partial = True
        self.result.truncated = True

    def _forward_frames(self, sweep, ids, frames, store) -> None:
        """The model steps frame t while a worker thread turns frame t-1's steps into frame-size masks and RLE
        (only the outputs need them: the next crop and Mspec come from the step itself). A frame whose steps were
        computed is always finished, also when the loop stops early (Ctrl-C, a truncated video)."""
        with ThreadPoolExecutor(1, thread_name_prefix="masks") as pool:
            pending = None
            try:
                for t, (frame, prepared) in enumerate(frames):
                    steps = sweep.step(t, *prepared) if sweep.active(t) else []
                    if pending is not None:
                        done, pending = pending, None
                        self._finish_frame(ids, store, *done)
                    converting = pool.submit(self.step_masks.object_frames, steps) if steps else None
                    pending = (t, frame, converting)
                if pending is not None:
                    done, pending = pending, None
                    self._finish_frame(ids, store, *done)
            finally:
                if pending is not None:
                    self._finish_frame(ids, store, *pending, report=False)

    def _finish_frame(
        self, ids, store, t: int, frame, converting: Future | None, report: bool = True
    ) -> None:
        """Add frame t (its masks being converted in the worker, None: no object stepped) to the result and the
        outputs, then report it."""
        objects = store.pop(t, {})
        computed = converting.result() if converting is not None else {}
        objects.update((obj_id, entry) for obj_id, (entry, _) in computed.items())
        arrays = {obj_id: masks for obj_id, (_, masks) in computed.items()}
        self.result.frames.append({i: objects[i] for i in ids if i in objects})
        if self.outputs.needs_frames:
            tic = time.perf_counter()
            self.outputs.write_frame(self.start + t, frame, self._frame_masks(ids, objects, arrays))
            self.timings.write += time.perf_counter() - tic
        self.timings.frames += 1
        if report:
            self._report("forward", self.start + t)

    def _frame_masks(self, ids, objects, arrays) -> FrameMasks:
        for obj_id in ids:
            if obj_id not in arrays:
                entry = objects[obj_id]
                arrays[obj_id] = (
                    decode(entry.amodal),
                    None if entry.visible is None else decode(entry.visible),
                )
        amodal = _stack([arrays[i][0] for i in ids])
        has_visible = all(arrays[i][1] is not None for i in ids)
        masks = FrameMasks(ids, amodal, _stack([arrays[i][1] for i in ids]) if has_visible else None)
        return masks.known(
            [_xyxy(objects[i].box) for i in ids],
            [objects[i].occlusion for i in ids] if has_visible else None,
        )

    def run(self) -> TrackResult:
        tic = time.perf_counter()
        try:
            with self.stop, opencv_threads(self.device):
                self._forward(self._backward())
        except KeyboardInterrupt:
            self.result.partial = True
            self.outputs.finish(self.result)
            raise TrackingInterrupted(self.result, self.stop.signum) from None
        finally:
            self.timings.model = sum(p.model_seconds for p in self.propagations)
            self.timings.total = time.perf_counter() - tic
        tic = time.perf_counter()
        self.outputs.finish(self.result)
        self.timings.write += time.perf_counter() - tic
        self.timings.total += time.perf_counter() - tic
        return self.result
