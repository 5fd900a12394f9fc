"""The readable overlay (issue 13): colours picked for contrast and kept per track, labels that do not collide and
stay in the frame, the legend on or off, and a hatch that shows on small objects."""

from __future__ import annotations

import numpy as np
import pytest

from amodal_vos.io.annotators import HatchAnnotator, LabelAnnotator, default_annotators, render
from amodal_vos.io.colors import ColorPicker, edge_for, to_lab
from amodal_vos.io.frame_masks import FrameMasks
from amodal_vos.io.labels import overlaps
from amodal_vos.io.legend import LegendAnnotator

GREY = (128, 128, 128)


def painted(height, width, objects):
    """A grey frame with each (x0, y0, x1, y1, rgb) rectangle painted; FrameMasks with those as amodal = visible."""
    frame = np.full((height, width, 3), GREY, np.uint8)
    amodal = np.zeros((len(objects), height, width), bool)
    for k, (x0, y0, x1, y1, rgb) in enumerate(objects):
        frame[y0:y1, x0:x1] = rgb
        amodal[k, y0:y1, x0:x1] = True
    return frame, FrameMasks(list(range(1, len(objects) + 1)), amodal, amodal.copy())


def lab_distance(a, b) -> float:
    return float(np.linalg.norm(to_lab(np.array(a, np.uint8)) - to_lab(np.array(b, np.uint8))))


@pytest.mark.parametrize("rgb", [(220, 20, 60), (40, 170, 60)])  # crimson-red and green objects
def test_the_picked_colour_stands_out_from_the_object_and_from_the_other_objects(rgb):
    frame, masks = painted(120, 160, [(20, 30, 60, 70, rgb), (90, 30, 130, 70, rgb)])
    picker = ColorPicker()
    picker.observe(frame, masks)
    first, second = picker.color(1), picker.color(2)
    assert lab_distance(first, rgb) > 60 and lab_distance(second, rgb) > 60
    assert lab_distance(first, second) > 30  # two objects alike in look still get distinct colours


def test_colours_are_kept_per_track_and_picked_the_same_way_every_time():
    frame, masks = painted(120, 160, [(20, 30, 60, 70, (220, 20, 60))])
    picker = ColorPicker()
    picker.observe(frame, masks)
    chosen = picker.color(1).copy()
    green, moved = painted(
        120, 160, [(70, 40, 110, 80, tuple(int(c) for c in chosen))]
    )  # now it looks like it
    picker.observe(green, moved)
    assert np.array_equal(picker.color(1), chosen)
    again = ColorPicker()
    again.observe(frame, masks)
    assert np.array_equal(again.color(1), chosen)
    annotators = default_annotators()  # the overlay: same colour on every frame it draws
    out = render(frame, masks, annotators)
    assert np.abs(out[50, 40].astype(int) - (np.array([220, 20, 60]) + chosen) / 2).max() <= 1  # the fill
    render(green, moved, annotators)
    assert np.array_equal(annotators[0].colors.color(1), chosen)


def test_labels_of_overlapping_objects_do_not_collide_and_stay_in_the_frame():
    objects = [
        (10, 5, 70, 60, (200, 30, 30)),
        (20, 10, 80, 70, (30, 30, 200)),
        (15, 8, 75, 65, (30, 200, 30)),
    ]
    objects += [(300, 150, 320, 180, (200, 200, 30))]  # in the bottom-right corner
    frame, masks = painted(180, 320, objects)
    labeler = LabelAnnotator()
    rects = [rect for _, _, rect in labeler.layout(frame.shape, masks)]
    assert len(rects) == 4
    for k, a in enumerate(rects):
        assert 0 <= a[0] < a[2] <= 320 and 0 <= a[1] < a[3] <= 180
        assert not any(overlaps(a, b) for b in rects[k + 1 :])
    out = render(frame, masks, [labeler])
    for x0, y0, x1, y1 in rects:  # each label drawn where laid out: its colour box and its text
        assert len(np.unique(out[y0:y1, x0:x1].reshape(-1, 3), axis=0)) > 2


def test_labels_keep_clear_of_the_legend():
    legend = LegendAnnotator(corner="bottom-right")
    frame, masks = painted(360, 640, [(560, 300, 630, 350, (200, 30, 30))])
    corner = legend.rect(360, 640)
    ((_, _, rect),) = LabelAnnotator(avoid=[legend]).layout(frame.shape, masks)
    assert corner is not None and not overlaps(rect, corner)


@pytest.mark.parametrize("corner", ["top-left", "bottom-right"])
def test_the_legend_is_drawn_in_its_corner_or_left_out(corner):
    frame, masks = painted(360, 640, [(250, 150, 350, 220, (200, 30, 30))])
    with_legend = render(frame, masks, default_annotators(legend_corner=corner))
    without = render(frame, masks, default_annotators(legend=False))
    x0, y0, x1, y1 = LegendAnnotator(corner=corner).rect(360, 640)
    assert (x0 < 20) == (corner == "top-left") and (y1 > 340) == (corner == "bottom-right")
    assert (with_legend[y0:y1, x0:x1] != frame[y0:y1, x0:x1]).any(-1).mean() > 0.9  # backing blended over it
    assert np.array_equal(without[y0:y1, x0:x1], frame[y0:y1, x0:x1])
    assert np.array_equal(with_legend[150:220, 250:350], without[150:220, 250:350])  # the objects drawn alike


def test_the_hatch_shows_on_the_hidden_half_of_a_small_object_in_a_large_frame():
    frame, masks = painted(1080, 1920, [(900, 500, 920, 520, (90, 90, 200))])
    masks.visible[0, :, 910:] = False  # right half hidden: 10 x 20 px
    hatch = HatchAnnotator()
    out = render(frame, masks, [hatch])
    hidden = (out[500:520, 910:920] != frame[500:520, 910:920]).any(-1)
    assert 0.2 < hidden.mean() < 0.7 and hidden.any(0).all()  # stripes across the whole hidden part
    color = hatch.colors.color(1)
    region = out[500:520, 910:920]
    assert (region == color).all(-1).any() and (region == edge_for(color)).all(-1).any()
    assert not (out[500:520, 900:910] != frame[500:520, 900:910]).any()  # the visible half untouched
    assert hatch.period(1080, 1920, (0, 0, 400, 400)) > hatch.period(1080, 1920, (0, 0, 20, 20))
    assert hatch.period(1080, 1920, (0, 0, 400, 400)) > hatch.period(360, 640, (0, 0, 400, 400))


def test_more_objects_than_colours_still_get_different_colours_from_their_last_neighbours():
    objects = [(10 * k, 10, 10 * k + 8, 30, (128, 128, 128)) for k in range(16)]
    frame, masks = painted(40, 170, objects)
    picker = ColorPicker()
    picker.observe(frame, masks)
    colors = [tuple(picker.color(i)) for i in masks.ids]
    assert len(set(colors)) == len(picker.palette)
    assert all(len(set(colors[k : k + len(picker.palette)])) == len(picker.palette) for k in range(4))
