"""amodal_vos.io.formats / `amodal-vos convert`: a small hand-made TrackResult (two objects, visible masks that
overlap on one frame, an absent object, a fully hidden one) converted to COCO, YouTube-VIS, MOT and DAVIS, each
read back with the tools of that format (pycocotools, supervision) and compared with our masks."""

from __future__ import annotations

import csv
import json
import warnings
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from amodal_vos.cli.main import cli
from amodal_vos.errors import UserError
from amodal_vos.io import masks_json
from amodal_vos.io.formats import convert, to_coco, to_mot, to_ytvis, visible_label_map
from amodal_vos.io.palette import read_label_png
from amodal_vos.io.video import VideoInfo
from amodal_vos.tracking.prompts import Prompt
from amodal_vos.tracking.result import ObjectFrame, TrackResult

H, W, NUM_FRAMES, START, END = 40, 48, 8, 2, 7  # frames 2..6 of an 8-frame video are tracked
OVERLAP_FRAME, ABSENT_FRAME, HIDDEN_FRAME = (
    3,
    5,
    6,
)  # obj 1's visible mask spills onto obj 2 / obj 2 gone / obj 1 hidden


def _rect(x0, y0, x1, y1):
    m = np.zeros((H, W), bool)
    m[y0:y1, x0:x1] = True
    return m


def _masks(index):
    """{id: (amodal, visible, score)} of video frame ``index``: object 1 moves right behind a bar (x 20..26) and
    behind object 2 (a static square)."""
    bar = _rect(20, 0, 26, H)
    a1 = _rect(4 + 3 * index, 10, 16 + 3 * index, 22)
    a2 = _rect(28, 14, 40, 30)
    v2 = a2.copy()
    v1 = a1 & ~bar & ~a2
    if index == OVERLAP_FRAME:  # the tracker's visible masks disagree: both claim a strip of object 2
        v1 = v1 | _rect(28, 14, 31, 22)
    if index == HIDDEN_FRAME:
        v1 = np.zeros_like(a1)  # present (amodal) but nothing visible
    out = {1: (a1, v1, 0.9)}
    if index != ABSENT_FRAME:
        out[2] = (a2, v2, 0.8)
    else:
        out[2] = (np.zeros_like(a2), np.zeros_like(a2), 0.05)  # absent: empty amodal mask
    return out


def make_result(video_path, visible=True) -> TrackResult:
    video = VideoInfo(str(video_path), W, H, Fraction(25), NUM_FRAMES, kind="frames")
    prompts = [
        Prompt.from_box((4, 10, 12, 12), START, obj_id=1),
        Prompt.from_box((28, 14, 12, 16), START, obj_id=2),
    ]
    result = TrackResult(video, prompts, START, END, {"config": "test"})
    for index in range(START, END):
        result.frames.append(
            {
                i: ObjectFrame.from_masks(a, v if visible else None, s, iou=s - 0.1)
                for i, (a, v, s) in _masks(index).items()
            }
        )
    return result


@pytest.fixture
def video_dir(tmp_path):
    folder = tmp_path / "video"
    folder.mkdir()
    yy, xx = np.mgrid[0:H, 0:W]
    for index in range(NUM_FRAMES):  # smooth frames, each a different brightness: JPEG keeps them apart
        frame = np.stack([xx * 4, yy * 5, np.full_like(xx, 25 * index)], -1).astype(np.uint8)
        Image.fromarray(frame).save(folder / f"{index:05d}.png")
    return folder


def save(result, path, labels=None):
    head = result.json_header()
    for o in head["objects"]:
        if labels and o["id"] in labels:
            o["label"] = labels[o["id"]]
    masks_json.write(path, head, result.json_frames())
    return path


@pytest.fixture
def result(video_dir):
    return make_result(video_dir)


@pytest.fixture
def masks_file(result, tmp_path):
    return save(result, tmp_path / "clip.amodal.json")


def present_pairs():
    """(video frame index, object id) of every object-frame whose amodal mask is not empty."""
    return [(i, o) for i in range(START, END) for o, (a, _, _) in _masks(i).items() if a.any()]


def _decode(segm):
    from pycocotools import mask as mask_utils

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return mask_utils.decode({"size": segm["size"], "counts": segm["counts"].encode()}).astype(bool)


# -- COCO ----------------------------------------------------------------------------------------------------------


def test_coco_loads_with_pycocotools_and_masks_match(masks_file, tmp_path):
    from pycocotools.coco import COCO

    out = tmp_path / "coco" / "annotations.json"
    lines = convert(masks_file, "coco", out)
    assert any("annotations" in line for line in lines)
    coco = COCO(str(out))
    assert len(coco.getImgIds()) == END - START
    assert len(coco.getAnnIds()) == len(present_pairs()) == 2 * (END - START) - 1
    assert coco.loadCats(coco.getCatIds()) == [{"id": 1, "name": "object", "supercategory": "object"}]
    for ann in coco.loadAnns(coco.getAnnIds()):
        image = coco.loadImgs(ann["image_id"])[0]
        index = image["frame_index"]
        assert image["file_name"] == f"{index:05d}.jpg" and (image["width"], image["height"]) == (W, H)
        amodal, visible, score = _masks(index)[ann["track_id"]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            assert np.array_equal(coco.annToMask(ann).astype(bool), amodal)
        assert np.array_equal(_decode(ann["visible_segmentation"]), visible)
        ys, xs = np.nonzero(amodal)
        assert ann["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]
        assert ann["area"] == amodal.sum() and ann["visible_area"] == visible.sum()
        assert ann["occlude_rate"] == pytest.approx((amodal & ~visible).sum() / amodal.sum())
        assert ann["score"] == pytest.approx(score) and ann["iscrowd"] == 0 and ann["category_id"] == 1
        assert ann["iou"] == pytest.approx(score - 0.1)  # the predicted IoU travels with every export
        if visible.any():
            vy, vx = np.nonzero(visible)
            assert ann["visible_bbox"] == [
                vx.min(),
                vy.min(),
                vx.max() - vx.min() + 1,
                vy.max() - vy.min() + 1,
            ]
        else:
            assert index == HIDDEN_FRAME and ann["visible_bbox"] is None and ann["occlude_rate"] == 1.0


def test_coco_loads_with_supervision(masks_file, video_dir, tmp_path):
    sv = pytest.importorskip("supervision")
    out = tmp_path / "coco" / "annotations.json"
    convert(masks_file, "coco", out)  # the video is readable: images/ is written next to the JSON
    images = tmp_path / "coco" / "images"
    assert sorted(p.name for p in images.iterdir()) == [f"{i:05d}.jpg" for i in range(START, END)]
    ds = sv.DetectionDataset.from_coco(images_directory_path=str(images), annotations_path=str(out))
    assert len(ds) == END - START and ds.classes == ["object"]
    total = 0
    for path, image, det in ds:
        index = int(path.rsplit("/", 1)[-1][:5])
        assert image.shape == (H, W, 3)
        expected = [a for _, (a, _, _) in sorted(_masks(index).items()) if a.any()]
        assert len(det) == len(expected) and (det.class_id == 0).all()
        for mask, want in zip(det.mask, expected, strict=True):
            assert np.array_equal(mask, want)
        total += len(det)
    assert total == len(present_pairs())
    # the JPEGs are the video's frames
    for index in range(START, END):
        jpeg = np.asarray(Image.open(images / f"{index:05d}.jpg")).astype(int)
        assert np.abs(jpeg - np.asarray(Image.open(video_dir / f"{index:05d}.png"))).mean() < 3


def test_coco_labels_become_categories(result, tmp_path):
    path = save(result, tmp_path / "m.json", labels={1: "fish", 2: "plant"})
    out = tmp_path / "c.json"
    convert(path, "coco", out, images=False)
    doc = json.loads(out.read_text())
    assert [c["name"] for c in doc["categories"]] == ["fish", "plant"]
    assert {a["track_id"]: a["category_id"] for a in doc["annotations"]} == {1: 1, 2: 2}
    assert not (tmp_path / "images").exists()


def test_coco_without_readable_video(tmp_path):
    path = save(make_result(tmp_path / "gone.mp4"), tmp_path / "m.json")
    lines = convert(path, "coco", tmp_path / "c.json")
    assert "no frame images" in lines[-1] and not (tmp_path / "images").exists()
    with pytest.raises(UserError, match="cannot write the frame images"):
        convert(path, "coco", tmp_path / "c2.json", images=True)


# -- YouTube-VIS ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("visible", [False, True])
def test_ytvis_segmentations_decode_to_our_masks(masks_file, tmp_path, visible):
    out = tmp_path / "ytvis.json"
    convert(masks_file, "ytvis", out, visible=visible)
    doc = json.loads(out.read_text())
    (video,) = doc["videos"]
    assert video["length"] == END - START and (video["width"], video["height"]) == (W, H)
    assert video["file_names"][0] == f"video/{START:05d}.jpg"
    assert [c["id"] for c in doc["categories"]] == [1]
    assert [a["id"] for a in doc["annotations"]] == [1, 2]
    for ann in doc["annotations"]:
        assert ann["video_id"] == 1 and len(ann["segmentations"]) == END - START
        for k, index in enumerate(range(START, END)):
            amodal, vis, score = _masks(index)[ann["id"]]
            want = vis if visible else amodal
            seg = ann["segmentations"][k]
            if not want.any():
                assert seg is None and ann["bboxes"][k] is None and ann["areas"][k] is None
                assert ann["ious"][k] is None
                continue
            assert ann["ious"][k] == pytest.approx(score - 0.1)
            assert np.array_equal(_decode(seg), want) and ann["areas"][k] == want.sum()
            ys, xs = np.nonzero(want)
            assert ann["bboxes"][k] == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]
    nulls = sum(s is None for a in doc["annotations"] for s in a["segmentations"])
    assert nulls == (2 if visible else 1)  # absent object 2; with --visible also the fully hidden object 1


# -- MOT -----------------------------------------------------------------------------------------------------------


def test_mot_lines(masks_file, tmp_path):
    out = tmp_path / "gt.txt"
    convert(masks_file, "mot", out)
    rows = list(csv.reader(out.read_text().splitlines()))
    assert len(rows) == len(present_pairs()) and all(len(r) == 9 for r in rows)
    seen = []
    for frame, obj, x, y, w, h, conf, cls, vis in rows:
        index, obj = int(frame) - 1, int(obj)
        seen.append((index, obj))
        amodal, visible, score = _masks(index)[obj]
        ys, xs = np.nonzero(amodal)
        assert [int(x), int(y), int(w), int(h)] == [xs.min(), ys.min(), np.ptp(xs) + 1, np.ptp(ys) + 1]
        assert float(conf) == pytest.approx(score, abs=1e-4) and cls == "1"
        assert float(vis) == pytest.approx(
            (amodal & visible).sum() / amodal.sum(), abs=1e-4
        )  # 1 - occlusion rate
    assert seen == present_pairs()  # 1-based frames, sorted by frame then id


# -- DAVIS ---------------------------------------------------------------------------------------------------------


def test_davis_visible_maps_are_exclusive_and_amodal_maps_match(masks_file, tmp_path):
    out = tmp_path / "davis"
    convert(masks_file, "davis", out)
    for index in range(START, END):
        masks = _masks(index)
        labels = read_label_png(out / "visible" / f"{index:05d}.png")
        assert set(np.unique(labels)) <= {0, 1, 2}
        union = masks[1][1] | masks[2][1]
        assert np.array_equal(labels > 0, union)  # every visible pixel labelled, one id each
        for obj in (1, 2):
            assert not (labels == obj)[~masks[obj][1]].any()  # a pixel only goes to an object that sees it
            amodal = read_label_png(out / "amodal" / f"{obj:03d}" / f"{index:05d}.png")
            assert np.array_equal(amodal, masks[obj][0].astype(np.uint8) * obj)
        overlap = masks[1][1] & masks[2][1]
        if index == OVERLAP_FRAME:
            assert overlap.any() and masks[2][1].sum() > masks[1][1].sum()
            assert (labels[overlap] == 2).all()  # the larger visible mask keeps the pixels
        else:
            assert not overlap.any()


def test_visible_label_map_ties_go_to_the_first_object():
    a, b = _rect(0, 0, 10, 10), _rect(5, 0, 15, 10)  # equal areas
    assert (visible_label_map(np.stack([a, b]), [3, 7])[a & b] == 3).all()
    assert (visible_label_map(np.stack([b, a]), [7, 3])[a & b] == 7).all()
    big = _rect(5, 0, 20, 10)
    assert (visible_label_map(np.stack([a, big]), [3, 7])[a & big] == 7).all()


# -- without the visible pass --------------------------------------------------------------------------------------


def test_without_visible_masks(video_dir, tmp_path):
    result = make_result(video_dir, visible=False)
    coco = to_coco(result)
    assert all(a["visible_segmentation"] is None and a["occlude_rate"] is None for a in coco["annotations"])
    assert all(line.endswith(",-1.0000") for line in to_mot(result))
    assert to_ytvis(result)["annotations"][0]["segmentations"][0] is not None
    with pytest.raises(UserError, match="no visible masks"):
        to_ytvis(result, visible=True)
    path = save(result, tmp_path / "m.json")
    convert(path, "davis", tmp_path / "davis")
    assert not (tmp_path / "davis" / "visible").exists()
    assert len(list((tmp_path / "davis" / "amodal" / "002").iterdir())) == END - START


# -- CLI -----------------------------------------------------------------------------------------------------------


def run_cli(*args):
    return CliRunner().invoke(cli, ["convert", *map(str, args)])


def test_cli_converts_and_refuses_to_overwrite(masks_file, tmp_path):
    out = tmp_path / "gt.txt"
    ok = run_cli(masks_file, "--to", "mot", out)
    assert ok.exit_code == 0, ok.output
    assert f"wrote {out}" in ok.output
    again = run_cli(masks_file, "--to", "mot", out)
    assert again.exit_code == 2 and "already exists (pass --force" in again.output
    assert run_cli(masks_file, "--to", "MOT", out, "--force").exit_code == 0
    davis = run_cli(masks_file, "--to", "davis", tmp_path / "d")
    assert davis.exit_code == 0 and (tmp_path / "d" / "visible" / f"{START:05d}.png").exists()
    assert not list(tmp_path.glob("*.partial*"))


@pytest.mark.parametrize(
    ("make_input", "to", "message"),
    [
        (lambda p: p / "missing.json", "coco", "masks file not found"),
        (
            lambda p: (p / "bad.json").write_text("{not json") and p / "bad.json",
            "coco",
            "cannot read masks file",
        ),
        (
            lambda p: (p / "other.json").write_text('{"a": 1}') and p / "other.json",
            "mot",
            "not an amodal-vos masks",
        ),
        (
            lambda p: (
                (p / "broken.json").write_text('{"format": "amodal-vos-masks/1"}') and p / "broken.json"
            ),
            "mot",
            "not a valid amodal-vos masks file",
        ),
        (None, "yolo", "unknown format 'yolo' (formats: coco, ytvis, mot, davis)"),
        (None, "mot --visible", "--visible applies to --to ytvis only"),
    ],
)
def test_cli_errors_are_one_line(masks_file, tmp_path, make_input, to, message):
    source = masks_file if make_input is None else make_input(tmp_path)
    fmt, *extra = to.split()
    res = run_cli(source, "--to", fmt, tmp_path / "out", *extra)
    assert res.exit_code == 2, res.output
    assert res.output.strip().count("\n") == 0 and res.output.startswith("error: ") and message in res.output
    assert not (tmp_path / "out").exists()
