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
- ``size limit``: the next prior box's width and height change by at most 1.1x per frame (centre from the mask);
- ``shape 0.9``: the model's mask is replaced by the moved last mask below IoU 0.9 with it instead of 0.8;
- ``hold refused``: an object whose new box the flow refuses (IoU below ``motion`` with the flow-moved box, where
  its mask move is not trusted) keeps its last mask, moved like that box (shift, and scale by the area ratio);
- ``hold empty``: an object whose new mask is empty while its last one lay inside the frame (not within
  ``BORDER`` px of its edge, where an empty mask may mean it left) keeps its last mask, moved like its box where
  the box flow is trusted and in place otherwise; ``hold empty 8`` does so for at most 8 frames in a row;
- ``views every frame``: the prompt views (tracking/prompt_views.py) on every frame, judged against the object's
  prior box (its last box moved by the flow) where no box prompt is given.

    OMP_NUM_THREADS=1 python bench/inference_rules.py --checkpoint runs/track/model.safetensors
    OMP_NUM_THREADS=1 python bench/inference_rules.py --checkpoint CKPT --rules "clip to Mspec" "size limit"
    OMP_NUM_THREADS=1 python bench/inference_rules.py --checkpoint amodal_vos/weights/default.safetensors \
        --rules "shape 0.9" "hold refused" "views every frame"
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from search_sweep import bench_clips, bench_model, paired_header, paired_row, run_set  # noqa: E402

from amodal_vos.model.prior import mask_to_box, spec_from_box  # noqa: E402
from amodal_vos.model.search import boxes_from_crop  # noqa: E402
from amodal_vos.model.transforms import box_prompt  # noqa: E402
from amodal_vos.tracking.groups import ModelPrompt  # noqa: E402
from amodal_vos.tracking.motion import box_iou  # noqa: E402
from amodal_vos.tracking.prompt_views import PromptViews  # noqa: E402
from amodal_vos.tracking.propagation import Propagation  # noqa: E402
from amodal_vos.tracking.shape_flow import STILL, ShapeFlow  # noqa: E402

COLLAPSE_IOU = 0.7
SIZE_STEP = 1.1
BORDER = 3  # px: a last mask this close to the frame's edge may belong to an object that left


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


def frame_box(logits: np.ndarray, grid: np.ndarray) -> np.ndarray | None:
    """The xyxy box (frame pixels) of ``logits > 0`` in the model grid ``grid``; None when empty."""
    ys, xs = np.nonzero(logits > 0)
    if not len(xs):
        return None
    back = np.linalg.inv(np.vstack([grid, [0.0, 0.0, 1.0]]))[:2]
    ends = np.array([[xs.min() - 0.5, ys.min() - 0.5], [xs.max() + 0.5, ys.max() + 0.5]])
    return (ends @ back[:, :2].T + back[:, 2]).reshape(-1)


def box_move(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """The 2x3 map taking xyxy box ``old`` onto ``new``'s centre, scaled by the square root of their area ratio."""
    scale = np.sqrt(np.prod(new[2:] - new[:2]).clip(1e-6) / np.prod(old[2:] - old[:2]).clip(1e-6))
    shift = (new[:2] + new[2:]) / 2 - scale * (old[:2] + old[2:]) / 2
    return np.array([[scale, 0.0, shift[0]], [0.0, scale, shift[1]]])


def hold_refused(prop: Propagation, groups: list, chosen: dict, moved: dict, last: dict) -> None:
    """After ``_masks``: each object whose new box the flow refuses (BoxFlow trusted, mask move not) gets its last
    mask (``last``: the groups' shapes before the step) moved from its box to the flow's box."""
    for g in groups:
        if id(g) not in moved or last[id(g)] is None:
            continue
        flow_boxes, trusted, moves = moved[id(g)]
        for i in range(len(g.prompts)):
            if not bool(trusted[i]) or (moves is not None and moves[i] is not None):
                continue
            grid, flow = g.shapes[i][1], flow_boxes[i].float().numpy()
            new = frame_box(chosen[id(g)][i].float().cpu().numpy(), grid)
            agree = (
                new is not None
                and box_iou(torch.from_numpy(new[None]).float(), torch.from_numpy(flow[None])).item()
                >= prop.agree
            )
            old = frame_box(*last[id(g)][i])
            if agree or old is None:
                continue
            held = ShapeFlow.warp(*last[id(g)][i], box_move(old, flow), grid)
            chosen[id(g)] = chosen[id(g)].clone()
            chosen[id(g)][i] = torch.from_numpy(held).to(chosen[id(g)])
            g.shapes[i] = (held, grid)


def hold_empty(
    prop: Propagation, groups: list, chosen: dict, moved: dict, last: dict, limit: int | None
) -> None:
    """After ``_masks``: each object whose new mask is empty and whose last mask lay inside the frame keeps that
    mask (moved from its box to the flow's box where the box flow is trusted), for at most ``limit`` frames."""
    h, w = prop.hw
    for g in groups:
        held = getattr(g, "held", None)
        g.held = held = [0] * len(g.prompts) if held is None or len(held) != len(g.prompts) else held
        if last[id(g)] is None:
            continue
        flow_boxes, trusted, _ = moved.get(id(g), (None, None, None))
        for i in range(len(g.prompts)):
            if bool((chosen[id(g)][i] > 0).any()):
                held[i] = 0
                continue
            old = frame_box(*last[id(g)][i])
            inside = old is not None and min(old[0], old[1], w - old[2], h - old[3]) > BORDER
            if not inside or (limit is not None and held[i] >= limit):
                continue
            flowed = flow_boxes is not None and bool(trusted[i])
            move = box_move(old, flow_boxes[i].float().numpy()) if flowed else STILL
            grid = g.shapes[i][1]
            kept = ShapeFlow.warp(*last[id(g)][i], move, grid)
            chosen[id(g)] = chosen[id(g)].clone()
            chosen[id(g)][i] = torch.from_numpy(kept).to(chosen[id(g)])
            g.shapes[i] = (kept, grid)
            held[i] += 1


@contextmanager
def rule(name: str):
    """While active, Propagation applies the named rule."""
    collect, track, follow, init, masks = (
        Propagation._collect,
        Propagation._track,
        Propagation._follow,
        Propagation.__init__,
        Propagation._masks,
    )
    applies, refine = PromptViews.applies, PromptViews.refine

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

    def init_shape(self, *args, **kwargs):
        init(self, *args, **{**kwargs, "shape": 0.9 if kwargs.get("shape") is not None else None})

    def masks_held(self, groups, amodal_outs, moved):
        last = {id(g): None if g.shapes is None else list(g.shapes) for g in groups}
        chosen = masks(self, groups, amodal_outs, moved)
        if self.shape is not None:
            hold_refused(self, groups, chosen, moved, last)
        return chosen

    def masks_kept(self, groups, amodal_outs, moved, limit=None):
        last = {id(g): None if g.shapes is None else list(g.shapes) for g in groups}
        chosen = masks(self, groups, amodal_outs, moved)
        if self.shape is not None:
            hold_empty(self, groups, chosen, moved, last, limit)
        return chosen

    def refine_every_frame(self, group, prompts, image, out, t, num_frames):
        if prompts is None:  # no box given: judge the views against the prior box
            prompts = [ModelPrompt(p.obj_id, t, group.boxes[i].float(), torch.zeros(0, 2), torch.zeros(0))
                       for i, p in enumerate(group.prompts)]  # fmt: skip
        refine(self, group, prompts, image, out, t, num_frames)

    patches = {  # rule: [(class, attribute, patch)]
        "collapse": [(Propagation, "_collect", collect_resolved)],
        "box prompt": [(Propagation, "_track", track_boxed)],
        "box prompt, no memory": [(Propagation, "__init__", init_memoryless)],
        "clip to Mspec": [(Propagation, "_track", track_clipped)],
        "size limit": [(Propagation, "_follow", follow_limited)],
        "shape 0.9": [(Propagation, "__init__", init_shape)],
        "hold refused": [(Propagation, "_masks", masks_held)],
        "hold empty": [(Propagation, "_masks", masks_kept)],
        "hold empty 8": [(Propagation, "_masks", lambda *a: masks_kept(*a, limit=8))],
        "views every frame": [
            (PromptViews, "applies", staticmethod(lambda prompts: prompts is None or applies(prompts))),
            (PromptViews, "refine", refine_every_frame),
        ],
    }
    saved = [(cls, attr, cls.__dict__[attr]) for cls, attr, _ in patches[name]]
    for cls, attr, patch in patches[name]:
        setattr(cls, attr, patch)
    try:
        yield
    finally:
        for cls, attr, value in saved:
            setattr(cls, attr, value)


RULES = [
    "collapse",
    "box prompt",
    "box prompt, no memory",
    "clip to Mspec",
    "size limit",
    "shape 0.9",
    "hold refused",
    "hold empty",
    "hold empty 8",
    "views every frame",
]


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
