"""Official SAM-2 checkpoints into AmodalSAM2, our own checkpoint format, and the errors for bad ones."""

from __future__ import annotations

import pytest
import torch
from sam2.build_sam import build_sam2

from amodal_vos.errors import UserError
from amodal_vos.model import (
    build_model,
    load_checkpoint,
    load_official_checkpoint,
    read_header,
    save_checkpoint,
)
from amodal_vos.model.amodal_sam2 import ADAPTER_PREFIX


def _adapter_keys(model) -> list[str]:
    return sorted(k for k in model.state_dict() if k.startswith(ADAPTER_PREFIX))


def test_official_checkpoint_loads_with_only_adapter_keys_missing(tmp_path, plain_sam2):
    torch.manual_seed(3)
    official = plain_sam2("small")
    path = tmp_path / "sam2_small.pt"
    torch.save({"model": official.state_dict()}, path)
    ours = build_model("small", image_size=128)
    missing = load_official_checkpoint(ours, path)
    assert missing == _adapter_keys(ours) and len(missing) > 0
    for key, value in official.state_dict().items():
        assert torch.equal(ours.state_dict()[key], value), key


def test_packaged_sam2_hiera_t_checkpoint_loads_into_our_config(tmp_path):
    """A checkpoint of sam2's own packaged sam2.1_hiera_t config (the official architecture) fits ours."""
    official = build_sam2(
        "configs/sam2.1/sam2.1_hiera_t.yaml", None, device="cpu", apply_postprocessing=False
    )
    path = tmp_path / "sam2.1_hiera_tiny.pt"
    torch.save({"model": official.state_dict()}, path)
    ours = build_model("sam2.1_hiera_t")
    assert load_official_checkpoint(ours, path) == _adapter_keys(ours)
    assert torch.equal(
        ours.state_dict()["image_encoder.trunk.pos_embed"],
        official.state_dict()["image_encoder.trunk.pos_embed"],
    )


@pytest.mark.parametrize("name", ["sam2.1_hiera_s", "sam2.1_hiera_b+", "sam2.1_hiera_l"])
def test_other_official_architectures_match(name):
    """Same keys and shapes as sam2's packaged config, adapters aside (so official weights load)."""
    official = build_sam2(
        f"configs/sam2.1/{name}.yaml", None, device="cpu", apply_postprocessing=False
    ).state_dict()
    ours = {k: v for k, v in build_model(name).state_dict().items() if not k.startswith(ADAPTER_PREFIX)}
    assert {k: tuple(v.shape) for k, v in ours.items()} == {k: tuple(v.shape) for k, v in official.items()}


def test_official_checkpoint_with_wrong_keys_names_them(tmp_path, plain_sam2):
    state = plain_sam2("small").state_dict()
    state["sam_mask_decoder.renamed_weight"] = state.pop("sam_mask_decoder.iou_token.weight")
    path = tmp_path / "bad.pt"
    torch.save({"model": state}, path)
    with pytest.raises(UserError) as err:
        load_official_checkpoint(build_model("small", image_size=128), path)
    assert "sam_mask_decoder.iou_token.weight" in str(err.value) and "renamed_weight" in str(err.value)


def test_official_checkpoint_of_another_architecture_is_a_shape_error(tmp_path, plain_sam2):
    path = tmp_path / "other.pt"
    torch.save({"model": plain_sam2("small").state_dict()}, path)
    with pytest.raises(UserError, match="shape mismatch"):
        load_official_checkpoint(build_model("sam2.1_hiera_t"), path)


def test_pickled_code_is_never_executed(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"model": {}, "payload": _Payload()}, path)
    with pytest.raises(UserError, match="cannot read checkpoint"):
        load_official_checkpoint(build_model("small", image_size=128), path)


class _Payload:
    """An arbitrary object: loading it would need unpickling code, which weights_only refuses."""


def test_corrupt_files_fail_with_one_clear_message(tmp_path):
    model = build_model("small", image_size=128)
    good = save_checkpoint(model, tmp_path / "good.safetensors")
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(good.read_bytes()[:1000])
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint at all")
    with pytest.raises(UserError, match="not a valid amodal-vos checkpoint"):
        load_checkpoint(truncated)
    with pytest.raises(UserError, match="cannot read checkpoint"):
        load_official_checkpoint(model, garbage)
    with pytest.raises(UserError, match="not found"):
        load_checkpoint(tmp_path / "missing.safetensors")


def test_our_checkpoint_round_trip_keeps_config_weights_and_metadata(tmp_path):
    torch.manual_seed(5)
    model = build_model("small", image_size=128)
    meta = {
        "trained": "adapters",
        "data": "synthetic seed 7",
        "iterations": 12,
        "metrics": {"miou_full": 0.5},
    }
    path = save_checkpoint(model, tmp_path / "ckpt.safetensors", meta)
    config, read_meta = read_header(path)
    assert read_meta == meta and config.model.image_size == 128
    loaded, _ = load_checkpoint(path)
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    half, _ = load_checkpoint(save_checkpoint(model, tmp_path / "half.safetensors", meta, half=True))
    weight = "image_encoder.trunk.patch_embed.proj.weight"
    assert half.state_dict()[weight].dtype == torch.float32
    assert torch.equal(half.state_dict()[weight], model.state_dict()[weight].half().float())


def test_checkpoint_for_another_config_is_a_clear_error(tmp_path):
    path = save_checkpoint(build_model("small", image_size=128), tmp_path / "small.safetensors")
    with pytest.raises(UserError, match="made for config 'small'"):
        load_checkpoint(path, config="sam2.1_hiera_t")
