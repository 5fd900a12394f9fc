"""`amodal-vos export` (float16 copy with eval results in the record) and `amodal-vos info` (prints the record)."""

from __future__ import annotations

import json

import torch
from click.testing import CliRunner

from amodal_vos.cli.main import cli
from amodal_vos.model import build_model, load_checkpoint, save_checkpoint


def _eval_results(path):
    summary = {
        "amodal": {"miou_full": 61.25, "miou_occ_only": 20.5, "objects": 3},
        "modal": {"miou_full": 30.0},
    }
    doc = {
        "data": {"dataset": "synthetic"},
        "protocol": "box on frame 0",
        "summary": summary,
        "objects": [{}] * 3,
    }
    path.write_text(json.dumps(doc))
    return path


def test_export_half_keeps_outputs_and_adds_eval_then_info_prints_it(tmp_path):
    torch.manual_seed(0)
    model = build_model("small", image_size=64)
    with torch.no_grad():
        for adapter in model.image_encoder.trunk.sca:
            torch.nn.init.normal_(adapter.up.weight, std=0.05)
    src = save_checkpoint(model, tmp_path / "run.safetensors", {"iterations": 7, "wall_time_s": 120.0})
    out = tmp_path / "ship.safetensors"
    args = ["export", src, out, "--eval", _eval_results(tmp_path / "results.json"), "--note", "test model"]
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size < 0.6 * src.stat().st_size  # float16

    shipped, meta = load_checkpoint(out)
    assert meta["iterations"] == 7 and meta["note"] == "test model"
    assert meta["eval"]["summary"]["amodal"]["miou_occ_only"] == 20.5 and "objects" not in meta["eval"]
    img, prior = torch.rand(1, 3, 64, 64), torch.zeros(1, 1, 64, 64)
    prior[..., 10:40, 10:50] = 1
    with torch.no_grad():
        a, b = model.eval().forward_image(img, prior), shipped.eval().forward_image(img, prior)
    for x, y in zip(a["backbone_fpn"], b["backbone_fpn"], strict=True):
        assert torch.allclose(x, y, atol=0.05 * x.abs().max().item())

    printed = CliRunner().invoke(cli, ["info", str(out)]).output
    assert "(config 'small', 64 px)" in printed and "note: test model" in printed
    assert "amodal model: full 61.2, occ only 20.5" in printed and "modal (no SCA): full 30.0" in printed


def test_export_refuses_to_overwrite_and_bad_eval_is_one_line(tmp_path):
    src = save_checkpoint(build_model("small", image_size=64), tmp_path / "run.safetensors")
    result = CliRunner().invoke(cli, ["export", str(src), str(src)])
    assert result.exit_code == 2 and "--force" in result.output
    (tmp_path / "bad.json").write_text("{}")
    result = CliRunner().invoke(
        cli, ["export", str(src), str(tmp_path / "o.safetensors"), "--eval", str(tmp_path / "bad.json")]
    )
    assert result.exit_code == 2 and result.output.startswith("error: cannot read eval results")
    assert not (tmp_path / "o.safetensors").exists()
