"""Video in and out: streaming frame sources, the mp4 VideoSink, mask export (COCO RLE JSON, palette PNGs), and
annotators for the amodal overlay."""

from amodal_vos.io.annotators import (
    FillAnnotator,
    HatchAnnotator,
    LabelAnnotator,
    OutlineAnnotator,
    default_annotators,
    render,
)
from amodal_vos.io.frame_masks import FrameMasks
from amodal_vos.io.sink import VideoSink
from amodal_vos.io.video import FrameSource, VideoInfo, open_video

__all__ = [
    "FillAnnotator",
    "FrameMasks",
    "FrameSource",
    "HatchAnnotator",
    "LabelAnnotator",
    "OutlineAnnotator",
    "VideoInfo",
    "VideoSink",
    "default_annotators",
    "open_video",
    "render",
]
