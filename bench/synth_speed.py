"""Synthetic data speed, measured side by side in one run, plus the occlusion statistics of the generated data.

1. On-the-fly generation for training: ``generate_clip`` (128x128, 8 frames, 2-4 fish) alternated with the
   `small` model's image encoder on the same 8 frames (no grad) at 128 px. Ratio = data cost per unit of encoder
   inference; a training step (forward + backward through memory, 4 clips) costs several encoder passes more.
2. The on-disk writer: N videos (64 frames, 256x256) with 1 process, then with 2; ratio = speed-up, and the
   extrapolated time for 200 videos (the issue's goal: under 5 minutes on 2 cores).
3. Occlusion statistics of the in-memory generator's default clips (the reference data: 47 % of object-frames
   occluded, 27 % mean occluded fraction, occluders in about half of the clips).

    python bench/synth_speed.py                 # about a minute on 2 cores
    python bench/synth_speed.py --clips 100 --videos 10
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from amodal_vos.data.fishbowl_writer import write_fishbowl
from amodal_vos.data.stats import OcclusionStats
from amodal_vos.data.synthetic import SynthConfig, generate_clip
from amodal_vos.model import build_model
from amodal_vos.model.transforms import frames_to_input


def generator_vs_encoder(clips: int) -> None:
    model = build_model("small", image_size=128).eval()
    cfg = SynthConfig()
    clip = generate_clip(0, cfg)
    x = frames_to_input(clip.frames, 128)
    gen_t, enc_t = [], []
    with torch.inference_mode():
        model.encode(x, None)
        for seed in range(clips):
            t0 = time.perf_counter()
            generate_clip(seed, cfg)
            t1 = time.perf_counter()
            model.encode(x, None)
            t2 = time.perf_counter()
            gen_t.append(t1 - t0)
            enc_t.append(t2 - t1)
    ratio = statistics.median(g / e for g, e in zip(gen_t, enc_t, strict=True))
    print(
        f"[1] generate_clip 128x128x8: {1e3 * statistics.median(gen_t):.1f} ms/clip (median of {clips}); "
        f"small encoder on the 8 frames: {1e3 * statistics.median(enc_t):.1f} ms; ratio generator/encoder {ratio:.3f}"
    )


def writer_scaling(videos: int) -> None:
    cfg = SynthConfig(width=256, height=256, num_frames=64)
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            t0 = time.perf_counter()
            write_fishbowl(Path(tmp) / f"w{workers}", videos, seed=0, cfg=cfg, workers=workers)
            times[workers] = time.perf_counter() - t0
    per_video = times[2] / videos
    print(
        f"[2] writer, {videos} videos of 64 frames at 256x256: 1 process {times[1]:.1f} s, 2 processes "
        f"{times[2]:.1f} s, speed-up {times[1] / times[2]:.2f}x; 200 videos at this rate: {200 * per_video:.0f} s "
        f"(goal 300 s, ratio {200 * per_video / 300:.2f})"
    )


def occlusion_stats(clips: int) -> None:
    stats, with_occ = OcclusionStats(), 0
    for seed in range(clips):
        clip = generate_clip(np.random.default_rng([12345, seed]))
        stats.add_tracks(clip.objects, clip.num_frames)
        with_occ += bool(clip.meta["occluders"])
    print(
        f"[3] {clips} default clips: {stats.objects} objects, {stats.object_frames} object-frames, "
        f"{100 * stats.occluded_share:.1f} % occluded, mean occluded fraction {100 * stats.mean_occluded_fraction:.1f} %, "
        f"{100 * with_occ / clips:.0f} % of clips with static occluders, "
        f"{stats.objects_ever_occluded} objects occluded at least once"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=300)
    parser.add_argument("--videos", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    generator_vs_encoder(args.clips)
    writer_scaling(args.videos)
    occlusion_stats(max(args.clips, 500))


if __name__ == "__main__":
    main()
