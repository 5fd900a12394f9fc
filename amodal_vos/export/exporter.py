"""Export AmodalSAM2's per-frame graphs to ONNX (torch.onnx's dynamo exporter) with a manifest.json beside them.

The manifest says how to feed the graphs: image size and preprocessing, each graph's file, input and output names,
shapes (symbolic axes by name) and dtypes read back from the written files, and the few learned constants a
runtime needs outside the graphs (``no_mem_embed`` for the first prompted frame).
"""

from __future__ import annotations

import json
import logging
import re
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import torch

from amodal_vos.errors import UserError
from amodal_vos.export.graphs import real_rope
from amodal_vos.export.specs import GraphSpec, Sizes, graph_specs
from amodal_vos.model.amodal_sam2 import AmodalSAM2
from amodal_vos.model.transforms import IMAGENET_MEAN, IMAGENET_STD

FORMAT = "amodal-vos-onnx/1"
OPSET = 18
INSTALL_HINT = "pip install amodal-vos[onnx]"


def require_onnx() -> None:
    """Raise one UserError when onnx, onnxscript or onnxruntime is missing (torch's exporter needs the first two)."""
    missing = []
    for name in ("onnx", "onnxscript", "onnxruntime"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise UserError(f"ONNX export needs {', '.join(missing)}: {INSTALL_HINT}")


def _export_one(spec: GraphSpec, path: Path, optimize: bool = True) -> None:
    """Trace one graph and write it as a single self-contained .onnx file (``optimize``: onnxscript's graph
    optimizer, about a third of the export time; onnxruntime applies its own optimizations at load either way)."""
    dims: dict[str, torch.export.Dim] = {}
    dynamic = {
        name: {
            axis: dims.setdefault(dim, torch.export.Dim(dim))
            for axis, dim in spec.dynamic.get(name, {}).items()
        }
        or None
        for name in spec.inputs
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation and "training mode" chatter
        program = torch.onnx.export(
            spec.module,
            (),
            kwargs=dict(spec.inputs),
            input_names=list(spec.inputs),
            output_names=list(spec.outputs),
            dynamic_shapes=dynamic,
            opset_version=OPSET,
            dynamo=True,
            external_data=False,
            verbose=False,
            optimize=optimize,
        )
    program.save(str(path), external_data=False)


def _io(values) -> dict[str, dict]:
    """ONNX value infos -> {name: {"shape": [int or axis name], "dtype": numpy name}}."""
    from onnx import helper

    out = {}
    for v in values:
        t = v.type.tensor_type
        shape = [d.dim_param if d.dim_param else d.dim_value for d in t.shape.dim]
        out[v.name] = {"shape": shape, "dtype": str(helper.tensor_dtype_to_np_dtype(t.elem_type))}
    return out


def _export_logged(spec: GraphSpec, out_dir: Path, optimize: bool, log: Callable[[str], None]) -> dict:
    """Export one graph; its manifest entry (file, inputs and outputs as written). Failures are one UserError."""
    import onnx

    start = time.perf_counter()
    path = out_dir / f"{spec.name}.onnx"
    try:
        _export_one(spec, path, optimize)
    except Exception as err:  # an exporter failure names the graph, not a 200-line trace
        first = (str(err).strip().splitlines() or [""])[0][:300]
        raise UserError(f"exporting {spec.name} failed: {type(err).__name__}: {first}") from err
    proto = onnx.load(str(path), load_external_data=False)
    log(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB, {time.perf_counter() - start:.1f} s)")
    return {
        "file": path.name,
        "about": spec.about,
        "inputs": _io(proto.graph.input),
        "outputs": _io(proto.graph.output),
    }


def constants(model: AmodalSAM2) -> dict:
    """Model settings and learned values a runtime needs around the graphs."""
    return {
        "hidden_dim": int(model.hidden_dim),
        "mem_dim": int(model.mem_dim),
        "num_maskmem": int(model.num_maskmem),
        "max_obj_ptrs_in_encoder": int(model.max_obj_ptrs_in_encoder),
        "directly_add_no_mem_embed": bool(model.directly_add_no_mem_embed),
        "binarize_mask_from_pts_for_mem_enc": bool(model.binarize_mask_from_pts_for_mem_enc),
        "visible_bias": model.visible_bias,  # added to mask token 1's logits (visible_head: token models)
        # shortest decimals that read back as the same float32 values
        "no_mem_embed": [float(str(x)) for x in model.no_mem_embed.detach().reshape(-1).numpy()],
    }


def export_onnx(
    model: AmodalSAM2,
    out_dir: str | Path,
    described: dict | None = None,
    sizes: Sizes | None = None,
    log: Callable[[str], None] = lambda _: None,
    optimize: bool = True,
) -> tuple[dict, list[GraphSpec]]:
    """Write every graph of ``model`` into ``out_dir`` plus manifest.json; returns (manifest, traced specs)."""
    require_onnx()
    if not model.directly_add_no_mem_embed:
        raise UserError(
            "ONNX export supports configs with directly_add_no_mem_embed: true (all shipped ones)"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = model.eval()
    specs = graph_specs(model, sizes)
    graphs = {}
    registry_log = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registry_log.level
    registry_log.setLevel(
        logging.ERROR
    )  # "torchvision is not installed. Skipping torchvision::nms" x4 per graph
    try:
        with real_rope(model), torch.no_grad():
            for spec in specs:
                graphs[spec.name] = _export_logged(spec, out_dir, optimize, log)
    finally:
        registry_log.setLevel(level)
    manifest = {
        "format": FORMAT,
        **(described or {}),
        "config": str(model.config.get("name", "?")) if hasattr(model, "config") else "?",
        "image_size": int(model.image_size),
        "opset": OPSET,
        "preprocess": {
            "image": "RGB resized to image_size x image_size, /255, then (x - mean) / std",
            "mean": list(IMAGENET_MEAN),
            "std": list(IMAGENET_STD),
            "mspec": "the box enlarged by 20% per side as a binary [B,1,S,S] mask (amodal_vos.model.prior)",
            "points": "x, y in model-input pixels (0..image_size); labels 1 positive, 0 negative, "
            "2/3 box corners (top-left, bottom-right), -1 padding",
        },
        "constants": constants(model),
        "graphs": graphs,
    }
    write_manifest(out_dir, manifest)
    return manifest, specs


def write_manifest(out_dir: Path, manifest: dict) -> Path:
    """manifest.json, indented, with each list of numbers or axis names on one line."""
    text = json.dumps(manifest, indent=2)
    text = re.sub(r"\[([^\[\]{}]*)\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text)
    path = Path(out_dir) / "manifest.json"
    path.write_text(text + "\n")
    return path
