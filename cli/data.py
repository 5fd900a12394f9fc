"""`amodal-vos data`: write a synthetic FISHBOWL-format dataset, and print statistics of any supported dataset."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import click

from amodal_vos.errors import UserError
from amodal_vos.io.progress import progress_bar


def _pair(text: str, sep: str, what: str) -> tuple[int, int]:
    m = re.fullmatch(rf"\s*(\d+)\s*{sep}\s*(\d+)\s*", text)
    if not m:
        raise UserError(f"{what} must look like A{sep}B with whole numbers, got '{text}'")
    return int(m.group(1)), int(m.group(2))


@click.group("data")
def data() -> None:
    """Datasets: generate synthetic FISHBOWL-format data (fish or realistic), inspect any supported dataset."""


@data.command("synth-fishbowl")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--videos", type=int, default=100, show_default=True, help="Number of videos (scenes).")
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Same seed, same dataset (byte for byte)."
)
@click.option(
    "--size",
    default="480x320",
    show_default=True,
    help="Frame size WxH (even numbers; real FISHBOWL: 480x320).",
)
@click.option(
    "--frames", type=int, default=128, show_default=True, help="Frames per video (real FISHBOWL: 128)."
)
@click.option("--fish", default="2-4", show_default=True, help="Fish per video, MIN-MAX.")
@click.option(
    "--layout",
    type=click.Choice(["nested", "flat"]),
    default="nested",
    show_default=True,
    help="Amodal renders in <id>/object<NNN>/ (nested) or <id>_object<fish_id>/ (flat).",
)
@click.option("--workers", type=int, default=None, help="Processes (default: up to 2, one per core).")
@click.option("--force", is_flag=True, help="Replace OUT if an earlier synth-fishbowl run wrote it.")
def synth_fishbowl(
    out: Path,
    videos: int,
    seed: int,
    size: str,
    frames: int,
    fish: str,
    layout: str,
    workers: int | None,
    force: bool,
) -> None:
    """Write VIDEOS synthetic fish videos to OUT in the FISHBOWL raw layout (video.mp4, objects.json with visible
    masks, single-fish renders with the amodal masks, recording.json)."""
    from amodal_vos.data.fishbowl_writer import check_request, write_fishbowl
    from amodal_vos.data.synthetic import SynthConfig

    width, height = _pair(size, "x", "--size")
    fish_range = _pair(fish, "-", "--fish")
    if frames < 1 or width < 16 or height < 16:
        raise UserError("--frames must be >= 1 and --size at least 16x16")
    if fish_range[0] < 1 or fish_range[0] > fish_range[1]:
        raise UserError(f"--fish needs 1 <= MIN <= MAX, got {fish}")
    cfg = SynthConfig(width=width, height=height, num_frames=frames, num_fish=fish_range)
    workers = workers or max(1, min(2, os.cpu_count() or 1, videos))
    start = time.perf_counter()
    check_request(out, videos, cfg, layout, force)  # one-line errors before the progress bar appears
    with progress_bar() as bar:
        task = bar.add_task(f"writing {out}", total=videos)
        write_fishbowl(out, videos, seed, cfg, workers, layout, force, on_done=lambda _: bar.advance(task))
    click.echo(
        f"wrote {videos} videos ({width}x{height}, {frames} frames) to {out} in {time.perf_counter() - start:.1f} s"
    )


@data.command("synth-realistic")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--videos", type=int, default=100, show_default=True, help="Number of videos (scenes).")
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Same seed, same dataset (byte for byte)."
)
@click.option("--size", default="480x320", show_default=True, help="Frame size WxH (even numbers).")
@click.option("--frames", type=int, default=128, show_default=True, help="Frames per video.")
@click.option("--objects", default="2-5", show_default=True, help="Objects per video, MIN-MAX.")
@click.option(
    "--layout",
    type=click.Choice(["nested", "flat"]),
    default="nested",
    show_default=True,
    help="Amodal renders in <id>/object<NNN>/ (nested) or <id>_object<obj_id>/ (flat).",
)
@click.option("--workers", type=int, default=None, help="Processes (default: up to 2, one per core).")
@click.option("--force", is_flag=True, help="Replace OUT if an earlier synth-* run wrote it.")
def synth_realistic(
    out: Path,
    videos: int,
    seed: int,
    size: str,
    frames: int,
    objects: str,
    layout: str,
    workers: int | None,
    force: bool,
) -> None:
    """Write VIDEOS realistic videos (photo backgrounds, clip art, shapes and fish behind moving scenery;
    amodal_vos.data.realistic) to OUT in the FISHBOWL raw layout, as synth-fishbowl does. Needs the asset packages
    (`make assets`)."""
    from amodal_vos.data import assets
    from amodal_vos.data.fishbowl_writer import check_request, write_fishbowl
    from amodal_vos.data.realistic import RealisticConfig, generate_realistic_clip

    width, height = _pair(size, "x", "--size")
    count = _pair(objects, "-", "--objects")
    if frames < 1 or width < 16 or height < 16:
        raise UserError("--frames must be >= 1 and --size at least 16x16")
    if count[0] < 1 or count[0] > count[1]:
        raise UserError(f"--objects needs 1 <= MIN <= MAX, got {objects}")
    cfg = RealisticConfig(width=width, height=height, num_frames=frames, num_objects=count)
    workers = workers or max(1, min(2, os.cpu_count() or 1, videos))
    start = time.perf_counter()
    check_request(out, videos, cfg, layout, force)  # one-line errors before the progress bar appears
    assets.photo_paths()  # ... and the apt-get command when the asset packages are missing
    assets.clipart_library()  # built once per machine (about a minute), before the workers start
    with progress_bar() as bar:
        task = bar.add_task(f"writing {out}", total=videos)
        write_fishbowl(
            out,
            videos,
            seed,
            cfg,
            workers,
            layout,
            force,
            on_done=lambda _: bar.advance(task),
            generator=generate_realistic_clip,
        )
    click.echo(
        f"wrote {videos} videos ({width}x{height}, {frames} frames) to {out} in {time.perf_counter() - start:.1f} s"
    )


@data.command("stats")
@click.argument("root", type=click.Path(path_type=Path))
@click.option("--format", "fmt", default=None, help="Dataset format (default: detected from the layout).")
@click.option("--split", default=None, help="Split (train/val/test...) where the layout holds several.")
@click.option("--limit", type=int, default=None, help="Only the first N videos/images.")
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON.")
def stats(root: Path, fmt: str | None, split: str | None, limit: int | None, as_json: bool) -> None:
    """Counts (videos or images, objects, frames) and the occlusion-rate histogram of the dataset at ROOT."""
    from amodal_vos.data.registry import open_dataset
    from amodal_vos.data.stats import HIST_LABELS, dataset_stats

    ds = open_dataset(fmt, root, split)
    if limit is not None and limit < 1:
        raise UserError("--limit must be at least 1")
    n = len(ds) if limit is None else min(limit, len(ds))
    with progress_bar() as bar:
        task = bar.add_task(f"reading {ds.format_name}", total=n)
        result = dataset_stats(ds, limit, on_item=lambda _: bar.advance(task))
    summary = {"format": ds.format_name, "root": str(root), **result.summary()}
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    unit = "videos" if ds.is_video else "images"
    click.echo(
        f"{ds.format_name} at {root}: {result.items} {unit}, {result.objects} objects, {result.frames} frames"
    )
    click.echo(
        f"object-frames: {result.object_frames}; occluded: {result.occluded_object_frames} "
        f"({100 * result.occluded_share:.1f}%), fully occluded: {result.fully_occluded_object_frames}; "
        f"mean occluded fraction when occluded: {100 * result.mean_occluded_fraction:.1f}%; "
        f"objects ever occluded: {result.objects_ever_occluded}"
    )
    click.echo("occlusion rate histogram (share of amodal area hidden, over object-frames):")
    total = max(result.object_frames, 1)
    for label, count in zip(HIST_LABELS, result.histogram.tolist(), strict=True):
        click.echo(
            f"  {label:>7}  {count:>9}  {100 * count / total:5.1f}%  {'#' * int(round(40 * count / total))}"
        )
