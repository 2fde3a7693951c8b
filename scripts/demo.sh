#!/usr/bin/env bash
# Builds and runs the main demo: an MLP trained on the bundled digits data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTFX_BUILD_TESTS=OFF -DTFX_BUILD_EXAMPLES=ON >/dev/null
cmake --build build -j2 --target digits_mlp
./build/examples/digits_mlp
