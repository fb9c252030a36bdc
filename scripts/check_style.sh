#!/usr/bin/env bash
# Style checks that CI runs before the build (scripts/run_tests.sh):
#  (a) layering: no module includes a header of a module above it (STYLE.md §2.1; README
#      "Layout"). Each module lists the modules whose headers it may include.
#  (b) formatting: clang-format --dry-run -Werror (the repository's .clang-format) on the files
#      in NNMIP_FORMAT_FILES (space-separated paths; default: the formatted files listed below),
#      or on every file under src/ tests/ bench/ python/src/ when NNMIP_FORMAT_FILES=all.
# usage: scripts/check_style.sh            exit 0 when both pass, 1 otherwise
set -uo pipefail
cd "$(dirname "$0")/.."
failures=0

# (a) The dependency order: core <- nn, data, mip <- train, encode <- bounds <- verify <- compare.
# A module may include modules of a lower level, never one of its own level (mip never includes
# nn) or above. bdnn, experiments and cli list what they may use.
declare -A level=([core]=0 [nn]=1 [data]=1 [mip]=1 [train]=2 [encode]=2 [bounds]=3 [verify]=4
                  [compare]=5)
declare -A allowed=(
  [bdnn]="core nn mip data train encode"
  [experiments]="core nn data mip train encode bounds verify compare bdnn"
  [cli]="core nn data mip train encode bounds verify compare bdnn experiments"
)
for module in "${!level[@]}"; do
  allowed[$module]=""
  for other in "${!level[@]}"; do
    if [ "${level[$other]}" -lt "${level[$module]}" ]; then
      allowed[$module]+=" $other"
    fi
  done
done
for dir in src/*/; do
  module=$(basename "$dir")
  if [ -z "${allowed[$module]+set}" ]; then
    echo "style: src/$module is not in the layering table of scripts/check_style.sh"
    failures=$((failures + 1))
    continue
  fi
  # Every `#include "<module>/..."` naming a module of src/ that is neither this one nor allowed.
  while IFS= read -r hit; do
    [ -n "$hit" ] || continue
    included=$(sed -E 's/^[^:]+:[0-9]+:[[:space:]]*#[[:space:]]*include[[:space:]]+"([^/"]+)\/.*/\1/' <<<"$hit")
    [ -d "src/$included" ] || continue  # not a module (e.g. a third-party path)
    [ "$included" = "$module" ] && continue
    if [[ " ${allowed[$module]} " != *" $included "* ]]; then
      echo "layering: $hit  ($module may not include $included)"
      failures=$((failures + 1))
    fi
  done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[^/"]+/' "src/$module" \
             --include='*.hpp' --include='*.cpp' --include='*.h' --include='*.in' || true)
done

# (b) Formatting. The default list holds the files already formatted; widen it as files are
# formatted, or set NNMIP_FORMAT_FILES=all once the whole tree is.
default_files="
  src/core/*.hpp src/core/*.cpp
  src/nn/forward.hpp src/nn/forward.cpp
  src/train/*.hpp src/train/*.cpp
  src/experiments/main_run.hpp src/experiments/main_run.cpp
  src/cli/main.cpp src/cli/cmd_run.cpp src/cli/cmd_train.cpp src/cli/cmd_model.cpp
  src/cli/report.hpp src/cli/report.cpp src/cli/options.hpp src/cli/options.cpp
  tests/core/*.cpp tests/nn/forward_test.cpp tests/train/*.cpp
"
format_scope=all  # "all" once the whole tree is formatted
files=${NNMIP_FORMAT_FILES:-$default_files}
[ "$format_scope" = all ] && [ -z "${NNMIP_FORMAT_FILES:-}" ] && files=all
if [ "$files" = "all" ]; then
  files=$(find src tests bench python/src fuzz -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) | sort)
fi
if ! command -v clang-format >/dev/null 2>&1; then
  # Not yet in scripts/install_deps.sh: warn rather than fail a fresh CI machine.
  echo "style: WARNING: clang-format not found (Debian package clang-format); formatting not checked"
else
  # shellcheck disable=SC2086  # word splitting and globs wanted
  if ! clang-format --dry-run -Werror $files; then
    echo "style: files above differ from .clang-format (fix: clang-format -i FILE)"
    failures=$((failures + 1))
  fi
fi

if [ "$failures" -ne 0 ]; then
  echo "check_style: $failures problem(s)"
  exit 1
fi
echo "check_style: ok"
