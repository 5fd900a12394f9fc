"""Counts and occlusion statistics of any dataset, from annotations only (no frame is decoded)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from amodal_vos.data.base import ClipDataset
from amodal_vos.data.sample import ObjectTrack

# occlusion-rate histogram: bin 0 holds unoccluded object-frames, bin k (1..10) rates in ((k-1)/10, k/10]
HIST_LABELS = ["0"] + [f"{k / 10:.1f}-{(k + 1) / 10:.1f}" for k in range(10)]


@dataclass
class OcclusionStats:
    """Totals over a dataset. An object-frame is an (object, frame) where the amodal mask is non-empty."""

    items: int = 0
    frames: int = 0
    objects: int = 0
    object_frames: int = 0
    occluded_object_frames: int = 0
    fully_occluded_object_frames: int = 0
    objects_ever_occluded: int = 0
    occluded_fraction_sum: float = 0.0
    histogram: np.ndarray = field(default_factory=lambda: np.zeros(len(HIST_LABELS), np.int64))

    def add_tracks(self, tracks: Iterable[ObjectTrack], num_frames: int) -> None:
        """Fold one item (its object tracks over ``num_frames`` frames) into the totals."""
        self.items += 1
        self.frames += num_frames
        for obj in tracks:
            self.objects += 1
            present = obj.amodal.reshape(len(obj.amodal), -1).any(1)
            rate = obj.occlusion_rate()[present]
            occluded = rate > 0
            self.object_frames += int(present.sum())
            self.occluded_object_frames += int(occluded.sum())
            self.fully_occluded_object_frames += int((rate >= 1).sum())
            self.objects_ever_occluded += int(occluded.any())
            self.occluded_fraction_sum += float(rate[occluded].sum())
            bins = np.where(occluded, np.clip(np.ceil(rate * 10), 1, 10), 0).astype(np.int64)
            self.histogram += np.bincount(bins, minlength=len(HIST_LABELS))

    @property
    def occluded_share(self) -> float:
        """Share of object-frames that are partly or fully occluded."""
        return self.occluded_object_frames / max(self.object_frames, 1)

    @property
    def mean_occluded_fraction(self) -> float:
        """Mean hidden share of the amodal area over the occluded object-frames."""
        return self.occluded_fraction_sum / max(self.occluded_object_frames, 1)

    def summary(self) -> dict:
        return {
            "items": self.items,
            "frames": self.frames,
            "objects": self.objects,
            "object_frames": self.object_frames,
            "occluded_share": round(self.occluded_share, 4),
            "mean_occluded_fraction": round(self.mean_occluded_fraction, 4),
            "fully_occluded_object_frames": self.fully_occluded_object_frames,
            "objects_ever_occluded": self.objects_ever_occluded,
            "histogram": dict(zip(HIST_LABELS, self.histogram.tolist(), strict=True)),
        }


def dataset_stats(
    dataset: ClipDataset, limit: int | None = None, on_item: Callable[[int], None] | None = None
) -> OcclusionStats:
    """Statistics over the first ``limit`` items (all by default); ``on_item`` is called after each one."""
    stats = OcclusionStats()
    n = len(dataset) if limit is None else min(limit, len(dataset))
    for i in range(n):
        frames = dataset.num_frames(i)
        tracks, _ = dataset.read_annotations(i, np.arange(frames))
        stats.add_tracks(tracks, frames)
        if on_item is not None:
            on_item(i)
    return stats
