"""`amodal-vos track-many`: many videos with one model load; resumable after a kill; one-line manifest errors; a
failing video does not stop the others; 2 worker processes give the same outputs as 1; RANK/WORLD_SIZE shard the
manifest. Tiny generated videos and a small random-weight checkpoint at 64 px keep it fast."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from amodal_vos.cli.main import cli
from amodal_vos.io.shapes_video import write_shapes_video
from amodal_vos.model import build_model, save_checkpoint

from .conftest import decode_count

H, W = 48, 64


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A folder with videos a.mp4, b.mp4 (8 frames), long.mp4 (48 frames) and a small checkpoint at 64 px."""
    folder = tmp_path_factory.mktemp("many")
    for name, frames in (("a", 8), ("b", 8), ("long", 48)):
        write_shapes_video(folder / f"{name}.mp4", frames, H, W)
    torch.manual_seed(0)
    model = build_model("small", image_size=64)
    with torch.no_grad():  # objects count as present, so masks are not all empty
        model.sam_mask_decoder.pred_obj_score_head.layers[2].bias += 3.0
    save_checkpoint(model, folder / "model.safetensors")
    return folder


def manifest(folder: Path, lines: list, name: str = "videos.jsonl") -> Path:
    path = folder / name
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


TWO = [
    {"video": "a.mp4", "box": [5, 10, 20, 20]},
    {"video": "b.mp4", "boxes": [[5, 10, 20, 20], [30, 20, 15, 15]]},
]


def run(path: Path, out: Path, *extra, env: dict | None = None):
    args = [
        "track-many",
        str(path),
        "--out",
        str(out),
        "--checkpoint",
        str(path.parent / "model.safetensors"),
    ]
    return CliRunner().invoke(cli, args + ["-q", *map(str, extra)], env=env)


def summary(out: Path, name: str = "summary.json") -> dict[str, dict]:
    return {v["name"]: v for v in json.loads((out / name).read_text())["videos"]}


def assert_complete(out: Path, name: str, frames: int, objects: int) -> None:
    assert decode_count(out / name / f"{name}.amodal.mp4") == (W, H, 12, frames)
    doc = json.loads((out / name / f"{name}.amodal.json").read_text())
    assert not doc["partial"] and len(doc["frames"]) == frames and len(doc["objects"]) == objects
    assert not [p.name for p in (out / name).iterdir() if ".tmp-" in p.name]


def test_two_videos_tracked_then_skipped(inputs, tmp_path):
    path, out = manifest(inputs, TWO), tmp_path / "out"
    first = run(path, out)
    assert first.exit_code == 0, first.output
    assert_complete(out, "a", 8, 1)
    assert_complete(out, "b", 8, 2)
    rows = summary(out)
    assert [(r["status"], r["frames"], r["objects"]) for r in rows.values()] == [("ok", 8, 1), ("ok", 8, 2)]
    assert "2 video(s): 2 ok, 0 skipped, 0 failed" in first.stdout
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.amodal.*")}

    again = run(path, out)
    assert again.exit_code == 0, again.output
    assert [r["status"] for r in summary(out).values()] == ["skipped", "skipped"]
    assert "0 ok, 2 skipped, 0 failed" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.amodal.*")} == stamps  # nothing rewritten


def test_killed_run_continues_and_partial_outputs_are_redone(inputs, tmp_path):
    """Kill the process while it writes the second video; the rerun skips the first, redoes the second (removing
    the killed run's temporary files) and tracks the third. Outputs left without done.json are redone too."""
    lines = [
        {"video": "a.mp4", "box": [5, 10, 20, 20]},
        {"video": "long.mp4", "box": [5, 10, 20, 20]},
        TWO[1],
    ]
    path, out = manifest(inputs, lines), tmp_path / "out"
    command = [str(Path(sys.executable).parent / "amodal-vos"), "track-many", str(path), "--out", str(out),
               "--checkpoint", str(inputs / "model.safetensors"), "-q"]  # fmt: skip
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "OMP_NUM_THREADS": "1"}
    )
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if (out / "a" / "done.json").exists() and list((out / "long").glob("*.tmp-*")):
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed mid-video"
    assert not (out / "long" / "done.json").exists() and list((out / "long").glob("*.tmp-*"))
    assert not (out / "b").exists()
    a_stamp = (out / "a" / "a.amodal.mp4").stat().st_mtime_ns

    rerun = run(path, out)
    assert rerun.exit_code == 0, rerun.output
    assert {n: r["status"] for n, r in summary(out).items()} == {"a": "skipped", "long": "ok", "b": "ok"}
    assert (out / "a" / "a.amodal.mp4").stat().st_mtime_ns == a_stamp
    assert_complete(out, "a", 8, 1)
    assert_complete(out, "long", 48, 1)
    assert_complete(out, "b", 8, 2)

    # outputs without done.json (an interrupted run's partial outputs): redone, not skipped
    (out / "b" / "done.json").unlink()
    (out / "b" / "b.amodal.json").write_text('{"partial": true}')
    redo = run(path, out)
    assert redo.exit_code == 0, redo.output
    assert summary(out)["b"]["status"] == "ok"
    assert_complete(out, "b", 8, 2)


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"video": "a.mp4", "box": [5, 10, 20', "not a JSON object"),
        ('["a.mp4"]', "expected a JSON object"),
        ('{"box": [5, 10, 20, 20]}', 'no "video"'),
        ('{"video": "a.mp4", "box": [5, 10, 20]}', "a box is [x, y, w, h]"),
        ('{"video": "a.mp4", "box": [5, 10, 0, 20]}', "zero size"),
        ('{"video": "a.mp4", "box": [5, 10, 20, 20], "boxes": [[1, 1, 5, 5]]}', "exactly one of"),
        ('{"video": "a.mp4", "bbox": [5, 10, 20, 20]}', "unknown key(s) bbox"),
        ('{"video": "a.mp4", "box": [5, 10, 20, 20], "frame": -1}', '"frame" must be'),
        ('{"video": "sub/a.mp4", "box": [5, 10, 20, 20]}', "also line 1's"),
    ],
)
def test_bad_manifest_line_is_one_line_error_naming_it(inputs, tmp_path, line, message):
    path = manifest(inputs, [TWO[0], "", line], name=f"bad-{tmp_path.name}.jsonl")
    result = run(path, tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {path}:3: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()  # nothing tracked before the manifest was read whole


def test_a_failing_video_does_not_stop_the_others(inputs, tmp_path):
    lines = [
        {"video": "missing.mp4", "box": [5, 10, 20, 20]},
        {"video": "a.mp4", "box": [500, 10, 20, 20]},
        TWO[1],
    ]
    path, out = manifest(inputs, lines, name="failing.jsonl"), tmp_path / "out"
    result = run(path, out)
    assert result.exit_code == 1, result.output
    rows = summary(out)
    assert rows["missing"]["status"] == "failed" and "video not found" in rows["missing"]["reason"]
    assert rows["a"]["status"] == "failed" and "outside the 64x48 frame" in rows["a"]["reason"]
    assert rows["b"]["status"] == "ok"
    assert_complete(out, "b", 8, 2)
    assert "1 ok, 0 skipped, 2 failed" in result.stdout


def test_prompts_and_detections_files(inputs, tmp_path):
    """Lines with a prompts file (a correction on frame 4: the predictor's path) and a MOT detections file (paths
    relative to the manifest), tracked as `track --prompts / --detections` would."""
    folder = tmp_path / "lists"
    folder.mkdir()
    corrected = {
        "id": 3,
        "prompts": [{"frame": 0, "box": [5, 10, 20, 20]}, {"frame": 4, "box": [9, 10, 20, 20]}],
    }
    (folder / "a.prompts.json").write_text(json.dumps({"objects": [corrected]}))
    (folder / "b.txt").write_text("1,7,5,10,20,20,1\n1,8,30,20,15,15,1\n3,7,8,10,20,20,1\n")
    lines = [
        {"video": str(inputs / "a.mp4"), "prompts": "a.prompts.json"},
        {"video": str(inputs / "b.mp4"), "detections": "b.txt"},
    ]
    path, out = manifest(folder, lines), tmp_path / "out"
    (folder / "model.safetensors").symlink_to(inputs / "model.safetensors")
    result = run(path, out)
    assert result.exit_code == 0, result.output
    assert_complete(out, "a", 8, 1)
    assert_complete(out, "b", 8, 2)
    doc = json.loads((out / "a" / "a.amodal.json").read_text())
    assert [o["id"] for o in doc["objects"]] == [3] and len(
        doc["objects"][0]["prompts"]
    ) == 2  # the correction
    doc = json.loads((out / "b" / "b.amodal.json").read_text())
    assert [o["id"] for o in doc["objects"]] == [7, 8]  # the detections' track ids


def test_two_workers_give_the_same_outputs_as_one(inputs, tmp_path):
    path = manifest(inputs, TWO)
    one, two = run(path, tmp_path / "one"), run(path, tmp_path / "two", "--workers", 2)
    assert one.exit_code == 0 and two.exit_code == 0, two.output
    for name in ("a", "b"):
        a = (tmp_path / "one" / name / f"{name}.amodal.json").read_bytes()
        assert a == (tmp_path / "two" / name / f"{name}.amodal.json").read_bytes()
    assert [r["status"] for r in summary(tmp_path / "two").values()] == ["ok", "ok"]


def test_rank_environment_splits_the_manifest(inputs, tmp_path):
    lines = [TWO[0], TWO[1], {"video": "a.mp4", "box": [30, 20, 15, 15], "name": "a2"}]
    path, out = manifest(inputs, lines, name="ranks.jsonl"), tmp_path / "out"
    for rank in (0, 1):
        result = run(path, out, env={"RANK": str(rank), "WORLD_SIZE": "2", "MASTER_ADDR": ""})
        assert result.exit_code == 0, result.output
    assert list(summary(out, "summary.rank-0.json")) == ["a", "a2"]
    assert list(summary(out, "summary.rank-1.json")) == ["b"]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["a", "a2", "b"]
    bad = run(path, out, env={"RANK": "2", "WORLD_SIZE": "2", "MASTER_ADDR": ""})
    assert bad.exit_code == 2 and "RANK 2 is outside WORLD_SIZE 2" in bad.stderr
