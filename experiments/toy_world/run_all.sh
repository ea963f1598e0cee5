#!/usr/bin/env bash
# Every number of docs/toy-world.md from scratch, on the CPU. Resumable: run it again after an interruption and each
# training continues from its last checkpoint (finished steps are skipped).
#   COMFYUI_PATH=/path/to/ComfyUI bash experiments/toy_world/run_all.sh [RUNS_FOLDER]
# Run it with ComfyUI's Python on PATH (or PYTHON=/path/to/python). Options below are those of the recorded run.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-runs/toy_world}
PY=${PYTHON:-python}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
BACKBONE_STEPS=${BACKBONE_STEPS:-2500}
ADAPTER_STEPS=${ADAPTER_STEPS:-2400}
CLIPS=${CLIPS:-16}
toy() { "$PY" -m experiments.toy_world "$@"; }
resume() { [ -d "$1/checkpoints" ] && echo --resume || true; }
common=(--backend experiments.toy_world.backend:ToyWorldBackend --device cpu --data toy --frames 8 --width 96
        --height 96 --max-objects 4 --save-every 100 --keep 2 --eval-every 250 --eval-clips 8 --log-every 25)

[ -f "$RUNS/toy_init.safetensors" ] || toy init --out "$RUNS"
# 1. the backbone: the tiny SVD trained image-to-video on the toy world, no track control
toy train backbone "${common[@]}" --checkpoint "$RUNS/toy_init.safetensors" --seed 1 --steps "$BACKBONE_STEPS" \
    --lr 1e-3 --out "$RUNS/backbone" $(resume "$RUNS/backbone")
BACKBONE=$RUNS/backbone/video_model.safetensors
# 2. TrackGo on the frozen backbone
toy train trackgo "${common[@]}" --checkpoint "$BACKBONE" --seed 2 --steps "$ADAPTER_STEPS" --lr 1e-3 \
    --out "$RUNS/trackgo" $(resume "$RUNS/trackgo")
ADAPTER=$RUNS/trackgo/trackgo_adapter.safetensors
# 3. measurements on held-out clips
toy loss-gap --backbone "$BACKBONE" --adapter "$ADAPTER" --clips "$CLIPS" --out "$RUNS/trackgo_loss_gap.json"
toy sample --backbone "$BACKBONE" --adapter "$ADAPTER" --clips "$CLIPS" --steps 12 --K 8 --s 4 \
    --keep-frames "$RUNS/frames" --out "$RUNS/trackgo_sampling.json"
toy pictures --frames-dir "$RUNS/frames" --out "$RUNS/pictures" --clips 3
# 4. TrackDiffusion box control from scratch on the same frozen backbone, and its loss gap
toy train trackdiffusion "${common[@]}" --checkpoint "$BACKBONE" --seed 3 --steps "${TRACKDIFFUSION_STEPS:-2000}" \
    --lr 1e-3 --weight-decay 0.01 --out "$RUNS/trackdiffusion" $(resume "$RUNS/trackdiffusion")
toy box-loss-gap --backbone "$BACKBONE" --weights "$RUNS/trackdiffusion/trackdiffusion.safetensors" --clips "$CLIPS" \
    --out "$RUNS/trackdiffusion_loss_gap.json"
toy report --runs "$RUNS"
