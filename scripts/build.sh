#!/usr/bin/env bash
# Configures and builds nnmip in Release (tests included) into ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNNMIP_BUILD_TESTS=ON >/dev/null
cmake --build build -j"$(nproc)"
