"""Make docs/demo_frames.png, the README's picture: demo frames where the targets are most hidden while still in view
(by the generator's ground truth), each as the input frame above our overlay (visible part filled, hidden part
hatched, whole shape outlined).

    amodal-vos demo --out demo_out && python docs/make_figure.py demo_out
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image

from amodal_vos.demo import find_demo_clip
from amodal_vos.io.video import open_video


def most_hidden_frames(summary_json: Path, count: int) -> list[int]:
    """Frames, one per equal part of the clip, where the targets' true hidden shares sum highest while every target
    has a visible part."""
    seed = json.loads(summary_json.read_text())["seed"]
    clip, indices = find_demo_clip(seed)  # the clip's own seed: found at once
    targets = [clip.objects[i] for i in indices]
    hidden = np.sum([o.occlusion_rate() for o in targets], axis=0)
    in_view = np.all([o.visible.reshape(len(o.visible), -1).any(1) for o in targets], axis=0)
    score = np.where(in_view, hidden, -1.0)
    chunks = np.array_split(np.arange(len(score)), count)
    return [int(c[np.argmax(score[c])]) for c in chunks if len(c)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("demo_dir", type=Path, help="the --out folder of `amodal-vos demo`")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("demo_frames.png"))
    parser.add_argument("--frames", type=int, default=3)
    parser.add_argument("--scale", type=int, default=2, help="pixel repeat, so the small frames read well")
    args = parser.parse_args()
    indices = most_hidden_frames(args.demo_dir / "summary.json", args.frames)
    clip = list(open_video(args.demo_dir / "demo_clip.mp4").frames())
    overlay = list(open_video(args.demo_dir / "demo_clip.amodal.mp4").frames())
    gap = 4
    columns = [
        np.concatenate([clip[i], np.full((gap, *clip[i].shape[1:]), 255, np.uint8), overlay[i]])
        for i in indices
    ]
    spacer = np.full((columns[0].shape[0], gap, 3), 255, np.uint8)
    grid = np.concatenate([c for col in columns for c in (col, spacer)][:-1], axis=1)
    grid = grid.repeat(args.scale, 0).repeat(args.scale, 1)
    Image.fromarray(grid).save(args.out, optimize=True)
    print(f"wrote {args.out} (frames {indices})")


if __name__ == "__main__":
    main()
