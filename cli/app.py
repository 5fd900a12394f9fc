"""`amodal-vos app`: the local web app (amodal_vos/app/) for interactive amodal tracking in the browser."""

from __future__ import annotations

from pathlib import Path

import click

from amodal_vos.cli.track_options import weights_options
from amodal_vos.errors import UserError


@click.command()
@click.argument("video", required=False, type=click.Path(path_type=Path))
@click.option("--port", type=int, default=7860, show_default=True, help="Port to serve the page on.")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: all interfaces)."
)
@weights_options
def app(video, port, host, checkpoint, config, device) -> None:
    """Serve a page to open VIDEO (or upload one; the demo clip when none), draw boxes and click on any frame,
    track with the frames shown as they come, correct, and download the overlay, masks JSON and exports.

    \b
    amodal-vos app                       # the demo clip, http://127.0.0.1:7860
    amodal-vos app clip.mp4 --port 8080
    """
    try:
        import gradio  # noqa: F401
    except ImportError:
        raise UserError("the app needs gradio: pip install 'amodal-vos[app]'") from None
    if video is not None:
        from amodal_vos.app.frames import FrameCache

        FrameCache.open(video)  # a bad path or file is reported here, not on every page load
    if not 0 < port < 65536:
        raise UserError(f"--port {port} is not a port number (1..65535)")
    from amodal_vos.app import launch
    from amodal_vos.tracking.loading import load_model
    from amodal_vos.tracking.predictor import AmodalPredictor

    model, description = load_model(checkpoint, config, None, device)
    click.echo(f"serving http://{host}:{port} (Ctrl-C stops)")
    launch(AmodalPredictor(model, description=description), video, host=host, port=port)
