#!/usr/bin/env bash
# Fresh machine -> test suite: installs Debian packages, checks style, builds in Release, runs ctest
# (labels unit and solver; `slow` is excluded, run it with: ctest --test-dir build -L slow), then
# the Python module's pytest suite when the module was built (NNMIP_BUILD_PYTHON), then
# the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer
# (scripts/run_sanitizers.sh) and each libFuzzer harness for NNMIP_FUZZ_SECONDS (default 60;
# scripts/run_fuzz.sh). NNMIP_SKIP_SANITIZERS=1 / NNMIP_FUZZ_SECONDS=0 leave those out.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/check_style.sh  # layering and formatting, before the (long) build
scripts/build.sh
ctest --test-dir build -LE slow --output-on-failure -j"$(nproc)" --timeout 600
if [ -f build/python/nnmip/__init__.py ] && ls build/python/nnmip/_nnmip*.so >/dev/null 2>&1; then
  # The interpreter the module was built for (scripts/build.sh picks Debian's /usr/bin/python3).
  python=$(sed -n 's/^_Python_EXECUTABLE:INTERNAL=//p' build/CMakeCache.txt)
  python=${python:-/usr/bin/python3}
  if ! "$python" -c "import numpy, pytest" 2>/dev/null; then
    echo "run_tests: $python has no numpy or pytest (python3-numpy, python3-pytest)" >&2
    exit 1
  fi
  PYTHONPATH="$PWD/build/python" PYTHONDONTWRITEBYTECODE=1 \
    "$python" -m pytest -q -p no:cacheprovider python/tests
else
  echo "run_tests: the Python module was not built (pybind11-dev / python3-dev missing): pytest skipped"
fi
if [ "${NNMIP_SKIP_SANITIZERS:-0}" != 1 ]; then scripts/run_sanitizers.sh; fi
fuzz_seconds=${NNMIP_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" -gt 0 ]; then scripts/run_fuzz.sh "$fuzz_seconds"; fi
