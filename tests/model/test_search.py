"""Search regions: square object-centred crops, their coordinate maps, and pasting crop logits back."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from amodal_vos.model import search
from amodal_vos.model.search import (
    OUTSIDE,
    SearchConfig,
    boxes_from_crop,
    boxes_to_crop,
    crop_images,
    crop_masks,
    paste_logits,
    points_to_crop,
    square_crops,
)

CFG = SearchConfig(context=2.5, max_zoom=4.0)


def test_crop_is_a_square_around_the_box_with_context_and_a_zoom_limit():
    boxes = torch.tensor([[10.0, 10, 50, 50], [100, 100, 104, 102], [300, 100, 328, 187]])
    crops = square_crops(boxes, (400, 600), 128, CFG)
    assert crops[0].tolist() == [-20.0, -20.0, 80.0, 80.0]  # 2.5 x 40 px around centre (30, 30)
    assert crops[1].tolist() == [86.0, 85.0, 118.0, 117.0]  # 7 px would zoom 18x: 128 / 4 = 32 px instead
    side = (crops[2, 2] - crops[2, 0]).item()
    assert side == pytest.approx(2.5 * (28 * 87) ** 0.5)  # a pedestrian: 123 px from sqrt(w h), not 2.5 x 87
    thin = square_crops(torch.tensor([[0.0, 0, 2, 100]]), (400, 600), 128, CFG)
    assert (thin[0, 2] - thin[0, 0]).item() == pytest.approx(130.0)  # never less than 1.3 x the longer side
    grown = square_crops(boxes[:1], (400, 600), 128, CFG, torch.tensor([100.0]))
    assert (grown[0, 2] - grown[0, 0]).item() == 900.0  # growth is capped at 1.5x the frame's longer side


def test_boxes_and_points_map_to_crop_pixels_and_back():
    crops = torch.tensor([[-20.0, -20, 80, 80]])
    box = torch.tensor([[10.0, 20, 50, 40]])
    inside = boxes_to_crop(box, crops, 128)
    assert torch.allclose(inside, torch.tensor([[38.4, 51.2, 89.6, 76.8]]))
    assert torch.allclose(boxes_from_crop(inside, crops, 128), box)
    assert torch.allclose(
        points_to_crop(torch.tensor([[[30.0, 30.0]]]), crops, 128), torch.tensor([[[64.0, 64.0]]])
    )


def test_a_crop_shows_the_box_where_the_coordinate_map_says_and_zero_outside_the_frame():
    image = torch.zeros(1, 1, 100, 200)
    image[..., 20:40, 10:50] = 1.0
    crops = torch.tensor([[-20.0, -20, 80, 80]])  # 100 px square, partly outside the frame
    mask = crop_masks(image[:, 0] > 0, crops, 128)[0]
    ys, xs = torch.nonzero(mask, as_tuple=True)
    x0, y0, x1, y1 = boxes_to_crop(torch.tensor([[10.0, 20, 50, 40]]), crops, 128)[0].tolist()
    assert abs(xs.min().item() - x0) <= 1 and abs(xs.max().item() + 1 - x1) <= 1
    assert abs(ys.min().item() - y0) <= 1 and abs(ys.max().item() + 1 - y1) <= 1
    ones = crop_images(torch.ones(1, 1, 100, 200), crops, 128)[0, 0]
    assert ones[:25].abs().max() == 0  # above the frame: zeros (the mean colour)
    assert torch.allclose(ones[27:, 27:], torch.ones(()))


def test_pasting_crop_logits_restores_the_frame_mask_and_leaves_the_rest_outside():
    image = torch.zeros(1, 1, 100, 200)
    image[..., 20:40, 10:50] = 1.0
    crops = square_crops(torch.tensor([[10.0, 20, 50, 40]]), (100, 200), 128, CFG)
    logits = (crop_images(image, crops, 128)[:, 0] - 0.5) * 10
    pasted = paste_logits(logits, crops, (100, 200))
    assert torch.equal(pasted[0] > 0, image[0, 0] > 0)
    assert (pasted[0, :, 81:] == OUTSIDE).all()  # right of the crop: never touched


@pytest.mark.parametrize("side", [60.0, 300.0, 900.0])  # crop pixels of 0.5, 2.3 and 7 frame pixels
def test_pasting_reads_only_around_the_positive_logits_and_gives_the_same_mask(monkeypatch, side):
    g = torch.Generator().manual_seed(int(side))
    yy, xx = torch.meshgrid(torch.arange(128.0), torch.arange(128.0), indexing="ij")
    for cx, cy, r in [(20, 30, 9), (70, 8, 20), (40, 60, 3)]:  # inside the frame at each side
        logits = r - ((xx - cx) ** 2 + (yy - cy) ** 2).sqrt() + torch.randn(128, 128, generator=g)
        crop = torch.tensor([100.0, 0.0, 100.0 + side, side])
        region, values = search.paste_region(logits, crop, (480, 640))
        with monkeypatch.context() as m:
            m.setattr(search, "PASTE_MARGIN", 10**6)  # every frame pixel of the crop
            whole, everywhere = search.paste_region(logits, crop, (480, 640))
        (y0, y1, x0, x1), (r0, _, c0, _) = region, whole
        assert torch.equal(values, everywhere[y0 - r0 : y1 - r0, x0 - c0 : x1 - c0])
        outside = (everywhere > 0).clone()
        outside[y0 - r0 : y1 - r0, x0 - c0 : x1 - c0] = False
        assert not outside.any() and (everywhere > 0).any()  # nothing of the mask left out
        assert (y1 - y0) * (x1 - x0) < 0.25 * everywhere.numel()


def test_a_crop_larger_than_the_input_is_pooled_not_aliased():
    stripes = torch.zeros(1, 1, 256, 256)
    stripes[..., ::2] = 1.0  # one-pixel stripes alias to all-0 or all-1 when point-sampled at 1/4
    crop = crop_images(stripes, torch.tensor([[0.0, 0, 256, 256]]), 64)
    assert torch.allclose(crop, torch.full_like(crop, 0.5), atol=0.01)


def _whole_frame_pooled_crop(image: torch.Tensor, crop: torch.Tensor, size: int, k: int) -> torch.Tensor:
    """Reference: pool the whole frame by k, then read the crop from it bilinearly (zeros outside the frame)."""
    h, w = image.shape[-2:]
    pooled = F.avg_pool2d(image, k, ceil_mode=True)
    u = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    x = (crop[0] + u * (crop[2] - crop[0])) / k - 0.5  # pooled-pixel coordinates of the crop's pixel centres
    y = (crop[1] + u * (crop[3] - crop[1])) / k - 0.5
    gx = (2 * x + 1) / pooled.shape[-1] - 1
    gy = (2 * y + 1) / pooled.shape[-2] - 1
    grid = torch.stack([gx[None, :].expand(size, size), gy[:, None].expand(size, size)], dim=-1)[None]
    return F.grid_sample(pooled, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


@pytest.mark.parametrize(
    "crop",
    [
        [100.0, 50, 500, 450],
        [-200, -100, 300, 400],
        [400, 300, 900, 800],
        [10.3, 20.7, 390.1, 400.2],
        [600, -50, 700, 50],
    ],
)
def test_pooling_only_the_crops_part_of_the_frame_reads_what_pooling_all_of_it_would(crop):
    torch.manual_seed(0)
    image = torch.randn(1, 3, 481, 643)  # sizes that are no multiple of the pooling factor
    crop = torch.tensor(crop)
    k = int((crop[2] - crop[0]) / 64)
    got = crop_images(image, crop[None], 64)
    torch.testing.assert_close(got, _whole_frame_pooled_crop(image, crop, 64, k), rtol=0, atol=1e-4)
