"""onnxruntime vs torch on CPU for each exported graph, side by side in one run, on the same inputs.

The model is exported once (or an earlier export is reused with --onnx-dir); then for each graph the torch module
(the model's own code) and the onnxruntime session run alternately, so both timings share threads and machine
state. Inputs are steady-state tracking sizes: one object, one point, a full memory window (num_maskmem frames)
and the most object pointers. Prints medians and the ratio torch / onnxruntime (above 1: onnxruntime is faster).

    python bench/onnx_speed.py                                   # the shipped default model (small @128)
    python bench/onnx_speed.py --config small --image-size 256   # random weights of a config
    python bench/onnx_speed.py --config sam2.1_hiera_t --image-size 1024 --repeats 5
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from timing import paired_times  # bench/timing.py

from amodal_vos.export import export_onnx
from amodal_vos.export.check import feeds, session
from amodal_vos.export.specs import Sizes, graph_specs
from amodal_vos.tracking.loading import load_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="our .safetensors (default: the shipped model, else --config)")
    parser.add_argument("--config", help="model config with random weights (instead of a checkpoint)")
    parser.add_argument("--image-size", type=int)
    parser.add_argument(
        "--onnx-dir", type=Path, help="reuse an export of the same model instead of exporting"
    )
    parser.add_argument("--repeats", type=int, default=20, help="timed pairs per graph")
    parser.add_argument("--threads", type=int, default=1, help="torch threads = onnxruntime intra-op threads")
    parser.add_argument(
        "--clock",
        choices=["cpu", "wall"],
        default="cpu",
        help="cpu: process CPU time (robust on a shared machine, use with 1 thread); wall: elapsed time",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    model, described = load_model(args.checkpoint, args.config, args.image_size, device="cpu", warn=False)
    tmp = None
    if args.onnx_dir is None:
        tmp = tempfile.TemporaryDirectory()
        args.onnx_dir = Path(tmp.name)
        t0 = time.perf_counter()
        export_onnx(model, args.onnx_dir, described)
        print(f"exported in {time.perf_counter() - t0:.0f} s")
    import onnxruntime

    sizes = Sizes(batch=1, points=1, memories=model.num_maskmem, pointers=model.max_obj_ptrs_in_encoder)
    print(
        f"{described['config']} @{model.image_size} px ({described['checkpoint'] or 'random weights'}); "
        f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, {args.threads} thread(s), "
        f"{args.clock} clock, {args.repeats} pairs, medians; batch 1, {sizes.memories} memories, "
        f"{sizes.pointers} pointers"
    )
    head = f"{'graph':24s} {'torch ms':>9s} {'ort ms':>9s} {'torch/ort':>9s}"
    print(head + "\n" + "-" * len(head))
    total_t = total_o = 0.0
    for spec in graph_specs(model, sizes):
        sess = session(args.onnx_dir / f"{spec.name}.onnx", args.threads)
        inputs, arrays = spec.inputs, feeds(spec)
        with torch.inference_mode():
            t, o, inverse = paired_times(
                lambda spec=spec, inputs=inputs: spec.module(**inputs),
                lambda sess=sess, arrays=arrays: sess.run(None, arrays),
                args.repeats,
                clock,
            )
            ratio = 1 / inverse  # torch / onnxruntime
        if spec.name in ("image_encoder", "mask_decoder", "memory_encoder", "memory_attention"):
            total_t, total_o = total_t + t, total_o + o  # one tracked frame of one object
        print(f"{spec.name:24s} {1e3 * t:9.2f} {1e3 * o:9.2f} {ratio:9.2f}", flush=True)
    print(
        f"{'tracked frame (4 graphs)':24s} {1e3 * total_t:9.2f} {1e3 * total_o:9.2f} {total_t / total_o:9.2f}"
    )
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
