#!/usr/bin/env bash
# test.sh — sets up, then builds and runs every test twice: a warnings-as-errors
# release build (gcc), and an AddressSanitizer + UndefinedBehaviorSanitizer build
# (clang-19; it uses the portable SIMD code paths, NEXUS_SIMD_PORTABLE, so both the
# host-specific and the portable ones are tested). Tests: cmocka unit tests, the
# official spec testsuite (from NEXUS_SPEC_DIR, default ../shared/wasm-spec) and CLI
# tests of `nexus wasm`; the engine tests and the spec testsuite also against code of
# the ahead-of-time compiler (*_aot, spectest_aot). The unit tests that use threads also
# run under ThreadSanitizer (test_control in both forms). In CI (CI=true) or when
# NEXUS_FUZZ_SECONDS is set, then fuzzes (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

spec_dir=${NEXUS_SPEC_DIR:-$(cd .. && pwd)/shared/wasm-spec}
jobs=$(nproc)

echo "== release build (-Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNEXUS_WERROR=ON \
      -DNEXUS_SPEC_DIR="$spec_dir" >/dev/null
cmake --build build -j"$jobs" >/dev/null
(cd build && ctest --output-on-failure -j"$jobs")

echo "== sanitizer build (ASan + UBSan, portable SIMD)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang-19 \
      -DNEXUS_WERROR=ON -DNEXUS_SANITIZE=ON -DNEXUS_SIMD_PORTABLE=ON \
      -DNEXUS_SPEC_DIR="$spec_dir" >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j"$jobs")

echo "== thread sanitizer build (threaded unit tests)"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang-19 \
      -DNEXUS_WERROR=ON -DNEXUS_TSAN=ON -DNEXUS_SPEC_DIR="$spec_dir" >/dev/null
cmake --build build-tsan -j"$jobs" --target test_control test_control_aot test_concurrency \
    test_runtime >/dev/null
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure \
    -R 'wasm_test_control|wasm_test_control_aot|runtime_test_concurrency|runtime_test_runtime')

if [ "${CI:-}" = true ] || [ -n "${NEXUS_FUZZ_SECONDS:-}" ]; then
    echo "== fuzzing"
    scripts/fuzz.sh "${NEXUS_FUZZ_SECONDS:-25}"
fi
