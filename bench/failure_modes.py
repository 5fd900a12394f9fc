"""How tracks fail (issue 10): every in-view object frame after the prompt frame of a 48-frame test set, sorted by
what the predicted amodal mask does there: good (IoU >= 0.5), empty, elsewhere (no overlap with the object), grown
(more than twice the true area), shrunk (less than half) or partial (the rest). Percent of those frames.

A second table splits the same frames by the object's true visible share (visible / amodal area) and gives their
mIoU_full, with the frames 1-5 after a spell where it was hidden (< 10 % visible); it also counts the objects that
drop below IoU 0.2 and the ones of those that come back to IoU >= 0.5 on 3 or more later frames.

    OMP_NUM_THREADS=1 python bench/failure_modes.py --checkpoint amodal_vos/weights/default.safetensors \
        [--no-prompt-views]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from search_sweep import bench_clips, bench_model  # noqa: E402

from amodal_vos.eval.predict import TrackerPredictor, make_prompts  # noqa: E402

KINDS = ("good", "empty", "elsewhere", "grown", "shrunk", "partial")
SHARES = ("fully visible (> 90 %)", "50-90 %", "10-50 %", "hidden (< 10 %)", "5 frames after a hidden spell")


def kind_of(pred: np.ndarray, true: np.ndarray) -> str:
    """What a predicted mask does on a frame where the object's true amodal mask is non-empty."""
    inter, union = (pred & true).sum(), (pred | true).sum()
    if inter >= 0.5 * union:
        return "good"
    if not pred.any():
        return "empty"
    if inter == 0:
        return "elsewhere"
    if pred.sum() > 2 * true.sum():
        return "grown"
    return "shrunk" if pred.sum() < 0.5 * true.sum() else "partial"


def share_of(visible: np.ndarray, amodal: np.ndarray) -> str:
    """The visible-share bin (``SHARES``) of a frame where the object's amodal mask is non-empty."""
    f = visible.sum() / amodal.sum()
    return SHARES[0] if f > 0.9 else SHARES[1] if f > 0.5 else SHARES[2] if f >= 0.1 else SHARES[3]


def by_share(ious: np.ndarray, shares: list) -> dict[str, list[float]]:
    """One object's IoUs (NaN where not scored) per visible-share bin, and after each hidden spell."""
    out: dict[str, list[float]] = {k: [] for k in SHARES}
    hidden_until = -10
    for t, (v, k) in enumerate(zip(ious, shares, strict=True)):
        if k == SHARES[3]:
            hidden_until = t
        if np.isnan(v):
            continue
        out[k].append(v)
        if k != SHARES[3] and t - hidden_until <= 5:
            out[SHARES[4]].append(v)
    return out


def lost_and_found(ious: np.ndarray) -> tuple[bool, bool]:
    """(dropped below IoU 0.2, came back to IoU >= 0.5 on 3 frames after that)."""
    low = np.nonzero(ious < 0.2)[0]  # NaN compares False
    if not len(low):
        return False, False
    return True, bool((ious[low[0] :] >= 0.5).sum() >= 3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--num-clips", type=int, default=20)
    ap.add_argument("--sets", nargs="+", default=["realistic", "long"])
    ap.add_argument("--no-prompt-views", action="store_true", help="tracking/prompt_views.py off")
    args = ap.parse_args()
    predictor = TrackerPredictor(bench_model(args.checkpoint), views=not args.no_prompt_views)
    shares_table: list[str] = []
    print("| set | frames | " + " | ".join(KINDS) + " |\n" + "|---" * (len(KINDS) + 2) + "|")
    for name in args.sets:
        counts: Counter = Counter()
        pooled: dict[str, list[float]] = {k: [] for k in SHARES}
        objects = dropped = found = 0
        for clip in bench_clips(name, args.num_clips):
            prompts = make_prompts(clip)
            masks = predictor(clip, prompts)
            for p in prompts:
                obj = next(o for o in clip.objects if o.obj_id == p.obj_id)
                true, ious, shares = obj.amodal, np.full(clip.num_frames, np.nan), [None] * clip.num_frames
                for t in range(p.frame + 1, clip.num_frames):
                    if true[t].any():
                        pred = masks[p.obj_id][t]
                        counts[kind_of(pred, true[t])] += 1
                        ious[t] = (pred & true[t]).sum() / (pred | true[t]).sum()
                        shares[t] = share_of(obj.visible[t], true[t])
                for k, v in by_share(ious, shares).items():
                    pooled[k] += v
                lost, back = lost_and_found(ious)
                objects, dropped, found = objects + 1, dropped + lost, found + back
        total = sum(counts.values())
        cells = " | ".join(f"{100 * counts[k] / total:.1f}" for k in KINDS)
        print(f"| {name} | {total} | {cells} |", flush=True)
        shares_table.append(
            f"| {name}: frames / mIoU_full | "
            + " | ".join(f"{len(v)} / {100 * np.mean(v):.1f}" if v else "0 / -" for v in pooled.values())
            + f" | {objects} / {dropped} / {found} |"
        )
    print("\n| set | " + " | ".join(SHARES) + " | objects / dropped below 0.2 / came back |")
    print("|---" * (len(SHARES) + 2) + "|\n" + "\n".join(shares_table))


if __name__ == "__main__":
    main()
