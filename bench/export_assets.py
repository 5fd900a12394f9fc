"""Write the realistic generator's assets as small files for a machine without apt (a lent GPU machine): the photos
at the size the generator decodes them (longer side PHOTO_MAX_SIDE, JPEG) and the clip-art sprites that pass the
object filter (straight-alpha PNGs under their category folders). There, point the generator at them:
``AMODAL_VOS_PHOTO_DIR=OUT/photos AMODAL_VOS_CLIPART_DIR=OUT/clipart`` (the filter runs again on the sprites and
keeps nearly all of them).
    python bench/export_assets.py OUT            # ~20 MB from the two Debian packages (make assets)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from amodal_vos.data import assets


def unpremultiply(rgba: np.ndarray) -> np.ndarray:
    """Premultiplied RGBA uint8 -> straight RGBA uint8 (colour divided by alpha where alpha > 0)."""
    a = rgba[..., 3:4].astype(np.float32)
    rgb = np.where(a > 0, rgba[..., :3].astype(np.float32) * 255.0 / np.maximum(a, 1.0), 0.0)
    return np.concatenate([np.clip(rgb + 0.5, 0, 255).astype(np.uint8), rgba[..., 3:4]], axis=-1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    args = ap.parse_args()
    photos = args.out / "photos"
    photos.mkdir(parents=True, exist_ok=True)
    for path in assets.photo_paths():
        rgb = assets.load_photo(path)
        cv2.imwrite(str(photos / f"{path.stem}.jpg"), rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
    lib = assets.clipart_library()
    for i, name in enumerate(lib.names):
        dest = args.out / "clipart" / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        rgba = unpremultiply(np.asarray(lib.sprite(i)))
        cv2.imwrite(str(dest), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
    print(f"{len(assets.photo_paths())} photos and {len(lib)} sprites under {args.out}")


if __name__ == "__main__":
    main()
