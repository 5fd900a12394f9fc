"""The per-frame pieces of AmodalSAM2 as plain tensor-in / tensor-out modules that ``torch.onnx.export`` can trace.

SAM-2's tracking step mixes tensors with Python dicts, lists and frame bookkeeping (which memories to attend to),
so it cannot be exported as one graph. These wrappers cut it where a runtime naturally loops:

- ``ImageEncoderGraph``: frames (+ Mspec) -> the features ``AmodalSAM2.encode`` returns, as [B, C, H, W] maps.
- ``MaskDecoderGraph``: prompt encoder + mask decoder on memory-conditioned features and point prompts.
- ``MemoryAttentionGraph``: current top-level features + a window of memories and object pointers; the learned
  temporal encodings and the pointer projection run inside the graph, so the caller passes only indices/offsets.
- ``MemoryEncoderGraph``: top-level features + a predicted high-res mask -> the memory of this frame.

Each wrapper only calls the model's own modules (and SAM2Base's private helpers where they are tensor-only), so
the torch reference and the exported graph compute the same thing. The one rewrite is ``real_rope``: sam2's
rotary encoding uses complex tensors, which ONNX has no type for; the patch computes the same rotation with
cos/sin in real arithmetic while exporting and restores the original afterwards.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import torch
import torch.nn.functional as F
from sam2.modeling.sam.transformer import RoPEAttention
from sam2.modeling.sam2_utils import get_1d_sine_pe
from torch import nn

from amodal_vos.model.amodal_sam2 import AmodalSAM2


class ImageEncoderGraph(nn.Module):
    """[B,3,S,S] normalised frames (+ [B,1,S,S] Mspec in [0,1]) -> high-res feats 0/1, top features, top pos enc.

    With ``amodal=False`` the graph has no Mspec input and bypasses every adapter (plain SAM-2, the modal pass).
    """

    def __init__(self, model: AmodalSAM2, amodal: bool = True) -> None:
        super().__init__()
        self.model, self.amodal = model, amodal

    def forward(self, image: torch.Tensor, mspec: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
        out = self.model.forward_image(image, mspec if self.amodal else None)
        levels = self.model.num_feature_levels
        feats = out["backbone_fpn"][-levels:]
        return (*feats[:-1], feats[-1], out["vision_pos_enc"][-1])


class MaskDecoderGraph(nn.Module):
    """Prompt encoder + mask decoder (``SAM2Base._forward_sam_heads``) with point prompts and no mask prompt.

    ``multimask`` is fixed per graph (it changes the output shapes): False for tracking frames and amodal passes,
    True for SAM-2's multimask first click. Besides SAM-2's outputs the graph returns ``all_mask_logits``, every
    mask token's low-res logits before the no-object gating (token 1 is the visible mask of a
    ``visible_head: token`` config).
    """

    def __init__(self, model: AmodalSAM2, multimask: bool = False) -> None:
        super().__init__()
        self.model, self.multimask = model, multimask

    def forward(
        self,
        image_embed: torch.Tensor,
        high_res_feat0: torch.Tensor,
        high_res_feat1: torch.Tensor,
        point_coords: torch.Tensor,
        point_labels: torch.Tensor,
    ) -> tuple[torch.Tensor, ...]:
        m = self.model
        _, _, ious, low, high, obj_ptr, score = m._forward_sam_heads(
            backbone_features=image_embed,
            point_inputs={"point_coords": point_coords, "point_labels": point_labels},
            mask_inputs=None,
            high_res_features=[high_res_feat0, high_res_feat1],
            multimask_output=self.multimask,
        )
        return low, high, ious, score, obj_ptr, m.sam_mask_decoder.last_masks.float()


class MemoryAttentionGraph(nn.Module):
    """Current top-level features conditioned on N memory frames and P object pointers (SAM-2 memory attention).

    Inputs: ``maskmem_features`` [B,N,Cm,h,w] (memory encoder outputs), ``maskmem_tpos_index`` [N] int64 (SAM-2's
    ``num_maskmem - t_pos - 1``: 0..num_maskmem-1, where t_pos = 0 for prompted frames and num_maskmem-1 for the
    previous frame), ``obj_ptrs`` [B,P,C] and ``obj_ptr_tpos`` [P] float32 (frame offset / (max pointers - 1)).
    """

    def __init__(self, model: AmodalSAM2) -> None:
        super().__init__()
        self.model = model

    def forward(
        self,
        vision_features: torch.Tensor,
        vision_pos_enc: torch.Tensor,
        maskmem_features: torch.Tensor,
        maskmem_tpos_index: torch.Tensor,
        obj_ptrs: torch.Tensor,
        obj_ptr_tpos: torch.Tensor,
    ) -> torch.Tensor:
        m = self.model
        b, c, h, w = vision_features.shape
        n, cm = maskmem_features.shape[1], maskmem_features.shape[2]
        curr = vision_features.flatten(2).permute(2, 0, 1)
        curr_pos = vision_pos_enc.flatten(2).permute(2, 0, 1)
        # [B,N,Cm,h,w] -> [N*h*w, B, Cm], frame-major like SAM-2's concatenation of flattened frames
        memory = maskmem_features.permute(1, 3, 4, 0, 2).reshape(n * h * w, b, cm)
        spatial = m.memory_encoder.position_encoding(maskmem_features[:, 0]).to(memory.dtype)
        spatial = spatial.permute(2, 3, 0, 1).unsqueeze(0)  # [1,h,w,B,Cm]
        tpos = m.maskmem_tpos_enc.reshape(m.num_maskmem, cm)[maskmem_tpos_index]  # [N,Cm]
        memory_pos = (spatial + tpos[:, None, None, None, :]).reshape(n * h * w, b, cm)

        ptrs = obj_ptrs.permute(1, 0, 2)  # [P,B,C]
        if m.add_tpos_enc_to_obj_ptrs:
            pe = get_1d_sine_pe(obj_ptr_tpos, dim=c if m.proj_tpos_enc_in_obj_ptrs else m.mem_dim)
            ptr_pos = m.obj_ptr_tpos_proj(pe).unsqueeze(1).expand(-1, b, m.mem_dim)
        else:
            ptr_pos = ptrs.new_zeros(ptrs.shape[0], b, m.mem_dim)
        split = c // m.mem_dim
        if split > 1:  # a pointer becomes C // mem_dim tokens
            ptrs = ptrs.reshape(-1, b, split, m.mem_dim).permute(0, 2, 1, 3).flatten(0, 1)
            ptr_pos = ptr_pos.repeat_interleave(split, dim=0)
        out = m.memory_attention(
            curr=[curr],
            curr_pos=[curr_pos],
            memory=torch.cat([memory, ptrs], dim=0),
            memory_pos=torch.cat([memory_pos, ptr_pos], dim=0),
            num_obj_ptr_tokens=ptrs.shape[0],
        )
        return out.permute(1, 2, 0).reshape(b, c, h, w)


class MemoryEncoderGraph(nn.Module):
    """Top-level features [B,C,h,w] + high-res mask logits [B,1,S,S] + object score [B,1] -> memory [B,Cm,h,w].

    ``binarize`` follows ``binarize_mask_from_pts_for_mem_enc`` for masks that came from point prompts (sam2.1
    configs set it); such a graph thresholds the mask at 0 instead of taking its sigmoid.
    """

    def __init__(self, model: AmodalSAM2, binarize: bool = False) -> None:
        super().__init__()
        self.model, self.binarize = model, binarize

    def forward(
        self, vision_features: torch.Tensor, mask_high_res: torch.Tensor, object_score_logits: torch.Tensor
    ) -> torch.Tensor:
        b, c, h, w = vision_features.shape
        feats, _ = self.model._encode_new_memory(
            current_vision_feats=[vision_features.flatten(2).permute(2, 0, 1)],
            feat_sizes=[(h, w)],
            pred_masks_high_res=mask_high_res,
            object_score_logits=object_score_logits,
            is_mask_from_pts=self.binarize,
        )
        return feats


def _rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate consecutive channel pairs of x [..., L, D] by angles with cos/sin [L', D/2], L a multiple of L'."""
    lead, length, dim = x.shape[:-2], x.shape[-2], x.shape[-1]
    r = length // cos.shape[0]
    x = x.float().reshape(*lead, r, cos.shape[0], dim // 2, 2)
    x0, x1 = x[..., 0], x[..., 1]
    out = torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], dim=-1)
    return out.reshape(*lead, length, dim)


def _real_rope_forward(
    self: RoPEAttention, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, num_k_exclude_rope: int = 0
) -> torch.Tensor:
    """RoPEAttention.forward (sam2) with the complex multiply written as a real 2x2 rotation."""
    q = self._separate_heads(self.q_proj(q), self.num_heads)
    k = self._separate_heads(self.k_proj(k), self.num_heads)
    v = self._separate_heads(self.v_proj(v), self.num_heads)
    side = math.isqrt(q.shape[-2])
    if self.freqs_cis.shape[0] != q.shape[-2]:
        self.freqs_cis = self.compute_cis(end_x=side, end_y=side)
    freqs = self.freqs_cis.to(q.device)
    cos, sin = freqs.real.float(), freqs.imag.float()
    num_k_rope = k.shape[-2] - num_k_exclude_rope
    q = _rotate(q, cos, sin).type_as(v)
    k = torch.cat([_rotate(k[:, :, :num_k_rope], cos, sin).type_as(v), k[:, :, num_k_rope:]], dim=2)
    out = F.scaled_dot_product_attention(q, k, v)
    return self.out_proj(self._recombine_heads(out))


@contextlib.contextmanager
def real_rope(model: nn.Module) -> Iterator[None]:
    """Within the block, every RoPEAttention of ``model`` uses real arithmetic (exportable); restored on exit."""
    patched = [mod for mod in model.modules() if isinstance(mod, RoPEAttention)]
    for mod in patched:
        mod.forward = _real_rope_forward.__get__(mod)
    try:
        yield
    finally:
        for mod in patched:
            del mod.forward
