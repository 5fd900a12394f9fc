"""`amodal-vos export`: re-save a checkpoint for shipping: float16 weights, eval results added to its record."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command()
@click.argument("checkpoint", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("output", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--half/--float", default=True, show_default=True, help="Store float16 (half the size) or float32."
)
@click.option(
    "--eval",
    "eval_json",
    type=click.Path(path_type=Path, dir_okay=False),
    help="results.json of `amodal-vos eval` on this checkpoint: its summary goes into the record.",
)
@click.option("--note", help="A line for the record (e.g. how the model was made).")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT.")
def export(checkpoint, output, half, eval_json, note, force) -> None:
    """Copy CHECKPOINT to OUTPUT (our .safetensors format) for shipping or sharing. For ONNX graphs (onnxruntime
    and other runtimes) use `amodal-vos export-onnx`."""
    from amodal_vos.errors import UserError
    from amodal_vos.io.atomic import check_output
    from amodal_vos.model import load_checkpoint, save_checkpoint

    check_output(output, force)
    model, meta = load_checkpoint(checkpoint)
    if eval_json is not None:
        try:
            results = json.loads(Path(eval_json).read_text())
            meta["eval"] = {k: results[k] for k in ("data", "protocol", "summary")}  # not the per-object rows
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise UserError(f"cannot read eval results {eval_json}: {err}") from None
    if note:
        meta["note"] = note
    meta["exported_from"] = {"file": Path(checkpoint).name, "half": half}
    save_checkpoint(model, output, meta, half=half)
    size = Path(output).stat().st_size / 2**20
    click.echo(f"wrote {output} ({size:.1f} MiB, {'float16' if half else 'float32'})")
