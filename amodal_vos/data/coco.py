"""Plain COCO instances (modal masks only): a source of targets and occluders for TAOS.

``annotations/instances_{split}.json`` (e.g. split = val2017) and images in ``{split}/``. Masks are polygons or
RLE; crowd regions are skipped. With no amodal labels, amodal = visible and ``meta["modal_only"]`` is True.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from amodal_vos.data.coco_style import CocoStyleDataset
from amodal_vos.data.masks import decode_segmentation


class CocoInstances(CocoStyleDataset):
    """COCO instance segmentation; obj_id = annotation id; category = COCO class name."""

    format_name = "coco"
    ANN_PATTERNS = ["annotations/instances_{split}.json", "instances_{split}.json"]
    BOX_FIELDS = {"visible": "bbox"}

    @classmethod
    def detect(cls, root: Path) -> bool:
        from amodal_vos.data.kins import Kins

        return super().detect(root) and not Kins.detect(root)

    def keep(self, ann: dict) -> bool:
        return not ann.get("iscrowd", 0)

    def image_dirs(self) -> list[str]:
        return [str(self.split), f"images/{self.split}", "images", "."]

    def decode(self, ann: dict, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        mask = decode_segmentation(ann["segmentation"], height, width)
        return mask, mask.copy()

    def extra_meta(self) -> dict:
        return {"modal_only": True}
