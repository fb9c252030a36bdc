#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/) with Debian's clang into build-fuzz and runs each for
# SECONDS (default 60) on a seed corpus made from ../shared/data and fuzz/seeds. Fails on a crash,
# a sanitizer report, a leak, a timeout (one input over 10 s: a hang) or an allocation past the
# fuzzer's memory limit; the input that did it is kept in build-fuzz/findings/.
# usage: scripts/run_fuzz.sh [SECONDS] [HARNESS...]     (harnesses: vnnlib onnx instances)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(vnnlib onnx instances)
data=${NNMIP_DATA_DIR:-../shared/data}
out=build-fuzz

CC=clang CXX=clang++ cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DNNMIP_BUILD_FUZZ=ON -DNNMIP_BUILD_TESTS=OFF >/dev/null
targets=()
for h in "${harnesses[@]}"; do targets+=("fuzz_$h"); done
cmake --build "$out" -j"$(nproc)" --target "${targets[@]}"

# Seed corpus: a few real files (small ones: the fuzzer mutates every byte) and the hand-written
# seeds. Generated here, never committed.
corpus=$out/corpus
rm -rf "$corpus"
mkdir -p "$corpus/vnnlib" "$corpus/onnx" "$corpus/instances" "$out/findings"
cp fuzz/seeds/vnnlib/* "$corpus/vnnlib/"
cp fuzz/seeds/instances/* "$corpus/instances/"
if [ -d "$data/vnncomp" ]; then
  for f in "$data"/vnncomp/acasxu/vnnlib/prop_{1,2,3,6,7}.vnnlib \
           "$data"/vnncomp/mnist_fc/vnnlib/prop_0_0.03.vnnlib; do
    [ -f "$f" ] && cp "$f" "$corpus/vnnlib/"
  done
  for f in "$data"/vnncomp/acasxu/onnx/ACASXU_run2a_1_1_batch_2000.onnx \
           "$data"/vnncomp/acasxu/onnx/ACASXU_run2a_5_2_batch_2000.onnx; do
    [ -f "$f" ] && cp "$f" "$corpus/onnx/"
  done
  n=0
  for f in "$data"/vnncomp/*/instances.csv; do
    n=$((n + 1)); cp "$f" "$corpus/instances/instances_$n.csv"
  done
else
  echo "run_fuzz: no $data/vnncomp: hand-written seeds only"
fi

# Estimates of memory checked against 512 MiB (core/memory.hpp), below the fuzzer's 2 GiB limit,
# so a file that asks for more is refused by the check and not reported as an out-of-memory.
export NNMIP_MEMORY_LIMIT_MB=512
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failures=0
for h in "${harnesses[@]}"; do
  dict=()
  [ -f "fuzz/$h.dict" ] && dict=(-dict="fuzz/$h.dict")
  log=$out/fuzz_$h.log
  if "$out/fuzz/fuzz_$h" "${dict[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=65536 -print_final_stats=1 -artifact_prefix="$out/findings/${h}_" \
       "$corpus/$h" >"$log" 2>&1; then
    runs=$(grep -m1 -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
    echo "fuzz $h: ok, $runs executions in ${seconds} s"
  else
    echo "fuzz $h: FAILED (log $log, inputs in $out/findings/)"; tail -n 30 "$log"
    failures=$((failures + 1))
  fi
done
[ "$failures" -eq 0 ]
