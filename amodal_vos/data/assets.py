"""Real-looking assets for the realistic clip generator (amodal_vos.data.realistic): photographs and clip art with
alpha, from Debian packages.

Packages (Debian 12; install with ``make assets`` or the apt-get command in ``APT_COMMAND``):

- ``lomiri-wallpapers-16.04`` (15.8 MB download, 15.7 MB installed): 15 photographs (landscapes, plants, still
  life, 1,400-5,300 px wide JPEGs) in /usr/share/backgrounds, CC-BY / CC-BY-SA 4.0 (see its copyright file).
  Backgrounds and the textures of procedural shapes are cut from them.
- ``openclipart-png`` (131 MB download, 154 MB installed): 8,121 Open Clip Art Library PNGs, public domain (CC0),
  in /usr/share/openclipart/png. About a fifth of them pass the object filter (below) and become sprites.

Photos are decoded at a reduced size (longer side at most ``PHOTO_MAX_SIDE``) on first use and kept per process.
Clip art is filtered once per machine into a sprite cache (``clipart_library``): files in object-like categories
whose alpha (>= 128) is one solid piece (largest 8-connected component >= 95 % of it, holes <= 15 %, not a
rectangle, not a thin line, few semi-transparent pixels, not a single flat colour), cropped to that piece and
downscaled to at most ``SPRITE_MAX_SIDE`` px as premultiplied RGBA. The cache is two files in the cache folder
(``$AMODAL_VOS_CACHE``, else ``$XDG_CACHE_HOME/amodal-vos``, else ``~/.cache/amodal-vos``) named by a hash of the
file list and the filter version (84 MB for the package above); it takes about a minute to build (on first use on a
machine) and is memory-mapped by every process after.

Other folders: ``$AMODAL_VOS_PHOTO_DIR`` and ``$AMODAL_VOS_CLIPART_DIR`` (searched recursively for .jpg/.png)
replace the packages' files, e.g. on a system without apt. Without any photo or clip art, ``photo_paths`` and
``clipart_paths`` raise a UserError naming the apt-get command.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import threading
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np

from amodal_vos.errors import UserError

PHOTO_PACKAGES = ("lomiri-wallpapers-16.04",)
CLIPART_PACKAGES = ("openclipart-png",)
PACKAGES = PHOTO_PACKAGES + CLIPART_PACKAGES
APT_COMMAND = "sudo apt-get install --no-install-recommends " + " ".join(PACKAGES)
PHOTO_DIRS = ("/usr/share/backgrounds",)  # where the packages put their files (used when dpkg is missing)
CLIPART_DIRS = ("/usr/share/openclipart/png",)
PHOTO_EXTS = (".jpg", ".jpeg", ".png")
PHOTO_MAX_SIDE = 768
SPRITE_MAX_SIDE = 128
FILTER_VERSION = 1
# clip-art categories of things that are not objects (flags, map symbols, icons of one colour, borders, maps)
CLIPART_EXCLUDE = (
    "buttons/",
    "computer/icons/",
    "decorations/",
    "geography/",
    "logos/",
    "recreation/games/cards/",
    "signs_and_symbols/",
    "special/",
    "transportation/aiga-symbols/",
)
_MAX_SOURCE_PIXELS = 2_500_000  # bigger clip-art PNGs (a few are 100+ megapixels) are skipped


def _missing(what: str) -> UserError:
    return UserError(
        f"no {what} found for the realistic clip generator: install the asset packages with "
        f"`{APT_COMMAND}` (or `make assets`), or point $AMODAL_VOS_PHOTO_DIR / $AMODAL_VOS_CLIPART_DIR at folders "
        "of images"
    )


def _package_files(packages: tuple[str, ...]) -> list[Path] | None:
    """The files dpkg lists for ``packages`` (those installed), or None where dpkg is not there."""
    try:
        res = subprocess.run(
            ["dpkg-query", "-L", *packages], capture_output=True, text=True, check=False, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return [Path(line) for line in res.stdout.splitlines() if line.startswith("/")]


def _find(env: str, packages: tuple[str, ...], dirs: tuple[str, ...], exts: tuple[str, ...]) -> list[Path]:
    folder = os.environ.get(env)
    if folder:
        files = [p for p in Path(folder).rglob("*") if p.suffix.lower() in exts]
    else:
        listed = _package_files(packages)
        if listed is None:
            files = [p for d in dirs for p in Path(d).rglob("*") if p.suffix.lower() in exts]
        else:
            files = [p for p in listed if p.suffix.lower() in exts]
    return sorted(p for p in files if p.is_file())


@cache
def _photo_paths(env_value: str | None) -> tuple[Path, ...]:
    return tuple(_find("AMODAL_VOS_PHOTO_DIR", PHOTO_PACKAGES, PHOTO_DIRS, PHOTO_EXTS))


@cache
def _clipart_paths(env_value: str | None) -> tuple[Path, ...]:
    return tuple(_find("AMODAL_VOS_CLIPART_DIR", CLIPART_PACKAGES, CLIPART_DIRS, (".png",)))


def photo_paths() -> list[Path]:
    """The photographs (sorted paths); UserError when there are none."""
    paths = _photo_paths(os.environ.get("AMODAL_VOS_PHOTO_DIR"))
    if not paths:
        raise _missing("photographs")
    return list(paths)


def clipart_paths() -> list[Path]:
    """The clip-art PNGs (sorted paths, before filtering); UserError when there are none."""
    paths = _clipart_paths(os.environ.get("AMODAL_VOS_CLIPART_DIR"))
    if not paths:
        raise _missing("clip art")
    return list(paths)


def assets_available() -> bool:
    """Whether photos and clip art are both found (the realistic generator needs both)."""
    try:
        photo_paths()
        clipart_paths()
    except UserError:
        return False
    return True


_photo_cache: dict[Path, np.ndarray] = {}
_lock = threading.Lock()


def load_photo(path: Path | str) -> np.ndarray:
    """A photograph as RGB uint8 [h, w, 3] with its longer side at most PHOTO_MAX_SIDE; cached per process."""
    path = Path(path)
    img = _photo_cache.get(path)
    if img is not None:
        return img
    with open(path, "rb") as f:
        data = np.frombuffer(f.read(), np.uint8)
    header = cv2.imdecode(data, cv2.IMREAD_REDUCED_COLOR_8)  # cheap size probe
    if header is None:
        raise UserError(f"cannot read photo {path}")
    side = max(header.shape[:2]) * 8
    flag = cv2.IMREAD_COLOR
    for factor, reduced in ((4, cv2.IMREAD_REDUCED_COLOR_4), (2, cv2.IMREAD_REDUCED_COLOR_2)):
        if side / factor >= PHOTO_MAX_SIDE:
            flag = reduced
            break
    img = cv2.imdecode(data, flag)
    scale = PHOTO_MAX_SIDE / max(img.shape[:2])
    if scale < 1:
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    img = np.ascontiguousarray(img[..., ::-1])
    img.setflags(write=False)
    with _lock:
        _photo_cache[path] = img
    return img


def cache_dir() -> Path:
    """Where the clip-art sprite cache lives."""
    if os.environ.get("AMODAL_VOS_CACHE"):
        return Path(os.environ["AMODAL_VOS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "amodal-vos"


def _category(path: Path, root: Path | None) -> str:
    rel = path.relative_to(root).as_posix() if root and path.is_relative_to(root) else path.as_posix()
    return rel.split("/")[0] if "/" in rel else ""


def _common_root(paths: list[Path]) -> Path | None:
    try:
        return Path(os.path.commonpath([str(p.parent) for p in paths]))
    except ValueError:
        return None


def premultiply(rgba: np.ndarray) -> np.ndarray:
    """Straight RGBA uint8 -> premultiplied RGBA uint8 (colour scaled by alpha: no halos when warping)."""
    out = rgba.copy()
    a = rgba[..., 3:4].astype(np.uint16)
    out[..., :3] = ((rgba[..., :3].astype(np.uint16) * a + 127) // 255).astype(np.uint8)
    return out


def clipart_sprite(path: Path) -> tuple[np.ndarray | None, str]:
    """One clip-art file through the object filter: (premultiplied RGBA [h, w, 4] uint8 cropped to the object and
    downscaled to at most SPRITE_MAX_SIDE, "ok"), or (None, the reason it was rejected)."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PIL's decompression-bomb warning: big files are skipped here
        try:
            im = Image.open(path)
            w, h = im.size
            if w * h > _MAX_SOURCE_PIXELS:
                return None, "huge"
            if min(w, h) < 32:
                return None, "tiny"
            if im.mode not in ("RGBA", "LA", "PA", "P") or (im.mode == "P" and "transparency" not in im.info):
                return None, "no alpha"
            im = im.convert("RGBA")
            rgba = np.asarray(im)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            return None, "unreadable"
    scale = 2 * SPRITE_MAX_SIDE / max(w, h)  # analyse at up to twice the stored size
    if scale < 1:
        rgba = cv2.resize(premultiply(rgba), None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    else:
        rgba = premultiply(rgba)
    alpha = rgba[..., 3]
    fg = alpha >= 128
    n = int(fg.sum())
    if n < 400:
        return None, "small"
    soft = alpha > 16
    if ((alpha > 16) & (alpha < 240)).sum() > 0.2 * soft.sum():
        return None, "semi-transparent"
    count, labels, stats, _ = cv2.connectedComponentsWithStats(fg.astype(np.uint8), connectivity=8)
    k = 1 + int(stats[1:, cv2.CC_STAT_AREA].argmax())
    x, y, bw, bh, area = (int(v) for v in stats[k])
    if area < 0.95 * n:
        return None, "several pieces"
    if area > 0.93 * bw * bh:
        return None, "rectangle"
    if area < 0.3 * bw * bh or min(bw, bh) < 0.2 * max(bw, bh):
        return None, "thin"
    piece = (labels == k).astype(np.uint8)
    contours, _ = cv2.findContours(piece, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    filled = np.zeros_like(piece)
    cv2.drawContours(filled, contours, -1, 1, -1)
    if area < 0.85 * filled.sum():
        return None, "holes"
    colours = rgba[..., :3][piece > 0].astype(np.float32) / np.maximum(alpha[piece > 0, None], 1) * 255
    if colours.std(0).mean() < 8:
        return None, "flat colour"
    keep = cv2.dilate(piece, np.ones((5, 5), np.uint8)) > 0  # the piece and its soft edge, nothing else
    rgba = rgba * keep[..., None]
    pad = 2
    y0, x0 = max(y - pad, 0), max(x - pad, 0)
    rgba = rgba[y0 : y + bh + pad, x0 : x + bw + pad]
    scale = SPRITE_MAX_SIDE / max(rgba.shape[:2])
    if scale < 1:
        rgba = cv2.resize(rgba, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(rgba), "ok"


@dataclass
class ClipArtLibrary:
    """The filtered clip-art sprites: ``sprite(i)`` is premultiplied RGBA [h, w, 4] uint8 (a read-only view of a
    memory-mapped file), ``category[i]`` its top-level folder, ``names[i]`` its file name."""

    pixels: np.ndarray
    offsets: np.ndarray
    shapes: np.ndarray
    category: list[str]
    names: list[str]

    def __len__(self) -> int:
        return len(self.names)

    def sprite(self, i: int) -> np.ndarray:
        h, w = (int(v) for v in self.shapes[i])
        start = int(self.offsets[i])
        return self.pixels[start : start + h * w * 4].reshape(h, w, 4)

    @property
    def categories(self) -> list[str]:
        return sorted(self.members)

    @property
    def members(self) -> dict[str, list[int]]:
        """Sprite indices per category."""
        if not hasattr(self, "_members"):
            groups: dict[str, list[int]] = {}
            for i, c in enumerate(self.category):
                groups.setdefault(c, []).append(i)
            self._members = groups
        return self._members


def _library_key(paths: list[Path], root: Path | None) -> str:
    h = hashlib.sha1(f"v{FILTER_VERSION} {SPRITE_MAX_SIDE} {CLIPART_EXCLUDE}".encode())
    for p in paths:
        st = p.stat()
        h.update(f"{p.relative_to(root) if root else p}:{st.st_size}\n".encode())
    return h.hexdigest()[:12]


def build_clipart_cache(paths: list[Path], out_stem: Path, on_file=None) -> None:
    """Filter ``paths`` and write ``out_stem``.npy (pixels) and .json (index) atomically."""
    root = _common_root(paths)
    entries, chunks, offset = [], [], 0
    for p in paths:
        rel = p.relative_to(root).as_posix() if root else p.as_posix()
        if on_file is not None:
            on_file(p)
        if any(rel.startswith(prefix) for prefix in CLIPART_EXCLUDE):
            continue
        rgba, why = clipart_sprite(p)
        if rgba is None:
            continue
        entries.append(
            {"name": rel, "category": _category(p, root), "offset": offset, "shape": rgba.shape[:2]}
        )
        chunks.append(rgba.reshape(-1))
        offset += rgba.size
    if not entries:
        raise UserError(f"none of the {len(paths)} clip-art files passed the object filter")
    out_stem.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_stem.with_name(f"{out_stem.name}.{os.getpid()}.tmp")
    with open(f"{tmp}.npy", "wb") as f:
        np.save(f, np.concatenate(chunks))
    Path(f"{tmp}.json").write_text(json.dumps({"filter_version": FILTER_VERSION, "sprites": entries}))
    os.replace(f"{tmp}.npy", f"{out_stem}.npy")
    os.replace(f"{tmp}.json", f"{out_stem}.json")  # the index last: it marks a complete cache


_library: dict[tuple, ClipArtLibrary] = {}


def clipart_library() -> ClipArtLibrary:
    """The filtered clip-art sprites, built into the cache folder on first use on a machine (about a minute),
    memory-mapped after; kept per process (per asset folder and cache folder)."""
    where = (os.environ.get("AMODAL_VOS_CLIPART_DIR"), str(cache_dir()))
    lib = _library.get(where)
    if lib is not None:
        return lib
    with _lock:
        lib = _library.get(where)
        if lib is not None:
            return lib
        paths = clipart_paths()
        root = _common_root(paths)
        stem = cache_dir() / f"clipart-{_library_key(paths, root)}"
        if not Path(f"{stem}.json").is_file():
            try:
                build_clipart_cache(paths, stem)
            except OSError:  # cache folder not writable: the system's temporary folder
                stem = Path(tempfile.gettempdir()) / "amodal-vos-cache" / stem.name
                if not Path(f"{stem}.json").is_file():
                    build_clipart_cache(paths, stem)
        index = json.loads(Path(f"{stem}.json").read_text())["sprites"]
        pixels = np.load(f"{stem}.npy", mmap_mode="r")
        lib = ClipArtLibrary(
            pixels=pixels,
            offsets=np.array([e["offset"] for e in index], np.int64),
            shapes=np.array([e["shape"] for e in index], np.int64),
            category=[e["category"] for e in index],
            names=[e["name"] for e in index],
        )
        _library[where] = lib
    return lib
