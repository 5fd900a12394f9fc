"""Why in-view objects are reported absent, and out-of-view ones present (issue 10: presence), on the 48-frame
bench sets (bench/search_sweep.py) with the shipped tracker: every object-frame after its prompt, counted by GT
(in view: true amodal mask non-empty), report (present: predicted amodal mask non-empty) and whether the appearance
tracker found the object on that frame (CSRT's update returned a box and the object was not reported unseen); then,
for the in-view frames reported absent where CSRT found the object, what emptied the mask: the exit rule (the step
is reported absent), the mask rules' mask empty in its crop, or a mask that lies outside the frame.

    OMP_NUM_THREADS=1 python bench/absent_causes.py [--sets realistic,realistic-fresh] [--num-clips 20]
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

sys.path.insert(0, str(Path(__file__).parent))
from search_sweep import bench_clips, bench_model  # noqa: E402

from amodal_vos.eval.evaluate import EvalOptions, evaluate  # noqa: E402
from amodal_vos.eval.predict import TrackerPredictor, tracker_prompts  # noqa: E402
from amodal_vos.model.search import paste_region  # noqa: E402
from amodal_vos.tracking.box_tracker import Look  # noqa: E402
from amodal_vos.tracking.loading import default_checkpoint  # noqa: E402
from amodal_vos.tracking.looks import SweepLooks  # noqa: E402
from amodal_vos.tracking.propagation import Propagation  # noqa: E402


class Recorder(TrackerPredictor):
    """The eval's tracker, keeping each clip's (tracker ids, predicted masks, true masks) and CSRT's finds."""

    def __init__(self, model) -> None:
        super().__init__(model)
        self.clips: list[tuple] = []
        # by (clip, tracker id, frame): CSRT's xyxy box where it found the object (else None), and what became of its
        # step's mask; ``frame``: the last frame CSRT followed the objects onto
        self.found: dict[tuple[int, int, int], np.ndarray | None] = {}
        self.emptied: dict[tuple[int, int, int], str] = {}
        self.frame = -1

    def __call__(self, clip, prompts, **kw):
        out = super().__call__(clip, prompts, **kw)
        truth = {o.obj_id: o.amodal for o in clip.objects}
        self.clips.append((tracker_prompts(prompts)[0], out, truth))
        return out

    def patch(self, steps: bool = True) -> None:
        """Wrap Look.update, SweepLooks.follow and, with ``steps``, Propagation.step (the caller puts them back) to
        note, per object and frame, where CSRT found the object and what became of its step's mask."""
        update, follow, step = Look.update, SweepLooks.follow, Propagation.step

        def noted_update(look, image, frame):
            look.noted = (frame, update(look, image, frame))
            return look.noted[1]

        def noted_follow(looks, t, frame, groups, moved):
            follow(looks, t, frame, groups, moved)
            for g in groups:
                for i, look in enumerate(g.looks or []):
                    if look is not None and getattr(look, "noted", (None,))[0] == t:
                        obj, box = g.prompts[i].obj_id, look.noted[1]
                        found = box is not None and obj not in looks.unseen
                        self.found[(len(self.clips), obj, t)] = (
                            box.numpy().astype(np.float64) if found else None
                        )
            self.frame = t

        def noted_step(sweep, t, *args, **kwargs):
            steps = step(sweep, t, *args, **kwargs)
            for s in steps:
                pasted = None if s.crop is None else paste_region(s.amodal, s.crop, sweep.hw)
                kind = "exit rule (reported absent)" if s.score == 0.0 else "mask in the frame"
                if s.score != 0.0 and not (s.amodal > 0).any():
                    kind = "empty in its crop"
                elif s.score != 0.0 and s.crop is not None and (pasted is None or not (pasted[1] > 0).any()):
                    kind = "outside the frame"
                self.emptied[(len(self.clips), s.obj_id, t)] = kind
            return steps

        Look.update, SweepLooks.follow = noted_update, noted_follow
        if steps:
            Propagation.step = noted_step

    def counts(self) -> tuple[collections.Counter, collections.Counter]:
        """(in view / out of view, present / absent, CSRT found / not) -> object-frames; and for the in-view frames
        reported absent where CSRT found the object, what emptied the mask -> object-frames."""
        counts, causes = collections.Counter(), collections.Counter()
        for c, (local, out, truth) in enumerate(self.clips):
            for lid, p in local.items():
                for t in range(p.frame + 1, truth[p.obj_id].shape[0]):
                    view = "in view" if truth[p.obj_id][t].any() else "out of view"
                    report = "present" if out[p.obj_id][t].any() else "absent"
                    csrt = "CSRT found" if self.found.get((c, lid, t)) is not None else "CSRT not"
                    counts[(view, report, csrt)] += 1
                    if (view, report, csrt) == ("in view", "absent", "CSRT found"):
                        causes[self.emptied.get((c, lid, t), "not stepped")] += 1
        return counts, causes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default=str(default_checkpoint()))
    ap.add_argument("--sets", default="realistic,realistic-fresh")
    ap.add_argument("--num-clips", type=int, default=20)
    args = ap.parse_args()
    model = bench_model(args.checkpoint)
    print("| set | GT | reported | CSRT found the object | object-frames |\n|---|---|---|---|---|")
    for name in args.sets.split(","):
        recorder, kept = Recorder(model), (Look.update, SweepLooks.follow, Propagation.step)
        recorder.patch()
        try:
            evaluate(recorder, bench_clips(name, args.num_clips), EvalOptions(baselines=False))
        finally:
            Look.update, SweepLooks.follow, Propagation.step = kept
        counts, causes = recorder.counts()
        for (view, report, csrt), n in sorted(counts.items()):
            print(f"| {name} | {view} | {report} | {csrt} | {n} |", flush=True)
        for cause, n in sorted(causes.items()):
            print(f"| {name} | in view, absent, CSRT found: {cause} | | | {n} |", flush=True)


if __name__ == "__main__":
    main()
