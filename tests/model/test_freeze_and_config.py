"""Freeze presets and config handling."""

from __future__ import annotations

import pytest

from amodal_vos.errors import UserError
from amodal_vos.model import FREEZE_PRESETS, apply_freeze, build_model, list_configs, load_config
from amodal_vos.model.amodal_sam2 import ADAPTER_PREFIX


@pytest.mark.parametrize("preset", FREEZE_PRESETS)
def test_freeze_presets_leave_exactly_the_intended_parameters_trainable(preset):
    model = build_model("small", image_size=128)
    count = apply_freeze(model, preset)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    adapters = {n for n, _ in model.named_parameters() if n.startswith(ADAPTER_PREFIX)}
    everything = {n for n, _ in model.named_parameters()}
    memory = {n for n in everything if n.split(".")[0] in ("memory_attention", "memory_encoder", "obj_ptr_proj",
              "obj_ptr_tpos_proj", "maskmem_tpos_enc", "no_mem_embed", "no_mem_pos_enc", "no_obj_ptr",
              "no_obj_embed_spatial")}  # fmt: skip
    assert not any(
        n.startswith(("image_encoder.", "sam_mask_decoder.", "sam_prompt_encoder.")) for n in memory
    )
    expected = {"adapters": adapters, "full": everything, "base": everything - adapters, "memory": memory}[
        preset
    ]
    assert trainable == expected
    assert count == sum(p.numel() for n, p in model.named_parameters() if n in expected)


def test_unknown_freeze_preset_is_a_user_error():
    with pytest.raises(UserError, match="adapters, full, base"):
        apply_freeze(build_model("small", image_size=128), "decoder")


def test_shipped_configs_and_sizes():
    assert set(list_configs()) >= {
        "small",
        "sam2.1_hiera_t",
        "sam2.1_hiera_s",
        "sam2.1_hiera_b+",
        "sam2.1_hiera_l",
    }
    small = build_model("small")
    assert small.image_size == 256
    n_params = sum(p.numel() for p in small.parameters())
    assert 3.5e6 < n_params < 4.5e6  # "about 4M parameters at 256 px"
    cfg = load_config("small", image_size=128)
    assert cfg.model.image_size == 128
    assert list(cfg.model.memory_attention.layer.cross_attention.feat_sizes) == [8, 8]


def test_config_errors_are_one_line(tmp_path):
    with pytest.raises(UserError, match="unknown model config 'tiny'"):
        load_config("tiny")
    with pytest.raises(UserError, match="multiple of 32"):
        load_config("small", image_size=100)
    bad = tmp_path / "bad.yaml"
    bad.write_text("something: else\n")
    with pytest.raises(UserError, match="no 'model' section"):
        load_config(bad)
