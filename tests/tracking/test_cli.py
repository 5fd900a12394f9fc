"""`amodal-vos track` / `segment`: outputs, one-line errors for every kind of bad input, Ctrl-C on a subprocess,
and the model lookup (shipped default weights, else random weights with one warning line)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf
from PIL import Image

from amodal_vos.io.shapes_video import write_shapes_video
from amodal_vos.model import build_model, load_config, save_checkpoint
from amodal_vos.tracking.loading import load_model

from .conftest import HEIGHT, WIDTH, decode_count, invoke


def test_track_writes_overlay_and_masks(clip, small_yaml, tmp_path):
    result = invoke("track", clip[0], "--box", "5,20,25,25", "--box", "60,30,20,20@12", "--config", small_yaml,
                    "-o", tmp_path / "out.mp4", "--max-frames", 16, "-q")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert decode_count(tmp_path / "out.mp4") == (WIDTH, HEIGHT, 12, 16)
    doc = json.loads((tmp_path / "out.json").read_text())
    assert [o["prompt"]["box"] for o in doc["objects"]] == [[5, 20, 25, 25], [60, 30, 20, 20]]
    assert len(doc["frames"]) == 16 and "RANDOM weights" in result.stderr
    assert "tracked 2 object(s) over 16 frame(s)" in result.stdout
    assert doc["model"]["moved_masks"] == 0.8  # the tracker's default shape setting, recorded
    assert doc["model"]["keep_apart"] is None  # and its apart setting (off by default)
    assert doc["model"]["drop_strays"] == 0.8  # and its strays setting
    assert (
        doc["model"]["prompt_views"] is False
    )  # a whole-frame model with memory: the prompt views do not act
    assert doc["model"]["box_tracker"] is True  # CSRT gives the prior boxes by default


def test_no_box_tracker_takes_priors_from_the_masks_and_says_so(clip, small_yaml, tmp_path):
    result = invoke("track", clip[0], "--box", "5,20,25,25", "--config", small_yaml, "-o", tmp_path / "out.mp4",
                    "--max-frames", 4, "-q", "--no-box-tracker")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "out.json").read_text())["model"]["box_tracker"] is False


def test_no_exits_keeps_objects_at_the_border_and_says_so(clip, small_yaml, tmp_path):
    def exits(*flags) -> float | None:
        result = invoke("track", clip[0], "--box", "5,20,25,25", "--config", small_yaml, "-o", tmp_path / "out.mp4",
                        "--max-frames", 3, "-q", "--force", *flags)  # fmt: skip
        assert result.exit_code == 0, result.output
        return json.loads((tmp_path / "out.json").read_text())["model"]["exits"]

    assert exits() == 0.2 and exits("--no-exits") is None


def test_no_moved_masks_turns_the_mask_motion_off_and_says_so(clip, small_yaml, tmp_path):
    result = invoke("track", clip[0], "--box", "5,20,25,25", "--config", small_yaml, "-o", tmp_path / "out.mp4",
                    "--max-frames", 4, "-q", "--no-moved-masks")  # fmt: skip
    assert result.exit_code == 0, result.output
    model = json.loads((tmp_path / "out.json").read_text())["model"]
    assert model["moved_masks"] is None and model["keep_apart"] is None and model["drop_strays"] is None


def test_prompt_views_act_on_memory_free_search_models_and_turn_off(clip, tmp_path):
    config = tmp_path / "search.yaml"
    OmegaConf.save(
        load_config(
            "small", ["search.context=2.5", "visible_head=token", "track_memory=false"], image_size=128
        ),
        config,
    )
    for flags, expected in (((), True), (("--no-prompt-views",), False)):
        out = tmp_path / f"out{len(flags)}.mp4"
        result = invoke("track", clip[0], "--box", "5,20,25,25", "--config", config, "-o", out,
                        "--max-frames", 3, "-q", *flags)  # fmt: skip
        assert result.exit_code == 0, result.output
        assert json.loads(out.with_suffix(".json").read_text())["model"]["prompt_views"] is expected


def test_segment_writes_png_overlay_and_masks(small_yaml, tmp_path):
    image = np.random.default_rng(0).integers(0, 255, (50, 70, 3), dtype=np.uint8)
    Image.fromarray(image).save(tmp_path / "photo.png")
    result = invoke("segment", tmp_path / "photo.png", "--box", "10,10,30,20", "--point", "50,30",
                    "--config", small_yaml, "-o", tmp_path / "seg.png")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert Image.open(tmp_path / "seg.png").size == (70, 50)
    doc = json.loads((tmp_path / "seg.json").read_text())
    assert len(doc["frames"]) == 1 and [o["id"] for o in doc["frames"][0]["objects"]] == [1, 2]
    assert doc["video"]["kind"] == "image"


def bad_inputs(tmp: Path, clip_path: Path) -> dict[str, tuple[list, str]]:
    (tmp / "empty.mp4").write_bytes(b"")
    (tmp / "corrupt.mp4").write_bytes(np.random.default_rng(1).bytes(3000))
    (tmp / "notes.txt").write_text("hello\n" * 50)
    (tmp / "exists.mp4").write_bytes(b"x")
    (tmp / "a_file").write_text("")
    box = ["--box", "5,5,20,20"]
    return {
        "missing video": (["track", tmp / "missing.mp4", *box], "video not found"),
        "empty video": (["track", tmp / "empty.mp4", *box], "video file is empty"),
        "corrupt video": (["track", tmp / "corrupt.mp4", *box], "corrupt or unsupported"),
        "unsupported video": (["track", tmp / "notes.txt", *box], "corrupt or unsupported"),
        "box outside": (["track", clip_path, "--box", "500,5,20,20"], "outside the 96x72 frame"),
        "box zero size": (["track", clip_path, "--box", "5,5,0,20"], "zero size"),
        "box malformed": (["track", clip_path, "--box", "5,5,20"], "malformed box"),
        "prompt frame beyond end": (["track", clip_path, *box, "--frame", "99"], "beyond the end"),
        "prompt frame beyond --end": (
            ["track", clip_path, "--box", "5,5,20,20@10", "--end", "8"],
            "beyond the end",
        ),
        "output not writable": (
            ["track", clip_path, *box, "-o", tmp / "a_file" / "out.mp4"],
            "cannot write output",
        ),
        "existing output": (
            ["track", clip_path, *box, "-o", tmp / "exists.mp4"],
            "already exists (pass --force",
        ),
        "missing image": (["segment", tmp / "nope.png", *box], "not found"),
    }


NAMES = [
    "missing video", "empty video", "corrupt video", "unsupported video", "box outside", "box zero size",
    "box malformed", "prompt frame beyond end", "prompt frame beyond --end", "output not writable",
    "existing output", "missing image",
]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_is_one_line_and_exit_2(name, clip, tmp_path):
    args, message = bad_inputs(tmp_path, clip[0])[name]
    result = invoke(*args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_checkpoint_for_another_config_is_one_line(clip, tmp_path):
    save_checkpoint(build_model("small", image_size=128), tmp_path / "small.safetensors")
    result = invoke("track", clip[0], "--box", "5,5,20,20", "--checkpoint", tmp_path / "small.safetensors",
                    "--config", "sam2.1_hiera_t", "-o", tmp_path / "o.mp4")  # fmt: skip
    assert result.exit_code == 2 and not (tmp_path / "o.mp4").exists()
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not fit model config 'sam2.1_hiera_t'" in lines[0]


def test_shipped_default_weights_are_found_else_random_with_one_warning(tmp_path, monkeypatch, capsys):
    import amodal_vos.tracking.loading as loading

    monkeypatch.setattr(loading, "weights_dir", lambda: tmp_path / "weights")
    model, description = load_model(device="cpu")
    warning = capsys.readouterr().err.strip().splitlines()
    assert description["random_weights"] and description["config"] == "small"
    assert len(warning) == 1 and "RANDOM weights" in warning[0]
    (tmp_path / "weights").mkdir()
    save_checkpoint(build_model("small", image_size=128), tmp_path / "weights" / "default.safetensors")
    model, description = load_model(device="cpu")
    assert not description["random_weights"] and description["checkpoint"].endswith("default.safetensors")
    assert model.image_size == 128 and capsys.readouterr().err == ""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_ctrl_c_on_the_command_line(small_yaml, tmp_path, signum):
    """Ctrl-C, and (issue 14) SIGTERM and SIGHUP the same way: a partial result, exit 128 + signal, no traceback."""
    video = tmp_path / "long.mp4"
    write_shapes_video(video, 400, 48, 64, 10)
    out = tmp_path / "out.mp4"
    command = [str(Path(sys.executable).parent / "amodal-vos"), "track", str(video), "--box", "2,10,16,16",
               "--config", str(small_yaml), "-o", str(out), "--no-visible"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.time() + 120
    while not list(tmp_path.glob("out.tmp-*.mp4")) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr and stderr.strip().splitlines()[-1].startswith("interrupted after")
    doc = json.loads((tmp_path / "out.json").read_text())
    assert doc["partial"] is True and 0 < len(doc["frames"]) < 400
    assert decode_count(out)[3] == len(doc["frames"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.mp4", "out.json", "out.mp4"]
