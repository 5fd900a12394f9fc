"""Small test videos written with PyAV for the damaged-input and fuzz tests."""

from __future__ import annotations

import av

from amodal_vos.io.shapes_video import shapes_frames


def write_faststart(path, num_frames=20, height=32, width=48, rotation=None, gop=4):
    """An mp4 with its index (moov) before the frame data, so that it survives when the file is cut short."""
    with av.open(str(path), "w", options={"movflags": "faststart"}) as c:
        stream = c.add_stream("libx264", rate=12)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"g": str(gop), "preset": "ultrafast"}
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for i, (frame, _) in enumerate(shapes_frames(num_frames, height, width)):
            video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
            video_frame.pts = i
            for packet in stream.encode(video_frame):
                c.mux(packet)
        for packet in stream.encode():
            c.mux(packet)
    return path
