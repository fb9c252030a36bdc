#!/usr/bin/env bash
# Fresh machine -> main job: installs Debian packages, builds in Release, runs `nnmip run`.
# Extra arguments go to `nnmip run` (e.g. --data-dir DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
exec ./build/src/cli/nnmip run "$@"
