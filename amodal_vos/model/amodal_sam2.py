"""SAM-2 with a prior-mask input: the image encoder takes Mspec (with SCAs), everything else is sam2's SAM2Base.

``forward_image(img, prior_mask)`` with ``prior_mask=None`` bypasses every adapter: that is plain (modal) SAM-2.
``track_frame`` is the one per-frame step used by the tracker, the trainer and the evaluator alike.

Visible token (a config with ``visible_head: token``): on an amodal pass, mask token 0 gives the whole shape and mask
token 1 the visible part, in one decoder run (PLUG's parallel amodal / inmodal outputs), instead of a second encoder
pass with the adapters bypassed. Amodal passes then always use single-mask output, so token 1 is never picked as an
amodal candidate; modal passes keep SAM-2's multimask behaviour.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import torch
import torch.nn.functional as F
from sam2.modeling.sam.mask_decoder import MaskDecoder
from sam2.modeling.sam2_base import NO_OBJ_SCORE, SAM2Base

ADAPTER_PREFIX = "image_encoder.trunk.sca."
MEMORY_KEYS = ("maskmem_features", "maskmem_pos_enc", "obj_ptr")


class FrameFeatures(NamedTuple):
    """Encoder output of one frame, flattened the way SAM2Base's tracking code reads it."""

    vision_feats: list[torch.Tensor]  # per level (HW, B, C)
    vision_pos: list[torch.Tensor]  # per level (HW, B, C)
    feat_sizes: list[tuple[int, int]]
    top_features: torch.Tensor  # [B, C, h, w] stride-16 encoder output (before memory attention)
    amodal: bool = False  # encoded with a prior (adapters on)

    def take(self, index: slice | list[int]) -> FrameFeatures:
        """The features of some batch entries (e.g. one object's), keeping the batch dimension."""
        return FrameFeatures(
            [f[:, index] for f in self.vision_feats],
            [p[:, index] for p in self.vision_pos],
            self.feat_sizes,
            self.top_features[index],
            self.amodal,
        )


def new_memory() -> dict:
    """An empty memory bank in SAM2Base's layout; callers insert each frame's output themselves."""
    return {"cond_frame_outputs": {}, "non_cond_frame_outputs": {}}


def memory_entry(out: dict) -> dict:
    """The part of a frame's output that memory attention reads later; the rest need not be kept."""
    return {k: out[k] for k in MEMORY_KEYS}


class _KeepingMaskDecoder(MaskDecoder):
    """sam2's MaskDecoder that keeps its last call's logits of all mask tokens (SAM2Base returns only the chosen).

    ``head_only_token`` (an index, or None): that token's logits are recomputed from detached decoder outputs, so a
    loss on them trains only its own hypernetwork MLP and leaves the shared transformer and upscaling alone. The
    values are the same either way.
    """

    last_masks: torch.Tensor | None = None
    head_only_token: int | None = None

    def predict_masks(self, *args, **kwargs):
        k = self.head_only_token
        seen: dict[str, torch.Tensor] = {}
        hooks = []
        if k is not None:
            # the token's decoder output and the upscaled embedding, as predict_masks computes them
            mlp = self.output_hypernetworks_mlps[k]
            hooks.append(mlp.register_forward_pre_hook(lambda _m, a: seen.__setitem__("token", a[0])))
            last = self.output_upscaling[-1]  # the final activation: its output is the upscaled embedding
            hooks.append(last.register_forward_hook(lambda _m, _a, o: seen.__setitem__("up", o)))
        try:
            out = super().predict_masks(*args, **kwargs)
        finally:
            for h in hooks:
                h.remove()
        masks = out[0]
        if k is not None:
            up = seen["up"].detach()
            hyper = self.output_hypernetworks_mlps[k](seen["token"].detach())
            own = (hyper[:, None] @ up.flatten(2)).view(up.shape[0], 1, *up.shape[-2:])
            masks = torch.cat([masks[:, :k], own, masks[:, k + 1 :]], dim=1)
        self.last_masks = masks
        return out


class AmodalSAM2(SAM2Base):
    """SAM2Base whose image encoder is an SCAImageEncoder (built from our YAML configs)."""

    _single_mask = False

    def _build_sam_heads(self) -> None:
        super()._build_sam_heads()
        self.sam_mask_decoder.__class__ = _KeepingMaskDecoder  # same module and weights, one more attribute

    def _use_multimask(self, is_init_cond_frame, point_inputs) -> bool:
        return False if self._single_mask else super()._use_multimask(is_init_cond_frame, point_inputs)

    @property
    def visible_token(self) -> bool:
        """Whether amodal passes also give the visible mask (mask token 1; a ``visible_head: token`` config)."""
        cfg = getattr(self, "config", None)
        return bool(cfg is not None and cfg.get("visible_head") == "token")

    def forward_image(self, img_batch: torch.Tensor, prior_mask: torch.Tensor | None = None) -> dict:
        """Encode a [B,3,S,S] normalised batch; ``prior_mask`` [B or 1,1,S,S] feeds the SCAs, None bypasses them."""
        backbone_out = self.image_encoder(img_batch, prior_mask)
        if self.use_high_res_features_in_sam:
            backbone_out["backbone_fpn"][0] = self.sam_mask_decoder.conv_s0(backbone_out["backbone_fpn"][0])
            backbone_out["backbone_fpn"][1] = self.sam_mask_decoder.conv_s1(backbone_out["backbone_fpn"][1])
        return backbone_out

    def encode(self, img_batch: torch.Tensor, prior_mask: torch.Tensor | None = None) -> FrameFeatures:
        """forward_image + SAM2Base._prepare_backbone_features, in one call."""
        backbone_out = self.forward_image(img_batch, prior_mask)
        _, feats, pos, sizes = self._prepare_backbone_features(backbone_out)
        return FrameFeatures(feats, pos, sizes, backbone_out["vision_features"], prior_mask is not None)

    def track_frame(
        self,
        frame_idx: int,
        feats: FrameFeatures,
        memory: dict,
        *,
        is_cond: bool,
        num_frames: int,
        point_inputs: dict | None = None,
        mask_inputs: torch.Tensor | None = None,
        reverse: bool = False,
        run_mem_encoder: bool = True,
    ) -> dict:
        """One SAM-2 tracking step. Unlike ``SAM2Base.track_step`` it always returns the object score logits, IoU
        predictions and multimask logits (needed for training), in train and eval mode alike.

        ``is_cond`` marks a prompted frame; the first prompted frame of a memory bank (empty memory) is the
        initial conditioning frame. The caller stores ``memory_entry(out)`` into ``memory`` afterwards.
        """
        is_init = is_cond and not memory["cond_frame_outputs"]
        token = feats.amodal and self.visible_token
        self._single_mask = token
        try:
            out, sam_outputs, _, _ = self._track_step(
                frame_idx,
                is_init,
                feats.vision_feats,
                feats.vision_pos,
                feats.feat_sizes,
                point_inputs,
                mask_inputs,
                memory,
                int(num_frames),
                reverse,
                None,
            )
        finally:
            self._single_mask = False
        _, high_res_multimasks, ious, low_res_masks, high_res_masks, obj_ptr, object_score_logits = (
            sam_outputs
        )
        out.update(
            pred_masks=low_res_masks,
            pred_masks_high_res=high_res_masks,
            multimasks_high_res=high_res_multimasks,
            ious=ious,
            obj_ptr=obj_ptr,
            object_score_logits=object_score_logits,
            top_features=feats.top_features,
        )
        if token:
            out["visible_high_res"] = self._visible_logits(object_score_logits)
        self._encode_memory_in_output(
            feats.vision_feats,
            feats.feat_sizes,
            point_inputs,
            run_mem_encoder,
            high_res_masks,
            object_score_logits,
            out,
        )
        return out

    @property
    def visible_bias(self) -> float:
        """Added to the visible token's logits before the threshold at 0 (config ``visible_bias``, default 0): the
        calibration of how much of an object is called visible (bench/visible_calibration.py)."""
        cfg = getattr(self, "config", None)
        return 0.0 if cfg is None else float(cfg.get("visible_bias", 0.0))

    def _visible_logits(self, object_score_logits: torch.Tensor) -> torch.Tensor:
        """Mask token 1 of the last decoder call (plus ``visible_bias``) at input resolution [B, 1, S, S], "no
        object" where SAM-2 says so."""
        low = self.sam_mask_decoder.last_masks[:, 1:2].float() + self.visible_bias
        low = torch.where(object_score_logits[:, :, None, None] > 0, low, NO_OBJ_SCORE)
        return F.interpolate(
            low, size=(self.image_size, self.image_size), mode="bilinear", align_corners=False
        )

    def adapter_parameters(self) -> Iterator[tuple[str, torch.nn.Parameter]]:
        """(name, parameter) of every Spatial Completion Adapter."""
        return ((n, p) for n, p in self.named_parameters() if n.startswith(ADAPTER_PREFIX))

    def base_parameters(self) -> Iterator[tuple[str, torch.nn.Parameter]]:
        """(name, parameter) of everything that plain SAM-2 has (all but the adapters)."""
        return ((n, p) for n, p in self.named_parameters() if not n.startswith(ADAPTER_PREFIX))
