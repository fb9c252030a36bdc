#!/usr/bin/env bash
# Trains the thesis's MNIST networks (ch. 2, Table 2.1: 50 epochs, lambda in {0,1e-4,2e-4,3e-4})
# with `nnmip train`, then tabulates accuracy, near-zero weights, time and the Rounder sweep.
#
#   scripts/train_thesis_nets.sh [NAME_REGEX]      e.g. 'none' or '200x5_l1'
#
# Environment: NNMIP (binary, default build/src/cli/nnmip), OUT (default results/nets),
# EPOCHS (50), SEED (1), THREADS (1: results do not depend on it; 2 pays only on an idle
# machine), DATA_DIR (optional --data-dir). Each network is written as $OUT/<name>.onnx with
# <name>.json (per-epoch metrics) and <name>.prune.json (eps sweep); a network whose .json
# exists is skipped, and an interrupted one resumes from <name>.onnx.ckpt (Ctrl-C is safe).
# The summary goes to $OUT/summary.csv.
#
# The *_sum networks use --lambda-scale sum (mean batch loss + lambda/128 * sum|W|: the penalty
# against the batch's summed loss), under which the thesis's L1 lambda = 2e-4 networks train;
# the others keep the default --lambda-scale mean (Keras' kernel_regularizer), under which
# L1 2e-4 and 3e-4 collapse to one class (docs/results_training.md section 5). The PV study
# (scripts/pv_study.sh) uses mnist_200x5_l1_2e-4_sum and mnist_800x2_l1_2e-4_sum; the
# comparators (scripts/compare_study.sh, thesis chapter 4) also mnist_100x10_l1_2e-4_sum and
# mnist_15x2_l1_2e-4_sum (2 hidden layers of 15; the mineps study), and 3000x1 when time allows;
# run them first with
#   nice -n 5 scripts/train_thesis_nets.sh '_sum$'
set -euo pipefail
cd "$(dirname "$0")/.."
NNMIP=${NNMIP:-build/src/cli/nnmip}
OUT=${OUT:-results/nets}
EPOCHS=${EPOCHS:-50}
SEED=${SEED:-1}
THREADS=${THREADS:-1}
FILTER=${1:-.}
DATA_ARGS=()
[ -n "${DATA_DIR:-}" ] && DATA_ARGS=(--data-dir "$DATA_DIR")
mkdir -p "$OUT"

# name arch reg lambda [lambda-scale, default mean]
CONFIGS=(
  "mnist_200x5_l1_2e-4_sum 200x5 l1 2e-4 sum"
  "mnist_800x2_l1_2e-4_sum 800x2 l1 2e-4 sum"
  "mnist_100x10_l1_2e-4_sum 100x10 l1 2e-4 sum"
  "mnist_15x2_l1_2e-4_sum 15x2 l1 2e-4 sum"
  "mnist_3000x1_l1_2e-4_sum 3000x1 l1 2e-4 sum"
  "mnist_200x5_none 200x5 none 0"
  "mnist_800x2_none 800x2 none 0"
  "mnist_3000x1_none 3000x1 none 0"
  "mnist_100x10_none 100x10 none 0"
  "mnist_200x5_l1_1e-4 200x5 l1 1e-4"
  "mnist_200x5_l1_2e-4 200x5 l1 2e-4"
  "mnist_200x5_l1_3e-4 200x5 l1 3e-4"
  "mnist_200x5_l2_1e-4 200x5 l2 1e-4"
  "mnist_200x5_l2_2e-4 200x5 l2 2e-4"
  "mnist_200x5_l2_3e-4 200x5 l2 3e-4"
)

for cfg in "${CONFIGS[@]}"; do
  read -r name arch reg lambda scale <<<"$cfg"
  [[ "$name" =~ $FILTER ]] || continue
  name="${name}_s${SEED}"
  if [ -f "$OUT/$name.json" ]; then
    echo "== $name: done already ($OUT/$name.json)"
  else
    echo "== $name"
    "$NNMIP" "${DATA_ARGS[@]}" train --dataset mnist --arch "$arch" --reg "$reg" \
      --lambda "$lambda" --lambda-scale "${scale:-mean}" --epochs "$EPOCHS" --seed "$SEED" \
      --threads "$THREADS" --resume -o "$OUT/$name.onnx" --json "$OUT/$name.json" |
      tee -a "$OUT/$name.txt"
    "$NNMIP" "${DATA_ARGS[@]}" prune "$OUT/$name.onnx" --sweep 1e-4,1e-3,1e-2,4e-2,1e-1 \
      --dataset mnist --json "$OUT/$name.prune.json" | tee -a "$OUT/$name.txt"
  fi
  # The thesis rounds its networks before verifying them (end of chapter 2; eps = 0.04 for the
  # 200x5 L1 2e-4 net of section 2.4): the PV study runs on ${name}_eps0.04.onnx.
  if [ "${scale:-mean}" = sum ] && [ ! -f "$OUT/${name}_eps0.04.onnx" ]; then
    "$NNMIP" "${DATA_ARGS[@]}" prune "$OUT/$name.onnx" --eps 0.04 --dataset mnist \
      -o "$OUT/${name}_eps0.04.onnx" | tee -a "$OUT/$name.txt"
  fi
done

python3 - "$OUT" <<'PY'
import csv, glob, json, os, sys
out = sys.argv[1]
rows = []
for path in sorted(glob.glob(os.path.join(out, "*.json"))):
    if path.endswith(".prune.json"):
        continue
    m = json.load(open(path))
    if m.get("schema") != "nnmip.train/1":
        continue
    prune_path = path[:-5] + ".prune.json"
    sweep = {}
    if os.path.exists(prune_path):
        for r in json.load(open(prune_path))["rows"]:
            sweep[r["eps"]] = r
    epochs = m["epochs"]
    row = {
        "name": os.path.basename(path)[:-5], "dataset": m["dataset"], "arch": m["arch"],
        "reg": m["reg"], "lambda": m["lambda"],
        "lambda_scale": m.get("lambda_scale", "mean"), "seed": m["seed"],
        "epochs": m["epochs_completed"], "test_acc": round(m["test_accuracy"], 4),
        "val_acc": m["val_accuracy"], "seconds": round(m["seconds"], 1),
        "s_per_epoch": round(sum(e["seconds"] for e in epochs) / len(epochs), 2) if epochs else "",
    }
    for eps, share in m["weight_share_abs_at_most"].items():
        row[f"pct_abs_le_{eps}"] = round(100 * share, 2)
    for eps, r in sorted(sweep.items()):
        row[f"acc_rounded_{eps:g}"] = r["accuracy"]
    rows.append(row)
if rows:
    keys = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    with open(os.path.join(out, "summary.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {os.path.join(out, 'summary.csv')} ({len(rows)} networks)")
PY
