#!/usr/bin/env bash
# run.sh — the main job: sets up, builds Nexus and runs the WASI demo program with
# `nexus wasm` (later: the handler server). Extra arguments go to the demo program.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
exec build/nexus wasm build/hello.wasm "$@"
