"""End-to-end training on generated shape clips: the loss goes down, a killed run resumes to the same weights, and
two gloo processes match one process with the same global batch."""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from amodal_vos.errors import UserError
from amodal_vos.model.build import build_model
from amodal_vos.model.checkpoint import load_checkpoint, read_header
from amodal_vos.train.recipe import load_recipe
from amodal_vos.train.state import load_state
from amodal_vos.train.trainer import Trainer

pytestmark = pytest.mark.slow


def _losses(run: Path, column: str) -> list[float]:
    with (run / "log.csv").open() as f:
        return [float(r[column]) for r in csv.DictReader(f) if r[column]]


def _assert_same_weights(a: Path, b: Path, atol: float) -> None:
    wa, wb = load_file(str(a)), load_file(str(b))
    assert wa.keys() == wb.keys()
    worst = max((wa[k].float() - wb[k].float()).abs().max().item() for k in wa)
    assert worst <= atol, f"weights differ by up to {worst}"


def test_loss_goes_down(write_recipe, image_stage, shapes, tmp_path):
    stage = {**image_stage, "iters": 30, "batch": 8, "warmup": 3}
    recipe = load_recipe(write_recipe([stage], log_every=1))
    final = Trainer(recipe, tmp_path / "run", quiet=True, sources={"*": shapes.ShapesSource(64)}).run()
    losses = _losses(tmp_path / "run", "visible/total")
    assert len(losses) == 30
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < 0.6 * first, f"loss did not go down: first {first:.3f}, last {last:.3f}"
    _, meta = read_header(final)
    assert meta["iterations"] == 30 and meta["recipe"]["name"] == "test"
    assert meta["metrics"]["visible/total"] == pytest.approx(losses[-1], rel=1e-4)


def _kill_env(after_samples: int) -> dict:
    return {**os.environ, "SHAPES_KILL_AFTER": str(after_samples), "OMP_NUM_THREADS": "1"}


def test_killed_run_resumes_to_identical_weights(write_recipe, image_stage, amodal_stage, tmp_path):
    """Two stages (image, then amodal with adversarial, regional and point terms); the process is SIGKILLed in the
    middle of the amodal stage, then resumed; the weights equal an uninterrupted run's."""
    path = write_recipe([image_stage, amodal_stage])
    # batches built ahead in a thread (as on CUDA) must not change anything either
    full = Trainer(load_recipe(path, overrides=["prefetch=true"]), tmp_path / "full", quiet=True).run()

    run = tmp_path / "killed"
    # the shapes source SIGKILLs its own process after this many clips: 3 image steps x 4 + 2 amodal steps x 4 + 2
    code = f"from amodal_vos.train.recipe import load_recipe; from amodal_vos.train.trainer import Trainer; Trainer(load_recipe({str(path)!r}), {str(run)!r}, quiet=True).run()"
    proc = subprocess.run(
        [sys.executable, "-c", code], env=_kill_env(3 * 4 + 2 * 4 + 2), capture_output=True, text=True
    )
    assert proc.returncode == -9, proc.stderr[-2000:]
    state = load_state(
        run
    )  # saves at the stage end (3) and every 2 steps: killed in step 6 or 7 -> state of 4 or 6
    assert state is not None and state["stage"] == 1 and 4 <= state["iteration"] < 7
    assert not (run / "model.safetensors").exists()
    latest, latest_meta = load_checkpoint(run / "latest.safetensors")  # the saved state's weights, loadable
    assert latest_meta["iterations"] == state["iteration"]
    assert all(torch.equal(v, state["model"][k].float()) for k, v in latest.state_dict().items())

    with pytest.raises(UserError, match="--resume"):
        Trainer(load_recipe(path), run, quiet=True).run()
    resumed = Trainer(load_recipe(path), run, resume=True, quiet=True).run()
    _assert_same_weights(full, resumed, atol=1e-6)
    assert read_header(resumed)[1]["init"] == read_header(full)[1]["init"]  # the record keeps the run's start
    assert [int(r) for r in _losses(run, "iteration")] == list(range(1, 8))
    assert _losses(run, "amodal/total") == pytest.approx(_losses(tmp_path / "full", "amodal/total"), rel=1e-5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_two_processes_match_one(write_recipe, amodal_stage, tmp_path):
    stage = {**amodal_stage, "iters": 3}
    stage["objectives"] = [
        {
            "name": "amodal",
            "target": "amodal",
            "adapters": True,
            "batch": 4,
            "losses": {"reg": 0.1, "adv": 0.1},
        },
        {"name": "visible", "target": "visible", "adapters": False, "batch": 2, "weight": 0.5},
    ]
    path = write_recipe([stage], save_every=10)
    single = Trainer(load_recipe(path), tmp_path / "single", quiet=True, device="cpu").run()

    script = tmp_path / "ddp_main.py"
    script.write_text(
        "import sys, torch\n"
        "torch.set_num_threads(1)\n"
        "from amodal_vos.train.recipe import load_recipe\n"
        "from amodal_vos.train.trainer import Trainer\n"
        "Trainer(load_recipe(sys.argv[1]), sys.argv[2], quiet=True, device='cpu').run()\n"
    )
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        f"--master_port={_free_port()}",
    ]
    proc = subprocess.run(
        cmd + [str(script), str(path), str(tmp_path / "ddp")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    _, meta = read_header(tmp_path / "ddp" / "model.safetensors")
    assert meta["world_size"] == 2
    # Adam steps of lr 1e-3 move weights by ~1e-3 each; summation order alone may differ between the two runs
    _assert_same_weights(single, tmp_path / "ddp" / "model.safetensors", atol=1e-4)
    torch.manual_seed(3)
    init = build_model("small", load_recipe(path).model["overrides"], 64).state_dict()
    moved = max((load_file(str(single))[k] - v).abs().max().item() for k, v in init.items())
    assert moved > 2e-3  # so the tolerance above is far below what training changed
    assert _losses(tmp_path / "ddp", "amodal/total") == pytest.approx(
        _losses(tmp_path / "single", "amodal/total"), rel=1e-4
    )


def test_uneven_batch_over_processes_is_a_user_error():
    from amodal_vos.train.distributed import DistInfo, rank_share

    with pytest.raises(UserError, match="split evenly"):
        rank_share(3, DistInfo(0, 2, torch.device("cpu")))
    assert list(rank_share(4, DistInfo(1, 2, torch.device("cpu")))) == [2, 3]


def test_adapter_lr_scale_sets_the_adapters_own_learning_rate(write_recipe, amodal_stage, tmp_path):
    stage = {**amodal_stage, "iters": 2, "adapter_lr_scale": 0.0}
    path = write_recipe([stage])
    final = Trainer(load_recipe(path), tmp_path / "run", quiet=True).run()
    torch.manual_seed(3)
    init = build_model("small", load_recipe(path).model["overrides"], 64).state_dict()
    trained = load_file(str(final))
    adapters = [k for k in init if k.startswith("image_encoder.trunk.sca.")]
    assert adapters and all(torch.equal(trained[k], init[k]) for k in adapters)
    assert any(not torch.equal(trained[k], v) for k, v in init.items() if k not in adapters)


def test_sample_workers_draw_what_the_main_process_would(write_recipe, amodal_stage, tmp_path):
    """Samples drawn ahead by two worker processes (recipe ``workers``, for GPUs) give the same losses and weights
    as samples drawn in the training process: each worker continues the sample's own random stream."""
    path = write_recipe([{**amodal_stage, "iters": 3}], save_every=10)
    here = Trainer(load_recipe(path), tmp_path / "here", quiet=True, device="cpu").run()
    pooled = Trainer(
        load_recipe(path, overrides=["workers=2"]), tmp_path / "pooled", quiet=True, device="cpu"
    ).run()
    _assert_same_weights(here, pooled, atol=1e-6)
    assert _losses(tmp_path / "pooled", "amodal/total") == pytest.approx(
        _losses(tmp_path / "here", "amodal/total"), rel=1e-6
    )
    with pytest.raises(UserError, match="workers"):
        Trainer(load_recipe(path, overrides=["workers=-1"]), tmp_path / "bad", quiet=True, device="cpu").run()


def test_steps_with_non_finite_gradients_are_skipped_then_stop_the_run(
    write_recipe, image_stage, tmp_path, monkeypatch
):
    """A NaN loss (as bf16 gave on a GPU) leaves the weights unchanged and is logged as skipped; ten in a row stop
    the run with a one-line error instead of training on NaN weights."""
    from amodal_vos.train import trainer as trainer_module

    poisoned: set[int] = {1}
    calls = {"n": 0}
    forward = trainer_module.StepModule.forward

    def maybe_nan(self, *args, **kwargs):
        total, parts, disc = forward(self, *args, **kwargs)
        calls["n"] += 1
        return (total * float("nan") if calls["n"] - 1 in poisoned else total), parts, disc

    monkeypatch.setattr(trainer_module.StepModule, "forward", maybe_nan)
    after: list[dict] = []  # the weights after each step
    save = Trainer._save

    def keep(self, *args):
        after.append({k: v.detach().clone() for k, v in self.model.state_dict().items()})
        save(self, *args)

    monkeypatch.setattr(Trainer, "_save", keep)
    path = write_recipe([{**image_stage, "iters": 3}], save_every=1)
    Trainer(load_recipe(path), tmp_path / "run", quiet=True, device="cpu").run()
    assert _losses(tmp_path / "run", "skipped") == [0.0, 1.0, 0.0]
    assert all(torch.equal(after[1][k], v) for k, v in after[0].items())  # the NaN step changed nothing
    assert any(not torch.equal(after[2][k], v) for k, v in after[1].items())  # the next one trained
    assert all(torch.isfinite(v).all() for v in after[2].values() if v.is_floating_point())

    calls["n"], poisoned = 0, set(range(100))
    monkeypatch.setattr(trainer_module, "MAX_BAD_STEPS", 3)
    with pytest.raises(UserError, match="not finite in 3 steps"):
        Trainer(load_recipe(path), tmp_path / "bad", quiet=True, device="cpu").run()
