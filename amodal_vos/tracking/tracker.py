"""AmodalTracker: the Python API. A small object with one obvious call over the model.

    from amodal_vos.tracking import AmodalTracker, Prompt

    tracker = AmodalTracker.from_checkpoint("model.safetensors")     # or .from_config("small"), .default()
    result = tracker.track("clip.mp4", [Prompt.from_box((40, 30, 80, 60)),
                                        Prompt.from_points([(200, 90)], frame=25)])
    result.masks(10).amodal                    # [N, H, W] bool: whole shapes on frame 10
    result.save(output="clip.amodal.mp4", masks="clip.amodal.json")

``track`` can also write those files while it tracks (``output=``, ``masks=``, ``png_dir=``), as the CLI does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from amodal_vos.errors import UserError
from amodal_vos.io.annotators import default_annotators
from amodal_vos.io.frames import ArraySource
from amodal_vos.io.video import FrameSource, open_video
from amodal_vos.model import AmodalSAM2
from amodal_vos.tracking.exits import EXITS
from amodal_vos.tracking.loading import ModelConstructors, describe
from amodal_vos.tracking.memory import uses_memory
from amodal_vos.tracking.motion import AGREE
from amodal_vos.tracking.outputs import Outputs
from amodal_vos.tracking.prompt_views import acts
from amodal_vos.tracking.prompts import Prompt, check_prompts
from amodal_vos.tracking.result import TrackResult
from amodal_vos.tracking.run import FrameEvent, Timings, TrackingRun
from amodal_vos.tracking.shape_flow import SHAPE_AGREE
from amodal_vos.tracking.strays import STRAYS

VideoLike = str | Path | FrameSource | np.ndarray
PromptsLike = Prompt | Sequence[Prompt | Sequence[float]]


def frame_range(
    num_frames: int, start: int = 0, end: int | None = None, max_frames: int | None = None
) -> tuple[int, int]:
    """The tracked frames [start, end): ``end`` defaults to the video's end, ``max_frames`` caps the length."""
    if start < 0 or start >= num_frames:
        raise UserError(f"--start {start} is outside the video (frames 0..{num_frames - 1})")
    stop = num_frames if end is None else min(end, num_frames)
    if max_frames is not None:
        if max_frames <= 0:
            raise UserError(f"--max-frames must be positive, got {max_frames}")
        stop = min(stop, start + max_frames)
    if stop <= start:
        raise UserError(f"--end {end} must be after --start {start}")
    return start, stop


def as_prompts(prompts: PromptsLike) -> list[Prompt]:
    """Prompts, or bare (x, y, w, h) boxes on frame 0."""
    if isinstance(prompts, Prompt):
        return [prompts]
    return [p if isinstance(p, Prompt) else Prompt.from_box(p) for p in prompts]


def as_source(video: VideoLike) -> FrameSource:
    if isinstance(video, FrameSource):
        return video
    if isinstance(video, np.ndarray):
        return ArraySource(video)
    return open_video(video)


def run_description(owner, visible: bool) -> dict:
    """The masks JSON's model record of a run by ``owner`` (an AmodalTracker or AmodalPredictor), its settings as the
    run takes them: ``shape`` only acts with ``motion``, ``apart`` and ``strays`` only with both, ``views`` only on
    the models prompt_views.acts names."""
    moved = owner.shape if owner.motion is not None else None
    return {
        **owner.description,
        "visible_pass": bool(visible and owner.adapters),
        "adapters": owner.adapters,
        "moved_masks": moved,
        "keep_apart": owner.apart if moved is not None else None,
        "drop_strays": owner.strays if moved is not None else None,
        "prompt_views": acts(owner.model, owner.views, owner.adapters, owner.memory),
        "box_tracker": bool(owner.box_tracker and owner.motion is not None and owner.adapters),
        "exits": owner.exits if owner.adapters else None,
    }


class AmodalTracker(ModelConstructors):
    """Tracks prompted objects through a video with an AmodalSAM2 model. ``visible`` runs the modal pass (visible
    and occluded parts; about doubles the cost); ``adapters=False`` bypasses the adapters (plain SAM-2 tracking);
    ``batch_objects=False`` gives every object its own memory bank (default: objects prompted together share one).
    ``motion``: optical flow moves each object's prior box with its pixels, and a predicted box below this IoU with
    the flow's box is refused as the next prior (None: priors come from the last prediction alone).
    ``shape`` (with motion): each object's last mask, moved by the flow of its own pixels, replaces a new mask that
    overlaps it at IoU below this value (None: masks come from the model alone; see shape_flow.py).
    ``apart`` (with shape; off by default, apart.APART = 0.7 is the measured setting): where two objects' new masks
    overlap at this IoU or more while their last ones did not, the one that jumped keeps its last mask (apart.py).
    ``strays`` (with shape): a part of an object's new mask, other than its largest, with at least this share on
    another object's new mask, and more of it on the others' last masks than on its own, is removed (strays.py).
    ``views``: a box prompt's frame is also segmented from a wider and a mirrored crop, and the mask whose box agrees
    best with the prompt box is kept (prompt_views.py; memory-free search-region models with a visible token).
    ``box_tracker`` (with motion): an appearance tracker (OpenCV's CSRT) follows each object from its prompt box,
    and its box is the object's prior box wherever it finds the object; an object it loses at the frame's border is
    reported absent, one it loses inside is taken as hidden (box_tracker.py, looks.py).
    ``exits``: an object whose box touches the frame's edge with its extent across it below this share of the widest
    seen is reported absent until it is back at that edge with half of it (exits.py; None: no such rule).
    ``memory=False``: no memory bank; every later frame is segmented from its prior box like a prompt frame
    (default: the model config's ``track_memory``)."""

    def __init__(
        self,
        model: AmodalSAM2,
        *,
        visible: bool = True,
        adapters: bool = True,
        batch_objects: bool = True,
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
        self.visible, self.adapters, self.batch_objects = visible, adapters, batch_objects
        self.motion, self.shape, self.apart, self.strays, self.views = motion, shape, apart, strays, views
        self.box_tracker, self.exits = box_tracker, exits
        self.memory = uses_memory(model) if memory is None else memory
        self.description = describe(model, description)
        self.last_run: TrackingRun | None = None

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def last_timings(self) -> Timings | None:
        """Seconds per part (decode, prepare, model, masks, write) of the last ``track`` call."""
        return None if self.last_run is None else self.last_run.timings

    def track(
        self,
        video: VideoLike,
        prompts: PromptsLike,
        *,
        start: int = 0,
        end: int | None = None,
        max_frames: int | None = None,
        visible: bool | None = None,
        output: str | Path | None = None,
        masks: str | Path | None = None,
        png_dir: str | Path | None = None,
        force: bool = False,
        on_frame: Callable[[FrameEvent], None] | None = None,
        progress: bool = False,
        prune: bool = True,
        allow_truncated: bool = False,
        legend: bool = True,
    ) -> TrackResult:
        """Track every prompted object over frames [start, end) of ``video`` (a path: video file, frame folder or
        image; a FrameSource; or frames [T, H, W, 3] / one image [H, W, 3] as a uint8 array) and return the masks.
        ``output`` / ``masks`` / ``png_dir`` also write the overlay video, masks JSON and palette PNGs.
        ``allow_truncated``: a video that ends before ``end`` although its index announces more frames gives the
        frames that could be read, marked partial and truncated, instead of a UserError. ``legend=False``: no
        legend in the overlay. ``progress``: a progress bar on stderr."""
        source = as_source(video)
        start, end = frame_range(source.info.num_frames, start, end, max_frames)
        prompts = check_prompts(as_prompts(prompts), source.info, start, end)
        visible = self.visible if visible is None else visible
        result = TrackResult(source.info, prompts, start, end, run_description(self, visible), source=source)
        outputs = Outputs(
            source.info, output, masks, png_dir, force, num_frames=end - start,
            annotators=default_annotators(legend=legend),
        )  # fmt: skip
        bar = None
        if progress:
            from amodal_vos.io.progress import RateColumn, progress_bar

            bar = progress_bar(RateColumn("fps"))
            bar.start()
        callback = on_frame if bar is None else _with_bar(bar, bar.add_task("tracking", total=None), on_frame)
        run = TrackingRun(
            self.model, source, prompts, start, end, outputs, result,
            adapters=self.adapters, visible=visible, prune=prune, batch_objects=self.batch_objects, on_frame=callback,
            motion=self.motion, shape=self.shape, apart=self.apart, strays=self.strays, views=self.views,
            box_tracker=self.box_tracker, exits=self.exits, memory=self.memory,
            allow_truncated=allow_truncated,
        )  # fmt: skip
        self.last_run = run
        try:
            with outputs:
                return run.run()
        finally:
            if bar is not None:
                bar.stop()

    def segment(self, image: str | Path | np.ndarray, prompts: PromptsLike, **kwargs) -> TrackResult:
        """Amodal segmentation of one image: ``track`` on a one-frame input (``output`` may be a .png)."""
        source = as_source(image)
        if source.info.num_frames != 1:
            raise UserError(f"{source.info.path} is not a single image ({source.info.num_frames} frames)")
        return self.track(source, prompts, **kwargs)


def _with_bar(bar, task, on_frame):
    """An on_frame callback that also advances the rich progress bar ``bar`` (io/progress.py)."""

    def report(event: FrameEvent) -> None:
        bar.update(task, total=event.total, completed=event.done, description=f"tracking ({event.phase})")
        if on_frame is not None:
            on_frame(event)

    return report
