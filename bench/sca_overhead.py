"""Encoder time and parameters with vs without Spatial Completion Adapters, measured side by side in one run.

For each model config and SCA design, one model is built; its encoder runs alternately with adapters (a box prior)
and bypassed (no prior), so both timings share the same weights, threads and machine state. Prints ratios.

    python bench/sca_overhead.py                      # hiera_t @1024 and small @256, designs bottleneck/separable/full
    python bench/sca_overhead.py --configs small sam2.1_hiera_t --designs lora --rank 16   # PLUG's LoRA (model/lora.py)
    python bench/sca_overhead.py --configs small --repeats 20
"""

from __future__ import annotations

import argparse
import time

import torch
from timing import paired_times  # bench/timing.py

from amodal_vos.model import build_model
from amodal_vos.model.build import count_parameters
from amodal_vos.model.prior import spec_from_box
from amodal_vos.model.sca import SCA_DESIGNS

DESIGNS = (*SCA_DESIGNS, "lora")


def measure(config: str, design: str, repeats: int, clock=time.perf_counter, rank: int | None = None) -> dict:
    overrides = [f"model.image_encoder.trunk.sca_design={design}"]
    if rank is not None:
        overrides.append(f"model.image_encoder.trunk.sca_rank={rank}")
    model = build_model(config, overrides=overrides)
    for p in model.parameters():  # non-zero adapters: the timing must not depend on zero weights
        if p.dim() > 1:
            torch.nn.init.normal_(p, std=0.02)
    size = model.image_size
    img = torch.randn(1, 3, size, size)
    prior = spec_from_box(torch.tensor([[0.3 * size, 0.3 * size, 0.6 * size, 0.7 * size]]), (size, size))
    adapters = sum(p.numel() for _, p in model.adapter_parameters())
    encoder = count_parameters(model.image_encoder)
    with torch.inference_mode():
        base, sca, time_ratio = paired_times(
            lambda: model.forward_image(img, None), lambda: model.forward_image(img, prior), repeats, clock
        )
    return {
        "config": config,
        "size": size,
        "design": design,
        "enc_params_base": encoder - adapters,
        "enc_params_sca": encoder,
        "param_ratio": encoder / (encoder - adapters),
        "time_base": base,
        "time_sca": sca,
        "time_ratio": time_ratio,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="+", default=["sam2.1_hiera_t", "small"])
    parser.add_argument("--designs", nargs="+", default=list(SCA_DESIGNS), choices=DESIGNS)
    parser.add_argument(
        "--rank", type=int, default=None, help="adapter rank (default: the config's sca_rank)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed pairs per measurement")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--clock",
        choices=["cpu", "wall"],
        default="cpu",
        help="cpu: this process's CPU time (robust when other jobs share the machine; use with 1 thread); "
        "wall: elapsed time (on an otherwise idle machine)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    print(
        f"torch {torch.__version__}, {args.threads} thread(s), {args.clock} clock; encoder calls with and without "
        f"adapters alternate, {args.repeats} pairs, medians (ratio = median of per-pair ratios)"
    )
    head = f"{'config':16s} {'px':>5s} {'design':10s} {'enc params':>11s} {'+SCA':>11s} {'ratio':>6s} {'enc s':>7s} {'+SCA s':>7s} {'ratio':>6s}"
    print(head)
    print("-" * len(head))
    for config in args.configs:
        for design in args.designs:
            r = measure(config, design, args.repeats, clock, args.rank)
            print(
                f"{r['config']:16s} {r['size']:5d} {r['design']:10s} {r['enc_params_base']:11,d} {r['enc_params_sca']:11,d} "
                f"{r['param_ratio']:6.3f} {r['time_base']:7.3f} {r['time_sca']:7.3f} {r['time_ratio']:6.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
