"""One training step of a recipe on a device, in fp32 and under bf16 autocast: each loss term, whether the
gradients are finite, and the first module (in call order) whose output is not finite. For a new device or
precision before a long run (the track-clicks recipe's first CUDA run under bf16 gave non-finite losses).
    python bench/train_step_check.py [--device cuda] [--recipe track-clicks] [--init CKPT] [--batch 2]
"""

from __future__ import annotations

import argparse

import torch

from amodal_vos.model.build import build_model
from amodal_vos.train.discriminator import MaskDiscriminator
from amodal_vos.train.recipe import load_recipe
from amodal_vos.train.setup import load_init
from amodal_vos.train.sources import build_source
from amodal_vos.train.step import StepModule, make_work


def _finite(x) -> bool:
    if isinstance(x, torch.Tensor):
        return bool(torch.isfinite(x).all()) if x.is_floating_point() else True
    if isinstance(x, (tuple, list)):
        return all(_finite(v) for v in x)
    if isinstance(x, dict):
        return all(_finite(v) for v in x.values())
    return True


def first_non_finite(model: torch.nn.Module, run) -> str | None:
    """The name of the first module whose forward output holds a NaN or inf while ``run()`` executes."""
    found: list[str] = []
    hooks = [
        m.register_forward_hook(
            lambda mod, inp, out, n=name: found.append(n) if not found and not _finite(out) else None
        )
        for name, m in model.named_modules()
        if name
    ]
    try:
        run()
    finally:
        for h in hooks:
            h.remove()
    return found[0] if found else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--recipe", default="track-clicks")
    ap.add_argument("--init", default="amodal_vos/weights/default.safetensors")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    device = torch.device(args.device)
    recipe = load_recipe(args.recipe)
    stage = recipe.stages[0]
    for amp in ("off", "bf16"):
        torch.manual_seed(0)
        m = recipe.model
        model = build_model(m.get("config", "small"), m.get("overrides") or [], m.get("image_size"), device)
        load_init(model, args.init)
        model.train()
        disc = MaskDiscriminator(False, 32).to(device)
        works = [
            make_work(spec, build_source(spec.data), seed=args.seed, iteration=0, objective_index=i,
                      indices=range(args.batch), size=int(model.image_size), device=device, search=True)
            for i, spec in enumerate(stage.objectives)
        ]  # fmt: skip
        step = StepModule(model)
        result = {}

        def run(step=step, works=works, disc=disc, amp=amp, result=result) -> None:
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp == "bf16"):
                result["out"] = step(works, disc, torch.Generator().manual_seed(1))

        where = first_non_finite(model, run)
        total, parts, _ = result["out"]
        total.backward()
        bad = [
            n for n, p in model.named_parameters() if p.grad is not None and not torch.isfinite(p.grad).all()
        ]
        terms = " ".join(f"{k}={float(v):.3f}" for k, v in parts.items())
        print(f"amp {amp}: {terms}")
        print(
            f"  first non-finite module output: {where}; parameters with non-finite gradients: {len(bad)} {bad[:4]}"
        )


if __name__ == "__main__":
    main()
