"""COCOA-cls (Follmann et al. 2018; the COCOA version C2F-Seg uses): standard COCO JSON, one annotation per
instance, 80 COCO categories.

``COCO_amodal_{train,val}2014_with_classes.json``; images ``{train,val}2014/COCO_{split}2014_{id:012d}.jpg``.
Per annotation: ``segmentation`` = the amodal mask (compressed RLE, or polygons), ``visible_mask`` (RLE),
``invisible_mask`` (RLE or null), ``bbox`` = amodal [x, y, w, h], ``occlude_rate``.
"""

from __future__ import annotations

import numpy as np

from amodal_vos.data.coco_style import CocoStyleDataset
from amodal_vos.data.masks import decode_segmentation


class CocoaCls(CocoStyleDataset):
    """COCOA-cls; obj_id = annotation id. A missing ``visible_mask`` means amodal minus ``invisible_mask``, and
    without both the object is taken as unoccluded."""

    format_name = "cocoa-cls"
    ANN_PATTERNS = [
        "COCO_amodal_{split}2014_with_classes.json",
        "annotations/COCO_amodal_{split}2014_with_classes.json",
    ]
    BOX_FIELDS = {"amodal": "bbox"}

    def image_dirs(self) -> list[str]:
        return [f"{self.split}2014", f"images/{self.split}2014", "images", "."]

    def decode(self, ann: dict, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        amodal = decode_segmentation(ann["segmentation"], height, width)
        if ann.get("visible_mask") is not None:
            visible = decode_segmentation(ann["visible_mask"], height, width)
        elif ann.get("invisible_mask") is not None:
            visible = amodal & ~decode_segmentation(ann["invisible_mask"], height, width)
        else:
            visible = amodal.copy()
        return amodal, visible
