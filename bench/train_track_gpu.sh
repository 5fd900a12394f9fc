#!/usr/bin/env bash
# The shipped default's recipe (track-clicks: memory-free rollouts, negative clicks), larger, on one GPU in under 9
# minutes: 8x the batch, its samples drawn by worker processes (recipe `workers`), from the shipped default model.
# The visible token's loss trains only that token's MLP (visible_head_only): with it on the shared decoder, every CPU
# continuation of the default lost 2-6 points on the realistic set (docs/tracking.md, "Do the choices hold on fresh
# clips?"). A 12-iteration probe measures the step time first, so that the learning-rate schedule ends inside
# TRAIN_SECONDS.
# Then, unless NO_EVAL=1, the long-clip and realistic evaluations. Run it where `nvidia-smi` shows a GPU (never
# needed: the CPU recipe is the same training, smaller).
#   bash bench/train_track_gpu.sh [OUT_DIR] [TRAIN_SECONDS]      # defaults: runs/track-gpu, 330
# On a machine without the asset packages: python bench/export_assets.py DIR here, then there
# AMODAL_VOS_PHOTO_DIR=DIR/photos AMODAL_VOS_CLIPART_DIR=DIR/clipart; AMODAL_VOS and PYTHON name the installed
# command and interpreter when they are not in .venv.
# A check here: DEVICE=cpu BATCH=2 NO_EVAL=1 bash bench/train_track_gpu.sh /tmp/gpu-check 20
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-runs/track-gpu}"
BUDGET="${2:-330}"
AV="${AMODAL_VOS:-.venv/bin/amodal-vos}"
PY="${PYTHON:-.venv/bin/python}"
DEVICE="${DEVICE:-cuda}" # DEVICE=cpu runs the same steps here, for a check of the script
[ "$DEVICE" = cpu ] || "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device: this script is for a GPU machine')"
WORKERS=$(($(nproc) > 3 ? $(nproc) - 2 : 1))
BATCH="${BATCH:-32}" # the amodal objective's batch; the visible one's is half of it
LARGER=(--set "stages.0.objectives.0.batch=$BATCH" --set "stages.0.objectives.1.batch=$((BATCH / 2))" --set "workers=$WORKERS"
    --set seed=3 --set stages.0.lr=1.5e-4 --set stages.0.lr_end=1.5e-5 --set stages.0.objectives.0.losses.visible_head_only=true)
INIT=amodal_vos/weights/default.safetensors
"$AV" train track-clicks --init "$INIT" --out "$OUT/probe" --device "$DEVICE" --quiet --iters 12 \
    --set log_every=4 --set save_every=1000 "${LARGER[@]}"
SPI=$("$PY" -c "import csv, sys; print(list(csv.DictReader(open(sys.argv[1])))[-1]['sec_per_it'])" "$OUT/probe/log.csv")
ITERS=$("$PY" -c "import sys; print(max(20, int(float(sys.argv[1]) / float(sys.argv[2]))))" "$BUDGET" "$SPI")
echo "probe: $SPI s per iteration with $WORKERS sample workers -> $ITERS iterations in ${BUDGET} s"
timeout $((BUDGET + 60)) "$AV" train track-clicks --init "$INIT" --out "$OUT" --device "$DEVICE" --quiet \
    --iters "$ITERS" --set save_every=50 "${LARGER[@]}" || echo "training stopped (time limit); resume with --resume"
CKPT="$OUT/model.safetensors"
[ -f "$CKPT" ] || CKPT="$OUT/latest.safetensors" # stopped by the time limit: the last saved state's weights
tail -n 3 "$OUT/log.csv"
[ "${NO_EVAL:-0}" = 1 ] && exit 0
"$AV" eval synthetic --checkpoint "$CKPT" --seed 12345 --num-clips 20 --frames 48 --size 480x320 --out "$OUT/eval-long"
"$AV" eval realistic --checkpoint "$CKPT" --seed 777 --num-clips 40 --frames 48 --size 480x320 --out "$OUT/eval-realistic"
