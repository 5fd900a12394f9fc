"""Realistic synthetic clips (sim-to-real, FlyingThings-style): clip art, procedural shapes and fish flying over a
real photograph seen through a moving camera, with foreground scenery and camera-like degradations.

A clip is the same ``Clip`` as amodal_vos.data.synthetic.generate_clip gives, and a pure function of its seed:

- background: a photograph (amodal_vos.data.assets) larger than the frame, filmed by a virtual camera that pans
  (smooth random velocity), zooms slowly, rolls a little and shakes; a procedural background in a few clips;
- objects (2-5 by default): clip art with alpha (CC0, openclipart), procedural shapes (amodal_vos.data.shapes)
  filled with a photo texture, a flat colour or a gradient, and sometimes our fish sprites; longer side from 4 %
  to 45 % of min(H, W) (half of them log-uniform, half uniform from 12 %); smooth motion with speed changes,
  slow rotation and scale change; some start outside the frame, and objects that leave turn back, so they enter,
  leave and re-enter; in some clips a look-alike distractor (a second object from the same art, or the same
  shape and fill);
- occlusion: the objects in a random depth order, and static scenery in front (poles, fence bars, a foreground
  photo patch, a tree-like blob) that moves with the camera with more parallax than the background;
- photometric: a global lighting and white-balance drift over the clip, Gaussian noise, motion blur along the
  motion in some clips (per object, or of the whole frame when the camera moves fast), and JPEG compression of
  the frames (quality 40-90) in part of the clips.

Amodal masks are the objects' whole shapes (sprite alpha >= 128 after warping), clipped at the frame border and
empty when out of frame; visible masks are what nearer objects and the scenery leave, so they never overlap.
Sprites are warped and composited premultiplied, so no colour halos appear at their edges. Objects with fewer
visible pixels over the clip than ``min_visible_pixels`` are dropped from the labels (as in the fish generator).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from amodal_vos.data import assets
from amodal_vos.data.fish import render_fish
from amodal_vos.data.sample import Clip, ObjectTrack
from amodal_vos.data.shapes import SHAPE_KINDS, fill_shape, photo_crop, random_colour, shape_alpha
from amodal_vos.data.synthetic import min_visible_pixels

OBJECT_SOURCES = ("clipart", "shape", "fish")
SCENERY_KINDS = ("pole", "fence", "patch", "tree")
SCENERY_WEIGHTS = (0.3, 0.25, 0.25, 0.2)
FISHBOWL_TYPE_IDS = {"clipart": 0, **{k: 1 + i for i, k in enumerate(SHAPE_KINDS)}, "fish": 10}


@dataclass(frozen=True)
class RealisticConfig:
    """Generator settings. Lengths in pixels are given for a 128-pixel frame and scale with min(H, W)."""

    width: int = 128
    height: int = 128
    num_frames: int = 8
    fps: float = 30.0
    num_objects: tuple[int, int] = (2, 5)  # inclusive range
    size: tuple[float, float] = (0.04, 0.45)  # object's longer side / min(H, W); see generate_realistic_clip
    source_weights: tuple[float, float, float] = (0.5, 0.35, 0.15)  # clip art, shape, fish
    speed: tuple[float, float] = (0.5, 4.5)  # px per frame
    max_turn: float = 0.12  # rad per frame of free motion; objects out of frame turn back 3 times as fast
    enter_prob: float = 0.2  # share of objects that start outside the frame, heading in
    lookalike_prob: float = 0.3  # share of clips with a look-alike distractor
    scenery_prob: float = 0.6  # share of clips with static scenery in front
    num_scenery: tuple[int, int] = (1, 2)
    photo_prob: float = 0.9  # share of clips on a photograph (the others: procedural background)
    camera_speed: tuple[float, float] = (0.0, 2.5)  # px per frame of the pan
    zoom: float = 0.25  # largest relative zoom change over a clip
    roll: float = 0.03  # largest camera roll over a clip, rad
    shake: float = 0.6  # px, standard deviation of the per-frame camera shake
    motion_blur_prob: float = 0.25
    jpeg_prob: float = 0.5
    jpeg_quality: tuple[int, int] = (40, 90)
    noise: tuple[float, float] = (0.0, 7.0)  # std of the Gaussian noise, grey levels
    lighting: float = 0.25  # largest relative brightness change over a clip
    min_visible_px: int | None = None  # None: scaled 100 px at 480x320, as the fish generator


def _scale(cfg: RealisticConfig) -> float:
    return min(cfg.width, cfg.height) / 128.0


def _rot(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s], [s, c]])


class _Camera:
    """Pan c_t, zoom z_t, roll r_t and shake k_t per frame. A layer with parallax p maps world point u (frame
    pixels at t = 0) to frame point x = L_t (u - p c_t - k_t - ctr) + ctr with L_t = z_t R(-r_t)."""

    def __init__(self, rng: np.random.Generator, cfg: RealisticConfig) -> None:
        t, s = cfg.num_frames, _scale(cfg)
        self.ctr = np.array([cfg.width / 2.0, cfg.height / 2.0])
        speed = rng.uniform(*cfg.camera_speed) * s
        ang = rng.uniform(0, 2 * np.pi)
        drift = speed * np.array([np.cos(ang), np.sin(ang)])
        vel = drift.copy()
        self.pan = np.zeros((t, 2))
        for k in range(1, t):
            vel = 0.85 * vel + 0.15 * drift + rng.normal(0, 0.25 * s, 2)
            self.pan[k] = self.pan[k - 1] + vel
        self.velocity = np.gradient(self.pan, axis=0) if t > 1 else np.zeros((t, 2))
        ramp = np.arange(t) / max(t - 1, 1)
        self.zoom = np.exp(rng.uniform(-cfg.zoom, cfg.zoom) * ramp)
        self.roll = rng.uniform(-cfg.roll, cfg.roll) * ramp
        self.shake = rng.normal(0, cfg.shake * s, (t, 2))
        self.shake[0] = 0

    def linear(self, k: int) -> np.ndarray:
        return self.zoom[k] * _rot(-self.roll[k])

    def to_frame(self, k: int, parallax: float) -> np.ndarray:
        """2x3 affine, world -> frame, of frame k for a layer with this parallax."""
        lin = self.linear(k)
        off = self.ctr - lin @ (parallax * self.pan[k] + self.shake[k] + self.ctr)
        return np.hstack([lin, off[:, None]])

    def to_world(self, k: int, parallax: float) -> np.ndarray:
        """2x3 affine, frame -> world."""
        return cv2.invertAffineTransform(self.to_frame(k, parallax))

    def footprint(self, w: int, h: int, parallax: float, pad: float) -> tuple[np.ndarray, np.ndarray]:
        """World bounding box (min xy, max xy) of every frame's view, padded."""
        corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64)
        pts = np.concatenate([corners @ self.to_world(k, parallax).T for k in range(len(self.zoom))])
        return pts.min(0) - pad, pts.max(0) + pad


# ----------------------------------------------------------------------------------------------- backgrounds


def _procedural_background(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A smooth two-colour gradient with soft noise and blurred blobs, RGB uint8 [h, w, 3]."""
    a, b = random_colour(rng) * 0.8, random_colour(rng) * 0.8
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = rng.uniform(0, 2 * np.pi)
    u = np.clip(0.5 + (np.cos(ang) * (xx / w - 0.5) + np.sin(ang) * (yy / h - 0.5)), 0, 1)[..., None]
    img = a * (1 - u) + b * u
    cells = int(rng.integers(3, 9))
    img += cv2.resize(rng.uniform(-35, 35, (cells, cells, 3)).astype(np.float32), (w, h), cv2.INTER_CUBIC)
    layer = np.zeros((h, w, 3), np.float32)
    for _ in range(int(rng.integers(3, 10))):
        c = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
        axes = (int(rng.uniform(0.05, 0.3) * w) + 1, int(rng.uniform(0.05, 0.3) * h) + 1)
        cv2.ellipse(
            layer, c, axes, rng.uniform(0, 180), 0, 360, tuple(float(v) for v in random_colour(rng) - 128), -1
        )
    img += cv2.GaussianBlur(layer, (0, 0), max(2.0, 0.02 * max(h, w))) * 0.5
    img += rng.normal(0, 3, (h, w, 1)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _background(rng, cfg: RealisticConfig, cam: _Camera, photos: list) -> tuple[np.ndarray, np.ndarray, str]:
    """The world raster behind everything: (image uint8 [h', w', 3], its world origin (x, y), name)."""
    lo, hi = cam.footprint(cfg.width, cfg.height, 1.0, 2.0)
    bw, bh = int(np.ceil(hi[0] - lo[0])), int(np.ceil(hi[1] - lo[1]))
    if rng.random() < cfg.photo_prob:
        index = int(rng.integers(len(photos)))
        photo = assets.load_photo(photos[index])
        ph, pw = photo.shape[:2]
        kmax = min(pw / bw, ph / bh)  # photo pixels per world pixel that still fit the whole footprint
        k = (
            float(np.exp(rng.uniform(np.log(min(0.8, kmax)), np.log(max(kmax, 1e-3)))))
            if kmax > 0.8
            else kmax
        )
        cw, ch = min(pw, int(np.ceil(bw * k))), min(ph, int(np.ceil(bh * k)))
        x0 = int(rng.integers(0, pw - cw + 1))
        y0 = int(rng.integers(0, ph - ch + 1))
        crop = photo[y0 : y0 + ch, x0 : x0 + cw]
        img = cv2.resize(crop, (bw, bh), interpolation=cv2.INTER_AREA if k > 1 else cv2.INTER_LINEAR)
        if rng.random() < 0.5:
            img = img[:, ::-1]
        gain = rng.uniform(0.85, 1.15, 3).astype(np.float32)  # colour variety between clips of one photo
        img = np.clip(img.astype(np.float32) * gain, 0, 255).astype(np.uint8)
        name = photos[index].name
    else:
        img, name = _procedural_background(rng, bh, bw), "procedural"
    return np.ascontiguousarray(img), lo, name


# -------------------------------------------------------------------------------------------------- scenery


def _cylinder(canvas: np.ndarray, rng, photo, p0, p1, width: float, colour: np.ndarray | None) -> None:
    """A straight bar from p0 to p1 of ``width`` px, shaded like a cylinder, drawn into the premultiplied float
    canvas [h, w, 4]."""
    h, w = canvas.shape[:2]
    p0, p1 = np.asarray(p0, np.float64), np.asarray(p1, np.float64)
    d = p1 - p0
    d /= max(np.hypot(*d), 1e-6)
    n = np.array([-d[1], d[0]])
    quad = np.array([p0 + n * width / 2, p1 + n * width / 2, p1 - n * width / 2, p0 - n * width / 2])
    x0, y0 = np.floor(quad.min(0)).astype(int) - 1
    x1, y1 = np.ceil(quad.max(0)).astype(int) + 2
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return
    alpha = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(alpha, [np.round((quad - (x0, y0)) * 8).astype(np.int32)], 255, cv2.LINE_AA, shift=3)
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    across = ((xx - p0[0]) * n[0] + (yy - p0[1]) * n[1]) / max(width / 2, 1)  # -1..1 over the bar
    light = rng.uniform(-0.6, 0.6)
    shade = np.clip(1.15 - 0.55 * (np.clip(across, -1, 1) - light) ** 2, 0.35, 1.3)
    if colour is None:
        rgb = photo_crop(rng, photo, y1 - y0, x1 - x0, rng.uniform(0.5, 1.5))
    else:
        rgb = np.broadcast_to(colour, (y1 - y0, x1 - x0, 3)) + rng.normal(0, 5, (y1 - y0, x1 - x0, 1))
    a = alpha.astype(np.float32)[..., None] / 255
    roi = canvas[y0:y1, x0:x1]
    rgb = np.clip(rgb * shade[..., None], 0, 255)
    roi[..., :3] = rgb * a + roi[..., :3] * (1 - a)
    roi[..., 3:] = 255 * a + roi[..., 3:] * (1 - a)


def _blob_layer(canvas: np.ndarray, alpha: np.ndarray, x0: int, y0: int, rgb: np.ndarray) -> None:
    """Paste ``rgb`` under soft ``alpha`` (uint8) at (x0, y0) into the premultiplied float canvas, clipped."""
    h, w = canvas.shape[:2]
    ah, aw = alpha.shape
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x0 + aw, w), min(y0 + ah, h)
    if cx1 <= cx0 or cy1 <= cy0:
        return
    a = alpha[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0].astype(np.float32)[..., None] / 255
    c = rgb[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0]
    roi = canvas[cy0:cy1, cx0:cx1]
    roi[..., :3] = c * a + roi[..., :3] * (1 - a)
    roi[..., 3:] = 255 * a + roi[..., 3:] * (1 - a)


def _scenery(rng, cfg: RealisticConfig, cam: _Camera, photos: list, count: int):
    """Static scenery in front: (premultiplied RGBA uint8 canvas in world coordinates, its world origin,
    parallax, kind names), or None when ``count`` is 0."""
    if count == 0:
        return None
    parallax = rng.uniform(1.0, 1.5)
    lo, hi = cam.footprint(cfg.width, cfg.height, parallax, 2.0)
    cw, ch = int(np.ceil(hi[0] - lo[0])), int(np.ceil(hi[1] - lo[1]))
    canvas = np.zeros((ch, cw, 4), np.float32)
    s = min(cfg.width, cfg.height)
    mid = cam.to_world(len(cam.zoom) // 2, parallax)
    view = np.array([[0, 0, 1], [cfg.width, cfg.height, 1]], np.float64) @ mid.T - lo  # middle frame's view
    (vx0, vy0), (vx1, vy1) = view.min(0), view.max(0)
    kinds = [str(k) for k in rng.choice(SCENERY_KINDS, size=count, p=SCENERY_WEIGHTS)]
    for kind in kinds:
        photo = assets.load_photo(photos[int(rng.integers(len(photos)))]) if photos else None
        metal = np.array([rng.uniform(60, 210)] * 3, np.float32) * rng.uniform(0.85, 1.15, 3).astype(
            np.float32
        )
        colour = None if (photo is not None and rng.random() < 0.5) else metal
        tilt = rng.normal(0, 0.08)
        if kind == "pole":
            x = rng.uniform(vx0 + 0.1 * (vx1 - vx0), vx1 - 0.1 * (vx1 - vx0))
            width = rng.uniform(0.04, 0.13) * s
            dx = np.tan(tilt) * ch
            _cylinder(canvas, rng, photo, (x - dx / 2, -5), (x + dx / 2, ch + 5), width, colour)
        elif kind == "fence":
            bars = int(rng.integers(3, 8))
            gap = rng.uniform(0.1, 0.22) * s
            width = rng.uniform(0.02, 0.05) * s
            start = rng.uniform(vx0 - 0.2 * s, vx1 - 0.5 * bars * gap)
            top = rng.uniform(vy0, vy0 + 0.5 * (vy1 - vy0)) if rng.random() < 0.5 else -5
            for b in range(bars):
                x = start + b * gap
                _cylinder(canvas, rng, photo, (x, top), (x + np.tan(tilt) * ch, ch + 5), width, colour)
            if rng.random() < 0.7:  # a rail across the bars
                y = rng.uniform(top if top > 0 else vy0, vy1)
                _cylinder(
                    canvas, rng, photo, (start - gap, y), (start + bars * gap, y + tilt * 10), width, colour
                )
        elif kind == "patch":
            size = int(rng.uniform(0.25, 0.5) * s)
            alpha = shape_alpha("blob", rng, size, rng.uniform(0.6, 1.6))
            ah, aw = alpha.shape
            side = int(rng.integers(4))  # the patch sits on an edge of the view, like a bush or rock up close
            if side == 0:
                x0, y0 = rng.uniform(vx0, vx1) - aw / 2, vy1 - ah * rng.uniform(0.4, 0.8)
            elif side == 1:
                x0, y0 = vx0 - aw * rng.uniform(0.2, 0.5), rng.uniform(vy0, vy1) - ah / 2
            elif side == 2:
                x0, y0 = vx1 - aw * rng.uniform(0.5, 0.8), rng.uniform(vy0, vy1) - ah / 2
            else:
                x0, y0 = rng.uniform(vx0, vx1) - aw / 2, vy0 - ah * rng.uniform(0.2, 0.5)
            if photo is not None:
                for _ in range(4):  # a crop with some texture (not a patch of clear sky)
                    rgb = photo_crop(rng, photo, ah, aw, rng.uniform(1.0, 3.0))
                    if rgb.std() > 20:
                        break
                rgb = rgb * rng.uniform(0.35, 0.9)  # in shade, up close
            else:
                rgb = np.broadcast_to(metal, (ah, aw, 3)).astype(np.float32)
            _blob_layer(canvas, alpha, int(x0), int(y0), rgb)
        else:  # tree: a trunk from the bottom and a canopy of overlapping discs
            x = rng.uniform(vx0 + 0.1 * (vx1 - vx0), vx1 - 0.1 * (vx1 - vx0))
            crown_y = rng.uniform(vy0 + 0.1 * (vy1 - vy0), vy0 + 0.5 * (vy1 - vy0))
            width = rng.uniform(0.04, 0.09) * s
            bark = np.array([rng.uniform(60, 110), rng.uniform(40, 75), rng.uniform(20, 45)], np.float32)
            _cylinder(canvas, rng, photo, (x, crown_y), (x + np.tan(tilt) * ch, ch + 5), width, bark)
            r = rng.uniform(0.07, 0.15) * s
            n = int(np.ceil(3 * r + 4))
            alpha = np.zeros((2 * n, 2 * n), np.uint8)
            for _ in range(int(rng.integers(4, 8))):
                c = np.array([n, n]) + np.clip(rng.normal(0, 0.45 * r, 2), -1.5 * r, 1.5 * r)
                rad = int(r * rng.uniform(0.6, 1.0) * 8)
                cv2.circle(alpha, tuple(int(v) for v in c * 8), rad, 255, -1, cv2.LINE_AA, 3)
            green = np.array([rng.uniform(20, 80), rng.uniform(80, 160), rng.uniform(20, 70)], np.float32)
            # leaves: blotchy noise, plus the detail (high-pass) of a photo crop
            leaves = cv2.GaussianBlur(rng.normal(0, 1, (2 * n, 2 * n)).astype(np.float32), (0, 0), 1.2)
            rgb = green * (1 + 0.9 * leaves[..., None])
            if photo is not None:
                tex = photo_crop(rng, photo, 2 * n, 2 * n, rng.uniform(1, 3)).mean(2)
                rgb = rgb + 1.5 * (tex - cv2.GaussianBlur(tex, (0, 0), 3.0))[..., None]
            shade = np.linspace(1.15, 0.75, 2 * n, dtype=np.float32)[:, None, None]  # lit from above
            rgb = rgb * shade
            _blob_layer(canvas, alpha, int(x - n), int(crown_y - n), np.clip(rgb, 0, 255))
    return np.clip(canvas + 0.5, 0, 255).astype(np.uint8), lo, parallax, kinds


# -------------------------------------------------------------------------------------------------- objects


@dataclass
class _Object:
    source: str  # clipart, shape or fish
    name: str  # art file, shape kind or fish kind
    sprites: list  # premultiplied RGBA uint8 [h, w, 4], one (or one per tail phase for fish)
    parallax: float
    lookalike_of: int | None = None
    pos: np.ndarray | None = None  # world position per frame [T, 2]
    angle: np.ndarray | None = None  # [T]
    scale: np.ndarray | None = None  # [T]
    mirror: float = 1.0
    flip: np.ndarray | None = None  # fish: mirrored vertically when heading left [T]
    blur: bool = False
    wag: float = 0.0  # fish: phase of the tail beat

    @property
    def extent(self) -> float:
        return float(max(self.sprites[0].shape[:2]))


def _resize_sprite(sprite: np.ndarray, longer: float) -> np.ndarray:
    h, w = sprite.shape[:2]
    f = max(longer, 3.0) / max(h, w)
    size = (max(2, int(round(w * f))), max(2, int(round(h * f))))
    return cv2.resize(np.asarray(sprite), size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)


def _make_object(rng, cfg: RealisticConfig, source: str, longer: float, photos: list, lib) -> _Object:
    parallax = rng.uniform(0.5, 1.2)
    if source == "clipart":
        cats = lib.categories
        cat = cats[int(rng.integers(len(cats)))]
        members = lib.members[cat]
        index = members[int(rng.integers(len(members)))]
        return _Object("clipart", lib.names[index], [_resize_sprite(lib.sprite(index), longer)], parallax)
    if source == "shape":
        kind = SHAPE_KINDS[int(rng.integers(len(SHAPE_KINDS)))]
        aspect = float(np.exp(rng.uniform(-0.5, 0.5)))
        alpha = shape_alpha(kind, rng, longer, aspect)
        fill = str(rng.choice(["texture", "flat", "gradient"], p=[0.5, 0.25, 0.25]))
        photo = assets.load_photo(photos[int(rng.integers(len(photos)))]) if photos else None
        return _Object("shape", kind, [fill_shape(rng, alpha, photo, fill)], parallax)
    fish = render_fish(rng, max(2.0, longer / 2.5) * 2)  # twice the size, then halved: soft edges
    sprites = [_resize_sprite(assets.premultiply(p), max(p.shape[:2]) / 2) for p in fish.rgba]
    return _Object("fish", fish.type_name, sprites, parallax, wag=rng.uniform(0, 2 * np.pi))


def _simulate(rng, cfg: RealisticConfig, cam: _Camera, objs: list[_Object]) -> None:
    """World paths: smooth random heading, speed changes, a share of the camera's pan (objects follow the view
    in part, as a camera operator follows the action), and a turn back towards the view, fast enough to catch up
    with it, once an object is out of frame by more than its half size plus a random distance (so it leaves and
    comes back)."""
    t, s = cfg.num_frames, _scale(cfg)
    w, h = cfg.width, cfg.height
    centre = np.array([rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h])  # objects start around it
    for o in objs:
        half = 0.5 * o.extent
        speed = rng.uniform(*cfg.speed) * s
        if rng.random() < cfg.enter_prob:  # start out of frame by up to 3 steps, heading in
            side = int(rng.integers(4))
            along = rng.uniform(0.15, 0.85)
            out = half + 1 + rng.uniform(0, 3) * speed
            x = [(along * w, -out), (along * w, h + out), (-out, along * h), (w + out, along * h)][side]
            heading = [np.pi / 2, -np.pi / 2, 0.0, np.pi][side] + rng.normal(0, 0.4)
        else:
            x = np.clip(
                centre + rng.normal(0, 0.2 * min(w, h), 2), (0.02 * w, 0.02 * h), (0.98 * w, 0.98 * h)
            )
            heading = rng.uniform(0, 2 * np.pi)
        u = cam.to_world(0, o.parallax) @ np.array([x[0], x[1], 1.0])
        amp, freq, phase = rng.uniform(0, 0.9), rng.uniform(0.05, 0.35), rng.uniform(0, 2 * np.pi)
        margin = half + rng.uniform(0, 0.15) * min(w, h)
        follow = rng.uniform(0.3, 1.0) * o.parallax
        omega = 0.0
        o.pos = np.empty((t, 2))
        headings = np.empty(t)
        for k in range(t):
            o.pos[k] = u
            headings[k] = heading
            xk = cam.to_frame(k, o.parallax) @ np.array([u[0], u[1], 1.0])
            outside = xk[0] < -margin or xk[0] > w + margin or xk[1] < -margin or xk[1] > h + margin
            steer = 0.0
            if outside:
                home = cam.to_world(k, o.parallax) @ np.array([w / 2, h / 2, 1.0])
                want = np.arctan2(home[1] - u[1], home[0] - u[0])
                diff = (want - heading + np.pi) % (2 * np.pi) - np.pi
                steer = float(np.clip(diff, -3 * cfg.max_turn, 3 * cfg.max_turn))
            omega = 0.8 * omega + rng.normal(0, 0.35 * cfg.max_turn)
            heading += float(np.clip(omega, -cfg.max_turn, cfg.max_turn)) + steer
            v = speed * max(0.05, 1 + amp * np.sin(freq * k + phase))
            if outside:  # fast enough to come back whatever the camera does
                v = max(v, 1.5 * o.parallax * float(np.hypot(*cam.velocity[k])) + s)
            pan = cam.pan[k + 1] - cam.pan[k] if k + 1 < t else 0.0
            u = u + v * np.array([np.cos(heading), np.sin(heading)]) + follow * pan
        growth = rng.uniform(-0.3, 0.3) * np.arange(t) / max(t - 1, 1)
        o.scale = np.exp(growth)
        if o.source == "fish":  # a fish faces where it swims, back up
            o.angle = headings
            o.flip = np.where(np.cos(o.angle) < 0, -1.0, 1.0)
        else:
            start = rng.normal(0, 0.25) if o.source == "clipart" else rng.uniform(0, 2 * np.pi)
            spin = rng.normal(0, 0.012 if o.source == "clipart" else 0.03)
            o.angle = start + spin * np.arange(t)
            o.mirror = -1.0 if rng.random() < 0.5 else 1.0


def _line_kernel(d: np.ndarray) -> np.ndarray | None:
    """A normalised line kernel along displacement ``d`` (px), or None when it is under 1.5 px long."""
    length = float(np.hypot(*d))
    if length < 1.5:
        return None
    n = int(np.ceil(length)) | 1
    k = np.zeros((n, n), np.float32)
    c = n // 2
    half = np.asarray(d, np.float64) / 2
    p0 = (int(round(c - half[0])), int(round(c - half[1])))
    p1 = (int(round(c + half[0])), int(round(c + half[1])))
    cv2.line(k, p0, p1, 1.0, 1, cv2.LINE_AA)
    return k / k.sum()


def _place(o: _Object, k: int, cam: _Camera, w: int, h: int):
    """Warp object ``o`` into frame k: (y0, x0, premultiplied RGBA float32 [h', w', 4]) on its clipped bounding
    box (grown by the blur length when blurred), or None when it is out of frame."""
    phase = int((np.sin(0.9 * k + o.wag) + 1) / 2 * (len(o.sprites) - 1e-6)) if len(o.sprites) > 1 else 0
    sprite = o.sprites[phase]
    sh, sw = sprite.shape[:2]
    centre = np.array([sw / 2.0, sh / 2.0])
    flip = o.flip[k] if o.flip is not None else 1.0
    local = o.scale[k] * _rot(o.angle[k]) @ np.diag([o.mirror, flip])
    cam_m = cam.to_frame(k, o.parallax)
    lin = cam_m[:, :2] @ local
    pos = cam_m[:, :2] @ o.pos[k] + cam_m[:, 2]
    m = np.hstack([lin, (pos - lin @ centre)[:, None]])
    corners = np.array([[0, 0], [sw, 0], [0, sh], [sw, sh]], np.float64) @ lin.T + m[:, 2]
    kernel = None
    if o.blur and len(o.pos) > 1:
        nxt = o.pos[min(k + 1, len(o.pos) - 1)] - o.pos[max(k - 1, 0)]
        kernel = _line_kernel(cam_m[:, :2] @ nxt * 0.5 - cam.velocity[k] * o.parallax * cam.zoom[k])
    grow = kernel.shape[0] // 2 + 1 if kernel is not None else 0
    x0, y0 = np.floor(corners.min(0)).astype(int) - grow
    x1, y1 = np.ceil(corners.max(0)).astype(int) + grow
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return None
    m[:, 2] -= (x0, y0)
    out = cv2.warpAffine(
        sprite, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )
    return y0, x0, out, kernel


def _composite(frame: np.ndarray, y0: int, x0: int, rgba: np.ndarray) -> None:
    """Premultiplied ``rgba`` (float32 or uint8) over the float32 frame at (y0, x0)."""
    hh, ww = rgba.shape[:2]
    roi = frame[y0 : y0 + hh, x0 : x0 + ww]
    a = rgba[..., 3:4].astype(np.float32) * (1 / 255)
    roi *= 1 - a
    roi += rgba[..., :3]


# ---------------------------------------------------------------------------------------------------- clip


def generate_realistic_clip(
    rng_or_seed: np.random.Generator | int, cfg: RealisticConfig | None = None
) -> Clip:
    """One realistic clip (see the module docstring). Objects are ordered by id; ``meta["objects"]`` has each
    object's FISHBOWL fields (id, type_id, type_name, speed, scale) with its depth, source, art name and the id it
    is a look-alike of; ``meta["occluders"]`` the scenery kinds, ``meta["background"]`` the photo's file name."""
    cfg = cfg or RealisticConfig()
    rng = rng_or_seed if isinstance(rng_or_seed, np.random.Generator) else np.random.default_rng(rng_or_seed)
    h, w, t = cfg.height, cfg.width, cfg.num_frames
    smin = min(w, h)
    photos = assets.photo_paths()
    lib = assets.clipart_library()

    cam = _Camera(rng, cfg)
    background, bg_origin, bg_name = _background(rng, cfg, cam, photos)
    n = int(rng.integers(cfg.num_objects[0], cfg.num_objects[1] + 1))
    weights = np.asarray(cfg.source_weights, np.float64)
    objs: list[_Object] = []
    lookalike = n >= 2 and rng.random() < cfg.lookalike_prob
    lo_size, hi_size = cfg.size
    for i in range(n):
        if (
            rng.random() < 0.5
        ):  # log-uniform over the range (many small objects) or uniform over its upper part
            longer = float(np.exp(rng.uniform(np.log(lo_size), np.log(hi_size)))) * smin
        else:
            longer = rng.uniform(0.25 * (lo_size + hi_size), hi_size) * smin
        if lookalike and i == n - 1:  # a second object of the same art (or shape and fill), its own size
            j = int(rng.integers(n - 1))
            src = objs[j]
            sprites = [_resize_sprite(s, src.extent * rng.uniform(0.8, 1.25)) for s in src.sprites]
            objs.append(_Object(src.source, src.name, sprites, rng.uniform(0.5, 1.2), lookalike_of=j))
            continue
        source = OBJECT_SOURCES[int(rng.choice(len(OBJECT_SOURCES), p=weights / weights.sum()))]
        objs.append(_make_object(rng, cfg, source, longer, photos, lib))
    _simulate(rng, cfg, cam, objs)
    blur_clip = rng.random() < cfg.motion_blur_prob
    for o in objs:
        o.blur = blur_clip and rng.random() < 0.7
    depth = rng.permutation(n)  # 0 = farthest
    ids = np.sort(rng.choice(np.arange(4 * cfg.num_objects[1] + 8), n, replace=False))
    ids = ids[rng.permutation(n)]
    count = (
        int(rng.integers(cfg.num_scenery[0], cfg.num_scenery[1] + 1))
        if rng.random() < cfg.scenery_prob
        else 0
    )
    scenery = _scenery(rng, cfg, cam, photos, count)

    # photometric settings of the clip
    ramp = np.arange(t) / max(t - 1, 1)
    gain = rng.uniform(0.8, 1.15) * (1 + rng.uniform(-cfg.lighting, cfg.lighting) * ramp)
    white = rng.uniform(0.92, 1.08, 3)
    white_drift = rng.uniform(-0.05, 0.05, 3)
    sigma = rng.uniform(*cfg.noise) if rng.random() < 0.8 else 0.0
    cam_blur = blur_clip and rng.random() < 0.5
    quality = (
        int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1)) if rng.random() < cfg.jpeg_prob else 0
    )
    noise_rng = np.random.default_rng(rng.integers(2**63))

    frames = np.empty((t, h, w, 3), np.uint8)
    amodal = np.zeros((n, t, h, w), bool)
    occ_masks = np.zeros((t, h, w), bool)
    order = np.argsort(depth)
    for k in range(t):
        bg_m = cam.to_world(k, 1.0)
        bg_m[:, 2] -= bg_origin
        frame = cv2.warpAffine(
            background,
            bg_m,
            (w, h),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REFLECT,
        ).astype(np.float32)
        for i in order:
            placed = _place(objs[i], k, cam, w, h)
            if placed is None:
                continue
            y0, x0, rgba, kernel = placed
            amodal[i, k, y0 : y0 + rgba.shape[0], x0 : x0 + rgba.shape[1]] = rgba[..., 3] >= 128
            if kernel is not None:
                rgba = cv2.filter2D(rgba.astype(np.float32), -1, kernel, borderType=cv2.BORDER_CONSTANT)
            _composite(frame, y0, x0, rgba)
        if scenery is not None:
            canvas, origin, parallax, _ = scenery
            m = cam.to_world(k, parallax)
            m[:, 2] -= origin
            layer = cv2.warpAffine(canvas, m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
            occ_masks[k] = layer[..., 3] >= 128
            _composite(frame, 0, 0, layer)
        if cam_blur:
            kernel = _line_kernel(cam.velocity[k] * cam.zoom[k] * 0.8)
            if kernel is not None:
                frame = cv2.filter2D(frame, -1, kernel, borderType=cv2.BORDER_REFLECT)
        frame *= (gain[k] * white * (1 + white_drift * ramp[k])).astype(np.float32)
        if sigma > 0:
            frame += noise_rng.standard_normal((h, w, 3), dtype=np.float32) * np.float32(sigma)
        np.clip(frame, 0, 255, out=frame)
        out = (frame + 0.5).astype(np.uint8)
        if quality:
            ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
            out = cv2.imdecode(
                buf, cv2.IMREAD_COLOR
            )  # channel order does not matter: encoded and decoded alike
        frames[k] = out

    covered = occ_masks
    visible = np.zeros_like(amodal)
    for i in order[::-1]:  # near to far
        visible[i] = amodal[i] & ~covered
        covered = covered | amodal[i]

    keep = visible.reshape(n, -1).sum(1) >= min_visible_pixels(cfg)
    objects, meta = [], []
    for i in np.argsort(ids):
        if not keep[i]:
            continue
        o = objs[i]
        type_name = f"{o.source}:{o.name.split('/')[0] if o.source == 'clipart' else o.name}"
        objects.append(ObjectTrack(int(ids[i]), amodal[i], visible[i], type_name))
        step = np.linalg.norm(np.diff(o.pos, axis=0), axis=1)
        meta.append(
            {
                "id": int(ids[i]),
                "type_id": FISHBOWL_TYPE_IDS.get(o.source if o.source != "shape" else o.name, 0),
                "type_name": type_name,
                "speed": round(float(step.mean()) if len(step) else 0.0, 4),
                "scale": round(float(o.extent / smin), 4),
                "depth": int(depth[i]),
                "source": o.source,
                "art": o.name,
                "lookalike_of": int(ids[o.lookalike_of]) if o.lookalike_of is not None else None,
            }
        )
    return Clip(
        frames=frames,
        objects=objects,
        source="realistic",
        clip_id="realistic",
        fps=cfg.fps,
        meta={
            "objects": meta,
            "occluders": scenery[3] if scenery is not None else [],
            "background": bg_name,
            "jpeg_quality": quality,
            "noise": round(float(sigma), 3),
        },
    )
