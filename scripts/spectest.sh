#!/usr/bin/env bash
# spectest.sh — runs the official WebAssembly spec testsuite against Nexus (the CTest
# `spectest` test). Converts every SPEC_DIR/core/*.wast into OUT_DIR/NAME/NAME.json (plus
# its .wasm modules) with wabt's wast2json, only when the JSON is missing or older than
# the .wast, then runs `NEXUS_BIN spectest` once over all the JSON scripts and exits with
# its status (0 when no command failed). Options after OUT_DIR go to `nexus spectest`,
# e.g. --aot-opt=2 (the CTest `spectest_aot` test: the ahead-of-time compiler).
#
# usage: scripts/spectest.sh NEXUS_BIN SPEC_DIR OUT_DIR [SPECTEST_OPTION...]
set -euo pipefail

usage() {
    echo "usage: $0 NEXUS_BIN SPEC_DIR OUT_DIR [SPECTEST_OPTION...]" >&2
    exit 2
}

[ "$#" -ge 3 ] || usage
nexus_bin=$1
spec_dir=$2
out_dir=$3
shift 3
options=("$@")

if [ ! -d "$spec_dir/core" ]; then
    echo "spectest: no spec testsuite at '$spec_dir/core' (expected a folder of *.wast files;" \
         "set NEXUS_SPEC_DIR to a checkout of github.com/WebAssembly/testsuite)" >&2
    exit 1
fi
if ! command -v wast2json >/dev/null 2>&1; then
    echo "spectest: wast2json not found in PATH (install wabt, e.g. 'apt-get install wabt')" >&2
    exit 1
fi
if [ ! -x "$nexus_bin" ]; then
    echo "spectest: '$nexus_bin' is not an executable nexus binary" >&2
    exit 1
fi

mkdir -p "$out_dir"

convert_failures=0
jsons=()
for wast in "$spec_dir"/core/*.wast; do
    [ -e "$wast" ] || continue
    name=$(basename "$wast" .wast)
    json="$out_dir/$name/$name.json"
    if [ ! -e "$json" ] || [ "$wast" -nt "$json" ]; then
        rm -rf "${out_dir:?}/$name"
        mkdir -p "$out_dir/$name"
        if ! wast2json "$wast" -o "$json"; then
            echo "spectest: wast2json failed on $wast" >&2
            rm -f "$json"
            convert_failures=$((convert_failures + 1))
            continue
        fi
    fi
    jsons+=("$json")
done

if [ "${#jsons[@]}" -eq 0 ]; then
    echo "spectest: no .wast file converted from '$spec_dir/core'" >&2
    exit 1
fi

status=0
"$nexus_bin" spectest "${options[@]}" -- "${jsons[@]}" || status=$?
if [ "$convert_failures" -ne 0 ]; then
    echo "spectest: $convert_failures .wast file(s) could not be converted" >&2
    [ "$status" -ne 0 ] || status=1
fi
exit "$status"
