"""`amodal-vos data synth-fishbowl` and `amodal-vos data stats`: outputs, counts, and one-line errors."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from amodal_vos.cli.main import cli
from amodal_vos.data.fishbowl import FishbowlRaw
from amodal_vos.data.stats import HIST_LABELS


def test_synth_fishbowl_then_stats(tmp_path):
    out = tmp_path / "synth"
    runner = CliRunner()
    res = runner.invoke(
        cli,
        [
            "data",
            "synth-fishbowl",
            str(out),
            "--videos",
            "3",
            "--seed",
            "2",
            "--size",
            "64x48",
            "--frames",
            "5",
            "--workers",
            "1",
        ],
    )
    assert res.exit_code == 0, res.output
    ds = FishbowlRaw(out)
    assert len(ds) == 3 and ds[0].frames.shape == (5, 48, 64, 3)
    objects = sum(len(ds.read_annotations(i, np.arange(5))[0]) for i in range(3))

    res = runner.invoke(cli, ["data", "stats", str(out), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output[res.output.index("{") :])
    assert summary["format"] == "fishbowl" and summary["items"] == 3 and summary["frames"] == 15
    assert summary["objects"] == objects
    assert sum(summary["histogram"].values()) == summary["object_frames"]

    res = runner.invoke(cli, ["data", "synth-fishbowl", str(out), "--videos", "1"])
    assert res.exit_code == 2 and "pass --force" in res.output and "Traceback" not in res.output
    res = runner.invoke(
        cli,
        ["data", "synth-fishbowl", str(out), "--videos", "1", "--size", "64x48", "--frames", "2", "--force"],
    )
    assert res.exit_code == 0 and len(FishbowlRaw(out)) == 1


def test_force_never_deletes_a_folder_it_did_not_write(tmp_path):
    (tmp_path / "precious.txt").write_text("keep me")
    res = CliRunner().invoke(cli, ["data", "synth-fishbowl", str(tmp_path), "--videos", "1", "--force"])
    assert res.exit_code == 2 and "refusing" in res.output
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_stats_counts_match_the_fixture(movid_root):
    root, expected = movid_root
    res = CliRunner().invoke(cli, ["data", "stats", str(root)])
    assert res.exit_code == 0, res.output
    occluded = sum((a & ~v).any() for a, v in expected.values())
    assert "movid-a at" in res.output and "1 videos, 2 objects, 4 frames" in res.output
    assert f"object-frames: {len(expected)}; occluded: {occluded} " in res.output
    assert all(label in res.output for label in HIST_LABELS)


def test_bad_arguments_are_one_line_errors(tmp_path):
    runner = CliRunner()
    for args, message in (
        (["data", "synth-fishbowl", str(tmp_path / "x"), "--size", "64by48"], "--size must look like"),
        (["data", "synth-fishbowl", str(tmp_path / "x"), "--size", "63x48"], "even"),
        (["data", "synth-fishbowl", str(tmp_path / "x"), "--fish", "4-2"], "--fish"),
        (["data", "stats", str(tmp_path / "missing")], "not found"),
        (["data", "stats", str(tmp_path), "--format", "nope"], "supported:"),
    ):
        res = runner.invoke(cli, args)
        assert res.exit_code == 2, (args, res.output)
        assert message in res.output and len(res.output.strip().splitlines()) == 1, res.output
