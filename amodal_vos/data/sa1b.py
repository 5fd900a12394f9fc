"""SA-1B (Segment Anything 1B): ``sa_<id>.jpg`` + ``sa_<id>.json`` pairs, possibly in shard folders.

JSON = ``{"image": {image_id, width, height, file_name}, "annotations": [{id, segmentation: compressed RLE,
bbox: [x, y, w, h], area, predicted_iou, stability_score, crop_box, point_coords}]}``. Masks are modal only, may
overlap and nest; amodal = visible here and ``meta["modal_only"]`` is True (TAOS makes the amodal pairs).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from amodal_vos.data.base import ClipDataset
from amodal_vos.data.images import read_rgb
from amodal_vos.data.masks import xywh_to_xyxy
from amodal_vos.data.sample import ObjectTrack
from amodal_vos.errors import UserError
from amodal_vos.io import rle


class SA1B(ClipDataset):
    """SA-1B; item = one image (1-frame clip), obj_id = annotation id. ``min_area`` (pixels, default 1: SAM-2's
    loader skips empty masks) and ``max_objects`` (the largest ones kept) bound what a Clip holds, since an image
    has ~100 masks at ~1500 px."""

    format_name = "sa1b"
    is_video = False

    def __init__(
        self, root: str | Path, split: str | None = None, min_area: int = 1, max_objects: int | None = None
    ) -> None:
        super().__init__(root, split)
        self.jsons = sorted(p for p in self.root.rglob("sa_*.json") if p.with_suffix(".jpg").is_file())
        if not self.jsons:
            raise UserError(f"{self.format_name}: no sa_<id>.json + sa_<id>.jpg pairs under {self.root}")
        self.min_area = min_area
        self.max_objects = max_objects

    @classmethod
    def detect(cls, root: Path) -> bool:
        return any(p.with_suffix(".jpg").is_file() for p in root.glob("sa_*.json")) or any(
            p.with_suffix(".jpg").is_file() for p in root.glob("*/sa_*.json")
        )

    def __len__(self) -> int:
        return len(self.jsons)

    def item_id(self, i: int) -> str:
        return self.jsons[i].stem

    def num_frames(self, i: int) -> int:
        return 1

    def read_frames(self, i: int, frame_ids: np.ndarray) -> np.ndarray:
        return np.repeat(read_rgb(self.jsons[i].with_suffix(".jpg"))[None], len(frame_ids), axis=0)

    def read_annotations(self, i: int, frame_ids: np.ndarray) -> tuple[list[ObjectTrack], dict]:
        try:
            data = json.loads(self.jsons[i].read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise UserError(f"{self.format_name}: cannot read {self.jsons[i]}: {err}") from err
        anns = [a for a in data.get("annotations", []) if a.get("area", 1) >= self.min_area]
        if self.max_objects is not None:
            anns = sorted(anns, key=lambda a: -a.get("area", 0))[: self.max_objects]
        n = len(frame_ids)
        objects, boxes = [], {}
        for ann in anns:
            mask = np.repeat(rle.decode(ann["segmentation"])[None], n, 0)
            objects.append(ObjectTrack(int(ann["id"]), mask, mask.copy(), None))
            boxes[int(ann["id"])] = {"visible": np.repeat(xywh_to_xyxy(ann["bbox"])[None], n, 0)}
        return objects, {"boxes": boxes, "modal_only": True, "image": data.get("image", {})}
