"""`amodal-vos track --format` writes the standard formats beside the overlay; `--no-legend` drops the legend;
the Python API's progress bar."""

from __future__ import annotations

import json

import numpy as np
from pycocotools.coco import COCO

from amodal_vos.io.shapes_video import write_shapes_video
from amodal_vos.io.video import open_video
from amodal_vos.tracking import Prompt

from .conftest import FRAMES, invoke


def test_format_writes_every_format_beside_the_overlay(clip, tmp_path):
    out = tmp_path / "run.mp4"  # the shipped model: random weights may find no object, leaving MOT empty
    box = ",".join(str(int(v)) for v in clip[1][0, 0])
    result = invoke("track", clip[0], "--box", box, "-o", out, "--format", "coco,ytvis,mot,davis", "-q")
    assert result.exit_code == 0, result.output
    coco = COCO(str(tmp_path / "run.coco" / "annotations.json"))
    assert len(coco.imgs) == FRAMES and {a["track_id"] for a in coco.anns.values()} == {1}
    assert len(list((tmp_path / "run.coco" / "images").glob("*.jpg"))) == FRAMES
    ytvis = json.loads((tmp_path / "run.ytvis.json").read_text())
    assert [len(a["segmentations"]) for a in ytvis["annotations"]] == [FRAMES]
    rows = (tmp_path / "run.mot.txt").read_text().splitlines()
    assert rows and all(len(r.split(",")) == 9 for r in rows)
    assert len(list((tmp_path / "run.davis" / "visible").glob("*.png"))) == FRAMES


def test_format_targets_are_checked_before_tracking(clip, small_yaml, tmp_path):
    (tmp_path / "run.mot.txt").write_text("mine\n")
    result = invoke("track", clip[0], "--box", "5,20,25,25", "--config", small_yaml, "-o", tmp_path / "run.mp4",
                    "--format", "mot", "-q")  # fmt: skip
    assert result.exit_code == 2 and "run.mot.txt already exists" in result.output
    assert not (tmp_path / "run.mp4").exists() and (tmp_path / "run.mot.txt").read_text() == "mine\n"
    bad = invoke(
        "track", clip[0], "--box", "5,20,25,25", "--config", small_yaml, "--format", "coco,kitti", "-q"
    )
    assert bad.exit_code == 2 and "error: unknown --format 'kitti'" in bad.output


def test_no_legend_changes_only_the_legend_corner(tmp_path):
    video = tmp_path / "big.mp4"  # large enough to hold the legend (it is left out of tiny frames)
    write_shapes_video(video, 2, 240, 320, 10)
    outs = {}
    for name, flags in (("with", []), ("without", ["--no-legend"])):
        out = tmp_path / f"{name}.mp4"
        result = invoke("track", video, "--box", "5,20,25,25", "-o", out, "-q", *flags)  # shipped weights
        assert result.exit_code == 0, result.output
        outs[name] = next(iter(open_video(out).frames(0, 1))).astype(int)
    diff = np.abs(outs["with"] - outs["without"]).max(axis=2) > 40  # beyond mp4 coding noise
    h, w = diff.shape
    corner = diff[h // 2 :, w // 2 :]  # the legend's default corner: bottom right
    assert corner.mean() > 0.05 and corner.sum() > 0.8 * diff.sum()


def test_python_api_progress_bar_reports_frames(tracker, clip, capsys):
    result = tracker.track(clip[0], [Prompt.from_box((5, 20, 25, 25))], max_frames=4, progress=True)
    assert len(result) == 4
    assert "tracking" in capsys.readouterr().err
