#!/usr/bin/env bash
# setup.sh — installs what Nexus needs on Debian 12 (idempotent; quiet when everything
# is already present). Sourced or run by scripts/run.sh and scripts/test.sh.
set -euo pipefail

NEXUS_DEBIAN_PACKAGES=(
    build-essential cmake pkg-config           # host toolchain and build system
    libjansson-dev                             # JSON (spectest runner, later the API)
    libcmocka-dev                              # unit-test framework
    wabt                                       # wast2json for the spec testsuite
    clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32  # wasm32-wasi toolchain
    libclang-rt-19-dev                         # sanitizer runtimes for clang-19
    libssl-dev                                 # SHA-256 / HMAC (libcrypto) for the compile cache
    libmicrohttpd-dev                          # HTTP server
    curl                                       # HTTP client of the end-to-end tests
    prometheus                                 # promtool, checks the /metrics exposition
    jq                                         # JSON assertions of the server tests
    wrk                                        # HTTP load generator (scripts/load.sh)
)

missing=()
for pkg in "${NEXUS_DEBIAN_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq >/dev/null
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
"$(dirname "${BASH_SOURCE[0]}")/quickjs.sh"   # QuickJS sources for the guest (npm ci, pinned)
