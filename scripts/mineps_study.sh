#!/usr/bin/env bash
# The mineps campaign (thesis §4.3.2, issue 22) at paper scale in stages, the most informative
# first, so that a run cut short has the answers that matter; resumable (rerun to continue):
#   scripts/mineps_study.sh [STAGE...]
# Stages (job ids: `nnmip experiment mineps --scale paper --dry-run`, campaign_mineps.cpp):
#   tenth     forward order (N1 original, N2 pruned) at every tenth level and 92.75%, 10 digits
#   forward   forward order at all 40 levels
#   certify   the certify-prune curve at radius 0.01 and 0.05
#   flips     maxflip at every tenth level
#   swap      the roles swapped at all 40 levels
#   report    every stored job into one report.md (runs whatever is still missing)
# Default: all of them in this order; a stage that does not finish (stopped, or a job failed)
# ends the script. The first stage trains the 15x2 network of `nets` (only
# that one: a campaign runs only the dependency jobs it needs). NNMIP, OUT as in experiments.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
NNMIP=${NNMIP:-build/src/cli/nnmip}
OUT=${OUT:-results/experiments}
STAGES=("$@")
[ ${#STAGES[@]} -gt 0 ] || STAGES=(tenth forward certify flips swap report)
for s in "${STAGES[@]}"; do
  case "$s" in
    tenth) only='^mineps\|mineps\|.*\|p(5|27\.5|50|72\.5|92\.75)\|digit[0-9]\|forward$' ;;
    forward) only='^mineps\|mineps\|.*\|forward$' ;;
    certify) only='^mineps\|certify\|' ;;
    flips) only='^mineps\|flips\|' ;;
    swap) only='^mineps\|mineps\|.*\|swap$' ;;
    report) only='' ;;
    *) echo "unknown stage '$s' (tenth forward certify flips swap report)" >&2; exit 2 ;;
  esac
  echo "== mineps stage $s $(date -u +%H:%M:%S)"
  "$NNMIP" -v experiment mineps --scale paper -o "$OUT" ${only:+--only "$only"}
done
