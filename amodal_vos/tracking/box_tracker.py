"""Each object's box followed by an appearance tracker that the model's masks cannot move (OpenCV's CSRT).

The model segments every frame from a prior box (its crop and Mspec). Taken from the model's own last mask, that box
follows the mask's mistakes: a mask that grows or jumps onto a neighbour carries the next frame's crop with it, and
the track does not come back. CSRT (a discriminative correlation filter with channel and spatial reliability, Lukezic
et al., CVPR 2017) learns the object's look online from its prompt box on and finds it again on each frame, from the
pixels alone. With a ``Look`` per object, a sweep (looks.py) takes that box as the object's prior wherever CSRT
finds the object (unless it leaves the object's own moving pixels), and reports the object absent where CSRT does not
find it at the frame's border.
Measured in docs/tracking.md ("An appearance tracker for the prior box").
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

import cv2
import numpy as np
import torch

from amodal_vos.errors import UserError
from amodal_vos.model.transforms import IMAGENET_MEAN, IMAGENET_STD

MIN_SIDE = 4  # px: a box narrower than this (after clipping to the frame) is not followed
_AHEAD: ThreadPoolExecutor | None = None  # the one worker thread of ``Look.ahead`` (made on first use)
_AHEAD_LOCK = threading.Lock()


def _ahead_pool() -> ThreadPoolExecutor:
    global _AHEAD
    with _AHEAD_LOCK:
        if _AHEAD is None:
            _AHEAD = ThreadPoolExecutor(1, thread_name_prefix="csrt")
        return _AHEAD


def colour_frame(image: torch.Tensor, frame: np.ndarray | None = None) -> np.ndarray:
    """A normalised model input [1, 3, H, W] -> the frame as OpenCV reads it (uint8 [H, W, 3], BGR); ``frame``:
    its decoded uint8 RGB pixels where the caller has them (one cvtColor, not the normalisation undone)."""
    if frame is not None:
        return cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
    mean = torch.as_tensor(IMAGENET_MEAN, device=image.device).view(3, 1, 1)
    std = torch.as_tensor(IMAGENET_STD, device=image.device).view(3, 1, 1)
    rgb = (image[0].float() * std + mean).mul_(255).round_().clamp_(0, 255).to(torch.uint8)
    return np.ascontiguousarray(rgb.flip(0).permute(1, 2, 0).cpu().numpy())


def clipped_box(box, hw: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """The xyxy ``box`` clipped to the frame, as OpenCV's integer x, y, w, h; None when under ``MIN_SIDE``."""
    x0, y0 = max(int(np.floor(box[0])), 0), max(int(np.floor(box[1])), 0)
    x1, y1 = min(int(np.ceil(box[2])), hw[1]), min(int(np.ceil(box[3])), hw[0])
    if x1 - x0 < MIN_SIDE or y1 - y0 < MIN_SIDE:
        return None
    return x0, y0, x1 - x0, y1 - y0


def check_csrt() -> None:
    """A one-line UserError where this OpenCV has no CSRT (the plain opencv wheels lack it)."""
    if not hasattr(cv2, "TrackerCSRT_create"):
        raise UserError(
            "this OpenCV has no CSRT tracker: pip install opencv-contrib-python-headless "
            "(in place of opencv-python-headless), or track with --no-box-tracker"
        )


class Look:
    """One object's CSRT tracker and the local frame it last saw (``frame``): a snapshot of a sweep holds its
    objects' looks, and a restored sweep goes on with those that still stand on the snapshot's frame. ``ahead``
    runs the next frame's update in a worker thread while the model segments this one (OpenCV releases the GIL).
    ``colours``: the object's colours in its prompt box (likeness.py), kept when a new CSRT starts for it."""

    colours: np.ndarray | None = None

    def __init__(self, tracker: cv2.Tracker, frame: int, origin: torch.Tensor | None = None) -> None:
        self.tracker, self.frame = tracker, frame
        self.origin = origin  # the box it started from (xyxy float32)
        self._ahead: tuple[int, np.ndarray, Future] | None = None  # (frame, image, its update) started early

    @classmethod
    def start(cls, image: np.ndarray, box, frame: int) -> Look | None:
        """Learn the object's look from the xyxy ``box`` (pixels) of ``image`` (BGR uint8), local frame ``frame``;
        None for a box too small to follow."""
        xywh = clipped_box(box, image.shape[:2])
        if xywh is None:
            return None
        # OpenCV's settings (its 200 px template measured better than 100 px) without its segmentation mask, which
        # cost a third of each update and moved no paired figure (docs/tracking.md)
        params = cv2.TrackerCSRT_Params()
        params.use_segmentation = False
        tracker = cv2.TrackerCSRT_create(params)
        tracker.init(image, xywh)
        x, y, w, h = xywh
        return cls(tracker, frame, torch.tensor([x, y, x + w, y + h], dtype=torch.float32))

    def ahead(self, image: np.ndarray, frame: int) -> None:
        """Start ``update(image, frame)`` in the worker thread; the update itself then takes its result."""
        self._ahead = (frame, image, _ahead_pool().submit(self.tracker.update, image))

    def update(self, image: np.ndarray, frame: int) -> torch.Tensor | None:
        """The object's xyxy box on ``image`` (float32), or None where CSRT does not find it (its peak is too
        weak)."""
        if self._ahead is None:
            ok, (x, y, w, h) = self.tracker.update(image)
        else:
            (started, seen, future), self._ahead = self._ahead, None
            ok, (x, y, w, h) = future.result()
            if started != frame or seen is not image:
                raise ValueError(
                    f"CSRT went ahead on another frame ({started}) than the one stepped ({frame})"
                )
        self.frame = frame
        if not ok or w < MIN_SIDE or h < MIN_SIDE:
            return None
        return torch.tensor([x, y, x + w, y + h], dtype=torch.float32)
