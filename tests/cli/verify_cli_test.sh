#!/usr/bin/env bash
# End-to-end checks of `nnmip verify` and `nnmip vnncomp`: verdicts and result files on real
# mnist_fc instances (one sat found by the attack, one unsat closed by bounds), exit codes
# (0 with the verdict, 10 with --fail-on-violation on sat, 3 with one line for a bad VNN-LIB or a
# property whose shape does not match the network, 2 for usage errors), PNGs, and a resumed run.
# usage: verify_cli_test.sh NNMIP_BINARY   (run from the project root)
set -u
NNMIP=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
D=../shared/data/vnncomp/mnist_fc
NET=$D/onnx/mnist-net_256x2.onnx
if [ ! -f "$NET" ]; then  # the whole test needs the data: ctest's skip code (SKIP_RETURN_CODE)
  if [ "${NNMIP_REQUIRE_DATA:-0}" = 1 ]; then echo "FAIL: $NET missing"; exit 1; fi
  echo "skipped: $NET missing"
  exit 77
fi

check() {  # check DESCRIPTION CONDITION...
  local what=$1
  shift
  if "$@"; then echo "ok:   $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}

# shellcheck source=expect.sh
source "$(dirname "$0")/expect.sh"

# sat (prop_1_0.05: the attack finds a counterexample in well under a second).
"$NNMIP" -q verify "$NET" $D/vnnlib/prop_1_0.05.vnnlib --time-limit 60 -o "$TMP/sat.txt" \
  --json "$TMP/sat.json" --png-dir "$TMP/png" >"$TMP/out" 2>"$TMP/err"
check "sat: exit 0 without --fail-on-violation" [ $? -eq 0 ]
check "sat: verdict on stdout" grep -qx sat "$TMP/out"
check "sat: result file starts with sat" [ "$(head -1 "$TMP/sat.txt")" = sat ]
check "sat: 784 X and 10 Y lines" [ "$(grep -c '(X_' "$TMP/sat.txt")" -eq 784 -a "$(grep -c '(Y_' "$TMP/sat.txt")" -eq 10 ]
check "sat: list closes after Y_9" grep -q '^ (Y_9 [-0-9.e]*))$' "$TMP/sat.txt"
check "sat: JSON has the counterexample" grep -q '"counterexample"' "$TMP/sat.json"
check "sat: three PNGs" [ -s "$TMP/png/reference.png" -a -s "$TMP/png/counterexample.png" -a -s "$TMP/png/difference.png" ]
"$NNMIP" -q verify "$NET" $D/vnnlib/prop_1_0.05.vnnlib --time-limit 60 --fail-on-violation >/dev/null 2>&1
check "sat: exit 10 with --fail-on-violation" [ $? -eq 10 ]

# unsat (prop_0_0.03: symbolic bounds close every disjunct).
"$NNMIP" -q verify "$NET" $D/vnnlib/prop_0_0.03.vnnlib --time-limit 60 -o "$TMP/unsat.txt" \
  --fail-on-violation >"$TMP/out" 2>&1
check "unsat: exit 0 even with --fail-on-violation" [ $? -eq 0 ]
check "unsat: result file is exactly unsat" [ "$(cat "$TMP/unsat.txt")" = unsat ]

# Invalid input: one line, exit 3, no result file.
printf '(declare-const X_0 Real)\n(assert (<= X_0 oops))\n' >"$TMP/bad.vnnlib"
expect 3 "bad.vnnlib:2" -- "$NNMIP" verify "$NET" "$TMP/bad.vnnlib" -o "$TMP/bad.txt"
check "bad vnnlib: no result file" [ ! -e "$TMP/bad.txt" ]
expect 3 "property has 5 inputs, the network has 784" -- \
  "$NNMIP" verify "$NET" ../shared/data/vnncomp/acasxu/vnnlib/prop_1.vnnlib
expect 3 "missing.vnnlib" -- "$NNMIP" verify "$NET" "$TMP/missing.vnnlib"
expect 2 "usage error" -- "$NNMIP" verify "$NET" $D/vnnlib/prop_0_0.03.vnnlib --time-limit 0
expect 2 "usage error" -- "$NNMIP" verify "$NET"

# vnncomp: relative paths, a progress line per instance, resume skips finished instances.
mkdir -p "$TMP/bench/onnx" "$TMP/bench/vnnlib"
cp "$NET" "$TMP/bench/onnx/"
cp $D/vnnlib/prop_1_0.05.vnnlib $D/vnnlib/prop_0_0.03.vnnlib "$TMP/bench/vnnlib/"
printf 'onnx/mnist-net_256x2.onnx,vnnlib/prop_1_0.05.vnnlib,60\n' >"$TMP/bench/instances.csv"
printf 'onnx/mnist-net_256x2.onnx,vnnlib/prop_0_0.03.vnnlib,60\n' >>"$TMP/bench/instances.csv"
"$NNMIP" vnncomp "$TMP/bench/instances.csv" -o "$TMP/res.csv" --result-dir "$TMP/res" \
  >"$TMP/out" 2>"$TMP/err"
check "vnncomp: exit 0" [ $? -eq 0 ]
check "vnncomp: one progress line per instance" [ "$(grep -c '^\[[12]/2\]' "$TMP/err")" -eq 2 ]
check "vnncomp: header + 2 rows" [ "$(wc -l <"$TMP/res.csv")" -eq 3 ]
check "vnncomp: sat row" grep -q 'prop_1_0.05.vnnlib,60,sat,' "$TMP/res.csv"
check "vnncomp: unsat row" grep -q 'prop_0_0.03.vnnlib,60,unsat,' "$TMP/res.csv"
check "vnncomp: per-instance result file" [ "$(head -1 "$TMP/res/mnist-net_256x2__prop_1_0.05.txt")" = sat ]
# Resume: a third instance is added; the first two are skipped.
cp $D/vnnlib/prop_2_0.03.vnnlib "$TMP/bench/vnnlib/"
printf 'onnx/mnist-net_256x2.onnx,vnnlib/prop_2_0.03.vnnlib,60\n' >>"$TMP/bench/instances.csv"
"$NNMIP" vnncomp "$TMP/bench/instances.csv" -o "$TMP/res.csv" >"$TMP/out" 2>"$TMP/err"
check "resume: two skipped" [ "$(grep -c 'already done' "$TMP/err")" -eq 2 ]
check "resume: header + 3 rows, each instance once" [ "$(wc -l <"$TMP/res.csv")" -eq 4 -a "$(grep -c prop_1_0.05 "$TMP/res.csv")" -eq 1 ]

if [ "$failures" -ne 0 ]; then echo "$failures failure(s)"; exit 1; fi
echo "all verify CLI checks passed"
