#!/usr/bin/env bash
# Fresh machine -> test suite: installs Debian packages, checks style, builds in Release, runs ctest
# (labels unit and solver; `slow` is excluded, run it with: ctest --test-dir build -L slow), then
# the Python module's pytest suite when the module was built (NNMIP_BUILD_PYTHON).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/check_style.sh  # layering and formatting, before the (long) build
scripts/build.sh
ctest --test-dir build -LE slow --output-on-failure -j"$(nproc)" --timeout 600
if [ -f build/python/nnmip/__init__.py ] && ls build/python/nnmip/_nnmip*.so >/dev/null 2>&1; then
  PYTHONPATH="$PWD/build/python" PYTHONDONTWRITEBYTECODE=1 \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider python/tests
else
  echo "run_tests: the Python module was not built (pybind11-dev / python3-dev missing): pytest skipped"
fi
