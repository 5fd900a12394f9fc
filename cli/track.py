"""`amodal-vos track`: track prompted objects through a video; write the overlay mp4, the masks JSON, optional PNGs."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from amodal_vos.cli.track_options import (
    collect_track_prompts,
    default_output,
    load_tracker,
    model_options,
    rich_progress,
    summarize,
)

EPILOG = """\b
Each --box or --point is one object; ids are 1, 2, ... in order (all --box first, then all --point).
A prompt sits on --frame (default 0) unless it ends in @FRAME. An object prompted on a later frame is
tracked forwards to the end and backwards to the first frame. Coordinates are frame pixels.

\b
--neg-point [ID=]X,Y[:X,Y...][@FRAME] adds negative clicks (not on the object) to object ID (default 1):
on a frame where the object has a prompt they join it, on another frame they correct it from there on.
--prompts FILE gives several prompts per object on several frames (schema in docs/predictor.md);
--detections FILE (MOT txt or COCO results JSON with track ids) makes each track one object, prompted
on its first detection and prompted again with its detection box where the two disagree (box IoU < 0.3
on 3 consecutive detections). These run through the interactive predictor (amodal_vos.tracking.predictor).

\b
Examples:
  amodal-vos track clip.mp4 --box 40,30,80,60
  amodal-vos track clip.mp4 --box 40,30,80,60 --box 200,90,50,50@25    # object 2 prompted on frame 25
  amodal-vos track clip.mp4 --point 120,80:130,95 --frame 10            # one object from two clicks
  amodal-vos track frames/ --box 40,30,80,60 --png-dir masks/ --no-visible
  amodal-vos track clip.mp4 --box 40,30,80,60 --neg-point 70,50                # box minus a region
  amodal-vos track clip.mp4 --prompts prompts.json                           # corrections on later frames
  amodal-vos track clip.mp4 --detections dets.txt                            # MOT-format tracks

\b
Outputs: the overlay (visible part solid, hidden part hatched, whole shape outlined, id and hidden share),
the masks JSON (per frame and object: amodal and visible masks as COCO RLE, box, occlusion, score; schema
in amodal_vos/io/masks_json.py) and with --png-dir DAVIS-palette PNGs (DIR/visible/, DIR/amodal/<id>/);
--format coco,ytvis,mot,davis also writes those formats beside the overlay (as `amodal-vos convert` does).
Ctrl-C (or SIGTERM, SIGHUP) stops cleanly: the outputs keep the frames done and the JSON says
"partial": true; a partial result never replaces an earlier one (with --force it goes beside it, as
OUT.partial.mp4 / OUT.partial.json). A truncated video is an error unless --allow-truncated.
"""


@click.command(epilog=EPILOG)
@click.argument("video", type=click.Path(path_type=Path))
@click.option(
    "--box", "boxes", multiple=True, metavar="X,Y,W,H[@FRAME]", help="Box prompt of one object (repeat)."
)
@click.option(
    "--point",
    "points",
    multiple=True,
    metavar="X,Y[:X,Y...][@FRAME]",
    help="Click(s) on one object (repeat).",
)
@click.option(
    "--neg-point",
    "negatives",
    multiple=True,
    metavar="[ID=]X,Y[:X,Y...][@FRAME]",
    help="Negative click(s): not on object ID (default 1) (repeat).",
)
@click.option(
    "--prompts",
    "prompts_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="JSON with several prompts per object (docs/predictor.md).",
)
@click.option(
    "--detections",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Boxes as prompts: MOT txt or COCO results JSON with track ids.",
)
@click.option("--frame", default=0, show_default=True, help="Frame of the prompts that name none.")
@click.option(
    "--format",
    "formats",
    default="",
    metavar="coco,ytvis,mot,davis",
    help="Also write these formats beside the overlay: OUT.coco/ (annotations.json + images/), OUT.ytvis.json, "
    "OUT.mot.txt, OUT.davis/.",
)
@click.option("--no-legend", is_flag=True, help="Leave the legend out of the overlay.")
@click.option(
    "--output", "-o", type=click.Path(path_type=Path), help="Overlay mp4 [default: VIDEO.amodal.mp4 here]."
)
@click.option(
    "--masks", type=click.Path(path_type=Path), help="Masks JSON [default: the --output path with .json]."
)
@click.option(
    "--png-dir", type=click.Path(path_type=Path), help="Also write palette PNG masks into this folder."
)
@click.option("--start", default=0, show_default=True, help="First frame to track.")
@click.option("--end", type=int, help="Stop before this frame [default: the end].")
@click.option("--max-frames", type=int, help="Track at most this many frames from --start.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option(
    "--allow-truncated",
    is_flag=True,
    help="A video that ends early (truncated file): track the frames that can be read, marked partial.",
)
@click.option(
    "--no-moved-masks",
    is_flag=True,
    help="Masks from the model alone: do not keep each object's last mask moved with its pixels where the new one "
    "disagrees, and do not drop the parts of a mask that lie on another object (about 3 ms less per object and "
    "frame; tracks hold less).",
)
@click.option(
    "--no-prompt-views",
    is_flag=True,
    help="Segment each box prompt's frame from one crop only (by default a wider and a mirrored crop are also "
    "tried and the mask that best fits the box is kept).",
)
@click.option(
    "--no-box-tracker",
    is_flag=True,
    help="Take each object's next box from its own last mask only (by default an appearance tracker, OpenCV's "
    "CSRT, follows each object from its prompt box and gives its box wherever it finds it: tracks hold better, "
    "at about 30 ms per object and frame on a core of its own: about 0.9x the frame rate without it at 640x480 "
    "with one object and with three).",
)
@click.option(
    "--no-exits",
    is_flag=True,
    help="Never report an object absent because it slid out through the frame's border (by default an object whose "
    "box touches an edge with less than a fifth of its widest extent is reported absent until it comes back there).",
)
@model_options
def track(
    video, boxes, points, negatives, prompts_file, detections, frame, formats, no_legend, output, masks, png_dir,
    start, end, max_frames, quiet, allow_truncated, no_moved_masks, no_prompt_views, no_box_tracker, no_exits,
    checkpoint, config, device, no_visible, force,
) -> None:  # fmt: skip
    """Track objects through VIDEO (a video file, a folder of JPEG/PNG frames, or an image) and predict their
    amodal masks: the whole shape of each object, including the parts hidden behind other things."""
    from amodal_vos.io.formats import export_targets
    from amodal_vos.io.video import open_video
    from amodal_vos.tracking import TrackingInterrupted
    from amodal_vos.tracking.interactive import needs_predictor
    from amodal_vos.tracking.outputs import Outputs
    from amodal_vos.tracking.prompts import check_prompts, merge_prompts
    from amodal_vos.tracking.tracker import frame_range

    prompts, found = collect_track_prompts(boxes, points, negatives, frame, prompts_file, detections)
    source = open_video(video)
    first, stop = frame_range(source.info.num_frames, start, end, max_frames)
    if found is not None:
        prompts = merge_prompts(found.first_prompts(first, stop) + prompts)
    interactive = needs_predictor(prompts, found)
    check_prompts(prompts, source.info, first, stop, multiple=interactive)
    output = output or default_output(video, ".mp4")
    masks = masks or output.with_suffix(".json")
    Outputs(source.info, output, masks, png_dir, force, num_frames=stop - first)  # fail early, before loading
    exports = export_targets(output, formats, force)
    tracker = load_tracker(checkpoint, config, device, no_visible)
    if no_moved_masks:
        tracker.shape = None
    if no_prompt_views:
        tracker.views = False
    if no_box_tracker:
        tracker.box_tracker = False
    if no_exits:
        tracker.exits = None
    if interactive:
        track_interactive(
            tracker,
            source,
            prompts,
            found,
            (first, stop),
            (output, masks, png_dir),
            force,
            quiet,
            not no_legend,
        )
        write_exports(masks, exports, force)
        return
    progress, on_frame = rich_progress() if not quiet else (None, None)
    tic = time.perf_counter()
    try:
        if progress is not None:
            progress.start()
        result = tracker.track(
            source, prompts, start=first, end=stop, output=output, masks=masks, png_dir=png_dir, force=force,
            on_frame=on_frame, allow_truncated=allow_truncated, legend=not no_legend,
        )  # fmt: skip
    except TrackingInterrupted as stop_:
        if progress is not None:
            progress.stop()
        written = ", ".join(str(p) for p in tracker.last_run.outputs.written.values()) or "none"
        click.echo(
            f"interrupted after {len(stop_.result)} of {stop - first} frames; partial outputs: {written}",
            err=True,
        )
        sys.exit(128 + (stop_.signum or 2))
    finally:
        if progress is not None:
            progress.stop()
    summarize(result, time.perf_counter() - tic)
    if result.truncated:
        click.echo(
            f"warning: {video} is truncated: tracked frames {first}..{first + len(result) - 1} of "
            f'{first}..{stop - 1} (the JSON says "partial": true, "truncated": true)',
            err=True,
        )
    click.echo("wrote " + ", ".join(str(p) for p in tracker.last_run.outputs.written.values()))
    write_exports(masks, exports, force)


def write_exports(masks: Path, exports: dict[str, Path], force: bool) -> None:
    """--format: convert the masks JSON just written into each requested format (amodal_vos.io.formats)."""
    from amodal_vos.io.formats import convert

    for name, path in exports.items():
        for line in convert(masks, name, path, force=force):
            click.echo(line)


def track_interactive(
    tracker, source, prompts, detections, frames, outputs, force, quiet, legend=True
) -> None:
    """`track` through the predictor: forwards (re-prompting from detections), then backwards, then the outputs
    from the stored masks (the video is read again for the overlay). Ctrl-C, SIGTERM or SIGHUP stop at the next
    frame boundary; the frames done from the first one on are written as a partial result, as in `track`."""
    from amodal_vos.tracking.interactive import propagate_both_ways
    from amodal_vos.tracking.interrupt import StopAtFrameBoundary
    from amodal_vos.tracking.predictor import AmodalPredictor
    from amodal_vos.tracking.run import FrameEvent

    predictor = AmodalPredictor.from_tracker(tracker)
    state = predictor.init_state(source, start=frames[0], end=frames[1], keep_memory=False)
    predictor.add_prompts(state, prompts)
    later = max(o.first_frame for o in state.objects.values()) - frames[0]
    total, done = frames[1] - frames[0] + later + 1, 0  # the backward sweep includes its first prompt frame
    progress, on_frame = rich_progress() if not quiet else (None, None)
    stop = StopAtFrameBoundary()

    def report(result, phase: str) -> None:
        nonlocal done
        done += 1
        if on_frame is not None:
            on_frame(FrameEvent(phase, result.frame_idx, done, total))
        stop.check()

    tic = time.perf_counter()
    interrupted = False
    try:
        if progress is not None:
            progress.start()
        with stop:
            fixes = propagate_both_ways(predictor, state, detections, on_frame=report)
        if detections is not None:
            click.echo(f"re-prompted from detections on {len(fixes)} object-frame(s)", err=True)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if progress is not None:
            progress.stop()
    result = predictor.result(state)
    if interrupted:
        _write_partial(result, outputs, force, frames, stop.signum, legend)
    written = result.save(*outputs, force=force, legend=legend)
    summarize(result, time.perf_counter() - tic)
    click.echo("wrote " + ", ".join(str(p) for p in written.values()))


def _write_partial(result, outputs, force, frames, signum, legend) -> None:
    """After an interruption: keep the frames from the first tracked one up to the first with no object, marked
    partial (beside, never over, earlier outputs), and exit 128 + the signal."""
    done = next((i for i, objects in enumerate(result.frames) if not objects), len(result.frames))
    del result.frames[done:]
    result.partial = True
    saved = result.save(*outputs, force=force, legend=legend) if done else {}
    written = ", ".join(str(p) for p in saved.values()) or "none"
    click.echo(
        f"interrupted after {done} of {frames[1] - frames[0]} frames; partial outputs: {written}", err=True
    )
    sys.exit(128 + (signum or 2))
