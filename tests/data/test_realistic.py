"""The realistic generator (photos, clip art, shapes, fish; amodal_vos.data.realistic): deterministic, masks
consistent, objects leave and re-enter, occlusion present, FISHBOWL-layout output reads back, and the training
source and the `eval realistic` command run on it. Tests that need the Debian asset packages skip without them
(`make assets` installs them); the asset-finding and clip-art filter tests run everywhere."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

import amodal_vos
from amodal_vos.cli.main import cli
from amodal_vos.data import assets, open_dataset
from amodal_vos.data.fishbowl_writer import video_rng
from amodal_vos.data.realistic import RealisticConfig, generate_realistic_clip
from amodal_vos.data.sampler import MixedSampler
from amodal_vos.errors import UserError
from amodal_vos.train.sources import build_source

needs_assets = pytest.mark.skipif(
    not assets.assets_available(), reason=f"asset packages not installed ({assets.APT_COMMAND})"
)
TINY = RealisticConfig(width=64, height=48, num_frames=6)


def _same(a, b) -> bool:
    return (
        np.array_equal(a.frames, b.frames)
        and [o.obj_id for o in a.objects] == [o.obj_id for o in b.objects]
        and all(
            np.array_equal(x.amodal, y.amodal) and np.array_equal(x.visible, y.visible)
            for x, y in zip(a.objects, b.objects, strict=True)
        )
        and a.meta == b.meta
    )


@needs_assets
def test_same_seed_same_clip_other_seed_other_clip():
    a = generate_realistic_clip(3, TINY)
    b = generate_realistic_clip(np.random.default_rng(3), TINY)
    c = generate_realistic_clip(4, TINY)
    assert _same(a, b)
    assert not np.array_equal(a.frames, c.frames)


@needs_assets
def test_masks_consistent_and_frames_alive():
    for seed in range(10):
        clip = generate_realistic_clip(seed, TINY)
        assert clip.frames.shape == (6, 48, 64, 3) and clip.frames.dtype == np.uint8
        assert clip.source == "realistic" and len(clip.objects) >= 1
        total = np.zeros((6, 48, 64), np.int32)
        for obj in clip.objects:
            assert (obj.visible <= obj.amodal).all()
            assert obj.visible.any()
            total += obj.visible
        assert total.max() <= 1  # visible masks never overlap
        ids = [o.obj_id for o in clip.objects]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        assert len(clip.meta["objects"]) == len(clip.objects)
        frames = clip.frames.astype(np.float32)
        assert frames.reshape(6, -1, 3).std(1).mean() > 4  # not flat frames
        assert np.abs(np.diff(frames, axis=0)).mean() > 0.5  # the camera and the objects move


@needs_assets
def test_objects_leave_enter_and_reenter_the_frame():
    cfg = RealisticConfig(width=64, height=64, num_frames=40)
    left = entered = reentered = 0
    for seed in range(12):
        for obj in generate_realistic_clip(seed, cfg).objects:
            present = obj.amodal.reshape(40, -1).any(1)
            gone = np.flatnonzero(~present)
            if not len(gone):
                continue
            left += bool(present[: gone[0]].any())
            entered += bool(not present[0] and present.any())
            reentered += bool(present[: gone[0]].any() and present[gone[-1] :].any())
    assert left >= 3 and entered >= 3 and reentered >= 1


@needs_assets
def test_occlusion_by_objects_and_by_scenery():
    # no scenery and every object labelled: what hides an object is exactly the other objects
    cfg = RealisticConfig(width=64, height=48, num_frames=6, scenery_prob=0.0, min_visible_px=0)
    by_object = occluded_frames = object_frames = 0
    for seed in range(12):
        clip = generate_realistic_clip(seed, cfg)
        assert clip.meta["occluders"] == []
        union = sum(o.amodal.astype(np.int32) for o in clip.objects)
        for obj in clip.objects:
            hidden = obj.amodal & ~obj.visible
            assert not (hidden & (union - obj.amodal == 0)).any()
            by_object += int(hidden.sum())
            object_frames += int(obj.amodal.reshape(6, -1).any(1).sum())
            occluded_frames += int(hidden.reshape(6, -1).any(1).sum())
    assert by_object > 0 and 0.05 < occluded_frames / object_frames < 0.9
    # one object, scenery in every clip: the scenery hides it in some frames, never without scenery
    single = RealisticConfig(width=64, height=48, num_frames=6, num_objects=(1, 1), min_visible_px=0)
    hidden_by_scenery = 0
    for seed in range(12):
        for scenery_prob in (1.0, 0.0):
            clip = generate_realistic_clip(seed, replace(single, scenery_prob=scenery_prob))
            hidden = sum(int((o.amodal & ~o.visible).sum()) for o in clip.objects)
            if scenery_prob == 0.0:
                assert hidden == 0
            else:
                assert clip.meta["occluders"]
                hidden_by_scenery += hidden
    assert hidden_by_scenery > 0


@needs_assets
def test_variety_over_seeds():
    sources, occluders, backgrounds, lookalikes, jpeg = set(), set(), set(), 0, set()
    for seed in range(40):
        clip = generate_realistic_clip(seed, RealisticConfig(width=32, height=32, num_frames=2))
        sources |= {m["source"] for m in clip.meta["objects"]}
        occluders |= set(clip.meta["occluders"])
        backgrounds.add(clip.meta["background"])
        lookalikes += any(m["lookalike_of"] is not None for m in clip.meta["objects"])
        jpeg.add(clip.meta["jpeg_quality"] > 0)
    assert sources == {"clipart", "shape", "fish"}
    assert occluders == {"pole", "fence", "patch", "tree"}
    assert "procedural" in backgrounds and len(backgrounds) >= 6
    assert lookalikes >= 3 and jpeg == {True, False}


@needs_assets
def test_fishbowl_layout_reads_back(tmp_path):
    out = tmp_path / "realistic"
    res = CliRunner().invoke(
        cli,
        ["data", "synth-realistic", str(out), "--videos", "2", "--seed", "5", "--size", "64x48", "--frames", "5",
         "--workers", "1"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    cfg = RealisticConfig(width=64, height=48, num_frames=5)
    ds = open_dataset(None, out)
    assert ds.format_name.startswith("fishbowl") and len(ds) == 2
    recording = json.loads((out / "00000" / "recording.json").read_text())
    assert recording["generator"] == "amodal-vos realistic" and "background" in recording
    for i in range(2):
        clip, truth = ds[i], generate_realistic_clip(video_rng(5, i), cfg)
        assert [o.obj_id for o in clip.objects] == [o.obj_id for o in truth.objects]
        for got, want in zip(clip.objects, truth.objects, strict=True):
            np.testing.assert_array_equal(got.amodal, want.amodal)
            np.testing.assert_array_equal(got.visible, want.visible)
        err = np.abs(clip.frames.astype(np.int16) - truth.frames).mean()
        assert err < 12  # the right frames, through H.264
    again = CliRunner().invoke(
        cli, ["data", "synth-realistic", str(out), "--videos", "1", "--size", "63x48", "--force"]
    )
    assert again.exit_code == 2 and "even" in again.output


@needs_assets
def test_training_source_draws_clips():
    src = build_source({"kind": "realistic", "width": 64, "height": 48, "num_objects": [3, 3]})
    clip = src.sample(np.random.default_rng(0), 3)
    assert clip.frames.shape == (3, 48, 64, 3) and clip.source == "realistic"
    sampler = MixedSampler([src], num_frames=4, size=32, seed=1)
    a, b = sampler.clip_at(7), sampler.clip_at(7)
    assert a.frames.shape == (4, 32, 32, 3) and np.array_equal(a.frames, b.frames)
    assert any(o.visible[0].any() for o in a.objects)  # the sampler's first-frame target
    with pytest.raises(UserError, match="num_fish"):
        build_source({"kind": "realistic", "num_fish": [2, 3]})


@needs_assets
def test_eval_realistic_runs(tmp_path):
    checkpoint = Path(amodal_vos.__file__).parent / "weights" / "default.safetensors"
    res = CliRunner().invoke(
        cli,
        ["eval", "realistic", "--checkpoint", str(checkpoint), "--num-clips", "2", "--frames", "4", "--size",
         "96x64", "--no-baselines", "--threads", "1", "--out", str(tmp_path)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["data"]["dataset"] == "realistic" and results["data"]["size"] == [96, 64]


def test_missing_assets_name_the_apt_command(tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("AMODAL_VOS_PHOTO_DIR", str(empty))
    with pytest.raises(UserError, match="apt-get install .*openclipart-png"):
        assets.photo_paths()
    with pytest.raises(UserError, match="apt-get install"):
        generate_realistic_clip(0, TINY)
    with pytest.raises(UserError, match="apt-get install"):
        build_source({"kind": "realistic"})
    assert not assets.assets_available()


def _png(path: Path, rgba: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = cv2.COLOR_RGBA2BGRA if rgba.shape[2] == 4 else cv2.COLOR_RGB2BGR
    cv2.imwrite(str(path), cv2.cvtColor(rgba, mode))


def test_clipart_filter_keeps_solid_objects_only(tmp_path, monkeypatch):
    yy, xx = np.mgrid[0:80, 0:80]
    disc = np.hypot(yy - 40, xx - 40) < 30
    colour = np.stack([xx * 3, yy * 3, np.full_like(xx, 90)], -1).astype(np.uint8)  # not one flat colour

    def rgba(mask):
        return np.concatenate([colour, (mask * 255).astype(np.uint8)[..., None]], -1)

    root = tmp_path / "art"
    _png(root / "animals" / "disc.png", rgba(disc))
    _png(root / "animals" / "square.png", rgba(np.ones((80, 80), bool)))  # a rectangle, not an object
    _png(
        root / "food" / "two.png", rgba((np.hypot(yy - 20, xx - 20) < 15) | (np.hypot(yy - 60, xx - 60) < 15))
    )
    _png(root / "food" / "opaque.png", colour)  # no alpha
    _png(root / "signs_and_symbols" / "disc.png", rgba(disc))  # an excluded category
    reasons = {p.name: assets.clipart_sprite(p)[1] for p in (root / "animals").iterdir()}
    assert reasons == {"disc.png": "ok", "square.png": "rectangle"}
    assert assets.clipart_sprite(root / "food" / "two.png")[1] == "several pieces"
    assert assets.clipart_sprite(root / "food" / "opaque.png")[1] == "no alpha"

    monkeypatch.setenv("AMODAL_VOS_CLIPART_DIR", str(root))
    monkeypatch.setenv("AMODAL_VOS_CACHE", str(tmp_path / "cache"))
    lib = assets.clipart_library()
    assert lib.names == ["animals/disc.png"] and lib.categories == ["animals"]
    sprite = lib.sprite(0)
    assert sprite.shape[2] == 4 and max(sprite.shape[:2]) <= assets.SPRITE_MAX_SIDE
    assert (sprite[..., :3] <= sprite[..., 3:]).all()  # premultiplied: no colour where there is no alpha
    assert abs(int((sprite[..., 3] >= 128).sum()) - int(disc.sum())) < 0.05 * disc.sum()
    assert len(list((tmp_path / "cache").glob("clipart-*.npy"))) == 1
