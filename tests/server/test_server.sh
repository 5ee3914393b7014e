#!/usr/bin/env bash
# test_server.sh NEXUS WORKDIR — end-to-end tests of `nexus serve`: the real server on a
# free loopback port (HTTP_PORT=0; the port is read from its start-up line), driven with
# curl, answers checked with jq. Covers every route, each error status (400 naming the
# field, 401, 404, 405, 413, 422, 503), auth, the suspend -> resume flow, compile then
# execute by bytecode, 8 concurrent clients, the request log and LOG_LEVEL, settings
# refused at start, graceful stop (SIGTERM while a slow handler runs: it finishes, exit
# 0) and `promtool check metrics` on /metrics. Every server started is stopped on exit.
set -uo pipefail

nexus=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
failures=0
checks=0
server_pid=""
url=""
log=""

cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid" 2>/dev/null
    fi
}
trap cleanup EXIT

ok() { checks=$((checks + 1)); }
fail() {
    checks=$((checks + 1))
    failures=$((failures + 1))
    echo "FAIL: $*" >&2
}

# ---------------------------------------------------------------- server control

# start_server NAME [VAR=VALUE...]: starts `nexus serve` with a fresh cache directory
# and its stderr in $work/NAME.log; sets server_pid, url and log.
start_server() {
    local name=$1
    shift
    log=$work/$name.log
    env HTTP_PORT=0 CACHE_DIR="$work/cache-$name" "$@" "$nexus" serve 2>"$log" &
    server_pid=$!
    local line=""
    for _ in $(seq 600); do # up to 60 s (sanitizer builds start slowly)
        line=$(grep -m1 -o 'listening on http://[^ ]*' "$log" 2>/dev/null)
        [ -n "$line" ] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$line" ]; then
        echo "FATAL: server $name did not start:" >&2
        cat "$log" >&2
        exit 1
    fi
    url=${line#listening on }
}

# stop_server: SIGTERM, then the exit status in $stop_status.
stop_server() {
    kill -TERM "$server_pid"
    wait "$server_pid"
    stop_status=$?
    server_pid=""
}

# ---------------------------------------------------------------- requests and checks

# req METHOD PATH [CURL ARGS...]: the status in $status, the body in $work/body, the
# headers in $work/headers.
req() {
    local method=$1 path=$2
    shift 2
    status=$(curl -s -X "$method" -o "$work/body" -D "$work/headers" -w '%{http_code}' \
        "$@" "$url$path")
}

# post PATH JSON [CURL ARGS...]
post() {
    local path=$1 body=$2
    shift 2
    req POST "$path" -H 'Content-Type: application/json' --data-binary "$body" "$@"
}

expect_status() { # CODE LABEL
    if [ "$status" = "$1" ]; then ok; else fail "$2: HTTP $status, expected $1: $(head -c 400 "$work/body")"; fi
}

expect_jq() { # FILTER EXPECTED LABEL (compared as compact JSON)
    local got
    got=$(jq -c "$1" "$work/body" 2>&1)
    if [ "$got" = "$2" ]; then ok; else fail "$3: $1 is $got, expected $2"; fi
}

expect_header() { # REGEX LABEL
    if grep -qiE "$1" "$work/headers"; then ok; else fail "$2: no header matching '$1' in: $(tr -d '\r' <"$work/headers" | tr '\n' '|')"; fi
}

# expect_http_error STATUS CODE FIELD LABEL: a transport error body {"error": {...}};
# FIELD "-" when the error names no field.
expect_http_error() {
    expect_status "$1" "$4"
    expect_jq .error.code "\"$2\"" "$4"
    if [ "$3" = - ]; then expect_jq .error.field null "$4"; else expect_jq .error.field "\"$3\"" "$4"; fi
    expect_jq '.error.message | type' '"string"' "$4"
}

expect_result_error() { # STATUS CODE LABEL: a runtime result with status "error"
    expect_status "$1" "$3"
    expect_jq .status '"error"' "$3"
    expect_jq .error.code "\"$2\"" "$3"
}

# ---------------------------------------------------------------- settings refused at start

check_refused() { # EXPECTED_STATUS TEXT LABEL VAR=VALUE...
    local want=$1 text=$2 label=$3
    shift 3
    env HTTP_PORT=0 CACHE_DIR="$work/cache-refused" "$@" "$nexus" serve >"$work/refused.out" 2>&1 &
    local pid=$!
    local st=0
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid"
        fail "$label: the server started"
        return
    fi
    wait "$pid" || st=$?
    if [ "$st" = "$want" ] && grep -q -- "$text" "$work/refused.out"; then ok; else fail "$label: exit $st, output: $(cat "$work/refused.out")"; fi
}

test_settings() {
    check_refused 2 'HTTP_PORT: "http" is not a whole number' "bad HTTP_PORT" HTTP_PORT=http
    check_refused 2 'HTTP_PORT: "70000"' "HTTP_PORT out of range" HTTP_PORT=70000
    check_refused 2 'BODY_LIMIT: "1.5mb" is not a valid size' "bad BODY_LIMIT" BODY_LIMIT=1.5mb
    check_refused 2 'AUTH_TOKEN: "" is not valid' "empty AUTH_TOKEN" AUTH_TOKEN=
    check_refused 2 'HOST: "" is not valid' "empty HOST" HOST=
    check_refused 2 'TIMEOUT_MS: "5"' "runtime setting TIMEOUT_MS" TIMEOUT_MS=5
    check_refused 2 'MIN_INSTANCES' "runtime cross-field rule" MIN_INSTANCES=5 MAX_INSTANCES=2
    check_refused 2 'LOG_LEVEL' "bad LOG_LEVEL" LOG_LEVEL=loud
    check_refused 1 'HOST: cannot resolve "no-such-host.invalid"' "unresolvable HOST" \
        HOST=no-such-host.invalid

    local st=0
    "$nexus" serve --help >"$work/help.out" 2>&1 || st=$?
    local missing=""
    for var in HOST HTTP_PORT BODY_LIMIT AUTH_TOKEN SHUTDOWN_GRACE_MS MAX_INSTANCES \
        MIN_INSTANCES MEMORY_LIMIT_MB TIMEOUT_MS CACHE_DIR LOG_LEVEL QUEUE_TIMEOUT_MS; do
        grep -q "^$var " "$work/help.out" || missing="$missing $var"
    done
    if [ "$st" = 0 ] && [ -z "$missing" ]; then ok; else fail "serve --help: exit $st, missing:$missing"; fi
    st=0
    "$nexus" serve --port 3000 >"$work/usage.out" 2>&1 || st=$?
    if [ "$st" = 2 ] && grep -q "unexpected argument '--port'" "$work/usage.out"; then ok; else fail "serve --port: exit $st"; fi
}

# ---------------------------------------------------------------- the main server

test_basics() {
    req GET /health
    expect_status 200 "health"
    expect_jq .status '"ok"' "health"
    req HEAD /health -I
    expect_status 200 "HEAD /health"

    post /v1/execute '{"code": "return $args.a + $args.b", "context": {"args": {"a": 2, "b": 3}}}'
    expect_status 200 "execute"
    expect_header '^Content-Type: application/json' "execute content type"
    expect_jq .status '"success"' "execute"
    expect_jq .returnValue 5 "execute"
    expect_jq '.metrics.durationUs | type' '"number"' "execute metrics"

    post /v1/execute '{"code": "$state.count++; $emit(\"changed\", {n: $state.count}); $log.info(\"hi\"); return $state.count",
        "context": {"stateSnapshot": {"count": 41}, "capabilities": ["state:read:count", "state:write:count", "events:emit:*"]},
        "timeoutMs": 2000}'
    expect_status 200 "counter handler"
    expect_jq .returnValue 42 "counter handler"
    expect_jq .stateMutations '[{"key":"count","value":42,"operation":"set"}]' "counter mutations"
    expect_jq .events '[{"name":"changed","payload":{"n":42}}]' "counter events"
    expect_jq '.logs[0].message' '"hi"' "counter logs"
}

# Handler outcomes are results with HTTP 200, whatever the handler did.
test_handler_errors() {
    post /v1/execute '{"code": "throw new TypeError(\"bad\")"}'
    expect_result_error 200 EXECUTION_ERROR "handler threw"
    post /v1/execute '{"code": "return )"}'
    expect_result_error 200 COMPILATION_ERROR "syntax error on execute"
    expect_jq .error.location.line 1 "syntax error location"
    post /v1/execute '{"code": "for (;;) {}", "timeoutMs": 200}'
    expect_result_error 200 TIMEOUT "infinite loop with timeoutMs 200"
    post /v1/execute '{"code": "$state.x = 1", "context": {"capabilities": []}}'
    expect_result_error 200 PERMISSION_DENIED "missing capability"
    post /v1/execute '{"code": ""}'
    expect_result_error 200 INVALID_HANDLER "empty source"
    post /v1/execute '{"code": "return 1", "context": {"stateSnapshot": 5}}'
    expect_result_error 200 INVALID_HANDLER "stateSnapshot not an object"
}

test_compile_and_bytecode() {
    local code='return [$args.x * 2, typeof $state]'
    post /v1/compile "{\"code\": \"$code\"}"
    expect_status 200 "compile"
    expect_jq .status '"success"' "compile"
    expect_jq '.sha256 | test("^[0-9a-f]{64}$")' true "compile sha256"
    expect_jq '.bytecode | test("^[A-Za-z0-9+/]+={0,2}$")' true "compile bytecode is base64"
    expect_jq '.compilationTimeUs | type' '"number"' "compile time"
    local bytecode sha
    bytecode=$(jq -r .bytecode "$work/body")
    sha=$(jq -r .sha256 "$work/body")
    post /v1/compile "{\"code\": \"$code\"}"
    expect_jq .cacheHit true "second compile is a cache hit"
    expect_jq .sha256 "\"$sha\"" "same sha256"

    post /v1/execute "{\"bytecode\": \"$bytecode\", \"context\": {\"args\": {\"x\": 21}}}"
    expect_status 200 "execute bytecode"
    expect_jq .returnValue '[42,"object"]' "execute bytecode"
    expect_jq .metrics.cacheHit true "bytecode run counts as a cache hit"

    # a modified byte: verified before loading
    local tampered
    tampered=$(printf '%s' "$bytecode" | base64 -d | head -c 100 | base64 -w0)
    post /v1/execute "{\"bytecode\": \"$tampered\"}"
    expect_result_error 200 INVALID_HANDLER "truncated bytecode"
    post /v1/execute '{"bytecode": "not*base64"}'
    expect_http_error 400 INVALID_REQUEST bytecode "invalid base64"
    post /v1/execute "{\"bytecode\": \"$bytecode\", \"code\": \"return 1\"}"
    expect_http_error 400 INVALID_REQUEST bytecode "code and bytecode"

    post /v1/compile '{"code": "return )"}'
    expect_result_error 422 COMPILATION_ERROR "compile error"
    expect_jq .error.location '{"line":1,"column":8}' "compile error location"
    post /v1/compile '{"code": "  "}'
    expect_result_error 422 INVALID_HANDLER "compile empty source"
    post /v1/compile '{}'
    expect_http_error 400 INVALID_REQUEST code "compile without code"
}

test_suspend_resume() {
    local ctx='{"stateSnapshot": {"phase": "idle"}, "capabilities": ["state:read:*", "state:write:*", "events:emit:*", "ext:*"]}'
    post /v1/execute "{\"code\": \"\$state.phase = 'loading'; \$emit('start'); const r = await \$ext.http.get('https://x', {n: 1}); \$state.phase = 'done'; \$state.status = r.status; let err; try { await \$ext.db.query('q') } catch (e) { err = e.message } \$state.err = err; return [r.status, err]\", \"context\": $ctx}"
    expect_status 200 "suspend"
    expect_jq .status '"suspended"' "suspend"
    expect_jq '.suspension | [.extensionName, .method, .args]' '["http","get",["https://x",{"n":1}]]' "suspension"
    expect_jq .stateMutations '[{"key":"phase","value":"loading","operation":"set"}]' "mutations before the first await"
    expect_jq .events '[{"name":"start","payload":null}]' "events before the first await"
    local id
    id=$(jq -r .suspension.suspensionId "$work/body")

    post /v1/resume "{\"suspensionId\": \"$id\", \"result\": {\"success\": true, \"value\": {\"status\": 200}}}"
    expect_status 200 "resume 1"
    expect_jq .status '"suspended"' "resume 1 suspends again"
    expect_jq '.suspension | [.extensionName, .method]' '["db","query"]' "second suspension"
    expect_jq .stateMutations '[{"key":"phase","value":"done","operation":"set"},{"key":"status","value":200,"operation":"set"}]' "mutations between the awaits"
    local id2
    id2=$(jq -r .suspension.suspensionId "$work/body")

    post /v1/resume "{\"suspensionId\": \"$id2\", \"result\": {\"success\": false, \"error\": \"db down\"}}"
    expect_status 200 "resume 2"
    expect_jq .status '"success"' "resume 2 finishes"
    expect_jq .returnValue '[200,"db down"]' "resume 2 return value"
    expect_jq .stateMutations '[{"key":"err","value":"db down","operation":"set"}]' "mutations after the last await"

    post /v1/resume "{\"suspensionId\": \"$id2\", \"result\": {\"success\": true}}"
    expect_result_error 404 RESOURCE_LIMIT "spent suspension id"
    post /v1/resume '{"suspensionId": "0123456789abcdef0123456789abcdef", "result": {"success": true, "value": null}}'
    expect_result_error 404 RESOURCE_LIMIT "unknown suspension id"

    # resume without a value: the promise gets undefined
    post /v1/execute '{"code": "const v = await $ext.a.b(); return typeof v", "context": {"capabilities": ["ext:*"]}}'
    id=$(jq -r .suspension.suspensionId "$work/body")
    post /v1/resume "{\"suspensionId\": \"$id\", \"result\": {\"success\": true}}"
    expect_jq .returnValue '"undefined"' "resume without value"
}

test_bad_requests() {
    post /v1/execute '{"code": "return 1",'
    expect_http_error 400 INVALID_JSON - "truncated JSON"
    post /v1/execute ''
    expect_http_error 400 INVALID_JSON - "empty body"
    post /v1/execute '[1, 2]'
    expect_http_error 400 INVALID_REQUEST - "array body"
    post /v1/execute '{"code": "return 1", "code": "return 2"}'
    expect_http_error 400 INVALID_JSON - "duplicate key"
    post /v1/execute '{"code": 42}'
    expect_http_error 400 INVALID_REQUEST code "code not a string"
    expect_jq .error.message '"code must be a string"' "message names the field"
    post /v1/execute '{}'
    expect_http_error 400 INVALID_REQUEST code "neither code nor bytecode"
    post /v1/execute '{"code": "return 1", "context": "x"}'
    expect_http_error 400 INVALID_REQUEST context "context not an object"
    post /v1/execute '{"code": "return 1", "context": [1]}'
    expect_http_error 400 INVALID_REQUEST context "context array"
    post /v1/execute '{"code": "return 1", "timeoutMs": "100"}'
    expect_http_error 400 INVALID_REQUEST timeoutMs "timeoutMs string"
    post /v1/execute '{"code": "return 1", "timeoutMs": 1.5}'
    expect_http_error 400 INVALID_REQUEST timeoutMs "timeoutMs fraction"
    post /v1/execute '{"code": "return 1", "timeoutMs": 0}'
    expect_http_error 400 INVALID_REQUEST timeoutMs "timeoutMs 0"
    post /v1/execute '{"code": "return 1", "timeoutMs": 5001}'
    expect_http_error 400 INVALID_REQUEST timeoutMs "timeoutMs above TIMEOUT_MS"
    post /v1/execute '{"code": "return 1", "timeout": 100}'
    expect_http_error 400 INVALID_REQUEST timeout "unknown field"
    post /v1/execute '{"code": null, "context": null, "timeoutMs": null, "bytecode": "cmV0dXJu"}'
    expect_result_error 200 INVALID_HANDLER "null fields are absent"

    post /v1/resume '{"result": {"success": true}}'
    expect_http_error 400 INVALID_REQUEST suspensionId "resume without id"
    post /v1/resume '{"suspensionId": 7, "result": {"success": true}}'
    expect_http_error 400 INVALID_REQUEST suspensionId "resume id not a string"
    post /v1/resume '{"suspensionId": "x"}'
    expect_http_error 400 INVALID_REQUEST result "resume without result"
    post /v1/resume '{"suspensionId": "x", "result": {"success": "yes"}}'
    expect_http_error 400 INVALID_REQUEST result.success "success not a boolean"
    post /v1/resume '{"suspensionId": "x", "result": {"value": 1}}'
    expect_http_error 400 INVALID_REQUEST result.success "success missing"
    post /v1/resume '{"suspensionId": "x", "result": {"success": false, "value": 1}}'
    expect_http_error 400 INVALID_REQUEST result.value "value with success false"
    post /v1/resume '{"suspensionId": "x", "result": {"success": true, "error": "e"}}'
    expect_http_error 400 INVALID_REQUEST result.error "error with success true"
    post /v1/resume '{"suspensionId": "x", "result": {"success": false, "error": 5}}'
    expect_http_error 400 INVALID_REQUEST result.error "error not a string"
    post /v1/resume '{"suspensionId": "x", "result": {"success": true, "extra": 1}}'
    expect_http_error 400 INVALID_REQUEST result.extra "unknown nested field"
    post /v1/resume '{"suspensionId": "x", "result": {"success": false, "value": null}}'
    expect_result_error 404 RESOURCE_LIMIT "value null counts as absent when success is false"
    post /v1/execute $'{"code": "return \xff"}'
    expect_http_error 400 INVALID_JSON - "invalid UTF-8"
}

test_routes_and_sizes() {
    req GET /v1/nope
    expect_http_error 404 NOT_FOUND - "unknown route"
    req GET /
    expect_http_error 404 NOT_FOUND - "root"
    req GET /v1/execute
    expect_http_error 405 METHOD_NOT_ALLOWED - "GET /v1/execute"
    expect_header '^Allow: POST' "405 Allow header"
    req POST /health --data-binary '{}'
    expect_http_error 405 METHOD_NOT_ALLOWED - "POST /health"
    expect_header '^Allow: GET, HEAD' "405 Allow header on a GET route"
    req DELETE /v1/stats
    expect_http_error 405 METHOD_NOT_ALLOWED - "DELETE /v1/stats"

    # BODY_LIMIT is 64kb here: declared larger, chunked larger, just under
    head -c 70000 /dev/zero | tr '\0' ' ' >"$work/big"
    req POST /v1/execute --data-binary @"$work/big"
    expect_http_error 413 PAYLOAD_TOO_LARGE - "body over BODY_LIMIT"
    req POST /v1/execute -H 'Transfer-Encoding: chunked' --data-binary @"$work/big"
    expect_http_error 413 PAYLOAD_TOO_LARGE - "chunked body over BODY_LIMIT"
    { printf '{"code": "return 1", "context": {"args": "'; head -c 60000 /dev/zero | tr '\0' 'a'; printf '"}}'; } >"$work/near"
    req POST /v1/execute -H 'Content-Type: application/json' --data-binary @"$work/near"
    expect_status 200 "body under BODY_LIMIT"
    expect_jq .returnValue 1 "body under BODY_LIMIT"

    req GET /v1/stats
    expect_status 200 "stats"
    expect_jq '.executions.total > 10' true "stats count executions"
    expect_jq '.pool.maxInstances' 4 "stats pool"
    req GET /metrics
    expect_status 200 "metrics"
    expect_header '^Content-Type: text/plain; version=0.0.4' "metrics content type"
    if promtool check metrics <"$work/body" >"$work/promtool.out" 2>&1; then ok; else fail "promtool check metrics: $(cat "$work/promtool.out")"; fi
    if grep -q '^nexus_executions_total{status="success"} [1-9]' "$work/body"; then ok; else fail "metrics count executions"; fi
}

test_concurrency() {
    local pids=() i
    for i in $(seq 8); do
        curl -s -o "$work/par$i" -w '%{http_code}' -H 'Content-Type: application/json' \
            --data-binary "{\"code\": \"let s = 0; for (let i = 0; i < 20000; i++) s += i % 7; return [\$args.i * 2, s]\", \"context\": {\"args\": {\"i\": $i}}}" \
            "$url/v1/execute" >"$work/par$i.status" &
        pids+=($!)
    done
    wait "${pids[@]}"
    for i in $(seq 8); do
        local got
        got="$(cat "$work/par$i.status") $(jq -c .returnValue "$work/par$i" 2>&1)"
        if [ "$got" = "200 [$((i * 2)),59997]" ]; then ok; else fail "concurrent client $i: $got"; fi
    done
}

test_request_log() {
    # every line after the banner is JSON; requests have the documented fields
    local bad
    bad=$(sed -n '/^{/!d; p' "$log" | jq -c 'select(.time == null or .level == null)' 2>&1 | head -3)
    if [ -z "$bad" ] && sed '/^{/,$!d' "$log" | grep -v '^{' | grep -q .; then
        fail "non-JSON line after the banner"
    elif [ -n "$bad" ]; then fail "log lines without time/level: $bad"; else ok; fi
    local line
    line=$(grep '"path":"/v1/nope"' "$log" | head -1)
    if echo "$line" | jq -e '.method == "GET" and .status == 404 and .level == "warn" and .errorCode == "NOT_FOUND" and (.durationMs | type) == "number"' >/dev/null; then ok; else fail "404 log line: $line"; fi
    line=$(grep '"path":"/health"' "$log" | head -1)
    if echo "$line" | jq -e '.status == 200 and .level == "info" and (has("errorCode") | not)' >/dev/null; then ok; else fail "health log line: $line"; fi
    if grep '"errorCode":"TIMEOUT"' "$log" | jq -e '.status == 200' >/dev/null; then ok; else fail "handler error code in the log"; fi
}

test_main_server() {
    # QUEUE_TIMEOUT_MS: slow (sanitizer) builds must queue, not refuse, the 8 clients
    start_server main BODY_LIMIT=64kb MAX_INSTANCES=4 QUEUE_TIMEOUT_MS=60000 LOG_LEVEL=info
    if grep -q 'curl -s .*/v1/execute' "$log"; then ok; else fail "start-up line shows a curl example"; fi
    test_basics
    test_handler_errors
    test_compile_and_bytecode
    test_suspend_resume
    test_bad_requests
    test_routes_and_sizes
    test_concurrency
    test_request_log
    stop_server
    if [ "$stop_status" = 0 ]; then ok; else fail "main server exit status $stop_status"; fi
}

# ---------------------------------------------------------------- auth and capacity

test_auth_server() {
    start_server auth AUTH_TOKEN=s3cret-token MAX_INSTANCES=1 MIN_INSTANCES=1 QUEUE_TIMEOUT_MS=0 LOG_LEVEL=warn
    if grep -q 'Authorization: Bearer \$AUTH_TOKEN' "$log" && ! grep -q s3cret "$log"; then ok; else fail "auth banner"; fi
    req GET /health
    expect_status 200 "health needs no token"
    req GET /nope
    expect_http_error 404 NOT_FOUND - "unknown route before the token check"
    post /v1/execute '{"code": "return 1"}'
    expect_http_error 401 UNAUTHORIZED - "no token"
    expect_header '^WWW-Authenticate: Bearer' "401 WWW-Authenticate"
    post /v1/execute '{"code": "return 1"}' -H 'Authorization: Bearer wrong'
    expect_http_error 401 UNAUTHORIZED - "wrong token"
    post /v1/execute '{"code": "return 1"}' -H 'Authorization: Bearer s3cret-token-and-more'
    expect_http_error 401 UNAUTHORIZED - "token with a suffix"
    post /v1/execute '{"code": "return 1"}' -H 'Authorization: Basic czNjcmV0LXRva2Vu'
    expect_http_error 401 UNAUTHORIZED - "basic auth"
    for path in /v1/stats /metrics; do
        req GET $path
        expect_http_error 401 UNAUTHORIZED - "GET $path without token"
    done
    head -c 2000000 /dev/zero >"$work/huge"
    req POST /v1/execute --data-binary @"$work/huge"
    expect_http_error 401 UNAUTHORIZED - "token checked before the body size"
    local auth=(-H 'Authorization: Bearer s3cret-token')
    post /v1/execute '{"code": "return 6 * 7"}' "${auth[@]}"
    expect_status 200 "right token"
    expect_jq .returnValue 42 "right token"
    post /v1/execute '{"code": "return 1"}' -H 'Authorization: bearer   s3cret-token'
    expect_status 200 "scheme is case-insensitive"
    req GET /v1/stats "${auth[@]}"
    expect_status 200 "stats with token"

    # the only instance is held by a suspension: the pool is exhausted -> 503
    post /v1/execute '{"code": "return await $ext.a.b()", "context": {"capabilities": ["ext:*"]}}' "${auth[@]}"
    expect_jq .status '"suspended"' "suspension holds the only instance"
    local id
    id=$(jq -r .suspension.suspensionId "$work/body")
    post /v1/execute '{"code": "return 1"}' "${auth[@]}"
    expect_result_error 503 RESOURCE_LIMIT "pool exhausted"
    expect_header '^Retry-After: 1' "503 Retry-After"
    expect_jq '.error.message | startswith("instance pool exhausted")' true "pool exhausted message"
    post /v1/resume "{\"suspensionId\": \"$id\", \"result\": {\"success\": true, \"value\": 9}}" "${auth[@]}"
    expect_jq .returnValue 9 "resume frees the instance"
    post /v1/execute '{"code": "return 2"}' "${auth[@]}"
    expect_jq .returnValue 2 "pool usable again"

    # LOG_LEVEL=warn: 4xx/5xx requests are logged, 200s are not
    if grep -q '"status":401' "$log" && grep -q '"status":503' "$log" && ! grep -q '"status":200' "$log"; then ok; else fail "LOG_LEVEL=warn filtering: $(grep status "$log" | head -5)"; fi

    # a second server on the same port is refused with exit 1
    local port=${url##*:}
    check_refused 1 "cannot listen on 127.0.0.1 port $port" "port in use" HTTP_PORT="$port"
    stop_server
    if [ "$stop_status" = 0 ]; then ok; else fail "auth server exit status $stop_status"; fi
}

# ---------------------------------------------------------------- graceful stop

test_graceful_stop() {
    start_server stop SHUTDOWN_GRACE_MS=20000
    # a handler that runs about 1.5 s (a few hundred host calls to read the clock: the
    # inner loop keeps them far below MAX_HOST_CALLS however fast the guest runs)
    curl -s -o "$work/slow" -w '%{http_code}' -H 'Content-Type: application/json' \
        --data-binary '{"code": "const t = Date.now(); let n = 0; while (Date.now() - t < 1500) { for (let i = 0; i < 100000; i++) n++; } return \"finished\"", "timeoutMs": 5000}' \
        "$url/v1/execute" >"$work/slow.status" &
    local slow=$!
    local active=0
    for _ in $(seq 100); do # until it runs
        active=$(curl -s "$url/v1/stats" | jq .pool.active)
        [ "$active" = 1 ] && break
        sleep 0.05
    done
    [ "$active" = 1 ] || fail "the slow handler did not start"
    kill -TERM "$server_pid"
    sleep 0.3
    local st=0
    curl -s -o /dev/null "$url/health" || st=$?
    if [ "$st" = 7 ]; then ok; else fail "new connections refused during the stop (curl exit $st)"; fi
    wait "$slow"
    if [ "$(cat "$work/slow.status")" = 200 ] && [ "$(jq -r .returnValue "$work/slow")" = finished ]; then ok; else fail "slow handler during stop: $(cat "$work/slow.status") $(head -c 300 "$work/slow")"; fi
    wait "$server_pid"
    st=$?
    server_pid=""
    if [ "$st" = 0 ]; then ok; else fail "exit status after SIGTERM: $st"; fi
    if grep -q 'SIGTERM received' "$log" && grep -q '"message":"stopped"' "$log"; then ok; else fail "stop log lines"; fi

    # SIGINT works the same; an idle server stops at once
    start_server stop2
    kill -INT "$server_pid"
    wait "$server_pid"
    st=$?
    server_pid=""
    if [ "$st" = 0 ]; then ok; else fail "exit status after SIGINT: $st"; fi
}

test_settings
test_main_server
test_auth_server
test_graceful_stop

echo "server e2e: $checks checks, $failures failed"
[ "$failures" -eq 0 ]
