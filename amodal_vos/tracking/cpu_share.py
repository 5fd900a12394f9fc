"""OpenCV's share of the cores while the model runs on them.

OpenCV runs its loops (CSRT, optical flow, resizes, drawing) on every core by default; on a CPU the model's torch
threads already hold some of those cores, and the two then take turns on them. While tracking on a CPU, OpenCV
gets the cores torch does not use, at least one (faster on 2 cores with one torch thread: docs/speed.md).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import cv2
import torch


def spare_cores() -> int:
    """The cores this process may run on that torch's intra-op threads leave free, at least one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores - torch.get_num_threads())


@contextlib.contextmanager
def opencv_threads(device: torch.device | str) -> Iterator[int]:
    """OpenCV limited to ``spare_cores()`` threads inside the block when the model runs on the CPU (left as it is
    on a GPU); yields OpenCV's thread count there and restores the caller's afterwards."""
    before = cv2.getNumThreads()
    if torch.device(device).type != "cpu":
        yield before
        return
    cv2.setNumThreads(spare_cores())
    try:
        yield cv2.getNumThreads()
    finally:
        cv2.setNumThreads(before)
