#!/usr/bin/env bash
# PV runs of docs/results_pv.md on the VNN-COMP mnist-net_256x2 (identity logits), resumable:
# a run whose JSON exists is skipped. Needs the CLI built in $BUILD (default build-e).
#   scripts/pv_study.sh tiers [REF...]  test images REF (default 0), softmax-l1, naive/lp/milp
#                               over [0,1]^784, lp over the query domain, milp-img; 60 s each
#   scripts/pv_study.sh classes one reference per class (first test image of each class),
#                               softmax-l1, lp over the query domain, 60 s each, with PNGs
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BUILD:-build-e}/src/cli/nnmip
N=../shared/data/vnncomp/mnist_fc/onnx/mnist-net_256x2.onnx
OUT=results/pv
mkdir -p "$OUT"
run() {  # name, then the adversarial arguments
  local name=$1
  shift
  [ -f "$OUT/$name.json" ] && return 0
  "$B" adversarial "$N" "$@" --json "$OUT/$name.json" > "$OUT/$name.txt" 2>&1
}
case "${1:-classes}" in
  tiers)
    shift
    for ref in "${@:-0}"; do
      run "img${ref}_lp_query" --domain "neighbours:$ref,eps=0.18" --objective softmax-l1 \
        --method lp --time-limit 60 --png-dir "$OUT/img${ref}_lp_query"
      for m in naive lp milp; do
        run "img${ref}_${m}_full" --domain "neighbours:$ref,eps=0.18" --objective softmax-l1 \
          --method "$m" --bounds-domain full --time-limit 60
      done
      run "img${ref}_milp-img" --domain "neighbours:$ref,eps=0.18" --objective softmax-l1 \
        --method milp-img --time-limit 60
    done
    ;;
  classes)
    for ref in 3 2 1 18 4 8 11 0 61 7; do
      run "study_lp_ref$ref" --domain "neighbours:$ref,eps=0.18" --objective softmax-l1 \
        --method lp --time-limit 60 --png-dir "$OUT/png_ref$ref"
    done
    ;;
  *) echo "usage: $0 tiers|classes" >&2; exit 2 ;;
esac
