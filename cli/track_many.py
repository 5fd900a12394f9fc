"""`amodal-vos track-many`: track every video of a JSONL manifest with one model load; resumable, in N worker
processes, and under torchrun across GPUs or machines."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from amodal_vos.cli.track_options import weights_options

EPILOG = """\b
MANIFEST is JSONL, one video per line (relative paths are relative to the manifest's folder):
  {"video": "a.mp4", "box": [x, y, w, h]}                 one object, box on frame 0 (or "frame": N)
  {"video": "b.mp4", "boxes": [[x, y, w, h], [x, y, w, h]]}
  {"video": "c.mp4", "prompts": "c.json"}   /   {"video": "d.mp4", "detections": "d.txt"}
Optional "name": the output folder (default: the video's stem).

\b
Outputs: DIR/<name>/<name>.amodal.mp4 and .amodal.json (as `track -o`), DIR/<name>/done.json once finished,
and DIR/summary.json. A rerun skips finished videos and redoes the rest (a killed run continues).
A failing video does not stop the others; the exit code is 1 if any failed.

\b
Examples:
  amodal-vos track-many videos.jsonl --out results/
  amodal-vos track-many videos.jsonl --out results/ --workers 4
  torchrun --nproc_per_node 8 $(which amodal-vos) track-many videos.jsonl --out results/   # rank r: videos r::8
"""


@click.command("track-many", epilog=EPILOG)
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--out", "out", required=True, type=click.Path(path_type=Path, file_okay=False), help="Output folder."
)
@click.option(
    "--workers", default=1, show_default=True, help="Worker processes on this machine (each loads the model)."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@weights_options  # under torchrun, --device auto uses the LOCAL_RANK GPU
@click.option("--no-visible", is_flag=True, help="Skip the visible (modal) pass: amodal masks only.")
def track_many(manifest, out, workers, quiet, checkpoint, config, device, no_visible) -> None:  # fmt: skip
    """Track the objects of every video listed in MANIFEST into DIR (--out), loading the model once."""
    from amodal_vos.errors import UserError
    from amodal_vos.tracking.batch_run import ModelSpec, run_entries, shard
    from amodal_vos.tracking.batch_summary import (
        gather_rows,
        join_group,
        local_device,
        rank_and_world,
        table,
        write_summary,
    )
    from amodal_vos.tracking.manifest import read_manifest

    entries = read_manifest(manifest)
    if checkpoint is not None and not checkpoint.is_file():
        raise UserError(f"checkpoint not found: {checkpoint}")
    rank, world = rank_and_world()
    mine = shard(entries, rank, world)
    joined = join_group(world)
    spec = ModelSpec(str(checkpoint) if checkpoint else None, config, local_device(device), not no_visible)
    progress = None
    if not quiet and rank == 0:
        from amodal_vos.io.progress import progress_bar

        progress = progress_bar()
        task = progress.add_task("videos" if world == 1 else f"videos (rank 0 of {world})", total=len(mine))
        progress.start()

    def on_row(row) -> None:
        if progress is not None:
            progress.advance(task)
            if row.status == "failed":
                progress.console.print(f"failed: {row.name}: {row.reason}")

    try:
        rows = run_entries(mine, out, spec, workers, on_row)
    except KeyboardInterrupt:
        click.echo(
            "interrupted; run the same command again to continue (finished videos are skipped)", err=True
        )
        sys.exit(130)
    finally:
        if progress is not None:
            progress.stop()
    everything = gather_rows(rows, joined)
    if everything is None:
        # rank 0 reports, and its exit code covers every rank (a failing rank's exit would make torchrun stop rank
        # 0 before it wrote the summary)
        sys.exit(0)
    path = write_summary(out, everything, manifest, rank, world, whole=world == 1 or joined)
    click.echo(table(everything))
    click.echo(f"summary: {path}")
    sys.exit(1 if any(r.status == "failed" for r in everything) else 0)
