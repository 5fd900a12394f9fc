"""The prompt frame seen several ways (tracking/prompt_views.py): views map back onto the frame, the best one wins."""

from __future__ import annotations

import torch

from amodal_vos.model import build_model
from amodal_vos.model.search import SearchConfig, boxes_from_crop, square_crops
from amodal_vos.model.transforms import frames_to_input
from amodal_vos.tracking.groups import Group, ModelPrompt, prompt_inputs
from amodal_vos.tracking.memory import MemoryBank
from amodal_vos.tracking.prompt_views import VIEWS, PromptViews, View, _mirror_boxes
from amodal_vos.tracking.propagation import Propagation

from .conftest import HEIGHT, WIDTH, frames_of
from .conftest import SIZE as TRACK_SIZE
from .test_propagation import box_prompt

SIZE, HW = 64, (120, 160)
BOX = torch.tensor([40.0, 30.0, 72.0, 50.0])  # the prompt box; its own crop is 64 px, 1:1 with the frame
BRIGHT = torch.tensor([40.0, 30.0, 62.0, 50.0])  # the object: the box's left part, so a mirror shows


class BrightInBox:
    """A stand-in model that segments the bright pixels of its input inside its box prompt (and its Mspec):
    correct only where image, Mspec and prompt are mapped alike."""

    image_size = SIZE

    def encode(self, images: torch.Tensor, specs: torch.Tensor) -> tuple:
        return images, specs

    def track_frame(self, t, feats, memory, *, point_inputs, **kwargs) -> dict:
        images, specs = feats
        coords = point_inputs["point_coords"]
        n = len(coords)
        ys, xs = torch.meshgrid(torch.arange(SIZE) + 0.5, torch.arange(SIZE) + 0.5, indexing="ij")
        (x0, y0), (x1, y1) = coords[:, 0].T[..., None, None], coords[:, 1].T[..., None, None]
        inside = (xs >= x0) & (xs <= x1) & (ys >= y0) & (ys <= y1)
        bright = images.mean(1) > 0
        mask = bright & inside & (specs[:, 0] > 0)
        logits = torch.where(mask, 10.0, -10.0)[:, None]
        return {"pred_masks_high_res": logits, "object_score_logits": torch.full((n, 1), 5.0)}


def frame() -> torch.Tensor:
    image = torch.full((1, 3, *HW), -1.0)
    x0, y0, x1, y1 = BRIGHT.int().tolist()
    image[..., y0:y1, x0:x1] = 1.0
    return image


def group(search: SearchConfig) -> Group:
    prompt = ModelPrompt(1, 0, BOX.clone(), torch.zeros(0, 2), torch.zeros(0))
    g = Group([prompt], MemoryBank(None), MemoryBank(None), BOX[None].clone(), size=SIZE)
    g.inputs = prompt_inputs([prompt])
    g.crops = square_crops(g.boxes, HW, SIZE, search)
    return g


def test_mirrored_boxes_mirror_back():
    boxes = torch.tensor([[3.0, 5.0, 20.0, 9.0]])
    assert torch.equal(_mirror_boxes(boxes, SIZE), torch.tensor([[44.0, 5.0, 61.0, 9.0]]))
    assert torch.equal(_mirror_boxes(_mirror_boxes(boxes, SIZE), SIZE), boxes)


def test_every_view_maps_back_onto_the_object():
    search = SearchConfig(min_context=2.0)
    views = PromptViews(BrightInBox(), search, HW)
    g = group(search)
    for view in (View(), View(None, True), View(3.0, False), View(3.0, True)):
        out, crops = views._look(g, g.inputs, frame(), view, 0, 1)
        found = (out["pred_masks_high_res"][0, 0] > 0).nonzero().float()
        box = boxes_from_crop(
            torch.cat([found.min(0).values.flip(0), found.max(0).values.flip(0) + 1])[None], crops, SIZE
        )
        assert (box[0] - BRIGHT).abs().max() < 3.0, (view, box)  # the mask sits on the object in frame pixels


def test_a_missed_prompt_takes_the_view_that_finds_the_object():
    search = SearchConfig(min_context=2.0)
    views = PromptViews(BrightInBox(), search, HW, views=(View(3.0, True),))
    g = group(search)
    missed = {
        "pred_masks_high_res": torch.full((1, 1, SIZE, SIZE), -10.0),
        "object_score_logits": torch.zeros(1, 1),
    }
    own_crops = g.crops.clone()
    views.refine(g, g.prompts, frame(), missed, 0, 1)
    assert (missed["pred_masks_high_res"] > 0).any()
    assert missed["object_score_logits"].item() == 5.0
    assert torch.allclose(g.crops, square_crops(g.boxes, HW, SIZE, SearchConfig(min_context=3.0)))
    assert not torch.allclose(g.crops, own_crops)


def test_a_prompt_that_agrees_keeps_its_own_view():
    search = SearchConfig(min_context=2.0)
    views = PromptViews(BrightInBox(), search, HW, views=(View(None, True),))  # the same crop, mirrored
    g = group(search)
    own, _ = views._look(g, g.inputs, frame(), View(), 0, 1)
    kept = {k: v.clone() for k, v in own.items()}
    crops = g.crops.clone()
    views.refine(g, g.prompts, frame(), kept, 0, 1)
    assert torch.equal(kept["pred_masks_high_res"], own["pred_masks_high_res"])
    assert torch.equal(g.crops, crops)


def test_only_plain_box_prompts_take_part():
    assert PromptViews.applies(group(SearchConfig()).prompts)
    assert not PromptViews.applies(
        [ModelPrompt(1, 0, BOX.clone(), torch.tensor([[50.0, 40.0]]), torch.tensor([1]))]
    )
    assert not PromptViews.applies([ModelPrompt(1, 0, None, torch.tensor([[50.0, 40.0]]), torch.tensor([1]))])
    assert not PromptViews.applies(None)  # a frame without prompts


def encoder_passes(model, prompts, frames, **options) -> list[int]:
    """Encoder calls per step of a sweep over ``frames``."""
    sweep = Propagation(model, prompts, num_frames=len(frames), visible=True, hw=(HEIGHT, WIDTH), **options)
    counts = []
    for t in range(len(frames)):
        calls = []
        encode = model.encode
        model.encode = lambda img, prior=None, calls=calls, encode=encode: (
            calls.append(1) or encode(img, prior)
        )
        try:
            steps = sweep.step(t, frames[t])
        finally:
            del model.encode
        counts.append(len(calls))
        assert [s.obj_id for s in steps] == [1, 2]
    return counts


def test_a_sweep_looks_again_on_box_prompted_frames_only_without_memory(search_model, clip):
    frames = [frames_to_input(f, None) for f in frames_of(clip[0])[:3]]
    prompts = [box_prompt(1, 0, [20, 10, 44, 40]), box_prompt(2, 0, [60, 30, 70, 50])]
    torch.manual_seed(0)
    token = build_model("small", ["search.context=2.5", "visible_head=token"], image_size=TRACK_SIZE)
    assert encoder_passes(token, prompts, frames, memory=False, views=True) == [1 + len(VIEWS), 1, 1]
    assert encoder_passes(token, prompts, frames, memory=True, views=True) == [1, 1, 1]
    assert encoder_passes(token, prompts, frames, memory=False, views=False) == [1, 1, 1]
    # a box that corrects object 2 on frame 2 is looked at again too; a click correction is not
    fixed = prompts + [box_prompt(2, 2, [62, 30, 72, 52])]
    assert encoder_passes(token, fixed, frames, memory=False, views=True) == [
        1 + len(VIEWS),
        1,
        1 + len(VIEWS),
    ]
    clicked = prompts + [ModelPrompt(2, 2, None, torch.tensor([[66.0, 40.0]]), torch.tensor([1]))]
    assert encoder_passes(token, clicked, frames, memory=False, views=True) == [1 + len(VIEWS), 1, 1]
    # without a visible token the visible part comes from a second pass on the model's own crop: no views
    assert encoder_passes(search_model, prompts, frames, memory=False, views=True) == [2, 2, 2]
