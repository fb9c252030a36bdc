#!/usr/bin/env bash
# Bah & Kurtz's ReLU baseline on Breast Cancer Wisconsin (original, 699 x 9): one hidden layer
# of 25 ReLUs, no biases, 2-class softmax output, Adam, binary cross-entropy (Keras' loss on a
# 2-class softmax = softmax cross-entropy), over 10 seeded 80/20 shuffles; prints the mean,
# max and min test accuracy (the seed paper reports 89.1 / 91.4 / 85.7).
#
# Environment: NNMIP (default build/src/cli/nnmip), OUT (results/bcw), EPOCHS (100),
# BATCH (32, Keras' default), LR (1e-3, Keras' Adam default), SEEDS ("1 2 ... 10").
set -euo pipefail
cd "$(dirname "$0")/.."
NNMIP=${NNMIP:-build/src/cli/nnmip}
OUT=${OUT:-results/bcw}
EPOCHS=${EPOCHS:-100}
BATCH=${BATCH:-32}
LR=${LR:-1e-3}
SEEDS=${SEEDS:-"1 2 3 4 5 6 7 8 9 10"}
mkdir -p "$OUT"
for s in $SEEDS; do
  "$NNMIP" -q train --dataset bcw --arch 25 --no-bias --loss bce --optimizer adam --lr "$LR" \
    --epochs "$EPOCHS" --batch "$BATCH" --val-fraction 0 --seed "$s" --threads 1 \
    -o "$OUT/bcw_25_nobias_s$s.onnx" --json "$OUT/bcw_25_nobias_s$s.json" >/dev/null
done
python3 - "$OUT" $SEEDS <<'PY'
import json, os, statistics, sys
out, seeds = sys.argv[1], sys.argv[2:]
accs = [json.load(open(os.path.join(out, f"bcw_25_nobias_s{s}.json")))["test_accuracy"] for s in seeds]
print("seed  test_acc")
for s, a in zip(seeds, accs):
    print(f"{s:>4}  {100*a:.1f}")
print(f"mean {100*statistics.mean(accs):.1f}  max {100*max(accs):.1f}  min {100*min(accs):.1f}"
      f"  (n={len(accs)}, test set {json.load(open(os.path.join(out, f'bcw_25_nobias_s{seeds[0]}.json')))['test_samples']} samples)")
PY
