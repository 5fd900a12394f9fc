"""`amodal-vos info`: versions, shipped configs, and the record of a checkpoint (the shipped model by default)."""

from __future__ import annotations

from pathlib import Path

import click


def _record_lines(meta: dict) -> list[str]:
    """The lines of a checkpoint's record a user looks for: training, data, iterations, time, eval."""
    from amodal_vos.eval.report import COLUMNS, LABELS

    lines = []
    if "note" in meta:
        lines.append(f"  note: {meta['note']}")
    recipe = meta.get("recipe") or {}
    if recipe:
        ran = {d["stage"] for d in meta.get("data", [])}  # the stages this run trained (--stages)
        stages = ", ".join(
            f"{s['name']} {s['iters']} it" for s in recipe.get("stages", []) if s["name"] in ran
        )
        lines.append(f"  trained: recipe {recipe.get('name')!r}, seed {recipe.get('seed')}: {stages}")
    if str(meta.get("init", "none")) not in ("none", ""):
        lines.append(f"  started from: {meta['init']}")
    if "iterations" in meta:
        lines.append(
            f"  iterations: {meta['iterations']}, wall time {meta.get('wall_time_s', 0) / 60:.0f} min"
        )
    evaluation = meta.get("eval") or {}
    if evaluation:
        lines.append(f"  eval ({evaluation.get('protocol', '')}), percent:")
    for method, scores in evaluation.get("summary", {}).items():
        values = ", ".join(
            f"{label} {scores[key]:.1f}" for key, label in COLUMNS if scores.get(key) is not None
        )
        lines.append(f"    {LABELS.get(method, method)}: {values}")
    return lines


@click.command()
@click.argument("checkpoint", required=False, type=click.Path(path_type=Path, dir_okay=False))
def info(checkpoint) -> None:
    """Print versions, the shipped model configs and the record of CHECKPOINT [default: the shipped model]."""
    import torch

    from amodal_vos import __version__
    from amodal_vos.model.build import list_configs
    from amodal_vos.model.checkpoint import read_header
    from amodal_vos.tracking.loading import default_checkpoint

    click.echo(
        f"amodal-vos {__version__}, torch {torch.__version__}, cuda available: {torch.cuda.is_available()}"
    )
    click.echo("model configs: " + ", ".join(list_configs()))
    path = checkpoint or default_checkpoint()
    if path is None:
        click.echo(
            "default model: none shipped in this build (tracking without --checkpoint uses random weights)"
        )
        return
    config, meta = read_header(path)
    click.echo(f"{'checkpoint' if checkpoint else 'default model'}: {path} (config {config.get('name')!r}, "
               f"{config.model.get('image_size')} px)")  # fmt: skip
    for line in _record_lines(meta):
        click.echo(line)
