"""Prompt sampling for training: boxes (modal or amodal at random, as SAMEO recommends, jittered), positive points
inside the visible part (with, when asked, negative clicks near the object but off it), or the visible mask, all on
a clip's first frame, in model-input pixels.

One prompt kind per batch (SAM-2 batches point prompts of one length and picks multimask output per batch); the
random draws per sample come from that sample's own generator, so a sample's prompt does not depend on which rank
or batch it lands in. ``spec_box`` is the box whose 20% enlargement is the first frame's Mspec (None: the whole
image). A click has no extent: the tracker takes its Mspec from the modal mask it segments on the prompt frame, which
training stands in for with the jittered GT visible box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from amodal_vos.model.prior import mask_to_box
from amodal_vos.model.transforms import box_prompt, point_prompt

PROMPT_KINDS = ("box", "point", "mask")


@dataclass
class Prompt:
    """What the first frame of a rollout is given: SAM-2 point inputs or a mask input, plus the Mspec box."""

    kind: str
    point_inputs: dict | None
    mask_inputs: torch.Tensor | None
    spec_box: torch.Tensor | None  # [B, 4] xyxy in model pixels, or None for a whole-image Mspec

    def to(self, device: torch.device | str) -> Prompt:
        pts = None if self.point_inputs is None else {k: v.to(device) for k, v in self.point_inputs.items()}
        mask = None if self.mask_inputs is None else self.mask_inputs.to(device)
        return Prompt(self.kind, pts, mask, self.spec_box)


def choose_kind(rng: np.random.Generator, weights: dict[str, float]) -> str:
    """One prompt kind from {"box": w, "point": w, "mask": w} (missing kinds weigh 0)."""
    w = np.array([float(weights.get(k, 0.0)) for k in PROMPT_KINDS])
    if w.sum() <= 0:
        raise ValueError(f"prompt weights {weights} give no kind a positive weight")
    return PROMPT_KINDS[int(rng.choice(len(PROMPT_KINDS), p=w / w.sum()))]


def jitter_box(box: torch.Tensor, noise: np.ndarray | torch.Tensor, scale: float, size: int) -> torch.Tensor:
    """Move each xyxy coordinate by ``noise`` (standard normal draws) times ``scale`` times the box's width or height,
    keep the box at least 1 pixel and inside the S x S image."""
    box = torch.as_tensor(box, dtype=torch.float32)
    wh = (box[..., 2:] - box[..., :2]).clamp(min=1.0)
    out = box + torch.as_tensor(noise, dtype=torch.float32) * scale * torch.cat([wh, wh], dim=-1)
    out = out.clamp(0, size)
    lo = torch.minimum(out[..., :2], out[..., 2:])
    hi = torch.maximum(torch.maximum(out[..., :2], out[..., 2:]), lo + 1).clamp(max=size)
    return torch.cat([torch.minimum(lo, hi - 1), hi], dim=-1)


def sample_points(visible: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` (x, y) pixel-centre points drawn uniformly inside a [S, S] bool mask (with replacement)."""
    ys, xs = np.nonzero(visible)
    if len(xs) == 0:
        raise ValueError("cannot place a point prompt on an empty visible mask")
    idx = rng.integers(len(xs), size=count)
    return np.stack([xs[idx] + 0.5, ys[idx] + 0.5], axis=1).astype(np.float32)


def sample_negatives(
    vis_box: torch.Tensor, amodal: np.ndarray, count: int, margin: float, rng: np.random.Generator
) -> np.ndarray | None:
    """``count`` (x, y) points off the object's amodal mask but inside its visible box (xyxy, ``mask_to_box``) grown
    by ``margin`` of its size per side: where a user clicks to take a wrong part away. None when that region is
    empty."""
    bx0, by0, bx1, by1 = (float(v) for v in vis_box)
    grow_x, grow_y = margin * (bx1 - bx0), margin * (by1 - by0)
    h, w = amodal.shape
    x0, x1 = int(max(0, bx0 - grow_x)), int(min(w, bx1 + grow_x))
    y0, y1 = int(max(0, by0 - grow_y)), int(min(h, by1 + grow_y))
    region = np.zeros_like(amodal)
    region[y0:y1, x0:x1] = True
    region &= ~amodal
    if not region.any():
        return None
    return sample_points(region, count, rng)


def click_prompt(
    visible: np.ndarray,
    vis_box: torch.Tensor,
    amodal: np.ndarray,
    count: int,
    rng: np.random.Generator,
    negative: float,
    margin: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` clicks and their labels: the first positive, each later one negative with probability ``negative``
    (no extra random draws when it is 0, so recipes without negatives keep their streams)."""
    points = sample_points(visible, count, rng)
    labels = np.ones(count, np.int32)
    if negative > 0 and count > 1:
        flip = rng.random(count - 1) < negative
        off = sample_negatives(vis_box, amodal, int(flip.sum()), margin, rng) if flip.any() else None
        if off is not None:
            points[1:][flip] = off
            labels[1:][flip] = 0
    return points, labels


def make_prompt(
    kind: str,
    visible0: torch.Tensor,
    amodal0: torch.Tensor,
    rngs: list[np.random.Generator],
    cfg: dict,
    num_points: int = 1,
) -> Prompt:
    """Build a batch's first-frame prompt from the first frame's GT masks [B, S, S].

    cfg keys: ``amodal_box`` (probability of prompting with the amodal box instead of the visible one),
    ``box_jitter`` (std as a share of box size), ``negative`` (probability that a click after the first is a negative
    one, off the object), ``negative_margin`` (how far off it, as a share of the visible box per side).
    ``num_points`` (clicks per object) is drawn per batch by the caller."""
    size = visible0.shape[-1]
    if kind == "box":
        vis_box, _ = mask_to_box(visible0)
        amo_box, _ = mask_to_box(amodal0)
        p_amodal = float(cfg.get("amodal_box", 0.0))
        boxes = []
        for i, rng in enumerate(rngs):
            use_amodal = rng.random() < p_amodal
            noise = rng.standard_normal(4)
            boxes.append(
                jitter_box(
                    (amo_box if use_amodal else vis_box)[i], noise, float(cfg.get("box_jitter", 0.0)), size
                )
            )
        boxes = torch.stack(boxes)
        return Prompt("box", box_prompt(boxes), None, boxes)
    if kind == "point":
        negative, margin = float(cfg.get("negative", 0.0)), float(cfg.get("negative_margin", 0.5))
        vis_box, _ = mask_to_box(visible0)
        clicks = [
            click_prompt(
                visible0[i].numpy(), vis_box[i], amodal0[i].numpy(), num_points, rng, negative, margin
            )
            for i, rng in enumerate(rngs)
        ]
        pts = np.stack([c[0] for c in clicks])
        labels = torch.from_numpy(np.stack([c[1] for c in clicks]))
        jitter = float(cfg.get("box_jitter", 0.0))
        boxes = torch.stack(
            [jitter_box(vis_box[i], rng.standard_normal(4), jitter, size) for i, rng in enumerate(rngs)]
        )
        return Prompt("point", point_prompt(torch.from_numpy(pts), labels), None, boxes)
    if kind == "mask":
        boxes, _ = mask_to_box(visible0)
        return Prompt("mask", None, visible0[:, None].float(), boxes)
    raise ValueError(f"unknown prompt kind {kind!r}; choose one of {PROMPT_KINDS}")
