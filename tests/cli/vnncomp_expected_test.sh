#!/usr/bin/env bash
# scripts/vnncomp_expected.py on a literal excerpt of VNN-COMP's SCORING/results.txt: the official
# verdicts of one category, file names split at the last '-', instances without a sat/unsat
# verdict left out; a missing file or category is one line on stderr and a non-zero exit.
set -u
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
. "$(dirname "$0")/expect.sh"
script=scripts/vnncomp_expected.py

mkdir -p "$TMP/r/SCORING"
cat >"$TMP/r/SCORING/results.txt" <<'TXT'
Category acasxu:
Row: ['ACASXU_run2a_1_1_batch_2000-prop_1', '2.3 (h)', '0.5 (h)']
True Result: unsat
0: tool_a score: 10, is_ver: True, is_fals: False, is_fastest: False
Row: ['ACASXU_run2a_1_2_batch_2000-prop_2', '2.2 (h)', '0.4 (h)']
True Result: sat
Category mnist_fc:
Row: ['mnist-net_256x6-prop_3_0.05', '-', '-']
True Result: -
Row: ['mnist-net_256x4-prop_0_0.03', '1.0 (h)', '-']
True Result: unsat
TXT

expect_rc 0 python3 "$script" "$TMP/r" acasxu
want=$'onnx,vnnlib,expected\nACASXU_run2a_1_1_batch_2000.onnx,prop_1.vnnlib,unsat\nACASXU_run2a_1_2_batch_2000.onnx,prop_2.vnnlib,sat'
[ "$(cat "$TMP/out")" = "$want" ] || fail "acasxu rows: $(cat "$TMP/out")"
expect_rc 0 python3 "$script" "$TMP/r" mnist_fc
want=$'onnx,vnnlib,expected\nmnist-net_256x4.onnx,prop_0_0.03.vnnlib,unsat'
[ "$(cat "$TMP/out")" = "$want" ] || fail "mnist_fc rows (no verdict left out): $(cat "$TMP/out")"
expect_rc 1 python3 "$script" "$TMP/r" eran
expect_rc 1 python3 "$script" "$TMP/none" acasxu
expect_rc 1 python3 "$script" "$TMP/r"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "all passed"
