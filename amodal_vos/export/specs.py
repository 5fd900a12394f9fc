"""Which ONNX graphs a model exports, their input/output names, dynamic axes and example inputs.

Example inputs come from one chain through the model (random frame -> encoder -> decoder -> memory encoder ->
memory attention), so every graph is traced and checked on features of realistic scale rather than on noise.
The same function makes the export's tracing inputs and the check's inputs (at other sizes, which exercises
the dynamic axes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from amodal_vos.export.graphs import (
    ImageEncoderGraph,
    MaskDecoderGraph,
    MemoryAttentionGraph,
    MemoryEncoderGraph,
)
from amodal_vos.model.amodal_sam2 import AmodalSAM2

FEATURES = ("high_res_feat0", "high_res_feat1", "vision_features", "vision_pos_enc")
DECODER_OUT = ("low_res_masks", "high_res_masks", "ious", "object_score_logits", "obj_ptr", "all_mask_logits")


@dataclass
class Sizes:
    """Sizes of the dynamic axes for one set of example inputs."""

    batch: int = 2
    points: int = 3
    memories: int = 3
    pointers: int = 4


@dataclass
class GraphSpec:
    """One graph: its module, example inputs in forward order, output names and dynamic axes per input."""

    name: str
    module: nn.Module
    inputs: dict[str, torch.Tensor]
    outputs: tuple[str, ...]
    dynamic: dict[str, dict[int, str]] = field(default_factory=dict)
    about: str = ""


def _batch(*names: str) -> dict[str, dict[int, str]]:
    return {n: {0: "batch"} for n in names}


@torch.no_grad()
def graph_specs(model: AmodalSAM2, sizes: Sizes | None = None, seed: int = 0) -> list[GraphSpec]:
    """The graphs of ``model`` with example inputs of the given sizes (deterministic for a seed)."""
    s = sizes or Sizes()
    gen = torch.Generator().manual_seed(seed)
    size, b = int(model.image_size), s.batch
    image = torch.randn(b, 3, size, size, generator=gen)
    mspec = torch.zeros(b, 1, size, size)
    for i in range(b):  # an enlarged box, as spec_from_box makes
        x0, y0 = torch.randint(0, size // 2, (2,), generator=gen).tolist()
        mspec[i, :, y0 : y0 + size // 2, x0 : x0 + size // 2] = 1.0
    encoder = ImageEncoderGraph(model, amodal=True).eval()
    feats = dict(zip(FEATURES, encoder(image, mspec), strict=True))
    specs = [
        GraphSpec(
            "image_encoder",
            encoder,
            {"image": image, "mspec": mspec},
            FEATURES,
            _batch("image", "mspec"),
            "frames + Mspec -> backbone features (adapters on: the amodal pass)",
        ),
        GraphSpec(
            "image_encoder_modal",
            ImageEncoderGraph(model, amodal=False).eval(),
            {"image": image},
            FEATURES,
            _batch("image"),
            "frames -> backbone features with every adapter bypassed (plain SAM-2: the modal pass)",
        ),
    ]
    image_embed = feats["vision_features"] + model.no_mem_embed.reshape(1, -1, 1, 1)
    coords = torch.rand(b, s.points, 2, generator=gen) * size
    labels = torch.randint(0, 2, (b, s.points), generator=gen).to(torch.int32)
    dec_inputs = {
        "image_embed": image_embed,
        "high_res_feat0": feats["high_res_feat0"],
        "high_res_feat1": feats["high_res_feat1"],
        "point_coords": coords,
        "point_labels": labels,
    }
    dec_dynamic = {**_batch(*dec_inputs), "point_coords": {0: "batch", 1: "points"}}
    dec_dynamic["point_labels"] = {0: "batch", 1: "points"}
    for multimask in (False, True):
        decoder = MaskDecoderGraph(model, multimask=multimask).eval()
        specs.append(
            GraphSpec(
                "mask_decoder_multimask" if multimask else "mask_decoder",
                decoder,
                dec_inputs,
                DECODER_OUT,
                dec_dynamic,
                "prompt encoder + mask decoder, "
                + ("3 candidate masks (SAM-2's first click)" if multimask else "one mask (tracking frames)"),
            )
        )
    _, high, _, score, ptr, _ = specs[2].module(**dec_inputs)
    mem_enc = MemoryEncoderGraph(model, binarize=False).eval()
    mem_inputs = {
        "vision_features": feats["vision_features"],
        "mask_high_res": high,
        "object_score_logits": score,
    }
    maskmem = mem_enc(**mem_inputs)
    specs.append(
        GraphSpec(
            "memory_encoder",
            mem_enc,
            mem_inputs,
            ("maskmem_features",),
            _batch(*mem_inputs),
            "top features + predicted high-res mask logits + object score -> this frame's memory",
        )
    )
    n, p = s.memories, s.pointers
    noise = 0.1 * torch.randn(b, n, *maskmem.shape[1:], generator=gen)
    att_inputs = {
        "vision_features": feats["vision_features"],
        "vision_pos_enc": feats["vision_pos_enc"],
        "maskmem_features": maskmem[:, None] + noise,
        "maskmem_tpos_index": torch.arange(n, dtype=torch.int64).flip(0) % model.num_maskmem,
        "obj_ptrs": ptr[:, None] + 0.1 * torch.randn(b, p, ptr.shape[-1], generator=gen),
        "obj_ptr_tpos": torch.arange(p, dtype=torch.float32) / max(1, model.max_obj_ptrs_in_encoder - 1),
    }
    att_dynamic = {
        **_batch("vision_features", "vision_pos_enc"),
        "maskmem_features": {0: "batch", 1: "memories"},
        "maskmem_tpos_index": {0: "memories"},
        "obj_ptrs": {0: "batch", 1: "pointers"},
        "obj_ptr_tpos": {0: "pointers"},
    }
    specs.append(
        GraphSpec(
            "memory_attention",
            MemoryAttentionGraph(model).eval(),
            att_inputs,
            ("image_embed",),
            att_dynamic,
            "current top features conditioned on memory frames and object pointers -> image_embed",
        )
    )
    return specs
