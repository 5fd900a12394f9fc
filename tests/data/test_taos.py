"""TAOS: amodal contains visible, overlap within range, the blur touches only the seam, the unoccluded share holds."""

from __future__ import annotations

import numpy as np
import pytest

from amodal_vos.data.occluder_paste import Patch, blur_seam, candidate_positions, paste, seam_band
from amodal_vos.data.sample import Clip, ObjectTrack
from amodal_vos.data.taos import TAOSConfig, TAOSSource, synthesize


def toy_image(seed: int, h: int = 72, w: int = 96) -> Clip:
    """A textured image with three modal objects (ellipse-ish blobs of random colour)."""
    rng = np.random.default_rng(seed)
    frames = rng.integers(60, 160, (1, h, w, 3)).astype(np.uint8)
    yy, xx = np.mgrid[:h, :w]
    objects, taken = [], np.zeros((h, w), bool)
    for k in range(3):
        cy, cx = rng.uniform(12, h - 12), rng.uniform(12, w - 12)
        ry, rx = rng.uniform(6, 14), rng.uniform(8, 20)
        m = (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1) & ~taken
        taken |= m
        frames[0][m] = rng.integers(0, 256, 3)
        objects.append(ObjectTrack(k, m[None], m[None].copy()))
    return Clip(frames, objects, source="toy", clip_id=str(seed))


class ToyDataset:
    """The loader interface TAOSSource uses (len, load), over toy images."""

    is_video = False

    def __len__(self) -> int:
        return 12

    def load(self, i: int, frame_ids=None) -> Clip:
        return toy_image(i)


def test_occluded_samples_keep_amodal_and_overlap_in_range():
    cfg = TAOSConfig(overlap=(0.2, 0.5), unoccluded_share=0.0)
    rng = np.random.default_rng(0)
    made = 0
    for k in range(40):
        target, occ = toy_image(2 * k), toy_image(2 * k + 1)
        out = synthesize(target, occ, rng, cfg)
        if out is None:
            continue
        made += 1
        obj = out.objects[0]
        original = next(o for o in target.objects if o.obj_id == obj.obj_id)
        np.testing.assert_array_equal(obj.amodal, original.amodal)  # the whole original mask is the amodal GT
        assert (obj.visible <= obj.amodal).all()
        hidden = 1 - obj.visible.sum() / original.visible.sum()
        assert 0.2 - 1e-9 <= hidden <= 0.5 + 1e-9 and out.meta["occluded"]
        np.testing.assert_array_equal(out.unoccluded, target.frames)  # the discriminator's original image
        changed = (out.frames != target.frames).any(-1)[0]
        assert changed[obj.amodal[0] & ~obj.visible[0]].mean() > 0.5  # the hidden part really got covered
    assert made >= 30  # the filters reject some pairs, not most


def test_blur_changes_only_pixels_near_the_seam():
    rng = np.random.default_rng(3)
    frames = rng.integers(0, 256, (2, 40, 50, 3)).astype(np.uint8)
    mask = np.zeros((12, 16), bool)
    mask[2:10, 3:15] = True
    mask[5:7, 0:3] = True
    patch = Patch(np.full((12, 16, 3), 250, np.uint8), mask)
    hard, placed = paste(frames, patch, 20, 30)  # partly beyond the right border
    soft = blur_seam(hard, placed, width=2, kernel=5, sigma=1.5)
    changed = (soft != hard).any(-1).any(0)
    band = seam_band(placed, 2)
    assert changed.any() and not (changed & ~band).any()
    assert changed[band].mean() > 0.5  # the band really is blurred
    far = ~seam_band(placed, 4)
    np.testing.assert_array_equal(soft[:, far], hard[:, far])


def test_candidate_positions_reach_the_requested_overlap():
    target = np.zeros((60, 80), bool)
    target[20:40, 30:60] = True
    occ = np.ones((10, 12), bool)
    cands = candidate_positions(target, occ, (0.15, 0.2), min_inside=1.0)
    assert len(cands) > 0
    for y, x in cands:
        share = target[y : y + 10, x : x + 12].sum() / target.sum()
        assert 0.15 <= share <= 0.2 and 0 <= y <= 50 and 0 <= x <= 68


@pytest.mark.parametrize("share", [0.25, 0.6])
def test_unoccluded_share_is_respected(share):
    source = TAOSSource(ToyDataset(), TAOSConfig(unoccluded_share=share))
    rng = np.random.default_rng(11)
    n = 160
    flags = []
    for _ in range(n):
        clip = source.sample(rng)
        obj = clip.objects[0]
        flags.append(bool(clip.meta["occluded"]))
        assert flags[-1] == bool((obj.amodal & ~obj.visible).any())
    got = 1 - np.mean(flags)
    assert abs(got - share) < 4 * np.sqrt(share * (1 - share) / n)  # within 4 standard errors


def test_distractor_lies_next_to_the_target_without_covering_it():
    cfg = TAOSConfig(unoccluded_share=1.0)
    rng = np.random.default_rng(5)
    pasted = 0
    for k in range(20):
        out = synthesize(toy_image(40 + k), toy_image(80 + k), rng, cfg)
        assert out is not None and not out.meta["occluded"]
        obj = out.objects[0]
        np.testing.assert_array_equal(obj.visible, obj.amodal)
        if out.meta["occluder_mask"] is not None:
            pasted += 1
            assert not (out.meta["occluder_mask"] & obj.amodal[0]).any()
    assert pasted >= 10


def test_resized_taos_clip_keeps_its_occluder_mask_in_step():
    from amodal_vos.data.clips import resize_clip

    source = TAOSSource(ToyDataset(), TAOSConfig(unoccluded_share=0.0))
    clip = resize_clip(source.sample(np.random.default_rng(2)), 32)
    obj = clip.objects[0]
    assert clip.unoccluded.shape == (1, 32, 32, 3) and clip.meta["occluder_mask"].shape == (32, 32)
    np.testing.assert_array_equal(obj.visible[0], obj.amodal[0] & ~clip.meta["occluder_mask"])
