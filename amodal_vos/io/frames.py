"""Image inputs as frame sources: a folder of JPEG/PNG frames (sorted naturally) and a single image (one frame)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from amodal_vos.errors import UserError
from amodal_vos.io.video import DEFAULT_FPS, FRAME_SUFFIXES, FrameSource, VideoInfo, natural_key


def _to_rgb8(image: Image.Image) -> np.ndarray:
    """RGB uint8 of any Pillow mode. 16-bit grey images (modes I;16*, and I as Pillow reads 16-bit PNGs) are
    scaled to 8 bit (65535 -> 255); ``convert("RGB")`` would clip them, every value above 255 turning white.
    (16-bit colour PNGs Pillow already reads as 8-bit RGB.)"""
    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        values = np.asarray(image, dtype=np.float64)
        if image.mode == "F":
            top = 1.0 if values.size and np.nanmax(values) <= 1.0 else 255.0
        elif image.mode.startswith("I;16") or image.format == "PNG" or values.max(initial=0) > 255:
            top = 65535.0
        else:
            top = 255.0
        gray = np.clip(np.nan_to_num(values) * (255.0 / top) + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=-1)
    return np.array(image.convert("RGB"))


def read_image(path: str | Path) -> np.ndarray:
    """An image file as RGB uint8 [H, W, 3] (16-bit images scaled to 8 bit); unreadable files are a UserError."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"image not found: {path}")
    try:
        with Image.open(path) as image:
            return _to_rgb8(image)
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise UserError(f"cannot read image {path}: {err}") from None


class ImageSource(FrameSource):
    """One image as a one-frame video."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._image = read_image(self.path)
        h, w = self._image.shape[:2]
        self.info = VideoInfo(str(self.path), w, h, DEFAULT_FPS, 1, kind="image")

    def frames(self, start: int = 0, end: int | None = None) -> Iterator[np.ndarray]:
        if start <= 0 < (1 if end is None else end):
            yield self._image


class FolderSource(FrameSource):
    """A folder of JPEG/PNG frames (natural sort order, e.g. 00000.jpg, 00001.jpg, ...) at DEFAULT_FPS."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.files = sorted(
            (p for p in self.path.iterdir() if p.suffix.lower() in FRAME_SUFFIXES and p.is_file()),
            key=lambda p: natural_key(p.name),
        )
        if not self.files:
            raise UserError(f"no JPEG or PNG frames in folder {self.path}")
        first = read_image(self.files[0])
        h, w = first.shape[:2]
        self.info = VideoInfo(str(self.path), w, h, DEFAULT_FPS, len(self.files), kind="frames")

    def frames(self, start: int = 0, end: int | None = None) -> Iterator[np.ndarray]:
        stop = len(self.files) if end is None else min(end, len(self.files))
        for path in self.files[max(0, start) : stop]:
            image = read_image(path)
            if image.shape[:2] != self.info.hw:
                raise UserError(
                    f"frame {path.name} is {image.shape[1]}x{image.shape[0]}, "
                    f"the folder's first frame is {self.info.width}x{self.info.height}"
                )
            yield image


class ArraySource(FrameSource):
    """Frames already in memory ([T, H, W, 3] or one image [H, W, 3], RGB uint8), e.g. a Clip's frames."""

    def __init__(self, frames: np.ndarray, rate=DEFAULT_FPS, name: str = "<array>") -> None:
        frames = np.asarray(frames)
        if frames.ndim == 3:
            frames = frames[None]
        if frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
            raise UserError(f"frames must be RGB [T, H, W, 3] or [H, W, 3], got shape {frames.shape}")
        if frames.dtype != np.uint8:
            raise UserError(f"frames must be uint8, got {frames.dtype}")
        self._frames = frames
        t, h, w = frames.shape[:3]
        self.info = VideoInfo(name, w, h, rate, t, kind="image" if t == 1 else "frames")

    def frames(self, start: int = 0, end: int | None = None) -> Iterator[np.ndarray]:
        yield from self._frames[max(0, start) : end]
