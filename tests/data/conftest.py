"""Fixtures that write tiny datasets in each real on-disk layout (../shared/reference/dataset_formats_and_protocols.md)
and return what a loader should read back. Masks are rectangles, so areas, pixels and boxes are known exactly."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from amodal_vos.data.video import write_video
from amodal_vos.io import rle


def rect(h: int, w: int, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
    """[h, w] bool, True on rows r0..r1-1 and columns c0..c1-1."""
    m = np.zeros((h, w), bool)
    m[r0:r1, c0:c1] = True
    return m


def flat_frames(t: int, h: int, w: int) -> np.ndarray:
    """Frame k is a flat colour (40 + 30k, 200 - 30k, 90): lossy codecs keep it within a few levels."""
    frames = np.zeros((t, h, w, 3), np.uint8)
    for k in range(t):
        frames[k] = (40 + 30 * k, 200 - 30 * k, 90)
    return frames


def _fish_entry(fish_id: int, masks: np.ndarray) -> dict:
    return {
        "id": fish_id,
        "type_id": 2,
        "type_name": "clownfish",
        "speed": 1.5,
        "scale": 0.9,
        "masks": [rle.encode(m) for m in masks],
    }


def _fishbowl_scene(t: int, h: int, w: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Fish 7 (a bar moving right by 8 px per frame, partly out of frame at the end) behind fish 3 (static)."""
    a7 = np.stack([rect(h, w, 4, 14, 5 + 8 * k, 25 + 8 * k) for k in range(t)])
    a3 = np.stack([rect(h, w, 8, 20, 20, 30)] * t)
    return {7: (a7, a7 & ~a3), 3: (a3, a3.copy())}


@pytest.fixture
def fishbowl_root(tmp_path: Path):
    """Scene 00000 in the post-processed layout (<id>/object<NNN>/), scene 00001 in the generator layout
    (<id>_object<fish_id>/) with fish 3's render missing, plus a <id>_background render that is not a scene."""
    t, h, w = 6, 32, 48
    root = tmp_path / "fishbowl"
    expected = {}
    for sid, layout in (("00000", "nested"), ("00001", "flat")):
        scene = root / sid
        scene.mkdir(parents=True)
        fish = _fishbowl_scene(t, h, w)
        write_video(scene / "video.mp4", flat_frames(t, h, w))
        (scene / "objects.json").write_text(json.dumps([_fish_entry(i, vis) for i, (_, vis) in fish.items()]))
        (scene / "recording.json").write_text(json.dumps({"fps": 30}))
        for index, (fish_id, (amodal, _)) in enumerate(fish.items()):
            if layout == "nested":
                render = scene / f"object{index:03d}"
            elif fish_id == 3:
                continue
            else:
                render = root / f"{sid}_object{fish_id}"
            render.mkdir()
            (render / "objects.json").write_text(json.dumps([_fish_entry(fish_id, amodal)]))
        expected[sid] = fish
    bg = root / "00001_background"
    bg.mkdir()
    write_video(bg / "video.mp4", flat_frames(2, h, w))
    (bg / "objects.json").write_text("[]")
    return root, expected


def _savos_rle(mask: np.ndarray) -> list[dict]:
    """The pkl's form: pycocotools encode of [H, W, 1], a list of one RLE with bytes counts."""
    return mask_utils.encode(np.asfortranarray(mask[..., None].astype(np.uint8)))


@pytest.fixture
def savos_root(tmp_path: Path):
    """test_data/: video 00000 (5 frames) with fish 4 on frames 1-3 and fish 9 on all, video 00002 with fish 1."""
    t, h, w = 5, 24, 40
    root = tmp_path / "savos"
    tracks, expected = {}, {}
    for v_id, fish in (("00000", {4: range(1, 4), 9: range(0, 5)}), ("00002", {1: range(0, 5)})):
        frame_dir = root / "test_data" / "test_frames" / v_id
        frame_dir.mkdir(parents=True)
        for k, frame in enumerate(flat_frames(t, h, w)):
            cv2.imwrite(str(frame_dir / f"{k:05d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        for fish_id, ts in fish.items():
            rec = {}
            for k in ts:
                amodal = rect(
                    h, w, 2 + k, 10 + k, 5 + fish_id, 31
                )  # wider than tall: a row/column swap shows
                visible = amodal & ~rect(h, w, 0, h, 20, 24)
                rec[k] = {
                    "FM": _savos_rle(amodal),
                    "FM_bx": [2 + k, 9 + k, 5 + fish_id, 30],
                    "VM": _savos_rle(visible),
                    "VM_bx": [2 + k, 9 + k, 5 + fish_id, 30],
                    "loss_mask_weight": _savos_rle(np.ones((h, w), bool)),
                    "OCC_R": 1 - visible.sum() / amodal.sum(),
                    "IoU": None,
                    "fish_type": "tang",
                }
                expected[(v_id, fish_id, k)] = (amodal, visible)
            tracks[f"{v_id}_{fish_id}"] = rec
    with open(root / "test_data" / "test_data.pkl", "wb") as f:
        pickle.dump(tracks, f)
    return root, expected


def _palette_png(path: Path, labels: np.ndarray) -> None:
    img = Image.fromarray(labels.astype(np.uint8), mode="P")
    img.putpalette([c for k in range(256) for c in ((37 * k) % 256, (91 * k) % 256, (53 * k) % 256)])
    img.save(path)


@pytest.fixture
def movid_root(tmp_path: Path):
    """test split: video 7 (folder "7", 4 frames, 32x40) with listed objects 0 and 2 and an unlisted object 1."""
    t, h, w = 4, 32, 40
    root = tmp_path / "movid"
    vdir = root / "test" / "7"
    vdir.mkdir(parents=True)
    (root / "test_instance.txt").write_text("7_0_1\n7_2_3\n")
    amodal = {
        0: [rect(h, w, 3, 12, 2 + 3 * k, 30 + 3 * k) for k in range(t)],
        2: [rect(h, w, 8, 20, 10, 16)] * t,
    }
    other = rect(h, w, 0, 32, 14, 18)  # object 1, in front of both
    expected = {}
    instances = [{"bboxes": [], "bbox_frames": []} for _ in range(3)]
    for k in range(t):
        rgba = np.concatenate([flat_frames(t, h, w)[k], np.full((h, w, 1), 255, np.uint8)], axis=-1)
        Image.fromarray(rgba, mode="RGBA").save(vdir / f"rgba_full_{k:05d}.png")
        full = np.zeros((h, w), np.uint8)
        full[amodal[0][k]] = 1
        full[amodal[2][k]] = 3  # object 2 in front of object 0
        full[other] = 2
        _palette_png(vdir / f"segmentation_full_{k:05d}.png", full)
        for obj_id, value in ((0, 1), (2, 3)):
            _palette_png(
                vdir / f"segmentation_{obj_id}_{k:05d}.png", amodal[obj_id][k].astype(np.uint8) * value
            )
            vis = full == value
            expected[(obj_id, k)] = (amodal[obj_id][k], vis)
            ys, xs = np.nonzero(vis)
            instances[obj_id]["bbox_frames"].append(k)
            instances[obj_id]["bboxes"].append(
                [ys.min() / h, xs.min() / w, (ys.max() + 1) / h, (xs.max() + 1) / w]
            )
    meta = {"metadata": {"num_frames": t, "height": h, "width": w}, "instances": instances}
    (vdir / "metadata.json").write_text(json.dumps(meta))
    return root, expected


def _write_image(path: Path, h: int, w: int, color=(200, 60, 30)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = color
    cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))


def poly(r0: int, r1: int, c0: int, c1: int) -> list[float]:
    """A rectangle polygon [x, y, ...] that rasterises to rows r0..r1-1, columns c0..c1-1 (as ``rect``)."""
    return [c0, r0, c1, r0, c1, r1, c0, r1]


@pytest.fixture
def coco_like_roots(tmp_path: Path):
    """COCOA-cls (RLE and polygon annotations), KINS original and KINS 2020, COCO instances and SA-1B, one image each."""
    h, w = 30, 50
    roots = {}
    cocoa = tmp_path / "cocoa"
    _write_image(cocoa / "val2014" / "COCO_val2014_000000000005.jpg", h, w)
    a1, v1 = rect(h, w, 5, 20, 10, 40), rect(h, w, 5, 20, 10, 25)
    cocoa_json = {
        "images": [{"id": 5, "file_name": "COCO_val2014_000000000005.jpg", "height": h, "width": w}],
        "categories": [{"id": 18, "name": "dog"}, {"id": 1, "name": "person"}],
        "annotations": [
            {
                "id": 11,
                "image_id": 5,
                "category_id": 18,
                "segmentation": rle.encode(a1),
                "visible_mask": rle.encode(v1),
                "invisible_mask": rle.encode(a1 & ~v1),
                "bbox": [10, 5, 30, 15],
                "occlude_rate": 0.5,
                "iscrowd": 0,
            },
            {
                "id": 12,
                "image_id": 5,
                "category_id": 1,
                "segmentation": [poly(2, 8, 30, 46)],
                "invisible_mask": None,
                "bbox": [30, 2, 16, 6],
                "iscrowd": 0,
            },
        ],
    }
    (cocoa / "COCO_amodal_val2014_with_classes.json").write_text(json.dumps(cocoa_json))
    roots["cocoa-cls"] = (cocoa, {11: (a1, v1), 12: (rect(h, w, 2, 8, 30, 46),) * 2})

    kins = tmp_path / "kins"
    _write_image(kins / "training" / "image_2" / "000001.png", h, w)
    a, v = rect(h, w, 4, 24, 6, 30), rect(h, w, 4, 24, 6, 18)
    kins_json = {
        "images": [{"id": 1, "file_name": "000001.png", "height": h, "width": w}],
        "categories": [{"id": 4, "name": "car"}],
        "annotations": [
            {
                "id": 3,
                "image_id": 1,
                "category_id": 4,
                "segmentation": [poly(4, 24, 6, 30)],
                "inmodal_seg": rle.encode(v),
                "bbox": [6, 4, 24, 20],
                "inmodal_bbox": [6, 4, 12, 20],
                "area": 480,
            }
        ],
    }
    (kins / "instances_train.json").write_text(json.dumps(kins_json))
    roots["kins"] = (kins, {3: (a, v)})

    kins20 = tmp_path / "kins2020"
    _write_image(kins20 / "testing" / "image_2" / "000002.png", h, w)
    kins20_json = {
        "images": [{"id": 2, "file_name": "000002.png", "height": h, "width": w}],
        "categories": [{"id": 2, "name": "pedestrian"}],
        "annotations": [
            {
                "id": 8,
                "image_id": 2,
                "category_id": 2,
                "a_segm": [poly(1, 29, 20, 28)],
                "i_segm": [poly(1, 15, 20, 28)],
                "a_bbox": [20, 1, 8, 28],
                "i_bbox": [20, 1, 8, 14],
                "oco_id": 1,
                "ico_id": 2,
            }
        ],
    }
    (kins20 / "update_test_2020.json").write_text(json.dumps(kins20_json))
    roots["kins2020"] = (kins20, {8: (rect(h, w, 1, 29, 20, 28), rect(h, w, 1, 15, 20, 28))})

    coco = tmp_path / "coco"
    _write_image(coco / "val2017" / "000000000009.jpg", h, w)
    crowd = mask_utils.encode(np.asfortranarray(rect(h, w, 0, 5, 0, 5).astype(np.uint8)))
    coco_json = {
        "images": [{"id": 9, "file_name": "000000000009.jpg", "height": h, "width": w}],
        "categories": [{"id": 1, "name": "person"}],
        "annotations": [
            {
                "id": 21,
                "image_id": 9,
                "category_id": 1,
                "segmentation": [poly(10, 25, 3, 13)],
                "iscrowd": 0,
                "bbox": [3, 10, 10, 15],
            },
            {
                "id": 22,
                "image_id": 9,
                "category_id": 1,
                "segmentation": {"size": [h, w], "counts": crowd["counts"].decode()},
                "iscrowd": 1,
                "bbox": [0, 0, 5, 5],
            },
        ],
    }
    (coco / "annotations").mkdir()
    (coco / "annotations" / "instances_val2017.json").write_text(json.dumps(coco_json))
    roots["coco"] = (coco, {21: (rect(h, w, 10, 25, 3, 13),) * 2})

    sa = tmp_path / "sa1b"
    _write_image(sa / "sa_000000" / "sa_1.jpg", h, w)
    s1, s2 = rect(h, w, 3, 9, 4, 44), rect(h, w, 12, 28, 30, 36)
    sa_json = {
        "image": {"image_id": 1, "width": w, "height": h, "file_name": "sa_1.jpg"},
        "annotations": [
            {
                "id": 101,
                "segmentation": rle.encode(s1),
                "bbox": [4, 3, 40, 6],
                "area": int(s1.sum()),
                "predicted_iou": 0.9,
                "stability_score": 0.95,
                "crop_box": [0, 0, w, h],
                "point_coords": [[10, 5]],
            },
            {
                "id": 102,
                "segmentation": rle.encode(s2),
                "bbox": [30, 12, 6, 16],
                "area": int(s2.sum()),
                "predicted_iou": 0.8,
                "stability_score": 0.9,
                "crop_box": [0, 0, w, h],
                "point_coords": [[32, 20]],
            },
        ],
    }
    (sa / "sa_000000" / "sa_1.json").write_text(json.dumps(sa_json))
    roots["sa1b"] = (sa, {101: (s1, s1), 102: (s2, s2)})
    return roots


def pytest_configure(config) -> None:
    # pycocotools 2.0.x under numpy 2 warns on every decode; nothing of ours to fix
    config.addinivalue_line(
        "filterwarnings", "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
    )
