"""The page's event handlers, as plain methods over a ``Session`` (unit-testable without a browser).

Every handler returns its outputs as a tuple whose last item is the message line; a bad input (not a video, a box
of zero size, Track with no object, ...) raises a UserError inside, which ``guard`` turns into that message plus a
``gr.Warning`` toast while the other outputs stay as they were. Anything unexpected is logged with its traceback on
the server and shown as one line: the page never shows a stack trace and the server keeps running.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import gradio as gr
import numpy as np
import pandas as pd

from amodal_vos.app.exports import write_exports, write_masks_json
from amodal_vos.app.render import compose
from amodal_vos.app.session import Session
from amodal_vos.errors import UserError
from amodal_vos.tracking.predictor import AmodalPredictor
from amodal_vos.tracking.state import FrameResult

log = logging.getLogger("amodal_vos.app")
YIELD_EVERY = 0.2  # seconds between frames sent to the page while tracking (the last one is always sent)


def _message(err: Exception) -> str:
    if isinstance(err, UserError):
        return " ".join(str(err).split())
    log.exception("unexpected error in the app")
    return (
        f"unexpected error ({type(err).__name__}: {' '.join(str(err).split())}); details in the server's log"
    )


def guard(outputs: int) -> Callable:
    """Wrap a handler (function or generator) with ``outputs`` outputs, the last one the message line: an error
    becomes that message and a warning toast, the other outputs are left unchanged."""

    def wrap(fn: Callable) -> Callable:
        def failed(err: Exception) -> tuple:
            text = _message(err)
            gr.Warning(text)
            return (*[gr.skip()] * (outputs - 1), text)

        if _is_generator(fn):

            @functools.wraps(fn)
            def gen(*args, **kwargs) -> Iterator[tuple]:
                try:
                    yield from fn(*args, **kwargs)
                except Exception as err:
                    yield failed(err)

            return gen

        @functools.wraps(fn)
        def call(*args, **kwargs) -> tuple:
            try:
                return fn(*args, **kwargs)
            except Exception as err:
                return failed(err)

        return call

    return wrap


def _is_generator(fn: Callable) -> bool:
    import inspect

    return inspect.isgeneratorfunction(fn)


def _no_progress(*args, **kwargs) -> None:
    return None


class Handlers:
    """The handlers of one app: the shared predictor, and the video opened when a page loads (CLI path or demo
    clip). Sessions live in the page's ``gr.State``."""

    def __init__(self, predictor: AmodalPredictor, default_video: str | Path | None = None) -> None:
        self.predictor, self.default_video = predictor, default_video

    # views ---------------------------------------------------------------------------------------------------
    def image(
        self,
        session: Session,
        t: int,
        layers: Sequence[str] | None,
        shown: Sequence[str] | None,
        result: FrameResult | None = None,
    ) -> np.ndarray:
        """Frame ``t`` as the page shows it: overlay of the ticked layers and objects, prompts on top."""
        t = session.check_frame(t)
        return compose(
            session.frames.frame(t), session.masks(t, result), session.annotators, layers,
            self.shown_ids(session, shown), session.prompts_on(t), session.pending_corner(t),
        )  # fmt: skip

    @staticmethod
    def shown_ids(session: Session, shown: Sequence[str] | None) -> list[int] | None:
        """Ids ticked in the object toggles, plus objects too new to have a toggle yet (None: all)."""
        if shown is None:
            return None
        ticked = {str(s) for s in shown}
        return [i for i in session.obj_ids if str(i) in ticked or i not in session.offered]

    @staticmethod
    def objects_update(session: Session, shown: Sequence[str] | None) -> dict:
        ids = Handlers.shown_ids(session, shown)
        session.offered = set(session.obj_ids)
        value = [str(i) for i in (session.obj_ids if ids is None else ids)]
        return gr.update(choices=[str(i) for i in session.obj_ids], value=value)

    @staticmethod
    def plot(session: Session) -> pd.DataFrame | None:
        """Rows (frame, value, series) for the line plot, None while nothing is tracked (Gradio 6's plot stays
        blank after it was given an empty table first)."""
        rows = session.series()
        if not rows:
            return None
        return pd.DataFrame(rows).astype({"frame": int, "value": float, "series": str})

    # events --------------------------------------------------------------------------------------------------
    @guard(outputs=7)
    def load(self, file: str | None, layers: Sequence[str] | None = None) -> tuple:
        """Open ``file`` (an upload) or, when None, the app's default video: (session, image, slider, object
        toggles, plot, downloads, message)."""
        path = file if file is not None else self.default_video
        if path is None:
            raise UserError("no video: upload one")
        session = Session.open(self.predictor, path)
        info = session.frames.info
        slider = gr.update(minimum=0, maximum=max(info.num_frames - 1, 1), value=0, step=1)
        text = f"opened {Path(path).name}: {info.num_frames} frames, {info.width}x{info.height}, {info.fps:g} fps"
        return (
            session, self.image(session, 0, layers, None), slider,
            gr.update(choices=[], value=[]), self.plot(session), [], text,
        )  # fmt: skip

    @guard(outputs=2)
    def show(self, session: Session | None, t: int, layers: Sequence[str], shown: Sequence[str]) -> tuple:
        """(image, message) of frame ``t``."""
        session = _need(session)
        return self.image(session, t, layers, shown), gr.skip()

    def select(self, session, t, mode, obj_id, layers, shown, evt: gr.SelectData) -> tuple:
        """A click on the image (Gradio gives its pixel coordinates in ``evt.index``)."""
        x, y = evt.index[:2]
        return self.click(session, t, mode, obj_id, layers, shown, float(x), float(y))

    @guard(outputs=4)
    def click(self, session, t, mode: str, obj_id, layers, shown, x: float, y: float) -> tuple:
        """A click at (x, y) frame pixels on frame ``t``: (session, image, object toggles, message)."""
        session = _need(session)
        result, text = session.click(self.predictor, t, x, y, mode, obj_id)
        objects = self.objects_update(session, shown)
        return session, self.image(session, t, layers, shown, result), objects, text

    @guard(outputs=6)
    def track(self, session, layers, shown, progress: Callable = _no_progress) -> Iterator[tuple]:
        """Track every object through the video, yielding (session, image, slider, plot, downloads, message)
        while frames are computed (at most every YIELD_EVERY seconds), then the plot and the masks JSON."""
        session = _need(session)
        session.sweeps()  # nothing to track: a message before anything starts
        began = last = time.perf_counter()
        done = 0
        for result, done, total in session.propagate(self.predictor):
            progress((done, total), desc="tracking", unit="frames")
            now = time.perf_counter()
            if now - last >= YIELD_EVERY or done == total:
                last = now
                image = self.image(session, result.frame_idx, layers, shown, result)
                text = f"tracking: frame {result.frame_idx} ({done}/{total})"
                yield session, image, gr.update(value=result.frame_idx), gr.skip(), gr.skip(), text
        seconds = time.perf_counter() - began
        masks = write_masks_json(self.predictor, session)
        text = f"tracked {len(session.obj_ids)} object(s) over {done} frames in {seconds:.1f} s ({done / seconds:.1f} fps)"
        yield session, gr.skip(), gr.skip(), self.plot(session), [str(masks)], text

    @guard(outputs=1)
    def new_object(self, session: Session | None) -> tuple:
        """The next free object id."""
        ids = [] if session is None else session.obj_ids
        return (max(ids, default=0) + 1,)

    @guard(outputs=5)
    def remove(self, session, obj_id, t, layers, shown) -> tuple:
        """Remove an object: (session, image, object toggles, plot, message)."""
        session = _need(session)
        text = session.remove(self.predictor, obj_id)
        objects = self.objects_update(session, shown)
        return session, self.image(session, t, layers, shown), objects, self.plot(session), text

    @guard(outputs=6)
    def reset(self, session, t, layers) -> tuple:
        """Forget every object: (session, image, object toggles, plot, downloads, message)."""
        session = _need(session)
        text = session.reset(self.predictor)
        image = self.image(session, t, layers, None)
        return session, image, gr.update(choices=[], value=[]), self.plot(session), [], text

    @guard(outputs=2)
    def export(self, session) -> tuple:
        """Write the overlay mp4 and the standard exports: (downloads, message)."""
        session = _need(session)
        files = write_exports(self.predictor, session)
        return [str(f) for f in files], f"wrote {len(files)} files: " + ", ".join(f.name for f in files)


def _need(session: Session | None) -> Session:
    if session is None:
        raise UserError("no video open: upload one first")
    return session
