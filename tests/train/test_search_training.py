"""Training a search-region model: every frame of a native-resolution clip is cropped around the previous
prediction, and the targets are the ground truth in those same crops."""

from __future__ import annotations

import numpy as np
import torch

from amodal_vos.data.synthetic import SynthConfig, generate_clip
from amodal_vos.model import build_model
from amodal_vos.model.prior import mask_to_box
from amodal_vos.model.search import SearchConfig, boxes_from_crop, crop_masks, square_crops
from amodal_vos.train.batch import Sample, collate, crop_batch
from amodal_vos.train.objective import LossConfig, compute_losses
from amodal_vos.train.prompts import make_prompt
from amodal_vos.train.rollout import SearchView, rollout

SIZE = 64


def test_rollout_crops_follow_the_object_and_targets_are_cropped_alike():
    torch.manual_seed(0)
    model = build_model("small", ["search.context=2.5", "visible_head=token"], image_size=SIZE).train()
    clip = generate_clip(3, SynthConfig(width=160, height=120, num_frames=3))
    obj = clip.objects[0]
    batch = collate([Sample(clip.frames, obj.amodal, obj.visible)], None)
    assert batch.frames.shape[-2:] == (120, 160) and torch.equal(
        batch.amodal[0], torch.from_numpy(obj.amodal)
    )
    prompt = make_prompt("box", batch.visible[:, 0], batch.amodal[:, 0], [np.random.default_rng(0)], {})
    view = SearchView(SearchConfig.from_config(model.config), (120, 160), SIZE)
    outs = rollout(model, batch.frames, prompt, search=view)
    crops = [o["crop_boxes"] for o in outs]
    assert torch.equal(crops[0], square_crops(prompt.spec_box, (120, 160), SIZE, view.cfg))
    # frame 1's crop is made from frame 0's predicted box, mapped from crop to frame pixels
    pred, found = mask_to_box(outs[0]["pred_masks_high_res"].detach()[:, 0] > 0)
    last = boxes_from_crop(pred, crops[0], SIZE) if found.all() else prompt.spec_box
    assert torch.allclose(crops[1], square_crops(last, (120, 160), SIZE, view.cfg))
    targets = crop_batch(batch, crops, SIZE)
    for t, c in enumerate(crops):
        assert torch.equal(targets.amodal[:, t], crop_masks(batch.amodal[:, t], c, SIZE))
        assert torch.equal(targets.visible[:, t], crop_masks(batch.visible[:, t], c, SIZE))
    loss, parts, _ = compute_losses(outs, targets, "amodal", LossConfig(visible=1.0))
    assert (
        torch.isfinite(loss) and parts["visible"] > 0
    )  # the visible token is trained on the cropped targets
    loss.backward()
    assert model.sam_mask_decoder.mask_tokens.weight.grad[1].abs().sum() > 0
