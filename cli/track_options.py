"""Options and helpers shared by `amodal-vos track` and `amodal-vos segment`: model choice, prompts, progress, summary."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

WEIGHTS_OPTIONS = [
    click.option(
        "--checkpoint",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Model weights: our .safetensors, or an official SAM-2 .pt (adapters untrained). "
        "Default: the shipped model (random weights and a warning while none is shipped).",
    ),
    click.option("--config", help="Model config name (small, sam2.1_hiera_t, ...) or YAML; must fit --checkpoint."),
    click.option(
        "--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
        help="auto = CUDA when available.",
    ),
]  # fmt: skip
MODEL_OPTIONS = WEIGHTS_OPTIONS + [
    click.option("--no-visible", is_flag=True, help="Skip the visible (modal) pass: amodal masks only (1.7x faster with one object)."),
    click.option("--force", is_flag=True, help="Overwrite existing outputs."),
]  # fmt: skip


def _with(options: list, command):
    for option in reversed(options):
        command = option(command)
    return command


def weights_options(command):
    """--checkpoint, --config, --device (the commands that load a model)."""
    return _with(WEIGHTS_OPTIONS, command)


def model_options(command):
    """The weights options, --no-visible and --force (track, segment)."""
    return _with(MODEL_OPTIONS, command)


def collect_prompts(boxes: tuple[str, ...], points: tuple[str, ...], frame: int) -> list:
    """--box prompts first, then --point prompts, each one object (ids 1, 2, ... in that order)."""
    from amodal_vos.tracking.prompts import parse_box, parse_points

    prompts = [parse_box(b, frame) for b in boxes] + [parse_points(p, frame) for p in points]
    if not prompts:
        raise click.UsageError("give at least one --box X,Y,W,H or --point X,Y")
    return prompts


def collect_track_prompts(
    boxes, points, negatives, frame: int, prompts_file, detections
) -> tuple[list, object]:
    """The prompts of `track`: --box / --point objects (ids 1, 2, ... in that order) or a --prompts file or
    --detections (their own ids), then --neg-point clicks joined to their object's prompt on that frame (a prompt
    of their own on another frame). Returns (prompts, Detections or None)."""
    from amodal_vos.errors import UserError
    from amodal_vos.tracking.detections import read_detections
    from amodal_vos.tracking.prompt_file import read_prompts
    from amodal_vos.tracking.prompts import merge_prompts, parse_box, parse_negative, parse_points

    given = [name for name, value in (("--prompts", prompts_file), ("--detections", detections)) if value]
    if len(given) > 1:
        raise UserError("give --prompts or --detections, not both")
    if given and (boxes or points):
        raise UserError(f"{given[0]} cannot be combined with --box or --point")
    found = None
    if prompts_file:
        prompts = read_prompts(prompts_file)
    elif detections:
        found = read_detections(detections)
        prompts = []  # the first detections, within the tracked frames (track.py)
    else:
        prompts = [parse_box(b, frame) for b in boxes] + [parse_points(p, frame) for p in points]
        prompts = [replace(p, obj_id=i) for i, p in enumerate(prompts, 1)]
        if not prompts:
            raise click.UsageError(
                "give at least one --box X,Y,W,H or --point X,Y (or --prompts / --detections)"
            )
    return merge_prompts(prompts + [parse_negative(n, frame) for n in negatives]), found


def load_tracker(checkpoint, config, device, no_visible):
    from amodal_vos.tracking import AmodalTracker
    from amodal_vos.tracking.loading import load_model

    model, description = load_model(checkpoint, config, None, device)
    return AmodalTracker(model, visible=not no_visible, description=description)


def default_output(source: Path, suffix: str) -> Path:
    """``clip.mp4`` -> ``clip.amodal.mp4`` in the current folder (a frame folder's name for folders)."""
    stem = source.name if source.is_dir() else source.stem
    return Path(f"{stem or 'output'}.amodal{suffix}")


POOR_FIT = 0.5  # a prompt-frame box IoU below this is pointed out in the summary


def summarize(result, seconds: float | None = None) -> None:
    """One line for the run and one per object: prompt, hidden share, frames where it was lost, and a warning where
    the mask on the prompt frame fits the prompt box poorly (the model may have segmented something else)."""
    import numpy as np

    n = len(result)
    speed = f" in {seconds:.1f} s ({n / seconds:.1f} fps)" if seconds else ""
    click.echo(f"tracked {len(result.prompts)} object(s) over {n} frame(s){speed}")
    for p in result.prompts:
        occlusion = result.occlusion_rates(p.obj_id)
        lost = sum(1 for f in result.frames if f[p.obj_id].box is None)
        hidden = (
            ""
            if np.isnan(occlusion).all()
            else f", hidden {np.nanmean(occlusion):.0%} on average (max {np.nanmax(occlusion):.0%})"
        )
        click.echo(f"  {p.describe()}{hidden}, empty mask on {lost} frame(s)")
        fit = result.prompt_fit(p.obj_id)
        if fit is not None and fit < POOR_FIT:
            click.echo(
                f"    warning: its mask on frame {p.frame} fits the box poorly (box IoU {fit:.2f}): check it"
            )


def rich_progress():
    """A rich progress bar on stderr with frames per second; returns (progress, on_frame callback)."""
    from amodal_vos.io.progress import RateColumn, progress_bar

    progress = progress_bar(RateColumn("fps"))
    task = progress.add_task("tracking", total=None)

    def on_frame(event) -> None:
        progress.update(
            task, total=event.total, completed=event.done, description=f"tracking ({event.phase})"
        )

    return progress, on_frame
