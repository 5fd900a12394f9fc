"""Recipes: the shipped ones load with the paper's settings; overrides, stage selection and iteration scaling."""

from __future__ import annotations

import pytest

from amodal_vos.errors import UserError
from amodal_vos.train.recipe import list_recipes, load_recipe, scale_iters
from amodal_vos.train.setup import lr_at


def test_every_shipped_recipe_loads(tmp_path):
    names = list_recipes()
    for required in ("fishbowl", "movid-a", "taos", "joint", "scratch"):
        assert required in names and f"{required}-cpu" in names
    for name in names:
        recipe = load_recipe(name, data_root=str(tmp_path))
        assert recipe.total_iters > 0 and all(o.batch > 0 for s in recipe.stages for o in s.objectives)


@pytest.mark.parametrize("name", ["fishbowl", "movid-a"])
def test_paper_video_recipes_have_the_paper_settings(name, tmp_path):
    recipe = load_recipe(name, data_root=str(tmp_path))
    (stage,) = recipe.stages
    assert stage.iters == 75000 and stage.freeze == "adapters"
    assert (stage.lr, stage.lr_end) == (1e-4, 5e-5)
    assert recipe.init.startswith("sam2.1_hiera_tiny")
    (obj,) = stage.objectives
    assert obj.target == "amodal" and obj.adapters and obj.losses.reg > 0 and obj.losses.adv > 0
    assert obj.data["root"] == str(tmp_path)


def test_scratch_recipe_is_the_curriculum():
    recipe = load_recipe("scratch")
    assert [s.name for s in recipe.stages] == ["image", "video", "amodal"]
    image, video, amodal = recipe.stages
    assert image.objectives[0].frames == 1 and video.objectives[0].frames == 8
    assert [(o.target, o.adapters) for o in amodal.objectives] == [("amodal", True), ("visible", False)]
    assert amodal.freeze == "full" and image.freeze == "base"


def test_adapter_comparison_trains_fresh_adapters_only_and_only_its_recipe_drops_them():
    recipe = load_recipe("track-adapters")
    assert recipe.fresh_adapters and [s.freeze for s in recipe.stages] == ["adapters"]
    assert not any(load_recipe(n).fresh_adapters for n in ("track", "track-clicks", "scratch"))


def test_memory_experiment_drops_mspec_only_in_its_own_recipe_and_spec_drop_is_checked(
    write_recipe, image_stage
):
    assert all(o.spec_drop == 0.0 for s in load_recipe("track").stages for o in s.objectives)
    (stage,) = load_recipe("track-memory").stages
    assert stage.name == "memory" and [o.spec_drop for o in stage.objectives] == [0.5, 0.5]
    for bad in (1.5, "half"):
        with pytest.raises(UserError, match="spec_drop must be a number from 0 to 1"):
            load_recipe(write_recipe([{**image_stage, "spec_drop": bad}]))


def test_real_data_recipe_without_data_root_is_a_user_error():
    with pytest.raises(UserError, match="--data-root"):
        load_recipe("fishbowl")


def test_overrides_stage_selection_and_scaling(write_recipe, image_stage):
    path = write_recipe([image_stage, {**image_stage, "name": "second", "iters": 9}])
    overrides = ["stages.1.iters=12", "seed=7", "defaults.lr=0.5", "stages.1.adapter_lr_scale=4"]
    recipe = load_recipe(path, overrides=overrides)
    assert [s.iters for s in recipe.stages] == [3, 12] and recipe.seed == 7 and recipe.stages[0].lr == 0.5
    assert [s.adapter_lr_scale for s in recipe.stages] == [1.0, 4.0]
    assert [s.name for s in load_recipe(path, stages=["second"]).stages] == ["second"]
    assert [s.iters for s in load_recipe(path, iters=30).stages] == [8, 22]
    assert recipe.stage_at(0) == (0, 0) and recipe.stage_at(3) == (1, 3) and recipe.stage_at(14) == (1, 3)
    with pytest.raises(UserError, match="no stage"):
        load_recipe(path, stages=["nope"])
    with pytest.raises(UserError, match="unknown recipe"):
        load_recipe("no-such-recipe")
    with pytest.raises(UserError, match="unknown setting"):
        load_recipe(write_recipe([{**image_stage, "lr_typo": 1}]))
    with pytest.raises(UserError, match="unknown loss setting"):
        load_recipe(write_recipe([{**image_stage, "losses": {"dice": 1}}]))


def test_scale_iters_keeps_the_total_and_every_stage():
    assert sum(scale_iters([3000, 2500, 2000], 75)) == 75
    assert scale_iters([1000, 1], 3) == [2, 1]
    with pytest.raises(UserError):
        scale_iters([1, 1, 1], 2)


def test_lr_warms_up_then_decays_to_lr_end(write_recipe, image_stage):
    stage = load_recipe(write_recipe([{**image_stage, "iters": 101, "warmup": 10}])).stages[0]
    lrs = [lr_at(stage, i) for i in range(101)]
    assert lrs[0] == pytest.approx(1e-4) and lrs[9] == pytest.approx(1e-3)
    assert lrs[10] == pytest.approx(1e-3) and lrs[-1] == pytest.approx(1e-4)
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:], strict=False))


def test_train_cli_lists_recipes_and_reports_bad_ones_in_one_line():
    from click.testing import CliRunner

    from amodal_vos.cli.main import cli

    res = CliRunner().invoke(cli, ["train", "--list"])
    assert res.exit_code == 0 and "scratch" in res.output.split()
    res = CliRunner().invoke(cli, ["train", "no-such-recipe"])
    assert res.exit_code == 2 and "unknown recipe" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(cli, ["train", "scratch", "--set", "stages.0.iters"])
    assert res.exit_code == 2 and "key=value" in res.output
