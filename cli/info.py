"""`amodal-vos info`: versions and where the shipped configs live (a quick check that the install works)."""

from __future__ import annotations

import click


@click.command()
def info() -> None:
    """Print versions of amodal-vos, torch and sam2, and the shipped model configs."""
    import torch

    from amodal_vos import __version__
    from amodal_vos.model.build import list_configs

    click.echo(
        f"amodal-vos {__version__}, torch {torch.__version__}, cuda available: {torch.cuda.is_available()}"
    )
    click.echo("model configs: " + ", ".join(list_configs()))
