"""Fuzz `amodal-vos track` (issue 14): random command lines over damaged and odd inputs.

Every run must end with exit 0 and valid outputs, or exit 2 and exactly one ``error:`` line; never a traceback,
never a temporary file left behind, never a changed file that existed before (apart from the outputs named with
--force). 60 cases by default; ``AMODAL_FUZZ_CASES=500`` for more, ``AMODAL_FUZZ_SEED`` for another sequence.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from omegaconf import OmegaConf
from PIL import Image

from amodal_vos.cli.main import cli
from amodal_vos.io.shapes_video import write_shapes_video
from amodal_vos.model import load_config

from .videos import write_faststart

CASES = int(os.environ.get("AMODAL_FUZZ_CASES", "60"))
SEED = int(os.environ.get("AMODAL_FUZZ_SEED", "14"))
W, H, T = 48, 32, 6


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """Inputs, good and damaged, in a read-only library (copied into each case's folder)."""
    lib = tmp_path_factory.mktemp("fuzz-inputs")
    rng = np.random.default_rng(0)
    write_shapes_video(lib / "good.mp4", T, H, W)
    fast = write_faststart(lib / "fast.mp4", T, H, W, gop=2)
    data = fast.read_bytes()
    (lib / "cut60.mp4").write_bytes(data[: int(len(data) * 0.6)])
    (lib / "cut90.mp4").write_bytes(data[: int(len(data) * 0.9)])
    (lib / "cut5.mp4").write_bytes(data[: int(len(data) * 0.05)])
    for name, count in (("flip1.mp4", 1), ("flip20.mp4", 20)):
        flipped = bytearray(data)
        for pos in rng.integers(len(flipped) // 4, len(flipped), count):
            flipped[pos] ^= 1 << int(rng.integers(0, 8))
        (lib / name).write_bytes(bytes(flipped))
    (lib / "mp4-as.mkv").write_bytes((lib / "good.mp4").read_bytes())
    (lib / "png-as.mp4").write_bytes(b"")
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(lib / "frame.png")
    (lib / "png-as.mp4").write_bytes((lib / "frame.png").read_bytes())
    (lib / "noise.mp4").write_bytes(rng.bytes(3000))
    (lib / "empty.mp4").write_bytes(b"")
    (lib / "text.mp4").write_text("not a video\n" * 30)
    write_faststart(lib / "rotated.mp4", T, H, W, rotation=90, gop=2)
    odd = lib / "odd"
    odd.mkdir()
    for t in range(3):
        Image.fromarray(rng.integers(0, 255, (7, 3, 3), dtype=np.uint8)).save(odd / f"{t}.png")
    deep = lib / "deep"
    deep.mkdir()
    for t in range(3):
        Image.fromarray((rng.random((H, W)) * 65535).astype(np.uint16)).save(deep / f"{t}.png")
    mixed = lib / "mixed"
    mixed.mkdir()
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(mixed / "0.png")
    Image.fromarray(np.zeros((H + 2, W, 3), np.uint8)).save(mixed / "1.png")
    (mixed / "2.png").write_bytes(b"\x89PNG broken")
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(lib / "dot.png")
    return {p.name: p for p in lib.iterdir()}


@pytest.fixture(scope="module")
def small_yaml(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fuzz-cfg") / "small64.yaml"
    OmegaConf.save(load_config("small", image_size=64), path)
    return path


GOOD_BOXES = ["2,2,12,12", "10,5,20,20", "0,0,48,32", "40,25,30,30", "-5,-5,10,10", "0,0,1e308,1e308"]
BOXES = [
    "1e308,0,5,5", "5,5,0,5", "5,5,-3,4", "nan,1,2,3", "inf,1,2,3", "1,2,3", "1,2,3,4,5", "a,b,c,d", "", "2,2,12,12@1",
    "2,2,12,12@-1", "2,2,12,12@99", "2,2,12,12@x", "1e-300,1e-300,1e-300,1e-300", "47.9,31.9,0.1,0.1",
]  # fmt: skip
POINTS = ["5,5", "47,31", "48,32", "-1,3", "5,5:10,10", "5,5:", "nan,nan", "5,5@2", "1e308,1"]


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _case(rng: np.random.Generator, inputs: dict[str, Path], folder: Path) -> tuple[list[str], set[str]]:
    """A random command line; returns it and the names of the outputs it may replace (with --force)."""
    name = str(rng.choice(sorted(inputs) + ["good.mp4", "fast.mp4", "cut60.mp4", "cut90.mp4", "deep"]))
    source = inputs[name]
    target = folder / name
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copyfile(source, target)
    args = ["track", str(target)]
    for _ in range(int(rng.integers(1, 3))):
        if rng.random() < 0.6:
            args += ["--box", str(rng.choice(GOOD_BOXES))]
        elif rng.random() < 0.7:
            args += ["--box", str(rng.choice(BOXES))]
        else:
            args += ["--point", str(rng.choice(POINTS))]
    out = folder / str(rng.choice(["out.mp4"] * 6 + ["out.png", "out.mkv", "sub/out.mp4", name]))
    args += ["-o", str(out)]
    outputs = {str(out.relative_to(folder)), str(out.with_suffix(".json").relative_to(folder))}
    if rng.random() < 0.3:  # earlier files under the output names or names that look like temporaries
        for existing in rng.choice(["out.mp4", "out.json", "out.partial.mp4", "out.partial.json"], 2):
            (folder / str(existing)).write_bytes(b"earlier " + bytes(str(existing), "ascii"))
    if rng.random() < 0.2:
        args += ["--png-dir", str(folder / "masks")]
        outputs.add("masks")
        if rng.random() < 0.5:
            (folder / "masks").mkdir(exist_ok=True)
            (folder / "masks" / "keep.txt").write_text("not a mask")
    for flag, p in (("--start", 0.1), ("--end", 0.05), ("--frame", 0.1)):
        if rng.random() < p:
            args += [flag, str(int(rng.integers(-2, T + 3)))]
    args += ["--max-frames", str(int(rng.choice([3] * 8 + [1, 0, -1])))]
    for flag, p in (("--force", 0.4), ("--no-visible", 0.5), ("--allow-truncated", 0.4)):
        if rng.random() < p:
            args.append(flag)
    return args, outputs if "--force" in args else set()


def _check_strict_json(path: Path) -> dict:
    def refuse(token):
        raise AssertionError(f"{path}: non-finite value {token} in the JSON")

    return json.loads(path.read_text(), parse_constant=refuse)


@pytest.fixture
def one_model(monkeypatch):
    """The model is built once (the CLI would build it on every run); tracking itself runs as always, on one torch
    thread (on a busy 2-core machine spinning OpenMP threads make it 30x slower)."""
    import torch

    import amodal_vos.tracking.loading as loading

    threads = torch.get_num_threads()
    torch.set_num_threads(1)

    build, cache = loading.load_model, {}

    def cached(*args, **kwargs):
        key = repr((args, sorted(kwargs.items())))
        if key not in cache:
            cache[key] = build(*args, **kwargs)
        model, description = cache[key]
        return model, dict(description)

    monkeypatch.setattr(loading, "load_model", cached)
    yield
    torch.set_num_threads(threads)


def test_fuzz_track_command_lines(inputs, small_yaml, tmp_path, one_model):
    rng = np.random.default_rng(SEED)
    runner = CliRunner()
    outcomes = {0: 0, 2: 0}
    for case in range(CASES):
        folder = tmp_path / f"case{case}"
        folder.mkdir()
        args, replaceable = _case(rng, inputs, folder)
        args += ["--config", str(small_yaml), "--device", "cpu", "-q"]
        before = _snapshot(folder)
        run = runner.invoke(cli, args)
        where = f"case {case}: amodal-vos {' '.join(args)}\n{run.output}"
        assert "Traceback" not in run.output and run.exit_code in (0, 2), where
        assert run.exception is None or isinstance(run.exception, SystemExit), where
        outcomes[run.exit_code] += 1
        if run.exit_code == 2:
            errors = [line for line in run.stderr.splitlines() if line.lower().startswith("error:")]
            assert len(errors) == 1, where
        after = _snapshot(folder)
        for path, digest in before.items():
            if path not in replaceable and not any(path.startswith(r + "/") for r in replaceable):
                assert after.get(path) == digest, f"{path} changed or vanished; {where}"
        leftovers = [p for p in after if ".tmp-" in p or ".old-" in p]
        assert not leftovers, f"temporary files left: {leftovers}; {where}"
        if run.exit_code == 0:
            written = run.stdout.strip().splitlines()[-1].removeprefix("wrote ").split(", ")
            masks = [Path(p) for p in written if p.endswith(".json")]
            assert masks, where
            doc = _check_strict_json(masks[0])
            assert doc["frames"] and doc["partial"] in (True, False), where
            if doc["truncated"]:
                assert "--allow-truncated" in args and doc["partial"] is True, where
            else:
                assert len(doc["frames"]) == doc["range"]["end"] - doc["range"]["start"], where
    assert outcomes[0] > 0 and outcomes[2] > 0, outcomes  # both kinds of outcome were exercised
