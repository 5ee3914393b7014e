#!/usr/bin/env bash
# fuzz.sh — fuzzes the engine and the runtime's JSON reader with libFuzzer: builds the
# fuzz targets of tests/fuzz/ (fuzz_decode, fuzz_run, fuzz_json) with clang-19, libFuzzer, ASan and UBSan in build-fuzz/,
# converts the spec testsuite (NEXUS_SPEC_DIR, default ../shared/wasm-spec; SIMD files
# included) with wabt's wast2json into a seed corpus (build-fuzz/corpus/seed/), then runs
# each target for SECONDS_PER_TARGET seconds (default 30). Each target keeps the inputs it
# finds in build-fuzz/corpus/<target>/ for the next run. Crashes, leaks, timeouts and
# out-of-memory inputs are written to build-fuzz/artifacts/<target>/; the script exits 1
# when any target found one (after running them all), 0 otherwise. Logs are in
# build-fuzz/logs/<target>.log. CI runs it from scripts/test.sh.
#
# usage: scripts/fuzz.sh [SECONDS_PER_TARGET]
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
    echo "usage: $0 [SECONDS_PER_TARGET]" >&2
    exit 2
}
[ "$#" -le 1 ] || usage
seconds=${1:-30}
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || usage

scripts/setup.sh

spec_dir=${NEXUS_SPEC_DIR:-$(cd .. && pwd)/shared/wasm-spec}
build="build-fuzz"
targets=(fuzz_decode fuzz_run fuzz_json)

echo "== fuzz build (clang-19: libFuzzer + ASan + UBSan)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-19 \
      -DNEXUS_FUZZ=ON -DNEXUS_SPEC_DIR="$spec_dir" >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >/dev/null

# Seed corpus: every binary module of the spec testsuite, rebuilt when a .wast (or this
# script) changed.
seed_dir=$build/corpus/seed
seed_stamp=$build/corpus/seed.stamp
if [ ! -d "$spec_dir/core" ]; then
    echo "fuzz: no spec testsuite at '$spec_dir/core': fuzzing without spec seeds" >&2
    mkdir -p "$seed_dir"
elif [ ! -e "$seed_stamp" ] || [ "$0" -nt "$seed_stamp" ] ||
     [ -n "$(find "$spec_dir/core" -name '*.wast' -newer "$seed_stamp" -print -quit)" ]; then
    echo "== seed corpus from $spec_dir/core"
    rm -rf "$seed_dir" "$build/corpus/spec-json" "$seed_stamp"
    mkdir -p "$seed_dir" "$build/corpus/spec-json"
    for wast in "$spec_dir"/core/*.wast; do
        name=$(basename "$wast" .wast)
        if ! wast2json "$wast" -o "$build/corpus/spec-json/$name.json" >/dev/null; then
            echo "fuzz: wast2json failed on $wast (its modules are left out)" >&2
        fi
    done
    find "$build/corpus/spec-json" -name '*.wasm' -exec mv -t "$seed_dir" {} +
    rm -rf "$build/corpus/spec-json"
    touch "$seed_stamp"
fi
echo "fuzz: $(find "$seed_dir" -type f | wc -l) seed modules in $seed_dir"

status=0
for target in "${targets[@]}"; do
    corpus=$build/corpus/$target
    artifacts=$build/artifacts/$target
    log=$build/logs/$target.log
    mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    echo "== $target: ${seconds}s"
    if "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
           -print_final_stats=1 -artifact_prefix="$artifacts/" \
           "$corpus" "$seed_dir" "tests/fuzz/regressions/$target" >"$log" 2>&1; then
        grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
        echo "fuzz: $target: no crash; corpus $(find "$corpus" -type f | wc -l) files"
    else
        status=1
        tail -n 60 "$log"
        echo "fuzz: $target FAILED (full log: $log). Input(s) written:"
        grep -o "Test unit written to .*" "$log" | sed 's/^Test unit written to /    /' || true
        cat <<MSG
fuzz: to reproduce:  $build/tests/fuzz/$target ARTIFACT
      to minimize:   $build/tests/fuzz/$target -minimize_crash=1 -max_total_time=60 ARTIFACT
      to keep it as a regression test (replayed by CTest's ${target}_regressions):
          cp ARTIFACT tests/fuzz/regressions/$target/crash-SHORT-DESCRIPTION
MSG
    fi
done
exit "$status"
