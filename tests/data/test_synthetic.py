"""The synthetic generator: masks consistent, deterministic, occlusion actually present, and its FISHBOWL-format
output reads back through the FISHBOWL loader."""

from __future__ import annotations

import numpy as np

from amodal_vos.data.fishbowl import FishbowlRaw
from amodal_vos.data.fishbowl_writer import video_rng, write_fishbowl
from amodal_vos.data.stats import OcclusionStats
from amodal_vos.data.synthetic import SynthConfig, generate_clip


def test_masks_are_consistent_and_visible_masks_disjoint():
    for seed in range(12):
        clip = generate_clip(seed)
        assert clip.frames.shape == (8, 128, 128, 3) and 1 <= len(clip.objects) <= 4
        total = np.zeros((8, 128, 128), np.int32)
        for obj in clip.objects:
            assert (obj.visible <= obj.amodal).all()
            total += obj.visible
        assert total.max() <= 1
        ids = [o.obj_id for o in clip.objects]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_same_seed_same_clip_other_seed_other_clip():
    a, b, c = generate_clip(5), generate_clip(np.random.default_rng(5)), generate_clip(6)
    np.testing.assert_array_equal(a.frames, b.frames)
    assert all((x.amodal == y.amodal).all() for x, y in zip(a.objects, b.objects, strict=True))
    assert a.frames.shape != c.frames.shape or (a.frames != c.frames).any()


def test_occlusion_statistics_exercise_amodal_completion():
    stats, with_occluders, reentered = OcclusionStats(), 0, 0
    for seed in range(60):
        clip = generate_clip(seed)
        stats.add_tracks(clip.objects, clip.num_frames)
        with_occluders += bool(clip.meta["occluders"])
    for seed in range(6):
        clip = generate_clip(seed, SynthConfig(num_frames=96))
        for obj in clip.objects:
            present = obj.amodal.reshape(96, -1).any(1)
            gone = np.flatnonzero(~present)
            reentered += bool(len(gone) and present[: gone[0]].any() and present[gone[-1] :].any())
    assert 0.3 <= stats.occluded_share <= 0.7  # reference set: 47 % of object-frames occluded
    assert 0.15 <= stats.mean_occluded_fraction <= 0.45  # reference: 27 %
    assert 15 <= with_occluders <= 45  # about half the clips have bars/plants/rocks in front
    assert reentered >= 1  # fish leave the frame and come back


def test_other_sizes_and_lengths():
    clip = generate_clip(1, SynthConfig(width=96, height=64, num_frames=3, num_fish=(5, 5)))
    assert clip.frames.shape == (3, 64, 96, 3) and clip.fps == 30.0
    assert len(clip.meta["fish"]) == len(clip.objects) <= 5


def test_writer_is_deterministic_and_loads_back(tmp_path):
    cfg = SynthConfig(width=64, height=48, num_frames=6)
    a = write_fishbowl(tmp_path / "a", 3, seed=7, cfg=cfg, workers=1)
    b = write_fishbowl(tmp_path / "b", 3, seed=7, cfg=cfg, workers=2)
    c = write_fishbowl(tmp_path / "c", 3, seed=8, cfg=cfg, workers=1, layout="flat")
    for sid in ("00000", "00001", "00002"):
        assert (a / sid / "objects.json").read_bytes() == (b / sid / "objects.json").read_bytes()
        assert (a / sid / "object000" / "objects.json").read_bytes() == (
            b / sid / "object000" / "objects.json"
        ).read_bytes()
    assert (a / "00000" / "objects.json").read_bytes() != (c / "00000" / "objects.json").read_bytes()

    ds = FishbowlRaw(a)
    assert len(ds) == 3 and ds.num_frames(0) == 6
    for i in range(3):
        clip, truth = ds[i], generate_clip(video_rng(7, i), cfg)
        assert [o.obj_id for o in clip.objects] == [o.obj_id for o in truth.objects] and clip.meta[
            "amodal_missing"
        ] == []
        for got, want in zip(clip.objects, truth.objects, strict=True):
            np.testing.assert_array_equal(got.amodal, want.amodal)
            np.testing.assert_array_equal(got.visible, want.visible)
        err = np.abs(clip.frames[:, None].astype(np.int16) - truth.frames[None]).mean(
            axis=(2, 3, 4)
        )  # [decoded, truth]
        assert (
            err.argmin(1) == np.arange(6)
        ).all() and err.diagonal().max() < 10  # the right frames, lossy H.264
    flat = FishbowlRaw(c)
    assert len(flat) == 3 and flat[0].meta["amodal_missing"] == []  # <id>_object<fish_id>/ renders found
