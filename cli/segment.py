"""`amodal-vos segment`: amodal segmentation of one image from box or click prompts; PNG overlay + masks JSON."""

from __future__ import annotations

from pathlib import Path

import click

from amodal_vos.cli.track_options import (
    collect_prompts,
    default_output,
    load_tracker,
    model_options,
    summarize,
)


@click.command(
    epilog="\b\nExamples:\n  amodal-vos segment photo.jpg --box 40,30,80,60 --box 200,90,50,50\n"
    "  amodal-vos segment photo.jpg --point 120,80 -o photo.png\n\n"
    "Each --box or --point is one object (ids 1, 2, ...: all --box first, then all --point)."
)
@click.argument("image", type=click.Path(path_type=Path))
@click.option("--box", "boxes", multiple=True, metavar="X,Y,W,H", help="Box prompt of one object (repeat).")
@click.option(
    "--point", "points", multiple=True, metavar="X,Y[:X,Y...]", help="Click(s) on one object (repeat)."
)
@click.option(
    "--output", "-o", type=click.Path(path_type=Path), help="Overlay PNG [default: IMAGE.amodal.png here]."
)
@click.option(
    "--masks", type=click.Path(path_type=Path), help="Masks JSON [default: the --output path with .json]."
)
@model_options
def segment(image, boxes, points, output, masks, checkpoint, config, device, no_visible, force) -> None:
    """Predict the amodal masks (whole shapes, hidden parts included) of the prompted objects in IMAGE."""
    from amodal_vos.io.video import open_video
    from amodal_vos.tracking.outputs import Outputs
    from amodal_vos.tracking.prompts import check_prompts

    prompts = collect_prompts(boxes, points, 0)
    source = open_video(image)
    check_prompts(prompts, source.info, 0, 1)
    output = output or default_output(image, ".png")
    masks = masks or output.with_suffix(".json")
    Outputs(source.info, output, masks, None, force, num_frames=1)  # fail early, before loading the model
    tracker = load_tracker(checkpoint, config, device, no_visible)
    result = tracker.segment(source, prompts, output=output, masks=masks, force=force)
    summarize(result)
    click.echo("wrote " + ", ".join(str(p) for p in tracker.last_run.outputs.written.values()))
