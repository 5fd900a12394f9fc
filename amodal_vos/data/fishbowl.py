"""FISHBOWL raw generator output (Tangemann et al.; common-fate-fishbowl): one folder per scene.

``<root>/<sample_id>/``: ``video.mp4``, ``objects.json`` (a list of fish ``{id, type_id, type_name, speed, scale,
masks: [T COCO RLE]}``; the masks are the visible, non-overlapping ones) and ``recording.json``. The amodal masks
come from single-fish re-renders, each with an ``objects.json`` of one entry, in either layout:
- after ``postprocess_dataset.py``: ``<root>/<sample_id>/object<NNN>/`` (NNN = index in the scene's objects.json);
- before it: ``<root>/<sample_id>_object<fish_id>/`` (next to ``<sample_id>_background/``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from amodal_vos.data.base import ClipDataset
from amodal_vos.data.sample import ObjectTrack
from amodal_vos.data.video import read_video_frames, video_frame_count
from amodal_vos.errors import UserError
from amodal_vos.io import rle

_NESTED = re.compile(r"^object(\d+)$")
_RENDER_SUFFIX = re.compile(r"_(object\d+|background)$")


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise UserError(f"fishbowl: cannot read {path}: {err}") from err


def _is_scene(path: Path) -> bool:
    return (
        path.is_dir()
        and not _RENDER_SUFFIX.search(path.name)
        and (path / "objects.json").is_file()
        and (path / "video.mp4").is_file()
    )


class FishbowlRaw(ClipDataset):
    """FISHBOWL raw scenes; item = one scene video with all its fish (obj_id = the fish ``id``). A fish whose
    single-fish render is missing gets amodal = visible and is listed in ``meta["amodal_missing"]``."""

    format_name = "fishbowl"
    is_video = True

    def __init__(self, root: str | Path, split: str | None = None) -> None:
        super().__init__(root, split)
        base = self.root / split if split and (self.root / split).is_dir() else self.root
        self.base = base
        self.scenes = sorted(p for p in base.iterdir() if _is_scene(p)) if base.is_dir() else []
        if not self.scenes:
            raise UserError(f"fishbowl: no scene folders (video.mp4 + objects.json) under {base}")
        self._num_frames: dict[int, int] = {}
        self._last: tuple[int, list[dict]] | None = None

    @classmethod
    def detect(cls, root: Path) -> bool:
        return root.is_dir() and any(_is_scene(p) for p in root.iterdir())

    def __len__(self) -> int:
        return len(self.scenes)

    def item_id(self, i: int) -> str:
        return self.scenes[i].name

    def fps(self, i: int) -> float | None:
        rec = self.scenes[i] / "recording.json"
        if rec.is_file():
            fps = _read_json(rec).get("fps")
            return float(fps) if fps else 30.0
        return 30.0

    def _objects(self, i: int) -> list[dict]:
        """The scene's objects.json (the last one read is kept: load() needs it twice)."""
        if self._last is None or self._last[0] != i:
            objs = _read_json(self.scenes[i] / "objects.json")
            if not isinstance(objs, list):
                raise UserError(f"fishbowl: {self.scenes[i] / 'objects.json'} is not a list of fish")
            self._last = (i, objs)
        return self._last[1]

    def num_frames(self, i: int) -> int:
        if i not in self._num_frames:
            objs = self._objects(i)
            if objs:
                self._num_frames[i] = len(objs[0]["masks"])
            else:
                self._num_frames[i] = video_frame_count(self.scenes[i] / "video.mp4")
        return self._num_frames[i]

    def amodal_render(self, i: int, index: int, fish_id: int) -> Path | None:
        """objects.json of the single-fish render of fish ``fish_id`` (entry ``index`` of the scene), either layout."""
        scene = self.scenes[i]
        for sub in scene.iterdir():
            m = _NESTED.match(sub.name)
            if m and int(m.group(1)) == index and (sub / "objects.json").is_file():
                return sub / "objects.json"
        flat = self.base / f"{scene.name}_object{fish_id}" / "objects.json"
        return flat if flat.is_file() else None

    def read_frames(self, i: int, frame_ids: np.ndarray) -> np.ndarray:
        return read_video_frames(self.scenes[i] / "video.mp4", frame_ids)

    def read_annotations(self, i: int, frame_ids: np.ndarray) -> tuple[list[ObjectTrack], dict]:
        tracks, missing, fishes = [], [], self._objects(i)
        for index, fish in enumerate(fishes):
            fish_id = int(fish["id"])
            visible = rle.decode_many([fish["masks"][t] for t in frame_ids])
            render = self.amodal_render(i, index, fish_id)
            if render is None:
                amodal = visible.copy()
                missing.append(fish_id)
            else:
                entries = _read_json(render)
                entry = next((e for e in entries if int(e.get("id", fish_id)) == fish_id), entries[0])
                amodal = rle.decode_many([entry["masks"][t] for t in frame_ids])
            tracks.append(ObjectTrack(fish_id, amodal, visible, fish.get("type_name")))
        meta = {
            "amodal_missing": missing,
            "fish": [{k: v for k, v in f.items() if k != "masks"} for f in fishes],
        }
        return tracks, meta
