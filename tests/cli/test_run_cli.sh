#!/usr/bin/env bash
# test_run_cli.sh — end-to-end tests of `nexus run` and `nexus compile`: results as
# JSON lines, exit statuses (0 success, 1 handler error, 2 usage or input error),
# --context and --cap, the suspend -> stdin -> resume loop (including end of input and
# a malformed line), --timeout-ms and --memory-limit-mb, and bytecode from `nexus
# compile` (including a modified file). Runs in a scratch directory (its own cache).
#
# usage: test_run_cli.sh NEXUS_BIN
set -euo pipefail
NEXUS=$(realpath "$1")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
passed=0
failed=0

# check NAME EXPECTED_STATUS PATTERN [stdin-file] -- ARGS...: runs nexus, checks status
# and that stdout+stderr match the extended regex PATTERN (EMPTY: no output at all).
check() {
    local name=$1 want=$2 pattern=$3 input=$4
    shift 5
    local got=0
    "$NEXUS" "$@" <"$input" >out.txt 2>&1 || got=$?
    local matched=false
    if [[ $pattern == EMPTY ]]; then [[ -s out.txt ]] || matched=true
    elif grep -Eq -- "$pattern" out.txt; then matched=true; fi
    if [[ $got -eq $want ]] && $matched; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $name (status $got, want $want; pattern $pattern)"
        sed 's/^/    /' out.txt | head -20
    fi
}

echo '$state.n = $state.n + 1; $emit("inc", $state.n); return $state.n' >inc.js
echo '{"stateSnapshot": {"n": 41}, "capabilities": ["state:read:n"]}' >ctx.json
echo 'return (' >bad.js
echo 'while (true) {}' >loop.js
echo 'const a = []; for (;;) a.push(new Array(10000).fill(1))' >bomb.js
cat >ext.js <<'JS'
$state.phase = 1;
const r = await $ext.http.get("u");
try { await $ext.http.get("v"); } catch (e) { return [r, e.message]; }
JS
: >empty.txt

check "success" 0 '"returnValue":42' empty.txt -- run inc.js --context ctx.json --cap state:write:n --cap 'events:emit:*'
check "mutations and events" 0 '"stateMutations":\[\{"key":"n","value":42,"operation":"set"\}\],"events":\[\{"name":"inc","payload":42\}\]' empty.txt -- run inc.js --context ctx.json --cap state:write:n --cap 'events:emit:*'
check "missing capability" 1 '"code":"PERMISSION_DENIED".*state:write:n' empty.txt -- run inc.js --context ctx.json
check "syntax error" 1 '"code":"COMPILATION_ERROR".*"location":\{"line":2' empty.txt -- run bad.js
check "timeout" 1 '"code":"TIMEOUT"' empty.txt -- run loop.js --timeout-ms 200
check "memory limit" 1 '"code":"MEMORY_LIMIT"' empty.txt -- run bomb.js --memory-limit-mb 4
check "bad timeout" 2 'TIMEOUT_MS' empty.txt -- run inc.js --timeout-ms abc
check "missing file" 2 'cannot read nope.js' empty.txt -- run nope.js
check "bad context" 2 'ctx-bad.json' empty.txt -- run inc.js --context ctx-bad.json
echo '[1]' >ctx-array.json
check "context not an object" 2 'must be a JSON object' empty.txt -- run inc.js --context ctx-array.json
check "no handler" 2 'give HANDLER.js' empty.txt -- run
check "unknown option" 2 "unknown option '--nope'" empty.txt -- run inc.js --nope
check "help" 0 'usage: nexus run' empty.txt -- run --help

printf '{"success":true,"value":{"ok":1}}\n{"success":false,"error":"down"}\n' >resume.txt
check "suspend then resume twice" 0 '"status":"suspended".*"method":"get","args":\["u"\]' resume.txt -- run ext.js --cap 'ext:*' --cap 'state:write:*'
check "final result after resumes" 0 '"returnValue":\[\{"ok":1\},"down"\]' resume.txt -- run ext.js --cap 'ext:*' --cap 'state:write:*'
check "suspended result carries mutations" 0 '"status":"suspended","stateMutations":\[\{"key":"phase"' resume.txt -- run ext.js --cap 'ext:*' --cap 'state:write:*'
check "end of input resumes with an error" 1 'end of input' empty.txt -- run ext.js --cap 'ext:*' --cap 'state:write:*'
echo 'not json' >garbage.txt
check "malformed resume line" 2 'resume line' garbage.txt -- run ext.js --cap 'ext:*' --cap 'state:write:*'

check "compile" 0 EMPTY empty.txt -- compile inc.js -o inc.nxbc
check "run bytecode" 0 '"returnValue":42' empty.txt -- run --bytecode inc.nxbc --context ctx.json --cap state:write:n --cap 'events:emit:*'
python3 - <<'PY'
data = bytearray(open("inc.nxbc", "rb").read())
data[-5] ^= 1
open("tampered.nxbc", "wb").write(data)
PY
check "tampered bytecode" 1 '"code":"INVALID_HANDLER".*invalid bytecode' empty.txt -- run --bytecode tampered.nxbc
check "compile error" 1 '"code":"COMPILATION_ERROR"' empty.txt -- compile bad.js -o bad.nxbc
check "compile needs -o" 2 'give HANDLER.js and -o FILE' empty.txt -- compile inc.js

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
