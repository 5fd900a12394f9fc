"""TAOS, Target-Aware Occlusion Synthesis (Amodal SAM III-C): amodal training pairs from modal masks.

Pick a target object of a size within range; cut an occluder (an object, or part of one) from another image, scale
it relative to the target, paste it at a random position whose overlap with the target is within range, and blur
the seam (Eq. 6). The target's original mask becomes the amodal ground truth, what the occluder leaves of it the
visible mask, and the image before pasting is kept as ``Clip.unoccluded`` for the shape discriminator.

The paper rejects bad composites with a VLM; here documented filters do that job (``TAOSConfig``): target area
share, occluder size relative to the target, overlap range, visible pixels left, occluder inside the image, the
occluder not swallowing the target (its box must not contain the target's box, and the visible part must be mostly
one piece), and a colour contrast between the occluder and what it covers. A share ``unoccluded_share`` of samples
is left unoccluded (amodal = visible), optionally with the occluder pasted next to the target as a distractor:
SAMEO found that training only on occluded samples makes a model over-complete.

Multi-frame clips get the same static paste on every frame; target choice and filters use frame 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

from amodal_vos.data.clips import resize_clip
from amodal_vos.data.occluder_paste import (
    Patch,
    blur_seam,
    candidate_positions,
    cut_patch,
    paste,
    place_mask,
    scale_patch,
)
from amodal_vos.data.sample import Clip, ObjectTrack
from amodal_vos.errors import UserError


@dataclass(frozen=True)
class TAOSConfig:
    """TAOS settings; shares are of areas in pixels."""

    overlap: tuple[float, float] = (0.1, 0.6)  # share of the target's visible area the occluder hides
    target_area: tuple[float, float] = (0.005, 0.4)  # target area / image area
    occluder_scale: tuple[float, float] = (0.4, 1.5)  # occluder area / target area
    part_prob: float = 0.3  # cut only part of the occluder object
    flip_prob: float = 0.5
    min_visible_px: int = 64  # target pixels left visible
    min_visible_component: float = 0.6  # largest visible piece / visible area
    min_occluder_inside: float = 0.6  # share of the pasted occluder inside the image
    min_contrast: float = 12.0  # mean |RGB difference| between the occluder and the pixels it covers (0-255)
    seam_width: int = 2  # blur band half-width (pixels) around the occluder boundary
    blur_kernel: int = 5  # Eq. 6 kernel size k (odd)
    blur_sigma: float = 1.5  # Eq. 6 sigma
    unoccluded_share: float = 0.2
    distractor: bool = True  # unoccluded samples still get the occluder pasted next to the target
    placements: int = 6  # exact checks of candidate positions per attempt


def _largest_component_share(mask: np.ndarray) -> float:
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return 0.0
    areas = stats[1:, cv2.CC_STAT_AREA]
    return float(areas.max() / areas.sum())


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    x, y, w, h = cv2.boundingRect(mask.astype(np.uint8))
    return x, y, x + w, y + h


def _swallowed(target: np.ndarray, occluder: np.ndarray) -> bool:
    """True when the occluder's box contains the target's box: the target would read as a part of it."""
    tx0, ty0, tx1, ty1 = _box(target)
    ox0, oy0, ox1, oy1 = _box(occluder)
    return ox0 <= tx0 and oy0 <= ty0 and ox1 >= tx1 and oy1 >= ty1


def _accept(
    target: np.ndarray,
    placed: np.ndarray,
    image: np.ndarray,
    patch_rgb_full: np.ndarray,
    cfg: TAOSConfig,
    occluded: bool,
) -> bool:
    """The filters that replace the paper's VLM check, on frame 0."""
    visible = target & ~placed
    hidden = target & placed
    if visible.sum() < cfg.min_visible_px:
        return False
    if not occluded:
        return not hidden.any()
    share = hidden.sum() / max(target.sum(), 1)
    if not cfg.overlap[0] - 1e-9 <= share <= cfg.overlap[1] + 1e-9:
        return False
    if _swallowed(target, placed) or _largest_component_share(visible) < cfg.min_visible_component:
        return False
    diff = np.abs(patch_rgb_full[hidden].astype(np.float32) - image[hidden].astype(np.float32)).mean()
    return bool(diff >= cfg.min_contrast)


def pick_target(clip: Clip, rng: np.random.Generator, cfg: TAOSConfig) -> int | None:
    """Index of a random object of ``clip`` whose frame-0 visible area share is within ``cfg.target_area``."""
    h, w = clip.size
    shares = np.array([o.visible[0].sum() / (h * w) for o in clip.objects])
    ok = np.flatnonzero((shares >= cfg.target_area[0]) & (shares <= cfg.target_area[1]))
    return int(rng.choice(ok)) if len(ok) else None


def synthesize(
    target_clip: Clip,
    occluder_clip: Clip,
    rng: np.random.Generator,
    cfg: TAOSConfig | None = None,
    target_index: int | None = None,
    occluded: bool | None = None,
) -> Clip | None:
    """One TAOS sample: ``target_clip``'s object ``target_index`` (random by default) with an occluder cut from a
    random object of ``occluder_clip``. ``occluded`` None draws it (False with ``unoccluded_share``). Returns None
    when no paste passes the filters; the caller draws other sources."""
    cfg = cfg or TAOSConfig()
    if occluded is None:
        occluded = bool(rng.random() >= cfg.unoccluded_share)
    idx = pick_target(target_clip, rng, cfg) if target_index is None else target_index
    if idx is None:
        return None
    target = target_clip.objects[idx]
    t_mask = target.visible[0]
    sources = [o for o in occluder_clip.objects if o.visible[0].sum() >= 16 and o is not target]
    placed, out = None, target_clip.frames
    if sources and (occluded or cfg.distractor):
        src = sources[int(rng.integers(len(sources)))]
        patch = cut_patch(occluder_clip.frames[0], src.visible[0], rng, cfg.part_prob)
        if patch is None:
            return None
        area = t_mask.sum() * rng.uniform(*cfg.occluder_scale)
        patch = scale_patch(patch, area, rng.random() < cfg.flip_prob)
        found = _place(target_clip.frames, t_mask, patch, rng, cfg, occluded)
        if found is None and occluded:
            return None
        if found is not None:
            out, placed = found
            out = blur_seam(out, placed, cfg.seam_width, cfg.blur_kernel, cfg.blur_sigma)
    elif occluded:
        return None
    visible = target.visible if placed is None else target.visible & ~placed[None]
    hidden = 0.0 if placed is None else float((t_mask & placed).sum() / max(t_mask.sum(), 1))
    return Clip(
        frames=out,
        objects=[ObjectTrack(target.obj_id, target.amodal.copy(), visible, target.category)],
        source=f"taos:{target_clip.source}",
        clip_id=f"{target_clip.clip_id}+{occluder_clip.clip_id}",
        frame_ids=target_clip.frame_ids,
        unoccluded=target_clip.frames.copy(),
        fps=target_clip.fps,
        meta={
            "occluder_mask": placed,
            "overlap": hidden,
            "occluded": placed is not None and hidden > 0,
            "taos": asdict(cfg),
        },
    )


def _place(frames, t_mask, patch: Patch, rng, cfg: TAOSConfig, occluded: bool):
    """Try up to ``cfg.placements`` random candidate positions; the first that passes the filters is pasted."""
    overlap = cfg.overlap if occluded else (0.0, 0.0)
    near = int(np.sqrt(t_mask.sum())) // 2 + 1
    cands = candidate_positions(t_mask, patch.mask, overlap, cfg.min_occluder_inside, near=near)
    if len(cands) == 0:
        return None
    for k in rng.permutation(len(cands))[: cfg.placements]:
        y, x = (int(v) for v in cands[k])
        placed = place_mask(patch.mask, t_mask.shape, y, x)
        if placed.sum() < cfg.min_occluder_inside * patch.area:
            continue
        pasted, placed = paste(frames, patch, y, x)
        if _accept(t_mask, placed, frames[0], pasted[0], cfg, occluded):
            return pasted, placed
    return None


class TAOSSource:
    """Endless TAOS samples (1-frame clips) from one or more modal datasets (SA-1B, COCO, or any loader): a random
    target image, an occluder from another random image. Images are first shrunk to ``max_side`` pixels on their
    long side; ``attempts`` bounds the redraws when the filters reject a pair."""

    is_video = False

    def __init__(
        self, datasets, cfg: TAOSConfig | None = None, max_side: int | None = 512, attempts: int = 30
    ) -> None:
        self.datasets = list(datasets) if isinstance(datasets, (list, tuple)) else [datasets]
        if not self.datasets or not any(len(d) for d in self.datasets):
            raise UserError("TAOS needs at least one non-empty image dataset")
        self.cfg = cfg or TAOSConfig()
        self.max_side = max_side
        self.attempts = attempts

    def _random_image(self, rng: np.random.Generator) -> Clip:
        sizes = np.array([len(d) for d in self.datasets], np.float64)
        ds = self.datasets[int(rng.choice(len(sizes), p=sizes / sizes.sum()))]
        clip = ds.load(int(rng.integers(len(ds))), np.array([0]))
        h, w = clip.size
        if self.max_side and max(h, w) > self.max_side:
            f = self.max_side / max(h, w)
            clip = resize_clip(clip, (max(1, round(h * f)), max(1, round(w * f))))
        return clip

    def sample(self, rng: np.random.Generator, num_frames: int = 1) -> Clip:
        """One TAOS clip (``num_frames`` is ignored: TAOS makes images). Whether it is occluded is drawn once, before
        the redraws, so rejections do not shift the unoccluded share."""
        occluded = bool(rng.random() >= self.cfg.unoccluded_share)
        for _ in range(self.attempts):
            out = synthesize(
                self._random_image(rng), self._random_image(rng), rng, self.cfg, occluded=occluded
            )
            if out is not None:
                return out
        raise UserError(
            f"TAOS found no valid paste in {self.attempts} draws: widen target_area / overlap or check the source masks"
        )
