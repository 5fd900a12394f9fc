"""The manifest of `amodal-vos track-many`: JSONL, one video per line, with its prompts.

    {"video": "a.mp4", "box": [x, y, w, h]}                  one object, box on frame 0 (or "frame": N)
    {"video": "b.mp4", "boxes": [[x, y, w, h], ...]}         one object per box
    {"video": "c.mp4", "prompts": "c.prompts.json"}          a prompts file (as `track --prompts`)
    {"video": "d.mp4", "detections": "d.txt"}                a detections file: MOT txt or COCO results JSON
                                                             (as `track --detections`)

Optional keys: ``frame`` (the frame of "box"/"boxes", default 0) and ``name`` (the output folder under DIR, default
the video's stem; two lines may not share one). Relative paths are relative to the manifest's folder. Blank lines
and lines starting with ``#`` are skipped. A malformed line is a UserError naming ``MANIFEST:LINE``; whether the
video opens, the prompts or detections file reads and the prompts fit the video is checked per video when it is
tracked (a failure there fails that video only).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from amodal_vos.errors import UserError
from amodal_vos.io.input_files import read_text
from amodal_vos.tracking.detections import Detections, read_detections
from amodal_vos.tracking.prompt_file import read_prompts
from amodal_vos.tracking.prompts import Prompt, merge_prompts

PROMPT_KEYS = ("box", "boxes", "prompts", "detections")
KEYS = {"video", "frame", "name", *PROMPT_KEYS}


@dataclass(frozen=True)
class Entry:
    """One manifest line: the video, its prompts (boxes, or a prompts/detections file) and its output folder name."""

    line: int
    video: Path
    name: str
    boxes: tuple[tuple[float, float, float, float], ...] = ()
    frame: int = 0
    prompts_file: Path | None = None
    detections_file: Path | None = None

    def load_prompts(self, num_frames: int) -> tuple[list[Prompt], Detections | None]:
        """The objects to track in this video of ``num_frames`` frames: (prompts with object ids, the detections
        for a detections line, else None). Files are read with the loaders of `track --prompts / --detections`."""
        if self.prompts_file is not None:
            return merge_prompts(read_prompts(self.prompts_file)), None
        if self.detections_file is not None:
            found = read_detections(self.detections_file)
            return merge_prompts(found.first_prompts(0, num_frames)), found
        return [Prompt.from_box(b, frame=self.frame, obj_id=i + 1) for i, b in enumerate(self.boxes)], None


def _box(value, where: str) -> tuple[float, float, float, float]:
    if (
        not isinstance(value, list)
        or len(value) != 4
        or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value)
    ):
        raise UserError(f"{where}: a box is [x, y, w, h] (4 numbers), got {json.dumps(value)}")
    if value[2] <= 0 or value[3] <= 0:
        raise UserError(f"{where}: box {value} has zero size (w and h must be positive)")
    return tuple(float(v) for v in value)


def _path(value, key: str, base: Path, where: str) -> Path:
    if not isinstance(value, str) or not value:
        raise UserError(f'{where}: "{key}" must be a file path (a string)')
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def parse_line(text: str, line: int, base: Path, where: str) -> Entry:
    """One manifest line -> Entry; ``where`` ("MANIFEST:LINE") starts every error."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise UserError(f"{where}: not a JSON object ({err.msg} at column {err.colno})") from None
    if not isinstance(doc, dict):
        raise UserError(f'{where}: expected a JSON object like {{"video": "a.mp4", "box": [x, y, w, h]}}')
    unknown = sorted(set(doc) - KEYS)
    if unknown:
        raise UserError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(KEYS))}")
    if "video" not in doc:
        raise UserError(f'{where}: no "video"')
    video = _path(doc["video"], "video", base, where)
    given = [k for k in PROMPT_KEYS if k in doc]
    if len(given) != 1:
        raise UserError(f"{where}: give exactly one of {', '.join(PROMPT_KEYS)} (got {len(given)})")
    frame = doc.get("frame", 0)
    if not isinstance(frame, int) or isinstance(frame, bool) or frame < 0:
        raise UserError(f'{where}: "frame" must be a frame index (an integer >= 0), got {json.dumps(frame)}')
    name = doc.get("name", video.stem)
    if not isinstance(name, str) or not name or name in (".", "..") or "/" in name or "\\" in name:
        raise UserError(f'{where}: "name" must be a folder name (no slashes), got {json.dumps(name)}')
    kind = given[0]
    if kind == "box":
        return Entry(line, video, name, boxes=(_box(doc["box"], where),), frame=frame)
    if kind == "boxes":
        boxes = doc["boxes"]
        if not isinstance(boxes, list) or not boxes:
            raise UserError(f'{where}: "boxes" must be a non-empty list of [x, y, w, h]')
        return Entry(line, video, name, boxes=tuple(_box(b, where) for b in boxes), frame=frame)
    path = _path(doc[kind], kind, base, where)
    if kind == "prompts":
        return Entry(line, video, name, prompts_file=path)
    return Entry(line, video, name, detections_file=path)


def read_manifest(path: str | Path) -> list[Entry]:
    """Every video of a manifest, in order; a UserError for an unreadable file, a bad line or a repeated name."""
    path = Path(path)
    lines = read_text(path, "manifest").splitlines()
    entries: list[Entry] = []
    names: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        where = f"{path}:{number}"
        entry = parse_line(text, number, path.absolute().parent, where)
        if entry.name in names:
            raise UserError(
                f'{where}: output folder {entry.name!r} is also line {names[entry.name]}\'s; set "name" on one'
            )
        names[entry.name] = number
        entries.append(entry)
    if not entries:
        raise UserError(f"manifest {path} lists no videos")
    return entries
