#!/usr/bin/env bash
# load.sh — load test of the HTTP server. Builds Nexus (release), starts `nexus serve` on
# a free loopback port with its defaults (LOG_LEVEL=info, request log to a file), and
# drives POST /v1/execute with the trivial handler (bench/handlers/trivial.js, context
# bench/handlers/trivial.json) using wrk (bench/http/execute.lua):
#   1. load: LOAD_SECONDS (30) at LOAD_CONNECTIONS (16) connections — requests/s,
#      p50/p90/p99 latency, errors (socket errors, non-2xx, results not "success");
#   2. soak: SOAK_SECONDS (60) more at the same concurrency, with the server's resident
#      memory (VmRSS from /proc) before and after.
# Then stops the server with SIGTERM (it must exit 0). Exits 1 when any request failed.
# Any server or runtime setting can be given in the environment (nexus serve --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

load_s=${LOAD_SECONDS:-30}
soak_s=${SOAK_SECONDS:-60}
conns=${LOAD_CONNECTIONS:-16}
threads=${LOAD_THREADS:-2}
out=build/load
rm -rf "$out"
mkdir -p "$out"

jq -n --rawfile code bench/handlers/trivial.js --slurpfile ctx bench/handlers/trivial.json \
    '{code: $code, context: $ctx[0]}' >"$out/body.json"

HTTP_PORT=0 CACHE_DIR="$out/cache" build/nexus serve 2>"$out/server.log" &
pid=$!
trap 'kill -KILL $pid 2>/dev/null || true' EXIT
url=""
for _ in $(seq 300); do
    url=$(grep -m1 -o 'listening on http://[^ ]*' "$out/server.log" | sed 's/^listening on //' || true)
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { cat "$out/server.log" >&2; exit 1; }

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
run_wrk() { # SECONDS -> the figures line
    NEXUS_LOAD_BODY=$out/body.json wrk -t"$threads" -c"$conns" -d"${1}s" --timeout 10s \
        -s bench/http/execute.lua "$url" | tail -1
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

curl -sf -o /dev/null --data-binary @"$out/body.json" "$url/v1/execute" # warm the cache
rss_start=$(rss_kib)
echo "load: ${load_s} s, $conns connections, $threads wrk threads, POST $url/v1/execute (trivial handler)"
load=$(run_wrk "$load_s")
echo "  $load"
rss_before=$(rss_kib)
echo "soak: ${soak_s} s more at the same load"
soak=$(run_wrk "$soak_s")
echo "  $soak"
rss_after=$(rss_kib)

kill -TERM "$pid"
status=0
wait "$pid" || status=$?
trap - EXIT

errors=0
for line in "$load" "$soak"; do
    for k in socket_errors non_2xx not_success; do errors=$((errors + $(field "$k" "$line"))); done
done
echo
echo "== summary"
printf 'load: %s req/s, p50 %s ms, p99 %s ms, %s requests\n' "$(field rps "$load")" \
    "$(field p50_ms "$load")" "$(field p99_ms "$load")" "$(field requests "$load")"
printf 'soak: %s req/s, p50 %s ms, p99 %s ms, %s requests\n' "$(field rps "$soak")" \
    "$(field p50_ms "$soak")" "$(field p99_ms "$soak")" "$(field requests "$soak")"
printf 'errors: %d (socket errors, non-2xx, results not "success")\n' "$errors"
printf 'server VmRSS: %d KiB after start, %d KiB before the soak, %d KiB after it (%+d KiB)\n' \
    "$rss_start" "$rss_before" "$rss_after" $((rss_after - rss_before))
echo "server exit status after SIGTERM: $status (log: $out/server.log)"
[ "$errors" -eq 0 ] && [ "$status" -eq 0 ]
