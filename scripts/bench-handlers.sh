#!/usr/bin/env bash
# bench-handlers.sh — the handler benchmarks of the runtime (`nexus bench`): the trivial
# counter, a 1,000-item state handler and a sieve on one and two threads, then the time
# to stop a memory bomb (32 MiB) and an infinite loop (timeout 100 ms). Builds first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
export CACHE_DIR=${CACHE_DIR:-}   # memory-only cache unless set
H=bench/handlers
for threads in 1 2; do
    echo "== trivial, $threads thread(s)"
    build/nexus bench $H/trivial.js --context $H/trivial.json --threads "$threads" --iterations 2000 | tail -1
    echo "== 1,000 items, $threads thread(s)"
    build/nexus bench $H/items.js --context $H/items.json --threads "$threads" --iterations 50 | tail -1
    echo "== sieve below 200,000, $threads thread(s)"
    build/nexus bench $H/sieve.js --threads "$threads" --iterations 10 --warmup 2 | tail -1
done
echo "== memory bomb at 32 MiB (time to MEMORY_LIMIT)"
build/nexus bench $H/bomb.js --iterations 5 --warmup 1 | tail -2
echo "== while (true) {} at timeout 100 ms (time to TIMEOUT)"
build/nexus bench $H/loop.js --iterations 5 --warmup 1 --timeout-ms 100 | tail -2
