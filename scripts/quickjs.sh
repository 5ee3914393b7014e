#!/usr/bin/env bash
# quickjs.sh — fetches the QuickJS sources the guest module is built from: the npm package
# qjsc@0.3.0 (it ships QuickJS 2021-03-27 under deps/quickjs_2021_03_27/), pinned with its
# integrity hash in package-lock.json. Runs `npm ci --ignore-scripts` into node_modules/
# (git-ignored; no package script is ever executed), then checks that the sources are
# there. Idempotent and quiet when the installed tree matches the lock file. Called by
# scripts/setup.sh. Prints the QuickJS source folder on stdout when given --print-dir.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
qjs_dir=$root/node_modules/qjsc/deps/quickjs_2021_03_27
stamp=$root/node_modules/.nexus-lock.sha256
required=(VERSION quickjs.c quickjs.h quickjs-atom.h quickjs-opcode.h libregexp.c libregexp.h
          libregexp-opcode.h libunicode.c libunicode.h libunicode-table.h cutils.c cutils.h
          libbf.c libbf.h list.h)

sources_ok() {
    local f
    for f in "${required[@]}"; do
        [ -f "$qjs_dir/$f" ] || return 1
    done
    [ "$(cat "$qjs_dir/VERSION")" = 2021-03-27 ]
}

lock_sum=$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)
if ! sources_ok || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "quickjs: installing npm" >&2
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        export DEBIAN_FRONTEND=noninteractive
        $sudo apt-get update -qq >/dev/null
        $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
    fi
    echo "quickjs: npm ci (qjsc@0.3.0, QuickJS 2021-03-27 sources)" >&2
    (cd "$root" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
    if ! sources_ok; then
        echo "quickjs: QuickJS 2021-03-27 sources missing under $qjs_dir after npm ci" >&2
        exit 1
    fi
    echo "$lock_sum" >"$stamp"
fi
if [ "${1:-}" = --print-dir ]; then
    echo "$qjs_dir"
fi
