"""`amodal-vos convert`: a masks JSON to COCO, YouTube-VIS, MOT or DAVIS (amodal_vos/io/formats.py)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("masks_json", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("out", type=click.Path(path_type=Path))
@click.option(
    "--to",
    "to",
    required=True,
    metavar="coco|ytvis|mot|davis",
    help="coco: JSON (+ images/ next to it); ytvis: JSON; mot: txt; davis: folder of palette PNGs.",
)
@click.option("--visible", is_flag=True, help="ytvis: the visible (modal) masks instead of the amodal ones.")
@click.option(
    "--images/--no-images",
    default=None,
    help="coco: write the frames as JPEGs into images/ next to OUT (default: when the video is readable).",
)
@click.option("--force", is_flag=True, help="Overwrite OUT (and images/).")
def convert(masks_json, out, to, visible, images, force) -> None:
    """Convert MASKS_JSON (from `amodal-vos track`) to the format --to, written at OUT.

    \b
    amodal-vos convert clip.amodal.json --to coco coco/annotations.json   # + coco/images/00000.jpg ...
    amodal-vos convert clip.amodal.json --to ytvis --visible ytvis.json
    amodal-vos convert clip.amodal.json --to mot gt.txt
    amodal-vos convert clip.amodal.json --to davis davis/
    """
    from amodal_vos.io.formats import convert as run

    for line in run(masks_json, to, out, force=force, visible=visible, images=images):
        click.echo(line)
