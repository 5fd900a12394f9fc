"""KINS (Qi et al. 2019; KITTI images), both annotation versions, COCO-style.

- Original ``instances_{train,val}.json``: ``segmentation`` = amodal polygons, ``inmodal_seg`` = visible RLE,
  ``bbox`` / ``inmodal_bbox`` = amodal / visible [x, y, w, h].
- 2020 update ``update_{train,test}_2020.json`` (what C2F-Seg reads): ``a_segm`` / ``i_segm`` = amodal / visible
  polygons, ``a_bbox`` / ``i_bbox`` boxes, plus ``oco_id`` / ``ico_id`` occlusion ordering.
Images: ``training/image_2/`` for train, ``testing/image_2/`` for val/test. The version is read per annotation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from amodal_vos.data.coco_style import CocoStyleDataset
from amodal_vos.data.masks import decode_segmentation, xywh_to_xyxy

_KEYS = {  # version -> (amodal mask, visible mask, amodal box, visible box)
    "2020": ("a_segm", "i_segm", "a_bbox", "i_bbox"),
    "original": ("segmentation", "inmodal_seg", "bbox", "inmodal_bbox"),
}


def kins_version(ann: dict) -> str:
    """'2020' for the update's a_segm/i_segm keys, 'original' otherwise."""
    return "2020" if "a_segm" in ann else "original"


class Kins(CocoStyleDataset):
    """KINS; obj_id = annotation id; category = KINS class name."""

    format_name = "kins"
    ANN_PATTERNS = [
        "update_{split}_2020.json",
        "annotations/update_{split}_2020.json",
        "instances_{split}.json",
        "annotations/instances_{split}.json",
    ]

    @classmethod
    def detect(cls, root: Path) -> bool:
        """The 2020 files, or instances_*.json next to KITTI's training/ or testing/ folders."""
        if any(root.glob("update_*_2020.json")) or any(root.glob("annotations/update_*_2020.json")):
            return True
        kitti = (root / "training").is_dir() or (root / "testing").is_dir()
        return kitti and (
            any(root.glob("instances_*.json")) or any(root.glob("annotations/instances_*.json"))
        )

    def image_dirs(self) -> list[str]:
        kitti = "training" if self.split == "train" else "testing"
        return [f"{kitti}/image_2", f"{kitti}/image", "images", "."]

    def decode(self, ann: dict, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        amodal_key, visible_key, _, _ = _KEYS[kins_version(ann)]
        return decode_segmentation(ann[amodal_key], height, width), decode_segmentation(
            ann.get(visible_key), height, width
        )

    def read_annotations(self, i: int, frame_ids: np.ndarray):
        objects, meta = super().read_annotations(i, frame_ids)
        for ann in self.anns[self.image_ids[i]]:
            _, _, a_box, v_box = _KEYS[kins_version(ann)]
            meta["boxes"][int(ann["id"])] = {
                kind: np.repeat(xywh_to_xyxy(ann[key])[None], len(frame_ids), 0)
                for kind, key in (("amodal", a_box), ("visible", v_box))
                if ann.get(key)
            }
        meta["kins_version"] = sorted({kins_version(a) for a in self.anns[self.image_ids[i]]})
        return objects, meta
