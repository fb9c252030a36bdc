#!/usr/bin/env bash
# Issue 21: every bad input answered by the README's contract. One check per class of the issue:
# the exit code (2 usage, 3 invalid input; never 1, never a hang), exactly one stderr line naming
# the file or the option, and no output file left behind. The network is ACAS Xu's 1_1 (5 inputs,
# 5 outputs, written below: Gemm + Relu, 241 bytes); ../shared/data only for the MNIST reference.
# usage: bad_input_test.sh NNMIP_BINARY   (run from the project root)
set -u
NNMIP=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
# Memory estimates are checked against 16 GiB here, whatever the machine (core/memory.hpp).
export NNMIP_MEMORY_LIMIT_MB=16384

# shellcheck source=expect.sh
source "$(dirname "$0")/expect.sh"

check() {  # check DESCRIPTION CONDITION...
  local what=$1
  shift
  if "$@"; then echo "ok:   $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}
no_file() {  # no_file PATH...: the failed command left none of these behind
  local p
  for p in "$@"; do
    if [ -e "$p" ]; then echo "FAIL: $p was left behind"; failures=$((failures + 1)); fi
  done
}
# expect_fast CODE PATTERN SECONDS -- command...: `expect`, and done within SECONDS (no hang, and
# no work before a check that could have come first).
expect_fast() {
  local code=$1 pattern=$2 limit=$3
  shift 4
  local t0=$SECONDS
  expect "$code" "$pattern" -- timeout -k 5 "$limit" "$@"
  if [ $((SECONDS - t0)) -ge "$limit" ]; then
    echo "FAIL: took $((SECONDS - t0)) s (limit $limit): $*"; failures=$((failures + 1))
  fi
}

NET=$TMP/tiny.onnx
printf '\x08\x07\x3a\xe6\x01\x0a\x29\x0a\x05\x69\x6e\x70\x75\x74\x0a\x01\x57\x12\x01\x68\x22\x04\x47\x65\x6d\x6d\x1a\x05\x67\x65\x6d\x6d\x30\x2a\x0d\x0a\x06\x74\x72\x61\x6e\x73\x42\x18\x01\xa0\x01\x02\x0a\x15\x0a\x01\x68\x12\x03\x6f\x75\x74\x22\x04\x52\x65\x6c\x75\x1a\x05\x72\x65\x6c\x75\x30\x12\x01\x67\x2a\x6f\x08\x05\x08\x05\x10\x01\x42\x01\x57\x4a\x64\x00\x00\x80\x3f\xcd\xcc\xcc\xbd\xcd\xcc\x4c\xbe\x9a\x99\x99\xbe\xcd\xcc\xcc\xbe\xcd\xcc\xcc\x3d\x00\x00\x80\x3f\xcd\xcc\xcc\xbd\xcd\xcc\x4c\xbe\x9a\x99\x99\xbe\xcd\xcc\x4c\x3e\xcd\xcc\xcc\x3d\x00\x00\x80\x3f\xcd\xcc\xcc\xbd\xcd\xcc\x4c\xbe\x9a\x99\x99\x3e\xcd\xcc\x4c\x3e\xcd\xcc\xcc\x3d\x00\x00\x80\x3f\xcd\xcc\xcc\xbd\xcd\xcc\xcc\x3e\x9a\x99\x99\x3e\xcd\xcc\x4c\x3e\xcd\xcc\xcc\x3d\x00\x00\x80\x3f\x5a\x17\x0a\x05\x69\x6e\x70\x75\x74\x12\x0e\x0a\x0c\x08\x01\x12\x08\x0a\x02\x08\x01\x0a\x02\x08\x05\x62\x15\x0a\x03\x6f\x75\x74\x12\x0e\x0a\x0c\x08\x01\x12\x08\x0a\x02\x08\x01\x0a\x02\x08\x05\x42\x04\x0a\x00\x10\x0d' >"$NET"
box='(declare-const X_0 Real)(declare-const X_1 Real)(declare-const X_2 Real)
(declare-const X_3 Real)(declare-const X_4 Real)
(declare-const Y_0 Real)(declare-const Y_1 Real)(declare-const Y_2 Real)
(declare-const Y_3 Real)(declare-const Y_4 Real)
(assert (>= X_0 0.6))(assert (<= X_0 0.61))(assert (>= X_1 -0.1))(assert (<= X_1 0.1))
(assert (>= X_2 -0.1))(assert (<= X_2 0.1))(assert (>= X_3 0.45))(assert (<= X_3 0.5))
(assert (>= X_4 -0.5))(assert (<= X_4 -0.45))'
printf '%s\n(assert (>= Y_0 -1000))\n' "$box" >"$TMP/prop.vnnlib"
printf '%s\n(assert (< Y_0 Y_0))\n' "$box" >"$TMP/strict.vnnlib"
printf '%s\n(assert (or))\n' "$box" >"$TMP/empty_or.vnnlib"
mkdir "$TMP/dir"
printf 'x' >"$TMP/file"
mkfifo "$TMP/fifo"

echo "== 1. user mistakes are not internal errors (exit 2 or 3, never 1)"
expect 3 "dir: is a directory, not a regular file" -- "$NNMIP" info "$TMP/dir"
expect 3 "/dev/zero: is a character device" -- "$NNMIP" info /dev/zero
# ONNX weight dims 2^32 x 2^32: the product passes 2^64 and wrapped to 0 values.
printf '\x08\x07\x3a\x64\x0a\x1c\x0a\x05\x69\x6e\x70\x75\x74\x0a\x01\x57\x12\x03\x6f\x75\x74\x22\x04\x47\x65\x6d\x6d\x1a\x05\x67\x65\x6d\x6d\x30\x12\x01\x67\x2a\x11\x08\x80\x80\x80\x80\x10\x08\x80\x80\x80\x80\x10\x10\x01\x42\x01\x57\x5a\x17\x0a\x05\x69\x6e\x70\x75\x74\x12\x0e\x0a\x0c\x08\x01\x12\x08\x0a\x02\x08\x01\x0a\x02\x08\x05\x62\x15\x0a\x03\x6f\x75\x74\x12\x0e\x0a\x0c\x08\x01\x12\x08\x0a\x02\x08\x01\x0a\x02\x08\x05\x42\x04\x0a\x00\x10\x0d' >"$TMP/overflow.onnx"
expect 3 "overflow.onnx: .*more than 2147483648 elements" -- "$NNMIP" info "$TMP/overflow.onnx"
expect 2 "--tangent-step: must be a number >= 0.001 and <= 10, not 'nan'" -- \
  "$NNMIP" adversarial "$TMP/file" --domain box:0,1 --tangent-step nan
expect 2 "--restarts: must be an integer between 1 and 10000, not '-1'" -- \
  "$NNMIP" bdnn train --dataset random --restarts -1
expect 2 "--hidden: must be an integer between 1 and 100000, not '-1'" -- \
  "$NNMIP" bdnn train --dataset random --hidden -1
expect 2 "--hidden: must be an integer between 1 and 100000, not '100000000'" -- \
  "$NNMIP" bdnn train --dataset random --hidden 100000000
expect 2 "--hidden 100000 on 160 training points needs about .* more than the 16.0 GiB" -- \
  "$NNMIP" bdnn train --dataset random --hidden 100000
expect 2 "--arch 100000x3 needs about" -- "$NNMIP" train --dataset random --arch 100000x3
expect 2 "--presplit: must be a power of two between 1 and 65536, not '1073741824'" -- \
  "$NNMIP" verify "$TMP/file" "$TMP/file" --presplit 1073741824
expect 3 "--png-dir .*file: exists and is not a directory" -- \
  "$NNMIP" verify "$NET" "$TMP/prop.vnnlib" --png-dir "$TMP/file" -o "$TMP/r1.txt"
no_file "$TMP/r1.txt"
expect 3 "dir: is a directory, not a regular file" -- "$NNMIP" verify "$TMP/dir" "$TMP/prop.vnnlib"
printf '%s,prop.vnnlib,10\n' "$(realpath "$NET")" >"$TMP/inst.csv"
cp "$TMP/prop.vnnlib" "$TMP/dir/"
expect 3 "--result-dir .*file: exists and is not a directory" -- \
  "$NNMIP" vnncomp "$TMP/inst.csv" -o "$TMP/res.csv" --result-dir "$TMP/file"
no_file "$TMP/res.csv"

echo "== 2. no hang: a FIFO or a device is refused before it is opened"
expect_fast 3 "fifo: is a FIFO, not a regular file" 20 -- \
  "$NNMIP" verify "$TMP/fifo" "$TMP/prop.vnnlib" --time-limit 5
expect_fast 3 "fifo: is a FIFO, not a regular file" 20 -- \
  "$NNMIP" verify "$NET" "$TMP/fifo" --time-limit 5 -o "$TMP/r2.txt"
no_file "$TMP/r2.txt"
expect_fast 3 "fifo: is a FIFO" 20 -- "$NNMIP" vnncomp "$TMP/fifo" -o "$TMP/res2.csv"
no_file "$TMP/res2.csv"
expect_fast 3 "error: -o .*fifo: exists and is not a regular file" 20 -- \
  "$NNMIP" verify "$NET" "$TMP/prop.vnnlib" -o "$TMP/fifo"
expect_fast 3 "error: --checkpoint .*fifo: exists and is not a regular file" 20 -- \
  "$NNMIP" train --dataset random --arch 4 --epochs 1 -o "$TMP/n.onnx" --checkpoint "$TMP/fifo" --resume

echo "== 3. nonsense refused (exit 2 naming the option, or 3 naming the file)"
expect 2 "--threads: must be an integer between 1 and 256, not '0'" -- \
  "$NNMIP" adversarial "$TMP/file" --domain box:0,1 --threads 0
expect 2 "--threads: must be an integer between 1 and 256, not '-3'" -- \
  "$NNMIP" adversarial "$TMP/file" --domain box:0,1 --threads -3
expect 2 "--attack-time: must be a number >= 0 and <= 1e\+07, not 'nan'" -- \
  "$NNMIP" verify "$TMP/file" "$TMP/file" --attack-time nan
expect 2 "--seed: must be an integer between 0 and 18446744073709551615, not '-1'" -- \
  "$NNMIP" verify "$TMP/file" "$TMP/file" --seed -1
expect 2 "--refine-front-share: must be a number >= 0 and <= 1, not 'nan'" -- \
  "$NNMIP" verify "$TMP/file" "$TMP/file" --refine-front-share nan
expect 2 "--refine-max-binaries: must be an integer between 0 and 2147483647, not '-2'" -- \
  "$NNMIP" verify "$TMP/file" "$TMP/file" --refine-max-binaries -2
expect 2 "--milp-max-binaries: must be an integer between 0 and 2147483647, not '1.5'" -- \
  "$NNMIP" bounds "$TMP/file" --milp-max-binaries 1.5
expect 2 "--alpha-iterations: must be an integer between 0 and 100000, not '-5'" -- \
  "$NNMIP" bounds "$TMP/file" --alpha-iterations -5
expect 2 "--limit: must be an integer between 0 and 2147483647, not '-1'" -- \
  "$NNMIP" eval "$TMP/file" --limit -1
expect 2 "--hidden: must be an integer between 1 and 100000, not '0'" -- \
  "$NNMIP" bdnn train --dataset random --hidden 0
expect 2 "--robust-radius: must be a number >= 0 and <= 1, not '-1'" -- \
  "$NNMIP" bdnn train --dataset random --robust-radius -1
expect 2 "--robust-radius: must be a number >= 0 and <= 1, not 'nan'" -- \
  "$NNMIP" bdnn train --dataset random --robust-radius nan
printf 'net.onnx,prop.vnnlib,abc\n' >"$TMP/bad_timeout.csv"
expect 3 "bad_timeout.csv:1: timeout 'abc' is not a number" -- \
  "$NNMIP" vnncomp "$TMP/bad_timeout.csv" -o "$TMP/res3.csv"
no_file "$TMP/res3.csv"
printf 'onnx,vnnlib,timeout\n' >"$TMP/header_only.csv"
expect 3 "header_only.csv: no instances" -- "$NNMIP" vnncomp "$TMP/header_only.csv" -o "$TMP/res4.csv"
no_file "$TMP/res4.csv"
printf 'net.onnx,prop.vnnlib,10\n' >"$TMP/ok.csv"
printf 'garbage\x1b[31m that is not a results file\n%s\n' "more garbage" >"$TMP/garbage.csv"
cp "$TMP/garbage.csv" "$TMP/garbage.orig"
expect 3 "garbage.csv: exists but is not a results file" -- \
  "$NNMIP" vnncomp "$TMP/ok.csv" -o "$TMP/garbage.csv"
check "vnncomp left the garbage results file as it was" cmp -s "$TMP/garbage.csv" "$TMP/garbage.orig"
: >"$TMP/empty.csv"
"$NNMIP" -q vnncomp "$TMP/ok.csv" -o "$TMP/empty.csv" >/dev/null 2>&1
check "an empty results file gets the header first" \
  [ "$(head -1 "$TMP/empty.csv")" = "onnx,vnnlib,timeout_s,result,time_s,note" ]
expect 3 "error: -o .*missing/r.csv: directory .*missing does not exist" -- \
  "$NNMIP" vnncomp "$TMP/ok.csv" -o "$TMP/missing/r.csv"
no_file "$TMP/missing"

echo "== 4. checks before the work; a failed command leaves no output"
expect_fast 2 "--compare 'foo': expected naive" 10 -- \
  "$NNMIP" bounds "$NET" --compare lp,foo -o "$TMP/b.json"
no_file "$TMP/b.json"
expect_fast 3 "error: -o .*nonexistent/dir/r.txt: directory .* does not exist" 10 -- \
  "$NNMIP" verify "$NET" "$TMP/prop.vnnlib" --time-limit 60 -o "$TMP/nonexistent/dir/r.txt"
expect_fast 3 "--json .*nonexistent/x.json: directory .* does not exist" 10 -- \
  "$NNMIP" adversarial "$NET" --domain box:0,0.1 --time-limit 60 --json "$TMP/nonexistent/x.json"
expect_fast 3 "--json .*nonexistent/x.json" 10 -- \
  "$NNMIP" verify "$NET" "$TMP/prop.vnnlib" -o "$TMP/r4.txt" --json "$TMP/nonexistent/x.json"
no_file "$TMP/r4.txt" "$TMP/nonexistent"
expect 3 "error: -o .*dir: is a directory" -- "$NNMIP" verify "$NET" "$TMP/prop.vnnlib" -o "$TMP/dir"
expect_fast 2 "error: -o .*model.txt: expected a file name ending in .mps or .lp" 10 -- \
  "$NNMIP" export-mps "$NET" --method lp -o "$TMP/model.txt"
no_file "$TMP/model.txt"

echo "== 5. messages: one line, control bytes escaped, file and line:column"
printf '(declare-const X_0\x1b[2J\x1b[31m Real)\n' >"$TMP/ansi.vnnlib"
expect 3 'ansi.vnnlib:1:16: unknown name .X_0\\x1b\[2J\\x1b\[31m.' -- "$NNMIP" verify "$NET" "$TMP/ansi.vnnlib"
check "no raw escape byte on stderr" bash -c "! grep -q \$'\\x1b' '$TMP/err'"
printf '(declare-const X_0\0abc Real)\n' >"$TMP/nul.vnnlib"
expect 3 'nul.vnnlib:1:16: unknown name .X_0\\0abc.' -- "$NNMIP" bounds "$NET" --domain "vnnlib:$TMP/nul.vnnlib"
expect 2 "--presplit: must be a power of two between 1 and 65536, not '0'" -- \
  "$NNMIP" verify "$TMP/file" "$TMP/file" --presplit 0
expect 2 "--segments: must be an integer between 1 and 10000, not '0'" -- \
  "$NNMIP" adversarial "$TMP/file" --domain box:0,1 --segments 0
expect 2 "--bounds-time-limit: must be a number > 0 and <= 1e\+07, not '0'" -- \
  "$NNMIP" adversarial "$TMP/file" --domain box:0,1 --bounds-time-limit 0
check "no CLI11 range dump (1797693...)" bash -c "! grep -q 1797693 '$TMP/err'"
printf '(declare-const X_2000000000 Real)\n' >"$TMP/big_index.vnnlib"
expect 3 "big_index.vnnlib:1:16: index of 'X_2000000000' is out of range" -- \
  "$NNMIP" bounds "$NET" --domain "vnnlib:$TMP/big_index.vnnlib"
printf '(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (>= X_0 0))\n(assert (<= X_0 1))\n\n(assert (<= (+ X_5 1) 2))\n' >"$TMP/undeclared.vnnlib"
expect 3 "undeclared.vnnlib:6:16: X_5 is used but not declared" -- \
  "$NNMIP" bounds "$NET" --domain "vnnlib:$TMP/undeclared.vnnlib"
expect 3 "no such file" -- "$NNMIP" info "$TMP/missing.onnx"
if [ -d ../shared/data/mnist ]; then
  expect 3 "reference index -1 out of range" -- \
    "$NNMIP" adversarial "$NET" --domain neighbours:-1 --time-limit 5
fi
# A UTF-8 byte order mark does not stay in the first path.
printf '\xef\xbb\xbf%s,prop.vnnlib,10\n' "$(realpath "$NET")" >"$TMP/dir/bom.csv"
"$NNMIP" -q vnncomp "$TMP/dir/bom.csv" -o "$TMP/bom_res.csv" >/dev/null 2>&1
check "BOM: the instance ran under its own path" \
  grep -qE "^$(realpath "$NET"),prop.vnnlib,10,(sat|unsat|unknown)," "$TMP/bom_res.csv"

echo "== 6. VNN-LIB semantics: strict comparisons and an empty disjunction"
"$NNMIP" verify "$NET" "$TMP/strict.vnnlib" --time-limit 30 --json "$TMP/strict.json" >"$TMP/out" 2>"$TMP/err"
check "(< Y_0 Y_0): exit 0, sat in the VNN-COMP reading" [ $? -eq 0 -a "$(head -1 "$TMP/out")" = sat ]
check "(< Y_0 Y_0): the result says the counterexample needs the non-strict reading" \
  grep -q "only as <= >=" "$TMP/out"
check "(< Y_0 Y_0): JSON counterexample_strict false" grep -q '"counterexample_strict": false' "$TMP/strict.json"
"$NNMIP" verify "$NET" "$TMP/strict.vnnlib" --time-limit 30 --strict -o "$TMP/strict.txt" \
  --fail-on-violation >"$TMP/out" 2>"$TMP/err"
check "(< Y_0 Y_0) --strict: exit 0, unknown" [ $? -eq 0 -a "$(head -1 "$TMP/out")" = unknown ]
check "(< Y_0 Y_0) --strict: result file unknown" [ "$(cat "$TMP/strict.txt")" = unknown ]
expect 0 "warning: .*empty_or.vnnlib:8:9: \(or\) without disjuncts is false" -- \
  "$NNMIP" verify "$NET" "$TMP/empty_or.vnnlib" --time-limit 30
check "(assert (or)): unsat" [ "$(head -1 "$TMP/out")" = unsat ]
"$NNMIP" verify --help >"$TMP/help" 2>&1
check "verify --help states the reading of < and >" grep -q "read as <= >= (the VNN-COMP convention)" "$TMP/help"

echo "bad_input_test: $failures failure(s)"
[ "$failures" -eq 0 ]
