"""Make docs/overlay.png: demo frames drawn by an earlier overlay (left) and the current one (right), one frame a row.

The earlier overlay is the annotators module of a git revision (``--before``, default: the last commit before
issue 13's overlay: colours by id, labels that collide, no legend), loaded from ``git show`` into a temporary
module; the current one is amodal_vos.io.annotators. The frames and masks come from a demo run's outputs, scaled to
``--side`` pixels (masks by nearest neighbour) and drawn at that size, as a video of that size would be.

    amodal-vos demo --out demo_out && python docs/make_overlay_figure.py demo_out
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import tempfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from amodal_vos.io.annotators import default_annotators, render
from amodal_vos.io.frame_masks import FrameMasks
from amodal_vos.io.video import open_video
from amodal_vos.tracking.result import TrackResult


def old_annotators(revision: str):
    """The annotators module as it was at ``revision``."""
    source = subprocess.run(
        ["git", "show", f"{revision}:amodal_vos/io/annotators.py"], check=True, capture_output=True, text=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "old_annotators.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("old_annotators", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scaled(frame: np.ndarray, masks: FrameMasks, side: int) -> tuple[np.ndarray, FrameMasks]:
    def resize(stack):
        if stack is None:
            return None
        return np.stack(
            [cv2.resize(m.view(np.uint8), (side, side), interpolation=cv2.INTER_NEAREST) > 0 for m in stack]
        )

    image = cv2.resize(frame, (side, side), interpolation=cv2.INTER_CUBIC)
    return image, FrameMasks(masks.ids, resize(masks.amodal), resize(masks.visible))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("demo_dir", type=Path, help="the --out folder of `amodal-vos demo`")
    parser.add_argument("--before", default="171426f", help="git revision of the earlier overlay")
    parser.add_argument("--frames", type=int, nargs="+", default=[30, 43])
    parser.add_argument("--side", type=int, default=320)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("overlay.png"))
    args = parser.parse_args()
    old = old_annotators(args.before)
    result = TrackResult.load(args.demo_dir / "demo_clip.masks.json")
    clip = list(open_video(args.demo_dir / "demo_clip.mp4").frames())
    annotators = default_annotators()  # one set for the clip: colours picked on each object's first frame
    after = {}
    for index in range(max(args.frames) + 1):
        image = render(*scaled(clip[index], result.masks(index), args.side), annotators)
        if index in args.frames:
            after[index] = image
    gap = 4
    rows = []
    for index in args.frames:
        before = old.render(*scaled(clip[index], result.masks(index), args.side))
        rows += [np.concatenate([before, np.full((args.side, gap, 3), 255, np.uint8), after[index]], 1)]
        rows += [np.full((gap, rows[-1].shape[1], 3), 255, np.uint8)]
    Image.fromarray(np.concatenate(rows[:-1])).save(args.out, optimize=True)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
