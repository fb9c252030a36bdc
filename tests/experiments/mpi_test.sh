#!/usr/bin/env bash
# `mpirun -np 3` (rank 0 coordinates, ranks 1-2 run jobs) gives the same table as a local run.
# Usage: mpi_test.sh NNMIP WITH_MPI(ON/OFF). Exit 77 (skipped) without MPI.
set -uo pipefail
NNMIP=$1
if [ "${2:-OFF}" != "ON" ] || ! command -v mpirun >/dev/null 2>&1; then
  echo "SKIP: nnmip built without MPI or no mpirun"
  exit 77
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
mpirun -np 3 --oversubscribe "$NNMIP" -q experiment selftest --scale small -o "$DIR/mpi" \
  >"$DIR/mpi.log" 2>&1 || { echo "FAIL: mpirun"; cat "$DIR/mpi.log"; exit 1; }
grep -q "MPI: 3 ranks" "$DIR/mpi.log" || { echo "FAIL: not run on 3 ranks"; cat "$DIR/mpi.log"; exit 1; }
"$NNMIP" -q experiment selftest --scale small -o "$DIR/local" >/dev/null 2>&1 || { echo "FAIL: local run"; exit 1; }
n=$(grep -c . "$DIR/mpi/selftest/jobs.jsonl")
[ "$n" -eq 24 ] || { echo "FAIL: $n lines in the MPI run's store"; exit 1; }
cmp -s "$DIR/mpi/selftest/selftest.csv" "$DIR/local/selftest/selftest.csv" ||
  { echo "FAIL: tables differ"; diff "$DIR/mpi/selftest/selftest.csv" "$DIR/local/selftest/selftest.csv"; exit 1; }
echo "PASS: mpirun -np 3 equals the local run (24 jobs)"
