"""MOViD-A (MOViD-Amodal, C2F-Seg; built on Kubric MOVi-D).

``<root>/{mode}_instance.txt``: one object per line, ``{v_id}_{obj_id}_{value}`` (value = its pixel label,
obj_id + 1). ``<root>/{mode}/{int(v_id)}/``: ``rgba_full_{f:05d}.png`` (RGBA frame), ``segmentation_full_{f:05d}.png``
(visible instance map, label k+1 = instance k), ``segmentation_{obj_id}_{f:05d}.png`` (a render of that object
alone: its amodal mask, pixels == value) and ``metadata.json`` (``metadata.num_frames/height/width``;
``instances[k].bboxes`` normalised (y_min, x_min, y_max, x_max) of the visible mask on ``bbox_frames``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from amodal_vos.data.base import ClipDataset, find_split
from amodal_vos.data.images import read_labels, read_rgb
from amodal_vos.data.masks import kubric_to_xyxy, nan_boxes
from amodal_vos.data.sample import ObjectTrack
from amodal_vos.errors import UserError


class MoviDA(ClipDataset):
    """MOViD-A; item = one video with the objects its ``{mode}_instance.txt`` lists (obj_id = Kubric index)."""

    format_name = "movid-a"
    is_video = True

    def __init__(self, root: str | Path, split: str | None = None) -> None:
        super().__init__(root, split)
        self.split, listing = find_split(self.root, ["{split}_instance.txt"], split, self.format_name)
        self.objects: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for n, line in enumerate(listing.read_text().splitlines(), 1):
            if not line.strip():
                continue
            parts = line.strip().split("_")
            if len(parts) != 3 or not all(p.isdigit() for p in parts):
                raise UserError(f"{listing}:{n}: expected '<v_id>_<obj_id>_<value>', got {line!r}")
            v_id, obj_id, value = (int(p) for p in parts)
            self.objects[str(v_id)].append((obj_id, value))
        self.video_ids = sorted(self.objects, key=int)
        self._meta: dict[str, dict] = {}

    @classmethod
    def detect(cls, root: Path) -> bool:
        return any(root.glob("*_instance.txt"))

    def __len__(self) -> int:
        return len(self.video_ids)

    def item_id(self, i: int) -> str:
        return self.video_ids[i]

    def video_dir(self, i: int) -> Path:
        return self.root / self.split / self.video_ids[i]

    def metadata(self, i: int) -> dict:
        """The video's metadata.json (empty when absent)."""
        v = self.video_ids[i]
        if v not in self._meta:
            path = self.video_dir(i) / "metadata.json"
            self._meta[v] = json.loads(path.read_text()) if path.is_file() else {}
        return self._meta[v]

    def num_frames(self, i: int) -> int:
        n = self.metadata(i).get("metadata", {}).get("num_frames")
        if n:
            return int(n)
        count = len(list(self.video_dir(i).glob("rgba_full_*.png")))
        if count == 0:
            raise UserError(f"{self.format_name}: no frames in {self.video_dir(i)}")
        return count

    def fps(self, i: int) -> float | None:
        return float(self.metadata(i).get("metadata", {}).get("frame_rate", 12))

    def read_frames(self, i: int, frame_ids: np.ndarray) -> np.ndarray:
        return np.stack([read_rgb(self.video_dir(i) / f"rgba_full_{int(f):05d}.png") for f in frame_ids])

    def read_annotations(self, i: int, frame_ids: np.ndarray) -> tuple[list[ObjectTrack], dict]:
        d = self.video_dir(i)
        full = np.stack([read_labels(d / f"segmentation_full_{int(f):05d}.png") for f in frame_ids])
        h, w = full.shape[1:]
        instances = self.metadata(i).get("instances", [])
        objects, boxes = [], {}
        for obj_id, value in self.objects[self.video_ids[i]]:
            amodal = np.zeros_like(full, dtype=bool)
            for k, f in enumerate(frame_ids):
                path = d / f"segmentation_{obj_id}_{int(f):05d}.png"
                if path.is_file():
                    amodal[k] = read_labels(path) == value
            objects.append(ObjectTrack(obj_id, amodal, full == value, None))
            vis_box = nan_boxes(len(frame_ids))
            if obj_id < len(instances):
                stored = dict(
                    zip(
                        instances[obj_id].get("bbox_frames", []),
                        instances[obj_id].get("bboxes", []),
                        strict=False,
                    )
                )
                for k, f in enumerate(frame_ids):
                    if int(f) in stored:
                        vis_box[k] = kubric_to_xyxy(stored[int(f)], h, w)
            boxes[obj_id] = {"visible": vis_box}
        return objects, {"boxes": boxes}
