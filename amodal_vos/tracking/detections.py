"""Detections as prompts (``amodal-vos track --detections FILE``): any detector and tracker's boxes drive the
amodal tracker, as SAMEO does with a detector's boxes.

Files:
- MOT Challenge txt: ``frame,id,x,y,w,h[,conf,...]`` per line, frames counted from 1; lines with id < 0 (untracked
  detections) or conf 0 (MOT's "ignore") are skipped;
- COCO results JSON: a list (or {"annotations": [...]}) of {"bbox": [x, y, w, h], "track_id": int, and the frame as
  "frame" / "frame_index" (from 0) or "image_id" (from 1, as MOT)}; "instance_id" is read as the track id too.

Each track id is one object (ids 1..255 are kept; otherwise tracks are numbered 1, 2, ... in order of first
appearance), prompted with its box on its first detection. While tracking forwards, where a track's detection and
the tracked amodal box disagree strongly, the detection wins: when their IoU stays below ``iou`` (0.3) on
``patience`` (3) consecutive frames with a detection, the object is prompted again with the detection box on that
frame (a correction: its memory is conditioned there and the frames after it follow).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from amodal_vos.errors import UserError
from amodal_vos.io.input_files import read_json, read_text
from amodal_vos.tracking.prompts import MAX_OBJECTS, Prompt

Box = tuple[float, float, float, float]  # x, y, w, h


@dataclass
class Detections:
    """Boxes per object and frame: ``tracks[obj_id][frame]``; ``source_ids[obj_id]`` is the file's track id."""

    tracks: dict[int, dict[int, Box]]
    source_ids: dict[int, int]

    def first_prompts(self, start: int = 0, end: int | None = None) -> list[Prompt]:
        """Each object's box on its first detection in frames [start, end) (tracks outside them are left out)."""
        prompts = []
        for obj_id, boxes in self.tracks.items():
            frames = [f for f in boxes if f >= start and (end is None or f < end)]
            if frames:
                prompts.append(Prompt.from_box(boxes[min(frames)], min(frames), obj_id))
        if not prompts:
            raise UserError(
                f"no detection lies in the tracked frames {start}..{'' if end is None else end - 1}"
            )
        return prompts


def read_detections(path: str | Path) -> Detections:
    """The tracks of a MOT txt or COCO results JSON (by suffix)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"detections file not found: {path}")
    rows = _coco(path) if path.suffix.lower() == ".json" else _mot(path)
    if not rows:
        raise UserError(f"{path}: no tracked detections (every detection needs a track id)")
    raw: dict[int, dict[int, Box]] = {}
    for frame, track, box in rows:
        if frame < 0:
            raise UserError(
                f"{path}: track {track} has a detection on frame {frame} (before the first frame)"
            )
        raw.setdefault(track, {})[frame] = box
    keep = all(1 <= t <= MAX_OBJECTS for t in raw)
    if len(raw) > MAX_OBJECTS:
        raise UserError(f"{path}: {len(raw)} tracks, at most {MAX_OBJECTS} objects can be tracked")
    ids = {t: (t if keep else i) for i, t in enumerate(raw, 1)}
    return Detections({ids[t]: boxes for t, boxes in raw.items()}, {ids[t]: t for t in raw})


def _mot(path: Path) -> list[tuple[int, int, Box]]:
    rows = []
    for n, line in enumerate(read_text(path, "detections file").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            values = [float(v) for v in line.replace(" ", "").split(",")]
        except ValueError:
            raise UserError(
                f"{path}:{n}: expected frame,id,x,y,w,h[,conf,...], got {line.strip()!r}"
            ) from None
        if len(values) < 6:
            raise UserError(f"{path}:{n}: expected frame,id,x,y,w,h[,conf,...], got {line.strip()!r}")
        if values[1] < 0 or (len(values) > 6 and values[6] == 0):
            continue
        rows.append((int(values[0]) - 1, int(values[1]), tuple(values[2:6])))
    return rows


def _coco(path: Path) -> list[tuple[int, int, Box]]:
    doc = read_json(path, "detections file")
    items = doc.get("annotations") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise UserError(f'{path}: expected a COCO results list or {{"annotations": [...]}}')
    rows = []
    for i, item in enumerate(items):
        track = item.get("track_id", item.get("instance_id")) if isinstance(item, dict) else None
        box = item.get("bbox") if isinstance(item, dict) else None
        if track is None:
            continue
        if not (isinstance(box, list) and len(box) == 4 and all(isinstance(v, (int, float)) for v in box)):
            raise UserError(f"{path}: entry {i}: bbox must be [x, y, w, h], got {box!r}")
        if "frame" in item or "frame_index" in item:
            frame = item.get("frame", item.get("frame_index"))
        elif "image_id" in item:
            frame = item["image_id"] - 1 if isinstance(item["image_id"], int) else None
        else:
            frame = None
        if not isinstance(frame, int):
            raise UserError(
                f'{path}: entry {i}: needs its frame as "frame" (from 0) or an integer "image_id" (from 1)'
            )
        rows.append((frame, int(track), tuple(float(v) for v in box)))
    return rows


def box_iou(a: Box | None, b: Box | None) -> float:
    """IoU of two x, y, w, h boxes (0 when either is missing or empty)."""
    if a is None or b is None:
        return 0.0
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(w, 0.0) * max(h, 0.0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def follow_detections(
    predictor, state, detections: Detections, iou: float = 0.3, patience: int = 3, on_frame=None
):
    """Track forwards, re-prompting an object with its detection box where they disagree (module docstring).
    ``on_frame(result)`` sees each yielded frame. Returns the corrections made, as (frame, obj_id) pairs."""
    misses = dict.fromkeys(detections.tracks, 0)
    corrections = []
    for result in predictor.propagate_in_video(state):
        t = result.frame_idx
        if on_frame is not None:
            on_frame(result)
        for obj_id, boxes in detections.tracks.items():
            if t not in boxes or obj_id not in result.obj_ids or t <= state.objects[obj_id].first_frame:
                continue
            tracked = result.boxes[result.obj_ids.index(obj_id)]
            misses[obj_id] = misses[obj_id] + 1 if box_iou(boxes[t], tracked) < iou else 0
            if misses[obj_id] >= patience:
                x, y, w, h = boxes[t]
                misses[obj_id] = 0
                try:
                    predictor.add_new_points_or_box(state, t, obj_id, box=[x, y, x + w, y + h])
                except UserError:  # a detection box outside the frame: no prompt
                    continue
                corrections.append((t, obj_id))
    return corrections
