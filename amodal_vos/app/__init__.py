"""The web app (``amodal-vos app``): open a video, prompt objects with boxes and clicks on any frame, track with the
frames shown as they are computed, correct, and download the overlay, masks JSON and standard exports.

Modules: ``frames`` (frames decoded on demand, a few cached), ``session`` (one browser session: the predictor's
state and the clicks), ``render`` (overlay layers and prompts), ``exports`` (the downloads), ``handlers`` (the
page's events as plain methods), ``layout`` (the Gradio page and ``launch``). Needs the ``app`` extra (gradio).
"""

from __future__ import annotations

__all__ = ["Handlers", "Session", "build", "launch"]


def __getattr__(name: str):
    """Import gradio only when the app is used (the rest of the package does not need it)."""
    if name in ("build", "launch"):
        from amodal_vos.app import layout

        return getattr(layout, name)
    if name == "Handlers":
        from amodal_vos.app.handlers import Handlers

        return Handlers
    if name == "Session":
        from amodal_vos.app.session import Session

        return Session
    raise AttributeError(name)
