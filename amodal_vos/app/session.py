"""One browser session's work: the open video, the predictor's state (objects, prompts, results) and the clicks.

The app tracks with ``AmodalPredictor`` (amodal_vos/tracking/predictor.py, sam2's interactive calls): a click or a
box on any frame is a prompt on that frame, answered at once with that frame's masks (``add_new_points_or_box``);
a prompt for an object already tracked is a correction, and the next Track recomputes only the frames from it on
(``propagate_in_video`` yields frames still current from its store). The model is shared by all sessions; the
state here is per session (held in a ``gr.State``).
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from amodal_vos.app.frames import FrameCache
from amodal_vos.errors import UserError
from amodal_vos.io import rle
from amodal_vos.io.annotators import default_annotators
from amodal_vos.io.drawing import Annotator
from amodal_vos.io.frame_masks import FrameMasks
from amodal_vos.tracking.predictor import AmodalPredictor
from amodal_vos.tracking.prompts import MAX_OBJECTS, Prompt
from amodal_vos.tracking.state import FrameResult, PredictorState

MODES = ("box", "positive click", "negative click")
SESSIONS_DIR = Path(tempfile.gettempdir()) / "amodal-vos-app" / "sessions"


@dataclass
class Session:
    """The video (decoded on demand), the predictor state, the overlay's annotators (colours stay per object for
    the session), the first corner of a box being drawn, and a folder for this session's downloads."""

    video: Path
    frames: FrameCache
    state: PredictorState
    annotators: list[Annotator] = field(default_factory=default_annotators)
    corner: tuple[int, int, float, float] | None = None  # (frame, object id, x, y) of a box's first click
    offered: set[int] = field(default_factory=set)  # object ids the page's object toggles offer
    out_dir: Path = field(default_factory=lambda: _new_folder())

    @classmethod
    def open(cls, predictor: AmodalPredictor, path: str | Path) -> Session:
        """Open ``path`` (video file, frame folder, image); a file that is not a video is a UserError."""
        frames = FrameCache.open(path)
        return cls(Path(path), frames, predictor.init_state(frames.source))

    @property
    def num_frames(self) -> int:
        return self.frames.info.num_frames

    @property
    def obj_ids(self) -> list[int]:
        return sorted(self.state.objects)

    def check_frame(self, t: float | int | None) -> int:
        if t is None or not 0 <= int(t) < self.num_frames:
            raise UserError(f"frame {t} is outside the video (frames 0..{self.num_frames - 1})")
        return int(t)

    def click(
        self, predictor: AmodalPredictor, t: int, x: float, y: float, mode: str, obj_id: float | int | None
    ) -> tuple[FrameResult | None, str]:
        """Handle a click at (x, y) frame pixels on frame ``t``: in box mode the first click is a corner (returns
        no result), the second the opposite corner; a positive or negative click is added to the object's clicks
        on that frame. Returns the frame's result after the prompt, and a message for the page."""
        t = self.check_frame(t)
        if obj_id is None or not float(obj_id).is_integer() or not 1 <= int(obj_id) <= MAX_OBJECTS:
            raise UserError(f"object id must be a whole number 1..{MAX_OBJECTS}, got {obj_id}")
        obj_id = int(obj_id)
        if mode not in MODES:
            raise UserError(f"unknown mode {mode!r} (modes: {', '.join(MODES)})")
        known = obj_id in self.state.objects
        if mode == "box":
            if self.corner is None or self.corner[:2] != (t, obj_id):
                self.corner = (t, obj_id, x, y)
                return None, f"object {obj_id}: first corner ({x:.0f}, {y:.0f}); click the opposite corner"
            _, _, x0, y0 = self.corner
            self.corner = None
            if abs(x - x0) < 1 or abs(y - y0) < 1:
                raise UserError(
                    f"the box ({x0:.0f}, {y0:.0f})-({x:.0f}, {y:.0f}) has zero size: click two opposite corners"
                )
            box = [min(x0, x), min(y0, y), max(x0, x), max(y0, y)]
            result = predictor.add_new_points_or_box(self.state, t, obj_id, box=box)
            what = "box"
        else:
            self.corner = None
            label = int(mode == "positive click")
            result = predictor.add_new_points_or_box(
                self.state, t, obj_id, points=[[x, y]], labels=[label], clear_old_points=False
            )
            what = "positive click" if label else "negative click"
        return result, self._describe(result, obj_id, t, what, known)

    def _describe(self, result: FrameResult, obj_id: int, t: int, what: str, known: bool) -> str:
        i = result.obj_ids.index(obj_id)
        hidden = result.occlusion[i]
        shares = "" if hidden is None else f"hidden {hidden:.0%}, "
        head = f"object {obj_id}: {what} on frame {t} ({shares}presence {result.scores[i]:.2f})"
        if known and self.tracked_frames():
            return f"{head}: a correction; Track recomputes frames {t}.. (and earlier ones before its first prompt)"
        return f"{head}; press Track to follow it through the video"

    def remove(self, predictor: AmodalPredictor, obj_id: float | int | None) -> str:
        if obj_id is None or int(obj_id) not in self.state.objects:
            raise UserError(f"no object {obj_id} to remove (objects: {self.obj_ids or 'none yet'})")
        predictor.remove_object(self.state, int(obj_id))
        self.corner = None
        return f"object {int(obj_id)} removed"

    def reset(self, predictor: AmodalPredictor) -> str:
        predictor.reset_state(self.state)
        self.corner = None
        self.annotators = default_annotators()
        return "all objects removed"

    def prompts_on(self, t: int) -> list[Prompt]:
        return [o.prompts[t] for o in self.state.objects.values() if t in o.prompts]

    def pending_corner(self, t: int) -> tuple[float, float] | None:
        return None if self.corner is None or self.corner[0] != t else self.corner[2:]

    def masks(self, t: int, result: FrameResult | None = None) -> FrameMasks | None:
        """The objects' masks on frame ``t`` (from ``result`` when given, else the stored results), None before
        anything was computed there."""
        if result is not None:
            return FrameMasks(list(result.obj_ids), result.amodal, result.visible)
        objects = self.state.frames.get(t)
        if not objects:
            return None
        ids = [i for i in self.obj_ids if i in objects]
        amodal = np.stack([rle.decode(objects[i].amodal) for i in ids])
        has_visible = all(objects[i].visible is not None for i in ids)
        visible = np.stack([rle.decode(objects[i].visible) for i in ids]) if has_visible else None
        return FrameMasks(ids, amodal, visible)

    def tracked_frames(self) -> list[int]:
        return sorted(t for t, objects in self.state.frames.items() if objects)

    def sweeps(self) -> list[tuple[bool, int]]:
        """(reverse, frames to visit) of each sweep Track runs: forwards from the first prompted frame to the end,
        then backwards when an object is first prompted after the video's first frame."""
        if not self.state.objects:
            raise UserError("nothing to track: draw a box (two clicks) or click on an object first")
        firsts = [o.first_frame for o in self.state.objects.values()]
        plan = [(False, self.state.end - min(firsts))]
        if max(firsts) > self.state.start:
            plan.append((True, max(firsts) - self.state.start + 1))
        return plan

    def propagate(self, predictor: AmodalPredictor) -> Iterator[tuple[FrameResult, int, int]]:
        """Run Track: yield (frame result, frames done, frames in all) as each frame is computed or, when still
        current from an earlier run, read back."""
        plan = self.sweeps()
        total, done = sum(n for _, n in plan), 0
        for reverse, _ in plan:
            for result in predictor.propagate_in_video(self.state, reverse=reverse):
                done += 1
                yield result, done, total

    def series(self) -> list[dict]:
        """Rows (frame, value, series) of each object's hidden share and presence score over the tracked frames,
        for the page's line plot."""
        rows = []
        for t in self.tracked_frames():
            for obj_id, entry in sorted(self.state.frames[t].items()):
                if entry.occlusion is not None and math.isfinite(entry.occlusion):
                    rows.append({"frame": t, "value": entry.occlusion, "series": f"object {obj_id} hidden"})
                rows.append({"frame": t, "value": float(entry.score), "series": f"object {obj_id} presence"})
        return rows


def _new_folder() -> Path:
    SESSIONS_DIR.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="session-", dir=SESSIONS_DIR))
