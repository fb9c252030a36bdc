#!/usr/bin/env bash
# Fresh machine -> test suite: installs Debian packages, checks style, builds in Release, runs ctest
# (labels unit and solver; `slow` is excluded, run it with: ctest --test-dir build -L slow), then
# the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer
# (scripts/run_sanitizers.sh) and each libFuzzer harness for NNMIP_FUZZ_SECONDS (default 60;
# scripts/run_fuzz.sh). NNMIP_SKIP_SANITIZERS=1 / NNMIP_FUZZ_SECONDS=0 leave those out.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/check_style.sh  # layering and formatting, before the (long) build
scripts/build.sh
ctest --test-dir build -LE slow --output-on-failure -j"$(nproc)" --timeout 600
if [ "${NNMIP_SKIP_SANITIZERS:-0}" != 1 ]; then scripts/run_sanitizers.sh; fi
fuzz_seconds=${NNMIP_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" -gt 0 ]; then scripts/run_fuzz.sh "$fuzz_seconds"; fi
