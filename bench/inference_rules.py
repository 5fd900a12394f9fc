"""Inference-time rules that were measured against identity switches and dropped (issue 10; docs/tracking.md).

Each rule patches the tracker while it runs; the ``amodal-vos eval`` protocol runs without baselines on the same
clips with and without it, and rows give paired per-clip differences (``d``) as bench/search_sweep.py does:

- ``collapse``: where two objects' predicted boxes overlap at IoU > 0.7, the one whose prediction agrees less with
  its own prior box gets an empty mask on that frame (one mask never stands for two objects);
- ``box prompt``: every frame's decoder is also prompted with the object's prior box (as on the prompt frame),
  on top of Mspec and memory;
- ``box prompt, no memory``: every frame is segmented like a prompt frame, from the prior box alone, with an empty
  memory bank (a box tracker feeding an image segmenter): the tracker option ``memory=False``, forced on;
- ``clip to Mspec``: a tracked frame's masks are cut to its Mspec region (the prior box grown 20 % per side);
- ``size limit``: the next prior box's width and height change by at most 1.1x per frame (centre from the mask).

    OMP_NUM_THREADS=1 python bench/inference_rules.py --checkpoint runs/track/model.safetensors
    OMP_NUM_THREADS=1 python bench/inference_rules.py --checkpoint CKPT --rules "clip to Mspec" "size limit"
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from search_sweep import bench_clips, bench_model, paired_header, paired_row, run_set  # noqa: E402

from amodal_vos.model.prior import mask_to_box, spec_from_box  # noqa: E402
from amodal_vos.model.search import boxes_from_crop  # noqa: E402
from amodal_vos.model.transforms import box_prompt  # noqa: E402
from amodal_vos.tracking.motion import box_iou  # noqa: E402
from amodal_vos.tracking.propagation import Propagation  # noqa: E402

COLLAPSE_IOU = 0.7
SIZE_STEP = 1.1


def resolve_collapses(prop: Propagation, groups: list, outs: dict) -> None:
    """Empties the mask of the object that agrees less with its prior box, for each pair whose predicted boxes
    overlap at IoU > ``COLLAPSE_IOU``."""
    rows, pred, prior = [], [], []
    for g in groups:
        boxes, found = mask_to_box((outs[id(g)]["pred_masks_high_res"][:, 0] > 0).cpu())
        if g.crops is not None:
            boxes = boxes_from_crop(boxes, g.crops, prop.size)
        for i in range(len(g.prompts)):
            if found[i]:
                rows.append((g, i))
                pred.append(boxes[i])
                prior.append(g.boxes[i].float().cpu())
    if len(rows) < 2:
        return
    pred, prior = torch.stack(pred), torch.stack(prior)
    own = box_iou(pred, prior)
    a, b = torch.triu_indices(len(rows), len(rows), offset=1)
    overlap = box_iou(pred[a], pred[b]) > COLLAPSE_IOU
    for i, j in zip(a[overlap].tolist(), b[overlap].tolist(), strict=True):
        g, k = rows[j] if own[j] < own[i] else rows[i]
        out = outs[id(g)]
        for key in ("pred_masks_high_res", "visible_high_res"):
            if key in out:
                out[key][k] = -10.0
        out["object_score_logits"][k] = -10.0


def limit_size(prev: torch.Tensor, new: torch.Tensor, step: float = SIZE_STEP) -> torch.Tensor:
    """xyxy boxes ``new`` with width and height kept within 1/step..step of ``prev``'s, about their own centres."""
    prev, new = prev.float(), new.float()
    before = (prev[:, 2:] - prev[:, :2]).clamp(min=1.0)
    wh = torch.minimum(torch.maximum((new[:, 2:] - new[:, :2]).clamp(min=1.0), before / step), before * step)
    centre = (new[:, 2:] + new[:, :2]) / 2
    return torch.cat([centre - wh / 2, centre + wh / 2], dim=1)


@contextmanager
def rule(name: str):
    """While active, Propagation applies the named rule."""
    collect, track, follow, init = (
        Propagation._collect,
        Propagation._track,
        Propagation._follow,
        Propagation.__init__,
    )

    def collect_resolved(self, groups, amodal_outs, *args):
        resolve_collapses(self, groups, amodal_outs)
        return collect(self, groups, amodal_outs, *args)

    def track_boxed(self, group, bank, feats, t):
        if self._cond(group, t) is not None:
            return track(self, group, bank, feats, t)
        points = {k: v.to(feats.top_features.device) for k, v in box_prompt(group.spec.float()).items()}
        out = self.model.track_frame(
            t,
            feats,
            bank.memory,
            is_cond=False,
            num_frames=self.num_frames,
            point_inputs=points,
            reverse=self.reverse,
        )
        bank.add(t, out, False, self.reverse)
        return out

    def init_memoryless(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.memory = False  # the tracker's own memory=False path

    def track_clipped(self, group, bank, feats, t):
        out = track(self, group, bank, feats, t)
        if self._cond(group, t) is None:
            region = spec_from_box(group.spec.float(), (self.size, self.size)).to(
                out["pred_masks_high_res"].device
            )
            for key in ("pred_masks_high_res", "visible_high_res"):
                if key in out:
                    out[key] = torch.where(region > 0, out[key], torch.full_like(out[key], -10.0))
        return out

    def follow_limited(self, group, spec):
        prev = group.boxes
        follow(self, group, spec)
        group.boxes = limit_size(prev, group.boxes).to(prev.dtype)

    patches = {
        "collapse": ("_collect", collect_resolved),
        "box prompt": ("_track", track_boxed),
        "box prompt, no memory": ("__init__", init_memoryless),
        "clip to Mspec": ("_track", track_clipped),
        "size limit": ("_follow", follow_limited),
    }
    attr, patch = patches[name]
    saved = getattr(Propagation, attr)
    setattr(Propagation, attr, patch)
    try:
        yield
    finally:
        setattr(Propagation, attr, saved)


RULES = ["collapse", "box prompt", "box prompt, no memory", "clip to Mspec", "size limit"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--num-clips", type=int, default=20, help="clips of each 48-frame set")
    ap.add_argument("--sets", nargs="+", default=["long", "realistic", "short"])
    ap.add_argument("--rules", nargs="+", default=RULES, choices=RULES)
    args = ap.parse_args()
    model = bench_model(args.checkpoint)
    print(paired_header("rule"))
    for name in args.sets:
        clips = bench_clips(name, args.num_clips)
        base = run_set(model, clips, name)
        print(paired_row("off", base, base), flush=True)
        for r in args.rules:
            with rule(r):
                print(paired_row(r, run_set(model, clips, name), base), flush=True)


if __name__ == "__main__":
    main()
