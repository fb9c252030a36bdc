#!/usr/bin/env bash
# Installs the Debian bookworm packages nnmip needs to build, test and plot: gnuplot-nox for
# the experiment plots; OpenMPI for `nnmip experiment` under mpirun (optional at build time);
# pybind11 and Debian's Python for the module; clang and libclang-rt-14-dev (libFuzzer, the
# sanitizer runtimes) for scripts/run_fuzz.sh.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential cmake pkg-config g++ \
  coinor-libcbc-dev coinor-libclp-dev libeigen3-dev \
  libprotobuf-dev protobuf-compiler libonnx-dev \
  zlib1g-dev libpng-dev nlohmann-json3-dev libfmt-dev libcli11-dev \
  libgtest-dev libgmock-dev libbenchmark-dev gnuplot-nox clang-format \
  pybind11-dev python3-dev python3-numpy python3-pytest python3-onnx \
  libopenmpi-dev openmpi-bin clang libclang-rt-14-dev >/dev/null
