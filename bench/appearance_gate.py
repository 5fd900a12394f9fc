"""Can appearance catch identity switches at inference? (issue 10; an experiment, not part of the tracker)

A colour histogram (8 bins per channel of the model's input crop) of each object's visible pixels is taken on its
prompt frame. On every later frame the histogram of the pixels its visible mask covers is compared with it
(Bhattacharyya coefficient); below ``--thresholds`` the frame's prediction is rejected: the object keeps its last
accepted mask and the crop stays at its last accepted box. Frames with fewer than 20 visible pixels are not judged.
Runs the ``amodal-vos eval`` protocol without baselines on the same clips for each threshold (0 = the tracker as
it is) and prints paired per-clip differences, as bench/search_sweep.py does. Needs a search-region model.

    OMP_NUM_THREADS=1 python bench/appearance_gate.py --checkpoint runs/track/model.safetensors --thresholds 0.3 0.5 0.7
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from search_sweep import LONG_SETS, paired_header, paired_row, run_set  # noqa: E402

from amodal_vos.model.checkpoint import load_checkpoint  # noqa: E402
from amodal_vos.tracking.propagation import Propagation  # noqa: E402

BINS = 8
MIN_PIXELS = 20


def colour_histogram(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Normalised joint RGB histogram of a normalised [3, S, S] crop under a [S, S] bool mask."""
    q = ((image[:, mask] * 0.25 + 0.5).clamp(0, 0.999) * BINS).long()  # normalised values span about -2..2
    counts = torch.bincount((q[0] * BINS + q[1]) * BINS + q[2], minlength=BINS**3).float()
    return counts / counts.sum().clamp(min=1)


class Gate:
    """Wraps Propagation.step and _images; ``threshold`` 0 leaves tracking unchanged."""

    def __init__(self) -> None:
        self.threshold = 0.0
        self.step, self.images = Propagation.step, Propagation._images
        gate = self

        def images(prop, image, groups):
            prop._gate_images = gate.images(prop, image, groups)
            return prop._gate_images

        def step(prop, t, image):
            return gate.judge(prop, t, gate.step(prop, t, image))

        Propagation.step, Propagation._images = step, images

    def judge(self, prop: Propagation, t: int, steps: list) -> list:
        if not steps or self.threshold <= 0:
            return steps
        kept = prop.__dict__.setdefault(
            "_gate_kept", {}
        )  # obj_id -> (reference histogram, last step, its box)
        rows, k = {}, 0
        for g in (g for g in prop.groups if prop._started(g, t)):
            for i, p in enumerate(g.prompts):
                rows[p.obj_id] = (g, i, k)
                k += 1
        out = []
        for s in steps:
            g, i, k = rows[s.obj_id]
            visible = (s.visible if s.visible is not None else s.amodal) > 0
            enough = int(visible.sum()) >= MIN_PIXELS
            if s.obj_id not in kept:
                if enough:
                    kept[s.obj_id] = [colour_histogram(prop._gate_images[k], visible), s, g.boxes[i].clone()]
                out.append(s)
                continue
            ref, last, box = kept[s.obj_id]
            if (
                enough
                and (ref * colour_histogram(prop._gate_images[k], visible)).sqrt().sum() < self.threshold
            ):
                boxes = g.boxes.clone()
                boxes[i] = box
                g.boxes = boxes
                out.append(dataclasses.replace(last, score=s.score))
                continue
            kept[s.obj_id][1:] = [s, g.boxes[i].clone()]
            out.append(s)
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--thresholds", type=float, nargs="+", default=[0.3, 0.5, 0.7])
    ap.add_argument("--sets", nargs="+", default=["long", "realistic"], choices=["long", "realistic"])
    ap.add_argument("--num-clips", type=int, default=20)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, _ = load_checkpoint(args.checkpoint, device="cpu")
    model.eval()
    gate = Gate()
    print(paired_header("threshold"))
    for name in args.sets:
        make, seed = LONG_SETS[name]
        clips = list(make(seed, args.num_clips, 48, (480, 320)))
        base = None
        for threshold in [0.0, *args.thresholds]:
            gate.threshold = threshold
            r = run_set(model, clips, name)
            base = base or r
            print(paired_row(f"{threshold:g}", r, base), flush=True)


if __name__ == "__main__":
    main()
