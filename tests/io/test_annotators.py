"""Annotators: each draws one thing where it should, and the default overlay shows visible vs hidden at a glance."""

from __future__ import annotations

import numpy as np

from amodal_vos.io.annotators import (
    FillAnnotator,
    HatchAnnotator,
    LabelAnnotator,
    OutlineAnnotator,
    render,
)
from amodal_vos.io.colors import edge_for
from amodal_vos.io.frame_masks import FrameMasks

H, W = 60, 80


def scene():
    amodal = np.zeros((2, H, W), bool)
    amodal[0, 20:40, 10:40] = True
    amodal[1, 30:55, 45:75] = True
    visible = amodal.copy()
    visible[0, :, 25:40] = False  # right half of object 1 hidden
    return FrameMasks([1, 2], amodal, visible), np.full((H, W, 3), 100, np.uint8)


def changed(a, b):
    return (a != b).any(axis=-1)


def test_fill_touches_exactly_the_visible_part():
    masks, frame = scene()
    out = render(frame, masks, [FillAnnotator()])
    assert np.array_equal(changed(out, frame), masks.visible.any(0))
    assert not np.array_equal(out[25, 15], out[40, 60])  # each object its own colour
    amodal_only = FrameMasks(masks.ids, masks.amodal)
    assert np.array_equal(changed(render(frame, amodal_only, [FillAnnotator()]), frame), masks.amodal.any(0))


def test_hatch_draws_stripes_only_on_the_hidden_part():
    masks, frame = scene()
    out = render(frame, masks, [HatchAnnotator()])
    drawn = changed(out, frame)
    hidden = masks.occluded.any(0)
    assert drawn[hidden].mean() > 0.15 and drawn[hidden].mean() < 0.6  # stripes, not a fill
    assert not drawn[~hidden].any()
    annotator = HatchAnnotator()
    out = render(frame, masks, [annotator])
    color, ink = annotator.colors.color(1), edge_for(annotator.colors.color(1))
    stripes, edges = (out == color).all(-1) & drawn, (out == ink).all(-1) & drawn
    assert (
        np.array_equal(stripes | edges, drawn) and stripes.any() and edges.any()
    )  # object colour, edged in ink
    assert not changed(render(frame, FrameMasks(masks.ids, masks.amodal), [HatchAnnotator()]), frame).any()


def test_outline_follows_the_amodal_boundary_and_label_sits_at_the_box():
    masks, frame = scene()
    outline = changed(render(frame, masks, [OutlineAnnotator()]), frame)
    assert outline[20, 10:40].any() and outline[39, 10:40].any() and not outline[30, 20]
    label = changed(render(frame, masks, [LabelAnnotator()]), frame)
    rows, cols = np.nonzero(label)
    assert rows.min() < 20 and cols.min() <= 12  # above / at the top-left corner of object 1


def test_render_leaves_the_input_untouched():
    masks, frame = scene()
    before = frame.copy()
    out = render(frame, masks)
    assert np.array_equal(frame, before) and changed(out, frame).any()
    assert np.array_equal(masks.occlusion_rates, [0.5, 0.0])
