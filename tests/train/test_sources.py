"""Recipe data specs -> clip sources (amodal_vos.data), and the whole CLI path on a written FISHBOWL folder."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from amodal_vos.cli.main import cli
from amodal_vos.data.fishbowl_writer import write_fishbowl
from amodal_vos.data.synthetic import SynthConfig
from amodal_vos.errors import UserError
from amodal_vos.model.checkpoint import read_header
from amodal_vos.train.sources import MixSource, build_source


def test_synthetic_source_makes_clips_of_the_asked_length():
    src = build_source({"kind": "synthetic", "width": 64, "height": 48})
    clip = src.sample(np.random.default_rng(0), 3)
    assert clip.frames.shape == (3, 48, 64, 3)
    again = src.sample(np.random.default_rng(0), 3)
    assert np.array_equal(clip.frames, again.frames)  # a function of the stream


def test_bad_data_specs_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="synthetic data"):
        build_source({"kind": "synthetic", "fish_count": 3})
    with pytest.raises(UserError, match="--data-root"):
        build_source({"kind": "fishbowl", "root": None})
    with pytest.raises(UserError, match="unknown dataset format"):
        build_source({"kind": "fishbowel", "root": str(tmp_path)})
    with pytest.raises(UserError, match="module:function"):
        build_source({"kind": "python", "target": "nothing"})
    with pytest.raises(UserError, match="weights"):
        MixSource([{"kind": "synthetic", "weight": 0}])


def test_mix_source_draws_by_weight(shapes):
    spec = {"kind": "python", "target": f"{shapes.__file__}:make_source"}
    mix = build_source(
        {"kind": "mix", "sources": [{**spec, "weight": 3}, {"kind": "synthetic", "weight": 1}]}
    )
    sources = [mix.sample(np.random.default_rng(i), 1).source for i in range(200)]
    assert 0.65 < sources.count("shapes") / 200 < 0.85


def test_cli_trains_and_evaluates_on_a_fishbowl_folder(tmp_path):
    data = tmp_path / "fish"
    write_fishbowl(
        data, videos=2, seed=1, cfg=SynthConfig(width=64, height=64, num_frames=6, num_fish=(2, 3))
    )
    run = tmp_path / "run"
    args = ["train", "fishbowl-cpu", "--data-root", str(data), "--out", str(run), "--iters", "2", "--quiet"]
    args += [
        "--set",
        "model.image_size=64",
        "--set",
        "stages.0.frames=3",
        "--set",
        "stages.0.targets.min_visible_px=5",
    ]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    _, meta = read_header(run / "model.safetensors")
    assert meta["iterations"] == 2 and meta["data"][0]["data"]["kind"] == "fishbowl"

    res = CliRunner().invoke(
        cli, ["eval", "fishbowl", "--data-root", str(data), "--checkpoint", str(run / "model.safetensors")]
    )
    assert res.exit_code == 0, res.output
    out = json.loads((run / "eval-fishbowl" / "results.json").read_text())
    assert set(out["summary"]) == {"amodal", "modal", "copy-first"} and out["data"]["clips"] == 2

    res = CliRunner().invoke(cli, ["train", "fishbowl-cpu", "--out", str(run)])
    assert res.exit_code == 2 and "--data-root" in res.output


def test_cli_evaluates_a_generated_test_set(tmp_path):
    from amodal_vos.model.build import build_model
    from amodal_vos.model.checkpoint import save_checkpoint

    ckpt = save_checkpoint(build_model("small", image_size=64), tmp_path / "m.safetensors")
    args = [
        "eval",
        "synthetic",
        "--checkpoint",
        str(ckpt),
        "--num-clips",
        "2",
        "--frames",
        "3",
        "--size",
        "64x64",
    ]
    res = CliRunner().invoke(cli, args + ["--no-baselines", "--out", str(tmp_path / "ev")])
    assert res.exit_code == 0, res.output
    out = json.loads((tmp_path / "ev" / "results.json").read_text())
    assert set(out["summary"]) == {"amodal"} and out["data"] == {
        "dataset": "synthetic",
        "seed": 12345,
        "clips": 2,
        "frames": 3,
        "size": [64, 64],
    }
