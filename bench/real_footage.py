"""Track the real clips of bench/real_footage/clips.json (camera footage shipped inside Debian and PyPI packages;
bench/real_footage/install.sh installs them) and report what the masks do. There are no true masks, only rough
hand-labelled amodal boxes on the five contact-sheet frames.

    bash bench/real_footage/install.sh
    python bench/real_footage.py [--checkpoint CKPT] [--out DIR] [--max-frames N] [--clips vtest,cup] [--figure PNG]
        [--motion IOU|off] [--shape IOU|off] [--no-box-tracker]

Writes DIR/<clip>.png per clip: frames at 0, 25, 50, 75 and 100% of the range, the input with the hand-labelled
boxes (thin, in each object's colour) above the project's overlay (amodal_vos.io.annotators: visible part filled,
hidden part hatched, whole shape outlined). Prints per object: visible share on the prompt frame (visible / amodal
area), median and max over the clip of amodal box area / prompt box area, frames with an empty amodal mask, mean
presence score, and the amodal box's IoU with the prompt box and each hand-labelled box in the tracked range. DIR/summary.json holds
the same numbers.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
from importlib.metadata import distribution
from pathlib import Path

import cv2
import numpy as np

from amodal_vos.io.annotators import color_of
from amodal_vos.tracking import AmodalTracker, Prompt
from amodal_vos.tracking.result import TrackResult

CLIPS = Path(__file__).with_name("real_footage") / "clips.json"
TILE_WIDTH = 480


def clip_path(clip: dict, out: Path) -> Path:
    """The clip's video file: a Debian path as is, a PyPI path inside the installed distribution; a .gz is
    unpacked once into ``out``."""
    package = clip["package"]
    if package["registry"] == "pypi":
        path = Path(str(distribution(package["name"]).locate_file(clip["path"])))
    else:
        path = Path(clip["path"])
    if not path.is_file():
        raise SystemExit(f"{path} is missing ({package['name']}): run bash bench/real_footage/install.sh")
    if clip.get("gzip"):
        unpacked = out / path.name.removesuffix(".gz")
        if not unpacked.is_file():
            with gzip.open(path) as src, open(unpacked, "wb") as dst:
                shutil.copyfileobj(src, dst)
        path = unpacked
    return path


def sheet_frames(start: int, end: int) -> list[int]:
    """The contact-sheet frames: start + (n - 1) * k // 4 for k = 0..4 (the frames clips.json labels)."""
    return [start + (end - start - 1) * k // 4 for k in range(5)]


def box_iou(a: list[float], b: list[float]) -> float:
    """IoU of two (x, y, w, h) boxes."""
    w = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def object_stats(result: TrackResult, obj: dict) -> dict:
    """The numbers printed for one object (see the module docstring)."""
    oid, start = obj["id"], result.start
    amodal, visible = result.amodal(start, oid), result.visible(start, oid)
    share = float(visible.sum() / amodal.sum()) if visible is not None and amodal.any() else float("nan")
    prompt_area = obj["prompt"][2] * obj["prompt"][3]
    boxes = [result.frames[k][oid].box for k in range(len(result))]
    ratios = np.array([b[2] * b[3] / prompt_area for b in boxes if b is not None])
    iou = {}
    for frame, gt in {str(start): obj["prompt"], **obj.get("gt", {})}.items():  # the prompt box on its frame
        index = int(frame)
        if gt is not None and index in result.frame_indices:
            box = boxes[index - start]
            iou[index] = 0.0 if box is None else round(box_iou(box, gt), 3)
    return {
        "id": oid,
        "visible_share_prompt_frame": round(share, 3),
        "box_area_ratio_median": round(float(np.median(ratios)), 2) if ratios.size else None,
        "box_area_ratio_max": round(float(ratios.max()), 2) if ratios.size else None,
        "empty_frames": [start + k for k, b in enumerate(boxes) if b is None],
        "mean_presence": round(float(result.scores(oid).mean()), 3),
        "box_iou": iou,
    }


def contact_sheet(result: TrackResult, clip: dict, frames: list[int]) -> np.ndarray:
    """Input frames with the hand-labelled boxes (top row) above the project's overlay (bottom row), cropped to
    the clip's ``view`` (x0, y0, x1, y1) if it has one."""
    columns = []
    for index in frames:
        frame = result.source.frame(index)
        labelled = frame.copy()
        for obj in clip["objects"]:
            gt = obj["prompt"] if index == result.start else obj.get("gt", {}).get(str(index))
            if gt is not None:
                x, y, w, h = (round(v) for v in gt)
                color = tuple(int(c) for c in color_of(obj["id"]))
                cv2.rectangle(
                    labelled, (x, y), (x + w - 1, y + h - 1), color, 2 if index == result.start else 1
                )
        overlay = result.render(index, frame)
        if "view" in clip:  # the part of the frame where the objects go, so that small people read well
            x0, y0, x1, y1 = clip["view"]
            labelled, overlay = labelled[y0:y1, x0:x1], overlay[y0:y1, x0:x1]
        column = np.concatenate([labelled, np.full((4, *labelled.shape[1:]), 255, np.uint8), overlay])
        scale = TILE_WIDTH / column.shape[1]
        column = cv2.resize(column, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        cv2.rectangle(column, (0, 0), (52, 18), (0, 0, 0), -1)
        cv2.putText(column, str(index), (3, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 0), 1, cv2.LINE_AA)
        columns.append(column)
        columns.append(np.full((column.shape[0], 4, 3), 255, np.uint8))
    return np.concatenate(columns[:-1], axis=1)


def figure_row(result: TrackResult, clip: dict, frames: list[int], width: int = 320) -> np.ndarray:
    """The overlays of the first, middle and last sheet frames side by side (the README picture's row)."""
    tiles = []
    for index in frames[::2]:
        overlay = result.render(index)
        if "view" in clip:
            x0, y0, x1, y1 = clip["view"]
            overlay = overlay[y0:y1, x0:x1]
        tile = cv2.resize(overlay, None, fx=width / overlay.shape[1], fy=width / overlay.shape[1],
                          interpolation=cv2.INTER_AREA)  # fmt: skip
        cv2.putText(tile, f"{clip['name']} {index}", (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 0), 1,
                    cv2.LINE_AA)  # fmt: skip
        tiles += [tile, np.full((tile.shape[0], 3, 3), 255, np.uint8)]
    return np.concatenate(tiles[:-1], axis=1)


def run_clip(
    tracker: AmodalTracker, clip: dict, out: Path, max_frames: int | None, rows: list | None = None
) -> list[dict]:
    """Track one clip, write its contact sheet and return its objects' numbers (``rows`` collects its figure
    row)."""
    path = clip_path(clip, out)
    prompts = [Prompt.from_box(o["prompt"], frame=clip["start"], obj_id=o["id"]) for o in clip["objects"]]
    result = tracker.track(path, prompts, start=clip["start"], end=clip["end"], max_frames=max_frames)
    frames = sheet_frames(result.start, result.start + len(result))
    sheet = out / f"{clip['name']}.png"
    cv2.imwrite(str(sheet), cv2.cvtColor(contact_sheet(result, clip, frames), cv2.COLOR_RGB2BGR))
    if rows is not None:
        rows.append(figure_row(result, clip, frames))
    info = result.video
    timings = tracker.last_timings
    print(
        f"\n{clip['name']}: {clip['package']['name']} {clip['path']} ({info.width}x{info.height}, {info.fps:.2f} fps), "
        f"frames {result.start}-{result.start + len(result) - 1}, {timings.total if timings else 0:.0f} s; "
        f"sheet {sheet} (frames {frames})"
    )
    print(
        f"{'id':>3} {'vis@prompt':>10} {'area med':>8} {'area max':>8} {'empty':>5} {'presence':>8}  box IoU"
    )
    stats = [object_stats(result, obj) for obj in clip["objects"]]
    for s in stats:
        iou = " ".join(f"{k}:{v:.2f}" for k, v in s["box_iou"].items()) or "-"
        print(
            f"{s['id']:>3} {s['visible_share_prompt_frame']:>10.2f} {s['box_area_ratio_median'] or 0:>8.2f} "
            f"{s['box_area_ratio_max'] or 0:>8.2f} {len(s['empty_frames']):>5} {s['mean_presence']:>8.2f}  {iou}"
        )
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--checkpoint", type=Path, help="our .safetensors or an official SAM-2 .pt (default: shipped)"
    )
    parser.add_argument("--out", type=Path, default=Path("/tmp/real_footage"))
    parser.add_argument("--max-frames", type=int, help="cap each clip's tracked frames")
    parser.add_argument("--clips", help="comma-separated clip names (default: all)")
    parser.add_argument("--figure", type=Path, help="also write first / middle / last overlays of every clip")
    parser.add_argument(
        "--motion", help="the tracker's motion setting: an IoU, or 'off' (default: the tracker's)"
    )
    parser.add_argument(
        "--shape", help="the tracker's shape setting: an IoU, or 'off' (default: the tracker's)"
    )
    parser.add_argument("--no-box-tracker", action="store_true", help="priors from the masks alone (no CSRT)")
    args = parser.parse_args()
    clips = json.loads(CLIPS.read_text())["clips"]
    if args.clips:
        clips = [c for c in clips if c["name"] in args.clips.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    kwargs = {} if args.motion is None else {"motion": None if args.motion == "off" else float(args.motion)}
    if args.shape is not None:
        kwargs["shape"] = None if args.shape == "off" else float(args.shape)
    if args.no_box_tracker:
        kwargs["box_tracker"] = False
    if args.checkpoint:
        tracker = AmodalTracker.from_checkpoint(args.checkpoint, **kwargs)
    else:
        tracker = AmodalTracker.default(**kwargs)
    print(f"model: {tracker.description}")
    rows: list[np.ndarray] = []
    summary = {c["name"]: run_clip(tracker, c, args.out, args.max_frames, rows) for c in clips}
    if args.figure:
        gap = np.full((4, rows[0].shape[1], 3), 255, np.uint8)
        figure = np.concatenate([x for row in rows for x in (row, gap)][:-1])
        cv2.imwrite(str(args.figure), cv2.cvtColor(figure, cv2.COLOR_RGB2BGR))
    (args.out / "summary.json").write_text(
        json.dumps({"model": tracker.description, "clips": summary}, indent=1)
    )


if __name__ == "__main__":
    main()
