"""The `amodal-vos` command group: every subcommand reports a UserError as one line and exits with code 2."""

from __future__ import annotations

import re
import sys

import click

from amodal_vos.errors import UserError

_TORCH_HINT = re.compile(r"(Weights only load failed)\b.*", re.IGNORECASE)


def one_line(message: object) -> str:
    """A UserError's text as one line: no line breaks or terminal colour codes, and without torch's advice to load
    a checkpoint with ``weights_only=False`` (that would run code from the file; we never do)."""
    text = " ".join(re.sub(r"\x1b\[[0-9;]*m", "", str(message)).split())
    return _TORCH_HINT.sub(r"\1: the file holds more than plain tensors and is not loaded", text)


class _Group(click.Group):
    """Click group that turns UserError (and Ctrl-C) into a one-line message instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UserError as err:
            click.echo(f"error: {one_line(err)}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="amodal-vos")
def cli() -> None:
    """amodal-vos: track objects through video and predict their amodal (whole-shape) masks."""


def _register() -> None:
    """Attach the subcommands; each lives in its own module under cli/."""
    from amodal_vos.cli import app, convert, data, demo, export, info, segment, track, track_many, train
    from amodal_vos.cli import eval as eval_cli
    from amodal_vos.cli import export_onnx as export_onnx_cli

    cli.add_command(info.info)
    cli.add_command(data.data)
    cli.add_command(track.track)
    cli.add_command(track_many.track_many)
    cli.add_command(segment.segment)
    cli.add_command(train.train)
    cli.add_command(eval_cli.eval_cmd)
    cli.add_command(demo.demo)
    cli.add_command(export.export)
    cli.add_command(export_onnx_cli.export_onnx)
    cli.add_command(convert.convert)
    cli.add_command(app.app)


_register()
