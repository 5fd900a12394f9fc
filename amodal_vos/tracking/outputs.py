"""The files of one tracking run: overlay video (or image, for one frame), masks JSON and palette PNG folder.

Every path is checked before tracking starts (existing output without ``force``, unwritable folder, an output that
is the input); everything is written under temporary names unique to the run and ``finish`` renames them all at
the end, as one set (``commit_all``): a folder never holds the overlay of one run and the JSON of another, and if
a rename fails the earlier outputs are left in place. Leaving the ``with`` block without ``finish`` (an error)
removes the temporary files. After Ctrl-C the caller marks the result partial and calls ``finish``: the outputs
hold the frames done so far and the JSON says ``"partial": true``. A partial result never replaces an existing
output: when one exists (``force``) the partial files go beside it, as ``out.partial.mp4`` / ``out.partial.json``
(``out.partial-2.mp4``, ... when those names are taken), and ``written`` names them.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
from PIL import Image

from amodal_vos.errors import UserError
from amodal_vos.io import masks_json
from amodal_vos.io.annotators import Annotator, default_annotators, render
from amodal_vos.io.atomic import OutputTaken, check_output, commit_all, discard, temp_path
from amodal_vos.io.frame_masks import FrameMasks
from amodal_vos.io.palette import PaletteWriter
from amodal_vos.io.sink import BackgroundSink, VideoSink
from amodal_vos.io.video import IMAGE_SUFFIXES, VideoInfo


def _check_png_folder(folder: Path) -> None:
    """With --force an existing PNG folder is replaced; refuse if it holds anything we would not have written."""
    for path in folder.rglob("*"):
        if path.is_file() and (
            path.suffix.lower() != ".png" or path.relative_to(folder).parts[0] not in ("amodal", "visible")
        ):
            raise UserError(
                f"refusing to replace {folder}: it holds {path.relative_to(folder)}, not a mask PNG"
            )


def beside_names(paths: dict[str, Path]) -> dict[str, Path]:
    """Where a partial result goes when the outputs hold an earlier one: ``out.partial.mp4`` (and
    ``out.partial.json``, ...), else ``out.partial-2.*``, ...: the first tag under which no name exists."""
    n = 1
    while True:
        tag = "partial" if n == 1 else f"partial-{n}"
        names = {key: p.with_name(f"{p.stem}.{tag}{p.suffix}") for key, p in paths.items()}
        if not any(os.path.lexists(p) for p in names.values()):
            return names
        n += 1


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


class Outputs:
    """Writers for the requested outputs (any of them may be None); use as a context manager."""

    def __init__(
        self,
        info: VideoInfo,
        video: str | Path | None = None,
        masks: str | Path | None = None,
        png_dir: str | Path | None = None,
        force: bool = False,
        num_frames: int | None = None,
        annotators: list[Annotator] | None = None,
    ) -> None:
        # a fresh set per run by default: object colours are picked on this video's frames
        self.info, self.annotators = info, annotators if annotators is not None else default_annotators()
        self.video = check_output(video, force) if video is not None else None
        self.masks = check_output(masks, force) if masks is not None else None
        self.png_dir = check_output(png_dir, force, kind="folder") if png_dir is not None else None
        source = Path(info.path)
        for path in (self.video, self.masks, self.png_dir):
            if path is not None and (_same_path(path, source) or path.resolve() == source.resolve()):
                raise UserError(f"output {path} is the input {info.path}; choose another output name")
        if self.png_dir is not None and self.png_dir.exists():
            _check_png_folder(self.png_dir)
        paths = [p.resolve() for p in (self.video, self.masks, self.png_dir) if p is not None]
        if len(set(paths)) != len(paths):
            raise UserError("the overlay, masks and PNG outputs must be different paths")
        self.image_output = self.video is not None and self.video.suffix.lower() in IMAGE_SUFFIXES
        if self.image_output and (num_frames or 1) != 1:
            raise UserError(f"{self.video}: an image overlay needs a one-frame input; use .mp4 for video")
        self._sink: BackgroundSink | None = None
        self._overlay: np.ndarray | None = None
        self._palette: PaletteWriter | None = None
        self._finished = False
        self._temps: dict[str, Path] = {}  # key (video, masks, png_dir) -> temporary name of this run
        self.force = force
        self.written: dict[str, Path] = {}

    @property
    def needs_frames(self) -> bool:
        """Whether frames must be rendered or written (overlay or PNGs requested)."""
        return self.video is not None or self.png_dir is not None

    def __enter__(self) -> Outputs:
        if self.video is not None and not self.image_output:
            self._sink = BackgroundSink(VideoSink(self.video, self.info)).open()
            self._temps["video"] = self._sink.temp
        if self.png_dir is not None:
            temp = temp_path(self.png_dir)
            self._temps["png_dir"] = temp
            self._palette = PaletteWriter(temp)
        return self

    def write_frame(self, index: int, frame: np.ndarray, masks: FrameMasks) -> None:
        """Render and write one frame (video frame ``index``) with its objects' masks."""
        if self._sink is not None:  # rendered in the sink's thread, beside the encoder
            self._sink.write(functools.partial(render, frame, masks, self.annotators))
        elif self.video is not None:
            self._overlay = render(frame, masks, self.annotators)
        if self._palette is not None:
            self._palette.write(index, masks.ids, masks.amodal, masks.visible)

    def finish(self, result) -> dict[str, Path]:
        """Close the overlay, write the JSON of ``result`` (a TrackResult) and rename everything into place, as
        one set. A partial result goes beside existing outputs instead of replacing them (module docstring)."""
        if self._sink is not None:
            path = self._sink.close(keep=True, rename=False)
            self._sink = None
            if path is None:
                self._temps.pop("video", None)
        if self._overlay is not None:
            temp = self._temps["video"] = temp_path(self.video)
            try:
                Image.fromarray(self._overlay).save(temp)
            except (OSError, ValueError) as err:
                raise UserError(f"cannot write {self.video}: {err}") from None
        if self._palette is not None and not self._palette.folder.exists():
            self._temps.pop("png_dir", None)
        if self.masks is not None:
            temp = self._temps["masks"] = temp_path(self.masks)
            masks_json.write_to(temp, result.json_header(), result.json_frames(), self.masks)
        finals = {key: getattr(self, key) for key in self._temps}
        partial = bool(getattr(result, "partial", False))
        if partial and any(os.path.lexists(p) for p in finals.values()):
            finals = beside_names(finals)
        pairs = [(self._temps[key], finals[key]) for key in self._temps]
        try:
            commit_all(pairs, replace=self.force and not partial)
        except OutputTaken:
            if not partial:
                raise
            finals = beside_names(finals)  # appeared meanwhile: go beside them
            commit_all([(self._temps[key], finals[key]) for key in self._temps])
        self.written.update(finals)
        self._finished = True
        return self.written

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._finished:
            return
        if self._sink is not None:
            self._sink.close(keep=False)
        for temp in self._temps.values():
            discard(temp)
