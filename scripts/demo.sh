#!/usr/bin/env bash
# Builds and runs the main demo: an MLP and a CNN trained with the Keras-style API on the bundled digits data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTFX_BUILD_TESTS=OFF -DTFX_BUILD_EXAMPLES=ON >/dev/null
cmake --build build -j2 --target digits
cd build && ./examples/digits
