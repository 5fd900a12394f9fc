"""`amodal-vos demo`: generate an aquarium clip, track two fish through occlusions, write the overlay and a summary."""

from __future__ import annotations

from pathlib import Path

import click

from amodal_vos.cli.track_options import load_tracker, rich_progress, weights_options


@click.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("demo_out"),
    show_default=True,
    help="Folder for the clip, overlay mp4, masks JSON and summary.json.",
)
@weights_options
@click.option("--seed", type=int, default=None, help="Generator seed of the clip [default: the demo's own].")
@click.option("--force", is_flag=True, help="Overwrite existing outputs in --out.")
def demo(out, checkpoint, config, device, seed, force) -> None:
    """Track two fish through occlusions in a generated clip and score the amodal masks against ground truth."""
    from rich.console import Console
    from rich.table import Table

    from amodal_vos.demo import DEMO_SEED, run_demo

    tracker = load_tracker(checkpoint, config, device, no_visible=False)
    progress, on_frame = rich_progress()
    with progress:
        rows, files = run_demo(out, tracker, DEMO_SEED if seed is None else seed, force, on_frame=on_frame)
    table = Table(
        title="demo: two fish tracked from one box each on frame 0 (IoU in %, against ground truth)"
    )
    for name in (
        "object",
        "hidden (pred / true, mean)",
        "occluded frames",
        "IoU",
        "IoU on occluded frames",
        "IoU of hidden part",
    ):
        table.add_column(name, justify="right")
    for r in rows:
        hidden = "-" if r["hidden_pred_mean"] is None else f"{r['hidden_pred_mean']:.0%}"
        table.add_row(
            str(r["object"]), f"{hidden} / {r['hidden_true_mean']:.0%}", str(r["occluded_frames"]),
            _num(r["iou_full"]), _num(r["iou_full_occluded_frames"]), _num(r["iou_hidden_part"]),
        )  # fmt: skip
    console = Console()
    console.print(table)
    for kind, path in files.items():
        console.print(f"{kind:8s} {path}")


def _num(value) -> str:
    return "-" if value is None else f"{value:.1f}"
