#!/usr/bin/env bash
# Configures and builds nnmip in Release (tests included) into ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian's Python (numpy, pytest, onnx) for the Python module, when it is there.
python_arg=()
if [ -x /usr/bin/python3 ]; then python_arg=(-DPython_EXECUTABLE=/usr/bin/python3); fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNNMIP_BUILD_TESTS=ON "${python_arg[@]}" >/dev/null
cmake --build build -j"$(nproc)"
