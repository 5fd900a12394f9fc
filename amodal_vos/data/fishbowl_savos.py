"""FISHBOWL as preprocessed by SaVos (and read by C2F-Seg): frame PNGs plus one pickle of per-fish tracks.

``<root>/{mode}_data/{mode}_frames/{v_id}/{t:05d}.png`` (0-based t) and ``<root>/{mode}_data/{mode}_data.pkl``:
``{"{v_id:05d}_{fish_id}": {t: {"FM": [rle], "FM_bx": box, "VM": [rle], "VM_bx": box, "loss_mask_weight": [rle],
"OCC_R": float, "IoU": float | None, "fish_type": str}}}`` with RLE counts as bytes and boxes row-first and
inclusive: ``[x_min, x_max, y_min, y_max]`` with x the ROW. A track covers a contiguous run of frames; outside it
the fish's masks are empty here.
"""

from __future__ import annotations

import pickle
from collections import defaultdict
from pathlib import Path

import numpy as np

from amodal_vos.data.base import ClipDataset, find_split
from amodal_vos.data.images import read_rgb
from amodal_vos.data.masks import nan_boxes, rowfirst_to_xyxy
from amodal_vos.data.sample import ObjectTrack
from amodal_vos.errors import UserError
from amodal_vos.io import rle


class FishbowlSavos(ClipDataset):
    """SaVos-preprocessed FISHBOWL; item = one video with the fish the pkl keeps for it (obj_id = fish id)."""

    format_name = "fishbowl-savos"
    is_video = True

    def __init__(self, root: str | Path, split: str | None = None) -> None:
        super().__init__(root, split)
        self.split, self.data_dir = find_split(self.root, ["{split}_data"], split, self.format_name)
        pkl = self.data_dir / f"{self.split}_data.pkl"
        if not pkl.is_file():
            raise UserError(f"{self.format_name}: missing {pkl}")
        with open(pkl, "rb") as f:
            tracks = pickle.load(f)
        self.videos: dict[str, list[tuple[int, dict]]] = defaultdict(list)
        for key, frames in tracks.items():
            v_id, _, fish = str(key).rpartition("_")
            if not v_id or not fish.lstrip("-").isdigit():
                raise UserError(f"{self.format_name}: pkl key {key!r} is not '<v_id>_<fish_id>'")
            self.videos[v_id].append((int(fish), frames))
        self.video_ids = sorted(self.videos)

    @classmethod
    def detect(cls, root: Path) -> bool:
        return any(root.glob("*_data/*_data.pkl"))

    def __len__(self) -> int:
        return len(self.video_ids)

    def item_id(self, i: int) -> str:
        return self.video_ids[i]

    def frame_dir(self, i: int) -> Path:
        return self.data_dir / f"{self.split}_frames" / self.video_ids[i]

    def num_frames(self, i: int) -> int:
        d = self.frame_dir(i)
        if d.is_dir():
            return len([p for p in d.iterdir() if p.suffix == ".png"])
        return 1 + max(max(frames) for _, frames in self.videos[self.video_ids[i]])

    def fps(self, i: int) -> float | None:
        return 30.0

    def read_frames(self, i: int, frame_ids: np.ndarray) -> np.ndarray:
        return np.stack([read_rgb(self.frame_dir(i) / f"{int(t):05d}.png") for t in frame_ids])

    def _size(self, i: int) -> tuple[int, int]:
        for _, frames in self.videos[self.video_ids[i]]:
            for rec in frames.values():
                h, w = rec["FM"][0]["size"]
                return int(h), int(w)
        img = read_rgb(self.frame_dir(i) / "00000.png")
        return img.shape[0], img.shape[1]

    def read_annotations(self, i: int, frame_ids: np.ndarray) -> tuple[list[ObjectTrack], dict]:
        h, w = self._size(i)
        objects, boxes, occ_rates = [], {}, {}
        for fish_id, frames in sorted(self.videos[self.video_ids[i]], key=lambda x: x[0]):
            amodal = np.zeros((len(frame_ids), h, w), bool)
            visible = np.zeros_like(amodal)
            fm_bx, vm_bx = nan_boxes(len(frame_ids)), nan_boxes(len(frame_ids))
            occ = np.full(len(frame_ids), np.nan, np.float32)
            category = None
            for k, t in enumerate(frame_ids):
                rec = frames.get(int(t))
                if rec is None:
                    continue
                amodal[k] = rle.decode(rec["FM"])
                visible[k] = rle.decode(rec["VM"])
                fm_bx[k] = rowfirst_to_xyxy(rec["FM_bx"])
                vm_bx[k] = rowfirst_to_xyxy(rec["VM_bx"])
                occ[k] = rec.get("OCC_R", np.nan)
                category = rec.get("fish_type", category)
            objects.append(ObjectTrack(fish_id, amodal, visible, category))
            boxes[fish_id] = {"amodal": fm_bx, "visible": vm_bx}
            occ_rates[fish_id] = occ
        return objects, {"boxes": boxes, "occ_r": occ_rates}
