"""ONNX export (`amodal-vos export-onnx`): the graphs reproduce AmodalSAM2's tracking step, in torch and in
onnxruntime, and the command fails with one line on a bad checkpoint or a missing onnx install.

The reference is ``AmodalSAM2.track_frame`` over a short clip (a prompted frame, then frames tracked from memory):
the graphs, fed as docs/onnx.md says, must give the same masks, pointers and memories.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from amodal_vos.cli.main import cli
from amodal_vos.errors import UserError
from amodal_vos.model import build_model, memory_entry, new_memory, save_checkpoint
from amodal_vos.model.prior import spec_from_box

SIZE, FRAMES = 64, 4
GRAPHS = (
    "image_encoder",
    "image_encoder_modal",
    "mask_decoder",
    "mask_decoder_multimask",
    "memory_encoder",
    "memory_attention",
)


@pytest.fixture(scope="module")
def model():
    """Small config at 64 px, random weights, adapters non-zero (an untrained adapter outputs exactly zero) and the
    object score shifted up, so that masks are not all replaced by SAM-2's "no object" constant."""
    torch.manual_seed(0)
    m = build_model("small", image_size=SIZE)
    with torch.no_grad():
        for _, p in m.adapter_parameters():
            p.normal_(0.0, 0.05)
        m.sam_mask_decoder.pred_obj_score_head.layers[-1].bias += 0.5  # objects present: masks not all gated
    return m


def _clip():
    gen = torch.Generator().manual_seed(3)
    frames = torch.randn(FRAMES, 3, SIZE, SIZE, generator=gen)
    spec = spec_from_box(torch.tensor([[12.0, 10.0, 40.0, 44.0]]), (SIZE, SIZE))
    point = {
        "point_coords": torch.tensor([[[26.0, 27.0]]]),
        "point_labels": torch.tensor([[1]], dtype=torch.int32),
    }
    return frames, spec.float(), point


@torch.no_grad()
def _reference(model):
    """track_frame outputs per frame: frame 0 prompted with a point, frames 1.. tracked from memory."""
    frames, spec, point = _clip()
    memory, outs = new_memory(), []
    for t in range(FRAMES):
        feats = model.encode(frames[t : t + 1], spec)
        out = model.track_frame(
            t, feats, memory, is_cond=t == 0, num_frames=FRAMES, point_inputs=point if t == 0 else None
        )
        memory["cond_frame_outputs" if t == 0 else "non_cond_frame_outputs"][t] = memory_entry(out)
        outs.append(out)
    return outs


def _graph_chain(run, model):
    """The same clip through the graphs; ``run(name, inputs) -> list of arrays`` runs one graph."""
    frames, spec, point = _clip()
    num_maskmem, max_ptrs = model.num_maskmem, min(FRAMES, model.max_obj_ptrs_in_encoder)
    no_mem = model.no_mem_embed.detach().reshape(1, -1, 1, 1).numpy()
    mems, ptrs, results = [], [], []
    for t in range(FRAMES):
        f0, f1, vf, vp = run("image_encoder", {"image": frames[t : t + 1].numpy(), "mspec": spec.numpy()})
        if t == 0:
            embed = vf + no_mem
            coords, labels = point["point_coords"].numpy(), point["point_labels"].numpy()
            decoder = "mask_decoder_multimask"  # SAM-2 picks multimask for one click on the first frame
        else:
            # prompted frame 0 at temporal index num_maskmem-1, frame t-k at index k-1 (k < num_maskmem)
            window = [0] + [t - k for k in range(1, min(t, num_maskmem - 1) + 1) if t - k > 0]
            index = [num_maskmem - 1] + [t - f - 1 for f in window[1:]]
            pointers = [0] + [t - d for d in range(1, max_ptrs) if t - d > 0]
            (embed,) = run(
                "memory_attention",
                {
                    "vision_features": vf,
                    "vision_pos_enc": vp,
                    "maskmem_features": np.stack([mems[f] for f in window], axis=1),
                    "maskmem_tpos_index": np.array(index, dtype=np.int64),
                    "obj_ptrs": np.stack([ptrs[f] for f in pointers], axis=1),
                    "obj_ptr_tpos": np.array([t - f for f in pointers], dtype=np.float32) / (max_ptrs - 1),
                },
            )
            coords, labels = np.zeros((1, 1, 2), np.float32), -np.ones((1, 1), np.int32)  # no prompt: padding
            decoder = "mask_decoder"
        low, high, _, score, ptr, _ = run(
            decoder,
            {"image_embed": embed, "high_res_feat0": f0, "high_res_feat1": f1}
            | {"point_coords": coords, "point_labels": labels},
        )
        (maskmem,) = run(
            "memory_encoder", {"vision_features": vf, "mask_high_res": high, "object_score_logits": score}
        )
        mems.append(maskmem)
        ptrs.append(ptr)
        results.append(
            {"pred_masks": low, "obj_ptr": ptr, "object_score_logits": score, "maskmem_features": maskmem}
        )
    return results


def _torch_runner(model):
    from amodal_vos.export.specs import Sizes, graph_specs

    modules = {s.name: s.module for s in graph_specs(model, Sizes(batch=1, points=1, memories=1, pointers=1))}

    @torch.no_grad()
    def run(name, inputs):
        out = modules[name](**{k: torch.from_numpy(np.asarray(v)) for k, v in inputs.items()})
        return [o.numpy() for o in (out if isinstance(out, tuple) else (out,))]

    return run


def _assert_chain_matches(results, reference, atol):
    for t, (got, want) in enumerate(zip(results, reference, strict=True)):
        for key, value in got.items():
            diff = np.abs(value - want[key].numpy()).max()
            assert diff <= atol, f"frame {t} {key}: max abs diff {diff:.2e}"


def test_graphs_in_torch_reproduce_track_frame(model):
    _assert_chain_matches(_graph_chain(_torch_runner(model), model), _reference(model), atol=1e-5)


def test_bad_checkpoint_is_one_error_line(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_text("not a checkpoint")
    for path in (tmp_path / "missing.safetensors", bad):
        result = CliRunner().invoke(cli, ["export-onnx", str(path), str(tmp_path / "out")])
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert not (tmp_path / "out").exists()


def test_missing_onnxruntime_names_the_extra(monkeypatch):
    from amodal_vos.export import require_onnx

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import raises ImportError
    with pytest.raises(UserError, match=r"onnxruntime.*pip install amodal-vos\[onnx\]"):
        require_onnx()


@pytest.fixture(scope="module")
def exported(model, tmp_path_factory):
    """The model saved as a checkpoint and exported by the CLI (export + check), once for the module."""
    pytest.importorskip("onnxruntime")
    root = tmp_path_factory.mktemp("onnx")
    ckpt = save_checkpoint(model, root / "model.safetensors")
    result = CliRunner().invoke(cli, ["export-onnx", str(ckpt), str(root / "graphs")])
    assert result.exit_code == 0, result.output
    return root / "graphs", result.output


@pytest.mark.slow
def test_export_writes_graphs_manifest_and_passes_check(model, exported):
    out_dir, output = exported
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["image_size"] == SIZE and manifest["config"] == "small"
    assert set(manifest["graphs"]) == set(GRAPHS)
    for name, graph in manifest["graphs"].items():
        assert (out_dir / graph["file"]).is_file()
        assert max(manifest["check"]["max_abs_diff"][name].values()) <= 1e-3
    enc = manifest["graphs"]["image_encoder"]
    assert enc["inputs"]["image"]["shape"] == ["batch", 3, SIZE, SIZE]
    assert enc["inputs"]["mspec"]["shape"] == ["batch", 1, SIZE, SIZE]
    att = manifest["graphs"]["memory_attention"]["inputs"]
    assert att["maskmem_features"]["shape"][:2] == ["batch", "memories"]
    assert "check passed" in output and all(f"{name} " in output for name in GRAPHS)


@pytest.mark.slow
def test_onnxruntime_graphs_reproduce_track_frame(model, exported):
    from amodal_vos.export.check import check_graphs, session

    out_dir, _ = exported
    sessions = {name: session(out_dir / f"{name}.onnx") for name in GRAPHS}

    def run(name, inputs):
        return sessions[name].run(None, {k: np.asarray(v) for k, v in inputs.items()})

    _assert_chain_matches(_graph_chain(run, model), _reference(model), atol=1e-3)
    from amodal_vos.export.specs import Sizes

    ones = check_graphs(model, out_dir, Sizes(batch=1, points=1, memories=1, pointers=1))  # smallest axes
    assert max(d for diffs in ones.values() for d, _ in diffs.values()) <= 1e-3
