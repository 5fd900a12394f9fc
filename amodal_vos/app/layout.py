"""The page (Gradio Blocks): the frame with its slider on the left, the controls on the right, the plot, the
downloads and a message line below; and ``launch``, which the ``amodal-vos app`` command calls.

Every event that runs the model shares one queue (``concurrency_id="model"``): clicks and Track of all sessions
take turns on the one model, while moving the slider or a toggle only decodes and draws a frame.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from a local tool

import gradio as gr  # noqa: E402

from amodal_vos.app.handlers import Handlers  # noqa: E402
from amodal_vos.app.render import LAYERS  # noqa: E402
from amodal_vos.app.session import MODES, SESSIONS_DIR  # noqa: E402
from amodal_vos.tracking.predictor import AmodalPredictor  # noqa: E402

HELP = (
    "**Box**: click two opposite corners of the object. **Positive / negative click**: a point on / off the "
    "object. A prompt on any frame adds the object with that id, or corrects it if it is tracked already; "
    "Track then (re)computes the frames from there. Overlay: visible part filled, hidden part hatched, whole "
    "shape outlined."
)
MODEL = {"concurrency_id": "model", "concurrency_limit": 1}


def build(handlers: Handlers, title: str = "amodal-vos: interactive amodal tracking") -> gr.Blocks:
    """The Blocks of the page, wired to ``handlers``."""
    with gr.Blocks(title=title) as page:
        session = gr.State(None)
        gr.Markdown(f"## {title}\n{HELP}")
        with gr.Row():
            with gr.Column(scale=3):
                image = gr.Image(
                    label="frame (click to prompt)", type="numpy", format="png", interactive=False,
                    elem_id="frame", buttons=[], height=380,
                )  # fmt: skip
                slider = gr.Slider(0, 1, value=0, step=1, label="frame", elem_id="slider")
                plot = gr.LinePlot(
                    x="frame", y="value", color="series", label="hidden share and presence per object",
                    y_lim=[0, 1], height=220, elem_id="plot",
                )  # fmt: skip
                with gr.Row():
                    downloads = gr.File(
                        label="downloads",
                        file_count="multiple",
                        interactive=False,
                        elem_id="downloads",
                        height=120,
                    )
                    export = gr.Button("overlay video + COCO / YouTube-VIS / MOT / DAVIS", elem_id="export")
            with gr.Column(scale=2):
                mode = gr.Radio(list(MODES), value=MODES[0], label="click mode", elem_id="mode")
                with gr.Row():
                    obj_id = gr.Number(value=1, precision=0, minimum=1, label="object id", elem_id="obj-id")
                    new_obj = gr.Button("new object", elem_id="new-object")
                with gr.Row():
                    remove = gr.Button("remove object", elem_id="remove-object")
                    reset = gr.Button("remove all", elem_id="reset")
                track = gr.Button("Track", variant="primary", elem_id="track")
                status = gr.Textbox(label="message", interactive=False, lines=2, elem_id="status")
                layers = gr.CheckboxGroup(list(LAYERS), value=list(LAYERS), label="layers", elem_id="layers")
                objects = gr.CheckboxGroup([], value=[], label="objects shown", elem_id="objects")
                upload = gr.File(
                    label="open a video", file_count="single", type="filepath", elem_id="upload", height=110
                )
        opened = [session, image, slider, objects, plot, downloads, status]
        page.load(lambda lay: handlers.load(None, lay), [layers], opened, **MODEL)
        upload.upload(handlers.load, [upload, layers], opened, **MODEL)
        view = [session, slider, layers, objects]
        slider.input(handlers.show, view, [image, status], trigger_mode="always_last")
        for toggle in (layers, objects):
            toggle.input(handlers.show, view, [image, status], trigger_mode="always_last")
        image.select(
            handlers.select, [session, slider, mode, obj_id, layers, objects], [session, image, objects, status],
            **MODEL,
        )  # fmt: skip

        def run_track(state, lay, shown, progress=gr.Progress()):  # noqa: B008 (gradio injects the progress)
            yield from handlers.track(state, lay, shown, progress)

        track.click(
            run_track, [session, layers, objects], [session, image, slider, plot, downloads, status], **MODEL
        )
        new_obj.click(handlers.new_object, [session], [obj_id])
        remove.click(
            handlers.remove, [session, obj_id, slider, layers, objects], [session, image, objects, plot, status],
            **MODEL,
        )  # fmt: skip
        reset.click(
            handlers.reset,
            [session, slider, layers],
            [session, image, objects, plot, downloads, status],
            **MODEL,
        )
        export.click(handlers.export, [session], [downloads, status], **MODEL)
    return page


def launch(
    predictor: AmodalPredictor,
    video: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 7860,
    block: bool = True,
) -> gr.Blocks:
    """Serve the page at http://HOST:PORT. ``video``: opened on every page load (default: the demo clip,
    generated once). ``block=False`` returns at once with the server running in a thread (tests)."""
    from amodal_vos.app.frames import demo_video

    handlers = Handlers(predictor, video if video is not None else demo_video())
    page = build(handlers)
    page.queue(default_concurrency_limit=4)
    SESSIONS_DIR.mkdir(parents=True, exist_ok=True)
    page.launch(
        server_name=host, server_port=port, prevent_thread_lock=not block, share=False, ssr_mode=False,
        allowed_paths=[str(SESSIONS_DIR)], quiet=not block, footer_links=[],
    )  # fmt: skip
    return page
