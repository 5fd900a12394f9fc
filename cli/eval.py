"""`amodal-vos eval DATASET --checkpoint CKPT`: the video amodal protocol of DESIGN.md with its baselines."""

from __future__ import annotations

import sys
from pathlib import Path

import click


def _size(value: str) -> tuple[int, int]:
    from amodal_vos.errors import UserError

    try:
        w, h = (int(v) for v in value.lower().split("x"))
    except ValueError:
        raise UserError(f"--size must be WIDTHxHEIGHT, e.g. 128x128, got {value!r}") from None
    if w <= 0 or h <= 0:
        raise UserError(f"--size must be positive, got {value!r}")
    return w, h


def _check_out(out_dir: Path, force: bool) -> None:
    """Refuse, before any work, to replace an earlier evaluation's files unless ``force``."""
    from amodal_vos.errors import UserError

    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out {out_dir} exists and is not a folder")
    for name in ("results.json", "objects.csv"):
        path = out_dir / name
        if path.exists() and not force:
            raise UserError(f"output {path} already exists (pass --force to overwrite)")


@click.command(name="eval")
@click.argument("dataset")
@click.option("--checkpoint", required=True, type=click.Path(), help="Our .safetensors checkpoint.")
@click.option("--data-root", type=click.Path(), help="Dataset folder (not for 'synthetic').")
@click.option("--split", help="Dataset split, e.g. test.")
@click.option("--seed", default=12345, show_default=True, help="synthetic: seed of the generated test set.")
@click.option("--num-clips", default=40, show_default=True, help="synthetic: number of clips.")
@click.option("--frames", default=8, show_default=True, help="synthetic: frames per clip.")
@click.option(
    "--size", "size", default="128x128", show_default=True, help="synthetic: WIDTHxHEIGHT of the frames."
)
@click.option(
    "--prompt", default="visible-box", show_default=True, help="visible-box, amodal-box or visible-mask."
)
@click.option(
    "--box-oracle", is_flag=True, help="Prompt every frame with the GT visible box (tracking oracle)."
)
@click.option(
    "--exclude-unoccluded", is_flag=True, help="Score only frames where the object is partly hidden."
)
@click.option("--occluded-objects-only", is_flag=True, help="Score only objects occluded on some frame.")
@click.option("--no-baselines", is_flag=True, help="Skip the modal and copied-mask baselines.")
@click.option(
    "--min-prompt-px",
    default=1,
    show_default=True,
    help="Prompt an object on its first frame with this many visible pixels.",
)
@click.option(
    "--min-prompt-frac", default=0.0, show_default=True, help="... and this share of its amodal area visible."
)
@click.option("--max-frames", type=click.IntRange(min=1), help="Use only the first N frames of each clip.")
@click.option("--max-clips", type=click.IntRange(min=1), help="Use only the first N clips of a dataset.")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Folder for results.json and objects.csv [default: next to the checkpoint].",
)
@click.option("--force", is_flag=True, help="Overwrite results.json / objects.csv of an earlier evaluation.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda.")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    help="CPU threads for torch (1 is much faster on a busy machine).",
)
def eval_cmd(dataset, checkpoint, data_root, split, seed, num_clips, frames, size, prompt, box_oracle, exclude_unoccluded,
             occluded_objects_only, no_baselines, min_prompt_px, min_prompt_frac, max_frames, max_clips, out, force,
             device, threads) -> None:  # fmt: skip
    """Evaluate CHECKPOINT on DATASET: 'synthetic' (generated from --seed) or a dataset format read from --data-root
    (fishbowl, fishbowl-savos, movid-a, ... or 'auto'). Default prompt: the GT visible box on each object's first
    visible frame, then no further input. Prints a table; writes per-object results as JSON and CSV."""
    from rich.console import Console

    from amodal_vos.errors import UserError
    from amodal_vos.eval.clips import dataset_clips, synthetic_clips
    from amodal_vos.eval.evaluate import EvalOptions, evaluate
    from amodal_vos.eval.predict import PROMPT_MODES, TrackerPredictor
    from amodal_vos.eval.report import results_table, tracks_table, write_results
    from amodal_vos.io.progress import progress_bar
    from amodal_vos.model.checkpoint import load_checkpoint
    from amodal_vos.train.distributed import pick_device

    if threads:
        import torch

        torch.set_num_threads(threads)
    if prompt not in PROMPT_MODES:
        raise UserError(f"--prompt must be one of {', '.join(PROMPT_MODES)}, got {prompt!r}")
    if out:
        _check_out(Path(out), force)
    if dataset == "synthetic":
        clips = synthetic_clips(seed, num_clips, frames, _size(size))
    elif dataset == "realistic":  # photo backgrounds, clip art and shapes (amodal_vos.data.realistic)
        from amodal_vos.eval.clips import realistic_clips

        clips = realistic_clips(seed, num_clips, frames, _size(size))
    else:
        if not data_root:
            raise UserError(f"dataset {dataset!r} needs --data-root DIR")
        clips = dataset_clips(dataset, data_root, split, max_clips)
    out_dir = Path(out) if out else Path(checkpoint).parent / f"eval-{clips.description['dataset']}"
    _check_out(out_dir, force)
    model, meta = load_checkpoint(checkpoint, device=pick_device(device))
    options = EvalOptions(
        prompt, box_oracle, exclude_unoccluded, occluded_objects_only, not no_baselines, max_frames
    )
    console = Console(stderr=True)
    with progress_bar(console=console, transient=True) as progress:
        task = progress.add_task("evaluating", total=len(clips))
        result = evaluate(TrackerPredictor(model), clips, options, on_clip=lambda n: progress.advance(task))
    if not result.rows:
        raise UserError("no object could be prompted: no clip has an object with a visible part")
    extra = {"checkpoint": str(checkpoint), "data": clips.description, "iterations": meta.get("iterations")}
    paths = write_results(result, out_dir, extra)
    table = results_table(result, title=f"{Path(checkpoint).name} on {clips.description['dataset']}")
    stdout = Console(width=None if sys.stdout.isatty() else 132)  # logs get the whole table on one line
    stdout.print(table)
    stdout.print(tracks_table(result))
    console.print(f"per-object results: {paths[0]}, {paths[1]}")
