#!/usr/bin/env bash
# End-to-end checks of the nnmip program: exit codes and one-line errors for bad input
# (STYLE.md §2.3: 2 usage, 3 invalid input), no half-written output, and a small real run.
# usage: cli_test.sh NNMIP_BINARY   (run from the project root)
set -u
NNMIP=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0

# shellcheck source=expect.sh
source "$(dirname "$0")/expect.sh"

printf 'not an onnx file at all' >"$TMP/garbage.onnx"
head -c 1000 ../shared/data/vnncomp/mnist_fc/onnx/mnist-net_256x2.onnx >"$TMP/truncated.onnx" 2>/dev/null \
  || cp "$TMP/garbage.onnx" "$TMP/truncated.onnx"
printf '0 1 2\n' >"$TMP/ref.txt"

expect 3 "garbage.onnx" -- "$NNMIP" info "$TMP/garbage.onnx"
expect 3 "truncated.onnx" -- "$NNMIP" info "$TMP/truncated.onnx"
expect 3 "garbage.onnx" -- "$NNMIP" convert "$TMP/garbage.onnx" -o "$TMP/out.onnx"
[ -e "$TMP/out.onnx" ] && { echo "FAIL: convert left an output file"; failures=$((failures + 1)); }
expect 2 "unknown data set" -- "$NNMIP" train --dataset nosuchset --epochs 1
expect 2 "usage error" -- "$NNMIP" nosuchcommand
expect 2 "usage error.*network" -- "$NNMIP" bounds
expect 3 "not a directory" -- "$NNMIP" --data-dir "$TMP/missing" run
# Global options also work after the subcommand (the value reaches the command: it is checked).
expect 3 "not a directory" -- "$NNMIP" run --data-dir "$TMP/missing"
# --time-limit must be > 0 in every command that has it (leaving it out means no limit / default).
expect 2 "time-limit.*'0'" -- "$NNMIP" run --time-limit 0
expect 2 "time-limit.*'-1'" -- "$NNMIP" run --time-limit -1
expect 2 "time-limit.*'0'" -- "$NNMIP" bounds "$TMP/garbage.onnx" --method lp --time-limit 0
expect 2 "time-limit.*'-1'" -- "$NNMIP" bounds "$TMP/garbage.onnx" --method lp --time-limit -1

# A real run on data nnmip makes itself: train on the random set, then bounds and MPS export.
if "$NNMIP" -q train --dataset random --arch 8x2 --epochs 3 --seed 1 -o "$TMP/net.onnx" >/dev/null 2>&1 \
   && "$NNMIP" info "$TMP/net.onnx" >/dev/null 2>&1; then
  echo "ok:   train + info on the random data set"
  expect 3 "not a directory" -- "$NNMIP" eval "$TMP/net.onnx" --dataset mnist --data-dir "$TMP/missing"
  # -q after the subcommand silences the log as before it does.
  "$NNMIP" train --dataset random --arch 8x2 --epochs 1 --seed 1 -q >/dev/null 2>"$TMP/err_q"
  "$NNMIP" train --dataset random --arch 8x2 --epochs 1 --seed 1 >/dev/null 2>"$TMP/err_v"
  if [ ! -s "$TMP/err_q" ] && [ -s "$TMP/err_v" ]; then
    echo "ok:   train ... -q is quiet"
  else
    echo "FAIL: train ... -q wrote $(wc -l <"$TMP/err_q") stderr lines"; failures=$((failures + 1))
  fi
  # A real network and a valid --time-limit: bounds runs.
  if "$NNMIP" bounds "$TMP/net.onnx" --method lp --domain "box:0,1" --time-limit 30 >/dev/null 2>&1; then
    echo "ok:   bounds --time-limit 30"
  else
    echo "FAIL: bounds --time-limit 30"; failures=$((failures + 1))
  fi
  expect 3 "" -- "$NNMIP" bounds "$TMP/net.onnx" --method interval --domain "box:1,0"
  expect 3 "" -- "$NNMIP" bounds "$TMP/net.onnx" --method interval --domain "box:0,nan"
  if "$NNMIP" export-mps "$TMP/net.onnx" --domain "box:0,1" -o "$TMP/model.mps" >/dev/null 2>&1 \
     && grep -q "^ROWS" "$TMP/model.mps"; then
    echo "ok:   export-mps writes an MPS file"
  else
    echo "FAIL: export-mps"; failures=$((failures + 1))
  fi
else
  echo "FAIL: train/info on the random data set"; failures=$((failures + 1))
fi

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
