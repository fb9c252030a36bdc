#!/usr/bin/env bash
# Every campaign of `nnmip experiment` in dependency order, niced, resumable (rerun to continue):
#   scripts/experiments.sh [small|paper] [CAMPAIGN...]
# Default: small, all of nets pruning bounds bdnn verify pv compare mineps. Results and reports under
# $OUT (default results/experiments), one folder per campaign with report.md, CSV and plots.
# THREADS jobs run at once (default 1); under MPI run the binary through mpirun instead, e.g.
#   mpirun -np 64 build/src/cli/nnmip experiment bounds --scale paper -o results/experiments
# Then `nnmip experiment NAME --scale paper --dry-run -o $OUT` estimates the paper run's CPU hours
# from the finished small run.
set -euo pipefail
cd "$(dirname "$0")/.."
NNMIP=${NNMIP:-build/src/cli/nnmip}
SCALE=${1:-small}
shift || true
OUT=${OUT:-results/experiments}
THREADS=${THREADS:-1}
CAMPAIGNS=("$@")
[ ${#CAMPAIGNS[@]} -gt 0 ] || CAMPAIGNS=(nets pruning bounds bdnn verify pv compare mineps)
for c in "${CAMPAIGNS[@]}"; do
  echo "== $c ($SCALE) $(date -u +%H:%M:%S)"
  start=$(date +%s)
  nice -n 5 "$NNMIP" experiment "$c" --scale "$SCALE" -o "$OUT" --threads "$THREADS"
  echo "   $c: $(( $(date +%s) - start )) s wall"
done
for c in "${CAMPAIGNS[@]}"; do
  "$NNMIP" -q experiment "$c" --scale paper --dry-run -o "$OUT" | tail -n +2 | tail -1
done
