"""`amodal-vos export-onnx CKPT DIR`: the per-frame graphs as ONNX files, a manifest, and a check in onnxruntime."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("export-onnx")
@click.argument("checkpoint", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("out_dir", metavar="DIR", type=click.Path(path_type=Path, file_okay=False))
@click.option("--config", help="Model config of an official SAM-2 .pt checkpoint (e.g. sam2.1_hiera_t).")
@click.option("--image-size", type=int, help="Input size for an official .pt checkpoint (multiple of 32).")
@click.option(
    "--check/--no-check", default=True, show_default=True, help="Compare onnxruntime with torch after export."
)
@click.option(
    "--tolerance",
    type=float,
    default=1e-3,
    show_default=True,
    help="Check passes when |onnxruntime - torch| <= TOLERANCE x max(1, largest |value|) for every output "
    "(exit 2 otherwise).",
)
@click.option(
    "--optimize/--no-optimize",
    default=True,
    show_default=True,
    help="Run onnxscript's graph optimizer (a third of the export time; onnxruntime also optimizes at load).",
)
@click.option("--force", is_flag=True, help="Overwrite an earlier export in DIR.")
def export_onnx(checkpoint, out_dir, config, image_size, check, tolerance, optimize, force) -> None:
    """Write CHECKPOINT's per-frame graphs to DIR as ONNX (see docs/onnx.md): image encoder (with and without
    adapters), prompt encoder + mask decoder (one mask, multimask), memory encoder and memory attention, plus
    DIR/manifest.json with the input/output names and shapes. Then run each graph in onnxruntime against torch
    on random inputs and print the max abs difference per graph."""
    from amodal_vos.errors import UserError
    from amodal_vos.export import check_graphs, require_onnx
    from amodal_vos.export import export_onnx as export_graphs
    from amodal_vos.export.check import passed, summary, worst
    from amodal_vos.export.exporter import write_manifest
    from amodal_vos.tracking.loading import load_model

    require_onnx()
    if (out_dir / "manifest.json").exists() and not force:
        raise UserError(f"{out_dir} already holds an ONNX export (pass --force to overwrite)")
    model, described = load_model(checkpoint, config, image_size=image_size, device="cpu", warn=False)
    manifest, _ = export_graphs(model, out_dir, described, log=click.echo, optimize=optimize)
    if not check:
        return
    results = check_graphs(model, out_dir)
    for line in summary(results):
        click.echo(line)
    manifest["check"] = {
        "max_abs_diff": {g: {k: d for k, (d, _) in diffs.items()} for g, diffs in results.items()},
        "max_abs_value": {g: {k: v for k, (_, v) in diffs.items()} for g, diffs in results.items()},
        "tolerance": tolerance,
    }
    write_manifest(out_dir, manifest)
    if not passed(results, tolerance):
        graph = max(results, key=lambda g: worst(results[g])[1])
        name, ratio = worst(results[graph])
        raise UserError(
            f"onnxruntime differs from torch in {graph}.{name} by {ratio:.1e} x max(1, |values|) > {tolerance:g}"
        )
    click.echo(f"check passed: every output within {tolerance:g} x max(1, its largest |value|)")
