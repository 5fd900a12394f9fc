"""Run exported graphs in onnxruntime on the same inputs as torch and report the largest difference per graph.

The torch side is the unpatched model (sam2's complex-valued RoPE included), so the check also covers the
real-arithmetic rewrite the export traced. Inputs are made at sizes other than the traced ones by default, so a
pass also shows that the dynamic axes (batch, points, memories, pointers) really are dynamic.

Differences are absolute, judged against ``tolerance * max(1, largest |torch value|)`` of each output: float32
rounding grows with magnitude, and a trained model's top-level features can reach 1e5 (the shipped one does on
noise input), where one float32 step is already 0.01. Mask logits and the like are judged absolutely.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from amodal_vos.export.specs import GraphSpec, Sizes, graph_specs
from amodal_vos.model.amodal_sam2 import AmodalSAM2

CHECK_SIZES = Sizes(batch=1, points=2, memories=2, pointers=3)


def session(path: str | Path, threads: int = 1):
    """An onnxruntime CPU session with a fixed thread count (benchmarks and checks stay comparable)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def feeds(spec: GraphSpec) -> dict[str, np.ndarray]:
    """A spec's inputs as numpy arrays for onnxruntime."""
    return {k: v.detach().cpu().numpy() for k, v in spec.inputs.items()}


@torch.no_grad()
def torch_outputs(spec: GraphSpec) -> list[np.ndarray]:
    out = spec.module(**spec.inputs)
    out = out if isinstance(out, tuple) else (out,)
    return [o.detach().float().cpu().numpy() for o in out]


def check_graphs(
    model: AmodalSAM2, out_dir: str | Path, sizes: Sizes | None = CHECK_SIZES, seed: int = 1
) -> dict[str, dict[str, tuple[float, float]]]:
    """{graph: {output: (max abs difference onnxruntime vs torch, largest |torch value|)}} on fresh inputs."""
    results = {}
    for spec in graph_specs(model.eval(), sizes, seed=seed):
        sess = session(Path(out_dir) / f"{spec.name}.onnx")
        got = sess.run(list(spec.outputs), feeds(spec))
        want = torch_outputs(spec)
        diffs = {}
        for name, g, w in zip(spec.outputs, got, want, strict=True):
            if g.shape != w.shape:
                raise AssertionError(f"{spec.name}.{name}: onnxruntime shape {g.shape} != torch {w.shape}")
            diff = float(np.abs(g.astype(np.float64) - w).max()) if g.size else 0.0
            diffs[name] = (diff, float(np.abs(w).max()) if w.size else 0.0)
        results[spec.name] = diffs
    return results


def worst(diffs: dict[str, tuple[float, float]]) -> tuple[str, float]:
    """The output whose difference is largest relative to its scale max(1, largest |value|), and that ratio."""
    ratios = {name: d / max(1.0, scale) for name, (d, scale) in diffs.items()}
    name = max(ratios, key=ratios.get)
    return name, ratios[name]


def passed(results: dict[str, dict[str, tuple[float, float]]], tolerance: float) -> bool:
    """Every output within ``tolerance * max(1, largest |torch value|)``."""
    return all(worst(diffs)[1] <= tolerance for diffs in results.values())


def summary(results: dict[str, dict[str, tuple[float, float]]]) -> list[str]:
    """One line per graph: its max abs difference, the output it occurs in and that output's scale."""
    lines = []
    for graph, diffs in results.items():
        name = max(diffs, key=lambda k: diffs[k][0])
        diff, scale = diffs[name]
        line = f"{graph:24s} max abs diff {diff:.2e} ({name}"
        lines.append(
            line + (f"; values up to {scale:.1e}, relative {diff / scale:.1e})" if scale > 1 else ")")
        )
    return lines
