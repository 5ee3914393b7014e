#!/usr/bin/env bash
# run.sh — the main job: sets up, builds Nexus and starts the handler server `nexus
# serve` with its built-in defaults: http://127.0.0.1:3000, compile cache in
# ./.nexus-cache, no other service needed. The server prints how to call it; Ctrl-C (or
# SIGTERM) stops it gracefully. Settings come from the environment, e.g.
#     HTTP_PORT=8080 AUTH_TOKEN=secret scripts/run.sh
# (`scripts/run.sh --help` lists them all).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
exec build/nexus serve "$@"
