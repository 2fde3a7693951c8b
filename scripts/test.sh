#!/usr/bin/env bash
# Builds the tests and runs them with CTest (extra arguments go to ctest, e.g. -R compile_fail).
# On a fresh Debian 12 machine it first installs the packages it needs with apt-get (as root, or
# through sudo); when they are all there it does not touch apt.
set -euo pipefail
cd "$(dirname "$0")/.."

# The build and test dependencies (python3 for the test tools, Open MPI for the data-parallel
# tests); benchmarks are not built here.
# TFX_BUILD_TESTS=ON is explicit: scripts/demo.sh configures the same build directory with the
# tests off, and CMake would otherwise keep that from its cache ("No tests were found").
scripts/install-deps.sh python3 python3-numpy python3-protobuf protobuf-compiler libopenmpi-dev openmpi-bin

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTFX_BUILD_TESTS=ON -DTFX_BUILD_BENCH=OFF
cmake --build build -j2
cd build
ctest --output-on-failure --no-tests=error "$@"
