#!/usr/bin/env bash
# Fresh machine -> test suite: installs Debian packages, checks style, builds in Release, runs ctest
# (labels unit and solver; `slow` is excluded, run it with: ctest --test-dir build -L slow).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/check_style.sh  # layering and formatting, before the (long) build
scripts/build.sh
ctest --test-dir build -LE slow --output-on-failure -j"$(nproc)" --timeout 600
