"""The per-frame engine: Mspec follows the previous amodal mask's box enlarged 20% per side (the last good box
while lost), all objects of a frame share one encoder batch, groups get their own memory banks, bypass = SAM-2."""

from __future__ import annotations

import pytest
import torch

from amodal_vos.model.transforms import frames_to_input
from amodal_vos.tracking.propagation import ModelPrompt, Propagation

from .conftest import SIZE, frames_of


def box_prompt(obj_id, frame, box):
    return ModelPrompt(
        obj_id, frame, torch.tensor(box, dtype=torch.float32), torch.zeros(0, 2), torch.zeros(0)
    )


@pytest.fixture
def images(clip):
    return [frames_to_input(f, SIZE) for f in frames_of(clip[0])[:10]]


def box_logits(like: torch.Tensor, boxes: list) -> torch.Tensor:
    """Mask logits shaped like ``like``: +5 inside each object's (x0, y0, x1, y1) box, -5 elsewhere (None: empty)."""
    logits = torch.full_like(like, -5.0)
    for i, box in enumerate(boxes):
        if box is not None:
            x0, y0, x1, y1 = box
            logits[i, :, y0:y1, x0:x1] = 5.0
    return logits


@pytest.fixture
def spy(model, monkeypatch):
    """Records every encoder call (batch size, prior masks) and replaces predicted masks by scripted boxes."""
    calls, script = [], {}
    encode, track_frame = model.encode, model.track_frame

    def recording_encode(img, prior_mask=None):
        calls.append((img.shape[0], None if prior_mask is None else prior_mask.clone()))
        return encode(img, prior_mask)

    def scripted_track_frame(t, feats, memory, **kwargs):
        out = track_frame(t, feats, memory, **kwargs)
        if t in script:
            out["pred_masks_high_res"] = box_logits(out["pred_masks_high_res"], script[t])
        return out

    monkeypatch.setattr(model, "encode", recording_encode)
    monkeypatch.setattr(model, "track_frame", scripted_track_frame)
    return calls, script


def spec_rect(prior):
    """(x0, y0, x1, y1) of the ones in a [1, S, S] Mspec, checking it is a filled rectangle."""
    ys, xs = torch.nonzero(prior[0], as_tuple=True)
    x0, y0, x1, y1 = xs.min().item(), ys.min().item(), xs.max().item() + 1, ys.max().item() + 1
    assert prior[0].sum() == (x1 - x0) * (y1 - y0)
    return x0, y0, x1, y1


def test_mspec_is_the_previous_box_enlarged_and_falls_back_while_lost(model, images, spy):
    calls, script = spy
    script.update({0: [(40, 40, 80, 60)], 1: [(50, 20, 100, 120)], 2: [None], 3: [None], 4: [(0, 0, 20, 10)]})
    sweep = Propagation(model, [box_prompt(1, 0, [30, 30, 70, 80])], num_frames=6, visible=False)
    for t in range(6):
        sweep.step(t, images[t])
    priors = [spec_rect(p[0]) for n, p in calls]
    assert priors == [
        (22, 20, 78, 90),  # prompt box 40x50 grown by 8 / 10 px per side
        (32, 36, 88, 64),  # frame 0's box 40x20 grown by 8 / 4
        (40, 0, 110, 128),  # frame 1's box, clipped to the image
        (40, 0, 110, 128),  # lost on frame 2: last good box
        (40, 0, 110, 128),  # still lost
        (0, 0, 24, 12),  # found again on frame 4
    ]


def test_objects_share_one_encoder_batch_and_groups_have_own_banks(model, images, spy):
    calls, script = spy
    script[2] = [(0, 0, 20, 20), (30, 30, 60, 60)]
    prompts = [
        box_prompt(1, 0, [10, 10, 50, 50]),
        box_prompt(2, 0, [60, 60, 120, 100]),
        box_prompt(3, 3, [5, 70, 40, 120]),
    ]
    sweep = Propagation(model, prompts, num_frames=6, visible=True)
    steps = [sweep.step(t, images[t]) for t in range(6)]
    assert [[s.obj_id for s in frame] for frame in steps] == [[1, 2]] * 3 + [[1, 2, 3]] * 3
    modal = [n for n, p in calls if p is None]
    amodal = [(n, p) for n, p in calls if p is not None]
    assert modal == [1] * 6  # the modal encoder output is shared by all objects
    assert [n for n, _ in amodal] == [2, 2, 2, 3, 3, 3]
    n, prior = amodal[3]
    assert [spec_rect(prior[i]) for i in range(n)] == [(0, 0, 24, 24), (24, 24, 66, 66), (0, 60, 47, 128)]
    assert [len(g.prompts) for g in sweep.groups] == [2, 1]
    assert [len(g.amodal) for g in sweep.groups] == [6, 3]
    assert [len(g.visible) for g in sweep.groups] == [0, 0]  # the visible pass keeps no memory


def test_visible_pass_is_prompted_with_the_amodal_box_and_stays_inside_it(model, images, monkeypatch):
    """On later frames modal SAM-2 gets the box of the object's amodal mask on that frame (its last good box
    while the mask is empty), with no memory; the visible mask never leaves the amodal mask."""
    script = {1: [(20, 30, 60, 50), (70, 10, 90, 40)], 2: [None, (0, 0, 30, 20)]}  # amodal masks per frame
    asked = []
    track_frame = model.track_frame

    def scripted(t, feats, memory, **kwargs):
        out = track_frame(t, feats, memory, **kwargs)
        if kwargs.get("point_inputs") is not None and t > 0:  # a visible-pass call on a later frame
            asked.append(
                (
                    t,
                    kwargs["point_inputs"]["point_coords"].reshape(-1, 4).tolist(),
                    len(memory["cond_frame_outputs"]),
                )
            )
            out["pred_masks_high_res"] = torch.full_like(out["pred_masks_high_res"], 5.0)  # modal: everything
        elif t in script:
            out["pred_masks_high_res"] = box_logits(out["pred_masks_high_res"], script[t])
        return out

    monkeypatch.setattr(model, "track_frame", scripted)
    prompts = [box_prompt(1, 0, [10, 10, 50, 50]), box_prompt(2, 0, [60, 60, 120, 100])]
    sweep = Propagation(model, prompts, num_frames=3, visible=True)
    steps = [sweep.step(t, images[t]) for t in range(3)]
    assert asked == [
        (1, [[20, 30, 60, 50], [70, 10, 90, 40]], 0),
        (2, [[20, 30, 60, 50], [0, 0, 30, 20]], 0),  # object 1 lost on frame 2: its last good box
    ]
    for frame in steps[1:]:
        for s in frame:
            assert torch.equal(
                s.visible > 0, s.amodal > 0
            )  # modal says "everything": clipped to the amodal mask


def test_bypassed_adapters_are_plain_sam2(model, images, spy):
    calls, _ = spy
    sweep = Propagation(model, [box_prompt(1, 0, [10, 10, 50, 50])], num_frames=3, adapters=False)
    steps = [sweep.step(t, images[t]) for t in range(3)]
    assert all(p is None for _, p in calls) and len(calls) == 3
    assert all(s.visible is None and s.prior_box is None for frame in steps for s in frame)


def test_click_prompt_takes_its_mspec_from_the_modal_mask(model, images, spy):
    calls, script = spy
    script[0] = [(20, 30, 60, 50)]  # what the modal pass finds around the click on the prompt frame
    click = ModelPrompt(1, 0, None, torch.tensor([[40.0, 40.0]]), torch.tensor([1], dtype=torch.int32))
    sweep = Propagation(model, [click], num_frames=2, visible=False)
    sweep.step(0, images[0])
    assert [(n, p is None) for n, p in calls] == [(1, True), (1, False)]  # modal first, then amodal
    assert spec_rect(calls[1][1][0]) == (12, 26, 68, 54)
    assert len(sweep.groups[0].visible) == 0  # the modal pass on the prompt frame leaves no bank
