"""TrackResult: the masks of every tracked object on every tracked frame, held compactly as COCO RLE.

result.masks(i)                 -> FrameMasks (amodal / visible / occluded [N, H, W]) of video frame i
result.amodal(i, obj_id)        -> [H, W] bool; also .visible(...), .occluded(...)
result.occlusion_rates(obj_id)  -> [T] share of the object hidden on each tracked frame
result.render(i)                -> the overlay of frame i (re-reads the frame from the video)
result.save(output=..., masks=..., png_dir=...)  -> the same files as ``amodal-vos track``
TrackResult.load("masks.json")  -> a result read back from the JSON (see amodal_vos/io/masks_json.py)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from amodal_vos.errors import UserError
from amodal_vos.io import masks_json, rle
from amodal_vos.io.annotators import Annotator, render
from amodal_vos.io.frame_masks import FrameMasks, mask_box
from amodal_vos.io.video import FrameSource, VideoInfo
from amodal_vos.tracking.detections import box_iou
from amodal_vos.tracking.prompts import Prompt


@dataclass
class ObjectFrame:
    """One object on one frame: amodal and visible masks as RLE, amodal box (x, y, w, h; None when the mask is
    empty), hidden share of the amodal mask, presence score (probability the object is in the frame) and SAM-2's
    predicted IoU of the amodal mask (None in masks JSON files written before it was recorded)."""

    amodal: dict
    visible: dict | None
    box: list[float] | None
    occlusion: float | None
    score: float
    iou: float | None = None

    @classmethod
    def from_masks(
        cls,
        amodal: np.ndarray,
        visible: np.ndarray | None,
        score: float,
        region: tuple[int, int, int, int] | None = None,
        iou: float | None = None,
    ) -> ObjectFrame:
        """``region`` (y0, y1, x0, x1): the amodal mask is empty outside it (None: the whole frame), so the box and
        occlusion are computed there only."""
        y0, y1, x0, x1 = (0, amodal.shape[0], 0, amodal.shape[1]) if region is None else region
        sub = amodal[y0:y1, x0:x1]
        box = mask_box(sub)
        if box is not None:
            box = (box[0] + x0, box[1] + y0, box[2] + x0, box[3] + y0)
        occlusion = None
        if visible is not None:
            area = int(np.count_nonzero(sub))
            hidden = np.count_nonzero(sub & ~visible[y0:y1, x0:x1]) if area else 0
            occlusion = float(hidden / area) if area else 0.0
        xywh = None if box is None else [box[0], box[1], box[2] - box[0], box[3] - box[1]]
        return cls(
            rle.encode(amodal), None if visible is None else rle.encode(visible), xywh, occlusion, score, iou
        )


class TrackResult:
    """Tracked frames ``start .. start + len(self) - 1`` of ``video``; ``partial`` when the run was interrupted.
    ``prompts`` holds each object's first prompt; ``object_prompts`` all of them (several with the predictor)."""

    def __init__(
        self,
        video: VideoInfo,
        prompts: list[Prompt],
        start: int,
        end: int,
        model: dict | None = None,
        source: FrameSource | None = None,
    ):
        self.video, self.prompts, self.start, self.end = video, list(prompts), start, end
        self.model = model or {}
        self.frames: list[dict[int, ObjectFrame]] = []
        self.partial = False
        self.truncated = False  # the video ended before ``end`` (then also partial)
        self._source = source
        self.object_prompts: dict[int, list[Prompt]] = {p.obj_id: [p] for p in self.prompts}

    @property
    def source(self) -> FrameSource:
        """The frames this result was tracked on (reopened from ``video.path`` for a result loaded from JSON)."""
        if self._source is None:
            from amodal_vos.io.video import open_video

            self._source = open_video(self.video.path)
        return self._source

    @property
    def ids(self) -> list[int]:
        return [p.obj_id for p in self.prompts]

    @property
    def frame_indices(self) -> range:
        """Video frame indices this result holds."""
        return range(self.start, self.start + len(self.frames))

    def __len__(self) -> int:
        return len(self.frames)

    def _frame(self, index: int) -> dict[int, ObjectFrame]:
        if index not in self.frame_indices:
            raise UserError(
                f"frame {index} was not tracked (tracked frames: {self.start}..{self.start + len(self) - 1})"
            )
        return self.frames[index - self.start]

    def object_frame(self, index: int, obj_id: int) -> ObjectFrame:
        frame = self._frame(index)
        if obj_id not in frame:
            raise UserError(f"no object {obj_id} (objects: {self.ids})")
        return frame[obj_id]

    def amodal(self, index: int, obj_id: int) -> np.ndarray:
        return rle.decode(self.object_frame(index, obj_id).amodal)

    def visible(self, index: int, obj_id: int) -> np.ndarray | None:
        entry = self.object_frame(index, obj_id).visible
        return None if entry is None else rle.decode(entry)

    def occluded(self, index: int, obj_id: int) -> np.ndarray | None:
        visible = self.visible(index, obj_id)
        return None if visible is None else self.amodal(index, obj_id) & ~visible

    def masks(self, index: int) -> FrameMasks:
        """All objects of video frame ``index`` at frame size."""
        frame = self._frame(index)
        ids = [i for i in self.ids if i in frame]
        amodal = (
            np.stack([rle.decode(frame[i].amodal) for i in ids])
            if ids
            else np.zeros((0, *self.video.hw), bool)
        )
        has_visible = ids and all(frame[i].visible is not None for i in ids)
        visible = np.stack([rle.decode(frame[i].visible) for i in ids]) if has_visible else None
        return FrameMasks(ids, amodal, visible)

    def occlusion_rates(self, obj_id: int) -> np.ndarray:
        """[T] hidden share of the object on each tracked frame (NaN without a visible pass)."""
        return np.array([np.nan if f[obj_id].occlusion is None else f[obj_id].occlusion for f in self.frames])

    def scores(self, obj_id: int) -> np.ndarray:
        return np.array([f[obj_id].score for f in self.frames])

    def prompt_fit(self, obj_id: int) -> float | None:
        """IoU of the object's amodal box with its first prompt's box on that frame (0: empty mask); None without a
        box prompt or when that frame was not tracked. A low fit says the model did not segment what was boxed."""
        prompt = next((p for p in self.prompts if p.obj_id == obj_id), None)
        if (
            prompt is None
            or prompt.box is None
            or not self.start <= prompt.frame < self.start + len(self.frames)
        ):
            return None
        return box_iou(self.frames[prompt.frame - self.start][obj_id].box, prompt.box)

    def render(
        self, index: int, frame: np.ndarray | None = None, annotators: list[Annotator] | None = None
    ) -> np.ndarray:
        """The overlay of video frame ``index`` (the frame is read from the video unless given)."""
        if frame is None:
            self._frame(index)
            frame = self.source.frame(index)
        return render(frame, self.masks(index), annotators)

    def json_header(self) -> dict:
        """The masks JSON document without its frames (schema: amodal_vos/io/masks_json.py)."""
        objects = []
        for p in self.prompts:
            entry = {"id": p.obj_id, "prompt": p.to_json()}
            own = self.object_prompts.get(p.obj_id, [p])
            if len(own) > 1:
                entry["prompts"] = [q.to_json() for q in own]
            objects.append(entry)
        video = self.video.to_json()
        if Path(video["path"]).exists():  # absolute, so that the JSON reopens its video from any folder
            video["path"] = str(Path(video["path"]).resolve())
        return masks_json.header(
            video, self.start, self.end, self.model, objects, self.partial, self.truncated
        )

    def json_frames(self) -> Iterator[dict]:
        """The document's frame entries, one at a time."""
        for index, frame in zip(self.frame_indices, self.frames, strict=True):
            yield {"index": index, "objects": [{"id": i, **vars(frame[i])} for i in self.ids if i in frame]}

    def to_json(self) -> dict:
        """The whole masks JSON document as a dict."""
        return {**self.json_header(), "frames": list(self.json_frames())}

    def save(
        self,
        output: str | Path | None = None,
        masks: str | Path | None = None,
        png_dir: str | Path | None = None,
        force: bool = False,
        legend: bool = True,
    ) -> dict[str, Path]:
        """Write the overlay video, masks JSON and/or palette PNGs (the video is read again for the overlay);
        ``legend=False`` leaves the overlay's legend out."""
        from amodal_vos.io.annotators import default_annotators
        from amodal_vos.tracking.outputs import Outputs

        outputs = Outputs(
            self.video, output, masks, png_dir, force, annotators=default_annotators(legend=legend)
        )
        needs_frames = output is not None or png_dir is not None
        with outputs:
            if needs_frames:
                frames = self.source.frames(self.start, self.start + len(self))
                for index, image in zip(self.frame_indices, frames, strict=False):
                    outputs.write_frame(index, image, self.masks(index))
            outputs.finish(self)
        return outputs.written

    @classmethod
    def load(cls, path: str | Path) -> TrackResult:
        """A result read back from a masks JSON, from any folder: the video path is used as written if it exists,
        else the same relative path or file name next to the JSON (a JSON moved along with its video)."""
        doc = masks_json.read(path)
        v = doc["video"]
        video = VideoInfo(
            _find_video(v["path"], Path(path)),
            v["width"],
            v["height"],
            Fraction(v["fps"]).limit_denominator(1001),
            v["num_frames"],
            v["kind"],
        )
        prompts = [Prompt.from_json(o["id"], o["prompt"]) for o in doc["objects"]]
        result = cls(video, prompts, doc["range"]["start"], doc["range"]["end"], doc["model"])
        for o in doc["objects"]:
            if "prompts" in o:
                result.object_prompts[o["id"]] = [Prompt.from_json(o["id"], q) for q in o["prompts"]]
        for entry in doc["frames"]:
            result.frames.append(
                {o["id"]: ObjectFrame(**{k: v for k, v in o.items() if k != "id"}) for o in entry["objects"]}
            )
        result.partial = doc["partial"]
        result.truncated = bool(doc.get("truncated", False))
        return result


def _find_video(stored: str, json_path: Path) -> str:
    """The video of a masks JSON: ``stored`` if it exists, else that path relative to the JSON's folder, else a
    file of the same name there; ``stored`` unchanged when none exists (reopening it then names it)."""
    folder = json_path.resolve().parent
    for candidate in (Path(stored), folder / stored, folder / Path(stored).name):
        if candidate.exists():
            return str(candidate)
    return stored
