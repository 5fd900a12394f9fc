"""Issue 14: a `train` that fails before its first saved state leaves no run folder holding only a header log."""

from __future__ import annotations

from click.testing import CliRunner

from amodal_vos.cli.main import cli
from amodal_vos.errors import UserError
from amodal_vos.train.trainer import Trainer


def failing_run(self):
    self.out.mkdir(parents=True, exist_ok=True)
    (self.out / "log.csv").write_text("iteration,loss\n")
    raise UserError("out of data")


def test_failed_train_removes_the_folder_and_log_it_created(tmp_path, monkeypatch):
    monkeypatch.setattr(Trainer, "run", failing_run)
    run = CliRunner().invoke(cli, ["train", "scratch", "--out", str(tmp_path / "run"), "--quiet"])
    assert run.exit_code == 2 and "out of data" in run.stderr
    assert not (tmp_path / "run").exists()
    kept = tmp_path / "mine"
    kept.mkdir()
    (kept / "notes.txt").write_text("keep me")
    run = CliRunner().invoke(cli, ["train", "scratch", "--out", str(kept), "--quiet"])
    assert run.exit_code == 2 and sorted(p.name for p in kept.iterdir()) == ["notes.txt"]
