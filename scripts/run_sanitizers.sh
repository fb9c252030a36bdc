#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build of nnmip and its tests (g++, the CMake
# option NNMIP_SANITIZE) in build-asan, then the `unit` tests under it (the `solver` and `slow`
# labels stay out: they spend their time in CBC/CLP, which is not instrumented). Any sanitizer
# report fails the test that triggered it (halt_on_error, leaks included).
# usage: scripts/run_sanitizers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-asan
t0=$SECONDS
cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=Release -DNNMIP_BUILD_TESTS=ON \
  -DNNMIP_SANITIZE="address;undefined" -DNNMIP_BUILD_PYTHON=OFF \
  -DCMAKE_CXX_FLAGS="-g1 -fno-sanitize-recover=undefined" >/dev/null
cmake --build "$out" -j"$(nproc)"
t1=$SECONDS
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$out" -L unit -LE "solver|slow" --output-on-failure -j"$(nproc)" --timeout 900
echo "run_sanitizers: build $((t1 - t0)) s, unit tests $((SECONDS - t1)) s"
