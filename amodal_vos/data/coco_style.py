"""Shared reader for COCO-style image datasets (COCOA-cls, KINS, plain COCO): one JSON with ``images``,
``annotations`` and ``categories``, images in a folder. A subclass names its files and decodes one annotation
into (amodal, visible) masks; items are the images that have at least one usable annotation."""

from __future__ import annotations

import json
from abc import abstractmethod
from collections import defaultdict
from pathlib import Path
from typing import ClassVar

import numpy as np

from amodal_vos.data.base import ClipDataset, find_split
from amodal_vos.data.images import read_rgb
from amodal_vos.data.masks import xywh_to_xyxy
from amodal_vos.data.sample import ObjectTrack
from amodal_vos.errors import UserError


class CocoStyleDataset(ClipDataset):
    """Images with per-instance masks from a COCO-style JSON; item = one image as a 1-frame clip.

    ``ann_file`` / ``image_dir`` override the layout the subclass expects (``ANN_PATTERNS`` / ``image_dirs``).
    """

    is_video: ClassVar[bool] = False
    ANN_PATTERNS: ClassVar[list[str]] = []
    BOX_FIELDS: ClassVar[dict[str, str]] = {}  # "amodal"/"visible" -> annotation key of an [x, y, w, h] box

    def __init__(
        self,
        root: str | Path,
        split: str | None = None,
        ann_file: str | Path | None = None,
        image_dir: str | Path | None = None,
    ) -> None:
        super().__init__(root, split)
        if ann_file is None:
            self.split, ann_path = find_split(self.root, self.ANN_PATTERNS, split, self.format_name)
        else:
            ann_path = Path(ann_file)
        try:
            data = json.loads(Path(ann_path).read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise UserError(f"{self.format_name}: cannot read {ann_path}: {err}") from err
        self.ann_file = Path(ann_path)
        self.images = {img["id"]: img for img in data.get("images", [])}
        self.categories = {c["id"]: c.get("name", str(c["id"])) for c in data.get("categories", [])}
        by_image: dict[int, list[dict]] = defaultdict(list)
        for ann in self.annotations(data):
            if ann.get("image_id") in self.images and self.keep(ann):
                by_image[ann["image_id"]].append(ann)
        self.anns = dict(by_image)
        self.image_ids = sorted(self.anns)
        self._image_dir = Path(image_dir) if image_dir is not None else None

    @classmethod
    def detect(cls, root: Path) -> bool:
        return any(any(root.glob(p.format(split="*"))) for p in cls.ANN_PATTERNS)

    def annotations(self, data: dict) -> list[dict]:
        """The per-instance annotation dicts of the JSON."""
        return data.get("annotations", [])

    def keep(self, ann: dict) -> bool:
        """Whether an annotation becomes an object (e.g. plain COCO skips crowd regions)."""
        return True

    def image_dirs(self) -> list[str]:
        """Folders (relative to root) searched for ``file_name``, in order."""
        return [".", "images"]

    @abstractmethod
    def decode(self, ann: dict, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """One annotation -> (amodal, visible) [H, W] bool masks."""

    def category(self, ann: dict) -> str | None:
        cat = ann.get("category_id")
        return self.categories.get(cat, None if cat is None else str(cat))

    def __len__(self) -> int:
        return len(self.image_ids)

    def item_id(self, i: int) -> str:
        return str(self.image_ids[i])

    def num_frames(self, i: int) -> int:
        return 1

    def image_path(self, i: int) -> Path:
        name = self.images[self.image_ids[i]]["file_name"]
        if self._image_dir is not None:
            return self._image_dir / name
        for d in self.image_dirs():
            path = self.root / d / name
            if path.is_file():
                return path
        raise UserError(
            f"{self.format_name}: image {name} not found under {self.root} ({', '.join(self.image_dirs())})"
        )

    def read_frames(self, i: int, frame_ids: np.ndarray) -> np.ndarray:
        img = read_rgb(self.image_path(i))
        return np.repeat(img[None], len(frame_ids), axis=0)

    def read_annotations(self, i: int, frame_ids: np.ndarray) -> tuple[list[ObjectTrack], dict]:
        info = self.images[self.image_ids[i]]
        h, w = int(info["height"]), int(info["width"])
        objects, boxes = [], {}
        for ann in self.anns[self.image_ids[i]]:
            amodal, visible = self.decode(ann, h, w)
            n = len(frame_ids)
            objects.append(
                ObjectTrack(
                    int(ann["id"]),
                    np.repeat(amodal[None], n, 0),
                    np.repeat(visible[None], n, 0),
                    self.category(ann),
                )
            )
            boxes[int(ann["id"])] = {
                kind: np.repeat(xywh_to_xyxy(ann[key])[None], n, 0)
                for kind, key in self.BOX_FIELDS.items()
                if ann.get(key)
            }
        return objects, {"boxes": boxes, "file_name": info["file_name"], **self.extra_meta()}

    def extra_meta(self) -> dict:
        return {}
