"""How good are the shipped tracker's prior boxes (the box each later frame's crop and Mspec are made from)? (issue
10: tracks that hold)

The eval protocol's tracker on the 48-frame bench sets (bench/search_sweep.py), every object's prior box noted per
frame and sorted against the truth on the in-view frames after its prompt: "good" (box IoU >= 0.5 with the object's
true visible or amodal box), "partial" (0.2-0.5), "other object" (overlaps another object's true box more, at >= 0.3)
or "lost"; beside it the same for the box of the object's last predicted amodal mask, and on the frames where the two
part (IoU below looks.LOOK_AGREE), how often each is good and how often the one more like the object (likeness.py) is.
Compare with ``amodal-vos eval ... --box-oracle``, which prompts every frame with the true visible box
(docs/tracking.md).

    OMP_NUM_THREADS=1 python bench/prior_boxes.py [--sets long,realistic] [--before]

``--before`` runs the tracker as it was before the colour choice (bench/tracker_options.py ``--off likeness``).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import collections  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from search_sweep import bench_clips, bench_model  # noqa: E402
from tracker_options import MODULE_OFF  # noqa: E402

from amodal_vos.eval.evaluate import EvalOptions, evaluate  # noqa: E402
from amodal_vos.eval.predict import TrackerPredictor, tracker_prompts  # noqa: E402
from amodal_vos.model.prior import mask_to_box  # noqa: E402
from amodal_vos.tracking import looks  # noqa: E402
from amodal_vos.tracking.likeness import colours, likeness  # noqa: E402
from amodal_vos.tracking.loading import default_checkpoint  # noqa: E402
from amodal_vos.tracking.motion import box_iou  # noqa: E402
from amodal_vos.tracking.propagation import Propagation  # noqa: E402

KINDS = ("good", "partial", "other object", "lost")
PARTED = ("prior good", "last mask good")


class PriorRecorder(TrackerPredictor):
    """The eval's tracker, keeping each clip's prompts, predicted masks and truth, and every prior box it used."""

    def __init__(self, model) -> None:
        super().__init__(model)
        self.clips: list[tuple] = []
        self.priors: dict[tuple[int, int, int], torch.Tensor] = {}  # (clip, tracker id, frame) -> xyxy

    def __call__(self, clip, prompts, **kw):
        out = super().__call__(clip, prompts, **kw)
        self.clips.append((tracker_prompts(prompts)[0], out, clip))
        return out

    def patch(self) -> None:
        """Wrap Propagation._images (the caller puts it back), which makes the crops from the prior boxes."""
        images = Propagation._images

        def noted(sweep, image, groups):
            for g in groups:
                for i, p in enumerate(g.prompts):
                    self.priors[(len(self.clips), p.obj_id, g.seen[0])] = g.boxes[i].float().clone()
            return images(sweep, image, groups)

        Propagation._images = noted

    def census(self) -> tuple[dict[str, collections.Counter], collections.Counter]:
        """Kind of the prior box and of the last predicted mask's box -> in-view object-frames; and on the frames
        where the two part (IoU below looks.LOOK_AGREE), how often each is good, and the one whose colours are more
        like the object's in its prompt box (likeness.py)."""
        counts = {"prior box": collections.Counter(), "last mask's box": collections.Counter()}
        parted = collections.Counter()
        for c, (local, out, clip) in enumerate(self.clips):
            boxes = {o.obj_id: (_boxes(o.visible), _boxes(o.amodal)) for o in clip.objects}
            bgr = [np.ascontiguousarray(f[..., ::-1]) for f in clip.frames]
            for lid, p in local.items():
                pred, look = _boxes(out[p.obj_id]), colours(bgr[p.frame], np.asarray(p.box, float).tolist())
                for t in range(p.frame + 1, len(pred)):
                    prior = self.priors.get((c, lid, t))
                    if prior is None or not boxes[p.obj_id][1][t].any():
                        continue
                    kinds = _kind(prior, boxes, p.obj_id, t), _kind(pred[t - 1], boxes, p.obj_id, t)
                    counts["prior box"][kinds[0]] += 1
                    counts["last mask's box"][kinds[1]] += 1
                    if look is None or float(box_iou(prior[None], pred[t - 1 : t])[0]) >= looks.LOOK_AGREE:
                        continue
                    alike = likeness(look, bgr[t], pred[t - 1].tolist()) > likeness(
                        look, bgr[t], prior.tolist()
                    )
                    parted.update(
                        ["frames"] + [k for k, kind in zip(PARTED, kinds, strict=True) if kind == "good"]
                    )
                    parted["more alike good"] += kinds[alike] == "good"
        return counts, parted


def _boxes(masks: np.ndarray) -> torch.Tensor:
    """xyxy box per frame of [T, H, W] masks (zeros where empty)."""
    return mask_to_box(torch.from_numpy(np.ascontiguousarray(masks)))[0].float()


def _kind(box: torch.Tensor, boxes: dict, obj_id: int, t: int) -> str:
    def overlap(i):
        return max(float(box_iou(box[None], b[t : t + 1])[0]) for b in boxes[i])

    own = overlap(obj_id)
    other = max([overlap(i) for i in boxes if i != obj_id], default=0.0)
    if own >= 0.5:
        return "good"
    if other > own and other >= 0.3:
        return "other object"
    return "partial" if own >= 0.2 else "lost"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=str(default_checkpoint()))
    ap.add_argument("--sets", default="long,realistic")
    ap.add_argument("--num-clips", type=int, default=20)
    ap.add_argument("--before", action="store_true", help="the tracker as before the colour choice")
    args = ap.parse_args()
    model = bench_model(args.checkpoint)
    print(f"| set | box | {' | '.join(KINDS)} | in-view frames |\n" + "|---" * (len(KINDS) + 3) + "|")
    for name in args.sets.split(","):
        recorder, kept = PriorRecorder(model), (Propagation._images, looks.parted)
        recorder.patch()
        if args.before:
            looks.parted = MODULE_OFF["likeness"][2]
        try:
            evaluate(recorder, bench_clips(name, args.num_clips), EvalOptions(baselines=False))
        finally:
            Propagation._images, looks.parted = kept
        counts, parted = recorder.census()
        for label, count in counts.items():
            n = sum(count.values())
            shares = " | ".join(f"{100 * count[k] / n:.1f} %" for k in KINDS)
            print(f"| {name} | {label} | {shares} | {n} |", flush=True)
        print(f"  where they part: {dict(parted)}", flush=True)


if __name__ == "__main__":
    main()
