"""`amodal-vos train RECIPE`: run a training recipe (all its stages) into a run folder; --resume continues it."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("recipe", required=False)
@click.option(
    "--data-root",
    type=click.Path(file_okay=False),
    help="Dataset folder for recipes on real data (${data_root}).",
)
@click.option(
    "--init", "init", help="Initial weights: an official SAM-2 .pt, one of our .safetensors, or 'none'."
)
@click.option(
    "--iters",
    type=click.IntRange(min=1),
    help="Total iterations, split over the stages in the recipe's proportions.",
)
@click.option("--out", type=click.Path(file_okay=False), help="Run folder [default: runs/RECIPE].")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last saved state.")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda.")
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    help="CPU threads for torch (1 is much faster on a busy machine).",
)
@click.option(
    "--stages", help="Run only these stages (comma-separated names), e.g. amodal with --init a base model."
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a recipe value, e.g. stages.2.iters=500.",
)
@click.option("--quiet", is_flag=True, help="No progress output.")
@click.option("--list", "list_only", is_flag=True, help="List the shipped recipes and exit.")
def train(
    recipe, data_root, init, iters, out, resume, device, threads, stages, overrides, quiet, list_only
) -> None:
    """Train (or fine-tune) a model with a RECIPE: a shipped name (see --list) or a YAML file.

    Writes RUN/state.pt (resume file), RUN/log.csv, RUN/stage-*.safetensors and RUN/model.safetensors.
    Under torchrun it trains data-parallel (gloo on CPU, nccl on CUDA); the recipe's batch is the global batch.
    """
    from amodal_vos.errors import UserError
    from amodal_vos.train.recipe import list_recipes, load_recipe
    from amodal_vos.train.trainer import Trainer

    if threads:
        import torch

        torch.set_num_threads(threads)
    if list_only:
        click.echo("\n".join(list_recipes()))
        return
    if not recipe:
        raise UserError("give a RECIPE (one of: " + ", ".join(list_recipes()) + ") or a YAML file")
    names = [n.strip() for n in stages.split(",") if n.strip()] if stages else None
    spec = load_recipe(recipe, data_root=data_root, iters=iters, overrides=list(overrides), stages=names)
    out_dir = Path(out) if out else Path("runs") / spec.name
    existed, log_existed = out_dir.exists(), (out_dir / "log.csv").exists()
    try:
        Trainer(spec, out_dir, init=init, resume=resume, device=device, quiet=quiet).run()
    except BaseException:
        _remove_failed_start(out_dir, existed, log_existed)
        raise


def _remove_failed_start(out_dir: Path, existed: bool, log_existed: bool) -> None:
    """A run that fails (or is stopped) before its first saved state leaves nothing behind: the log it began
    (only a header) goes, and the run folder too if this run created it and nothing else is in it."""
    import contextlib

    if (out_dir / "state.pt").exists() or not out_dir.is_dir():
        return
    if not log_existed:
        with contextlib.suppress(OSError):
            (out_dir / "log.csv").unlink(missing_ok=True)
    if not existed:
        with contextlib.suppress(OSError):
            out_dir.rmdir()  # only when empty
