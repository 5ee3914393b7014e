#!/usr/bin/env bash
# test_wasm_cli.sh — end-to-end tests of the `nexus` command: `nexus wasm` running the
# WASI programs built by CMake (hello.wasm, wasi_probe.wasm), its error reporting and
# exit statuses, `--invoke` (v128 arguments and results included), the feature switches
# (--disable-simd, --disable-bulk-memory) and the execution limits (--timeout-ms,
# --memory-limit-mb, --stack-limit-kb, --fuel, --print-fuel) on small modules written in WAT (when wabt's
# wat2wasm is installed), and the top-level commands. Every check compares exact lines
# and statuses.
#
# usage: test_wasm_cli.sh NEXUS_BIN BUILD_DIR
# Prints "FAIL: ..." for each failed check and ends with "N passed, M failed"; exits 1
# when a check failed, 2 on bad usage.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 NEXUS_BIN BUILD_DIR" >&2
    exit 2
fi
NEXUS=$1
BUILD=$2
HELLO=$BUILD/hello.wasm
PROBE=$BUILD/wasi_probe.wasm
for f in "$NEXUS" "$HELLO" "$PROBE"; do
    [[ -e $f ]] || { echo "$0: missing $f (build first)" >&2; exit 2; }
done

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
OUT=$TMP/stdout
ERR=$TMP/stderr

passed=0
failed=0
case_name=""
status=0
elapsed_ms=0

# run NAME [--stdin FILE] ARGS...: runs `nexus ARGS...`, keeping stdout, stderr and status.
run() {
    case_name=$1
    shift
    local input=/dev/null
    if [[ ${1-} == --stdin ]]; then
        input=$2
        shift 2
    fi
    set +e
    local start_ns
    start_ns=$(date +%s%N)
    "$NEXUS" "$@" <"$input" >"$OUT" 2>"$ERR"
    status=$?
    elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
    set -e
}

pass() { passed=$((passed + 1)); }

fail() {
    failed=$((failed + 1))
    echo "FAIL: [$case_name] $1" >&2
    echo "  status: $status" >&2
    sed 's/^/  stdout: /' "$OUT" | head -20 >&2
    sed 's/^/  stderr: /' "$ERR" | head -20 >&2
}

expect_status() {
    if [[ $status -eq $1 ]]; then pass; else fail "expected exit status $1, got $status"; fi
}

# expect_out LINE / expect_err LINE: stdout/stderr has exactly this line.
expect_out() {
    if grep -qxF -- "$1" "$OUT"; then pass; else fail "stdout lacks the line '$1'"; fi
}
expect_err() {
    if grep -qxF -- "$1" "$ERR"; then pass; else fail "stderr lacks the line '$1'"; fi
}

# expect_err_has TEXT: stderr contains TEXT somewhere.
expect_err_has() {
    if grep -qF -- "$1" "$ERR"; then pass; else fail "stderr lacks '$1'"; fi
}

# expect_out_lines N / expect_err_lines N: exactly N lines.
expect_out_lines() {
    local n
    n=$(wc -l <"$OUT")
    if [[ $n -eq $1 ]]; then pass; else fail "expected $1 stdout lines, got $n"; fi
}
expect_err_lines() {
    local n
    n=$(wc -l <"$ERR")
    if [[ $n -eq $1 ]]; then pass; else fail "expected $1 stderr lines, got $n"; fi
}

# expect_err_number_at_least PREFIX MIN / expect_err_number_below PREFIX MAX: stderr has a
# line "PREFIX N" with N >= MIN / N < MAX.
err_number() { sed -n "s/^$1 \([0-9][0-9]*\)\$/\1/p" "$ERR" | head -1; }
expect_err_number_at_least() {
    local n
    n=$(err_number "$1")
    if [[ -n $n && $n -ge $2 ]]; then pass; else fail "expected a line '$1 N' with N >= $2"; fi
}
expect_err_number_below() {
    local n
    n=$(err_number "$1")
    if [[ -n $n && $n -lt $2 ]]; then pass; else fail "expected a line '$1 N' with N < $2"; fi
}

# expect_faster_than MS: the last run took less than MS milliseconds of wall-clock time.
expect_faster_than() {
    if [[ $elapsed_ms -lt $1 ]]; then pass; else fail "took $elapsed_ms ms, expected < $1 ms"; fi
}

# expect_one_error_line PREFIX: stderr is one line starting with PREFIX, stdout is empty.
expect_one_error_line() {
    expect_err_lines 1
    expect_out_lines 0
    if [[ $(head -1 "$ERR") == "$1"* ]]; then pass; else fail "stderr does not start with '$1'"; fi
}

# ---------------------------------------------------------------- top-level commands

run "version" --version
expect_status 0
expect_out "nexus 0.1.0"

run "help" help
expect_status 0
if grep -q '^usage: nexus' "$OUT"; then pass; else fail "help prints no usage line"; fi
for code in 124 125 126 134; do
    if grep -q "^    $code " "$OUT"; then pass; else fail "help does not document exit status $code"; fi
done
for option in --timeout-ms --memory-limit-mb --stack-limit-kb --fuel --print-fuel \
              --disable-simd --disable-bulk-memory; do
    if grep -q -- "^  $option " "$OUT"; then pass; else fail "help does not document $option"; fi
done

run "no command"
expect_status 2
expect_err "nexus: missing command"

run "unknown command" frobnicate
expect_status 2
expect_err "nexus: unknown command 'frobnicate'"
if grep -q '^usage: nexus' "$ERR"; then pass; else fail "no usage on stderr"; fi

# ---------------------------------------------------------------- hello.wasm

run "hello" wasm "$HELLO"
expect_status 0
expect_out "Hello from WebAssembly, run by Nexus."
expect_out "FNV-1a over 1e6 bytes: d29f3f05"
expect_out_lines 2
expect_err_lines 0

run "hello with args" wasm "$HELLO" a "b c"
expect_status 0
expect_out "  arg 1: a"
expect_out "  arg 2: b c"
expect_out_lines 4

# ---------------------------------------------------------------- wasi_probe.wasm

run "probe argv" wasm "$PROBE" args x "y z"
expect_status 0
expect_out "argc=4"
expect_out "argv[0]=$PROBE"
expect_out "argv[1]=args"
expect_out "argv[2]=x"
expect_out "argv[3]=y z"

run "probe argv after --" wasm -- "$PROBE" args --env
expect_status 0
expect_out "argv[2]=--env"

run "probe environ empty" wasm "$PROBE" env HOME
expect_status 0
expect_out "HOME unset"

run "probe --env" wasm --env FOO=bar --env=BAZ=q=1 "$PROBE" env FOO
expect_status 0
expect_out "FOO=bar"

run "probe --env=" wasm --env FOO=bar --env=BAZ=q=1 "$PROBE" env BAZ
expect_status 0
expect_out "BAZ=q=1"

run "probe stderr" wasm "$PROBE" stderr "to stderr"
expect_status 0
expect_out "stdout line"
expect_err "to stderr"
expect_err_lines 1

run "probe clock" wasm "$PROBE" clock
expect_status 0
expect_out "clock ok"

run "probe random" wasm "$PROBE" random
expect_status 0
expect_out "random ok"

run "probe no file system" wasm "$PROBE" fopen
expect_status 0
expect_out "fopen failed"

printf 'a\nbc\n' >"$TMP/input.txt"
run "probe stdin" --stdin "$TMP/input.txt" wasm "$PROBE" stdin
expect_status 0
expect_out "stdin bytes=5 lines=2"

run "probe errno" wasm "$PROBE" errno
expect_status 0
expect_out_lines 13
expect_out "fd_write(bad iovs)=21"
expect_out "fd_write(bad buf)=21"
expect_out "fd_write(bad nwritten)=21"
expect_out "fd_write(fd 7)=8"
expect_out "fd_seek(fd 1)=70"
expect_out "fd_seek(fd 9)=8"
expect_out "fd_prestat_get(fd 3)=8"
expect_out "path_open(fd 3)=8"
expect_out "path_open(fd 1)=52"
expect_out "clock_time_get(99)=28"
expect_out "clock_time_get(bad ptr)=21"
expect_out "random_get(bad buf)=21"
expect_out "poll_oneoff=52"

run "probe exit 7" wasm "$PROBE" exit 7
expect_status 7
expect_out_lines 0
expect_err_lines 0

run "probe exit 0" wasm "$PROBE" exit 0
expect_status 0

run "probe exit 300" wasm "$PROBE" exit 300
expect_status 44

run "probe div0" wasm "$PROBE" div0 5
expect_status 134
expect_one_error_line "nexus: trap: "
expect_err_has "integer divide by zero"

# ---------------------------------------------------------------- load errors and usage

printf 'junk' >"$TMP/junk.wasm"
run "malformed module" wasm "$TMP/junk.wasm"
expect_status 1
expect_one_error_line "nexus: $TMP/junk.wasm: "

head -c 40 "$HELLO" >"$TMP/truncated.wasm"
run "truncated module" wasm "$TMP/truncated.wasm"
expect_status 1
expect_one_error_line "nexus: $TMP/truncated.wasm: "

: >"$TMP/empty.wasm"
run "empty module file" wasm "$TMP/empty.wasm"
expect_status 1
expect_one_error_line "nexus: $TMP/empty.wasm: "

run "missing module file" wasm "$TMP/nope.wasm"
expect_status 1
expect_one_error_line "nexus: $TMP/nope.wasm: cannot read: No such file or directory"

run "wasm without module" wasm
expect_status 2
expect_err "nexus wasm: missing MODULE.wasm"

run "wasm unknown option" wasm --bogus "$PROBE"
expect_status 2
expect_err "nexus wasm: unknown option '--bogus'"

run "wasm bad --env" wasm --env NOEQUALS "$PROBE"
expect_status 2
expect_err "nexus wasm: --env expects KEY=VALUE, got 'NOEQUALS'"

run "wasm --invoke without value" wasm --invoke
expect_status 2
expect_err "nexus wasm: option --invoke needs a value"

run "wasm --help" wasm --help
expect_status 0
if grep -q -- '--invoke NAME' "$OUT"; then pass; else fail "wasm --help does not show --invoke"; fi
for option in --timeout-ms --memory-limit-mb --stack-limit-kb --fuel --print-fuel; do
    if grep -q -- "^  $option " "$OUT"; then pass; else fail "wasm --help does not show $option"; fi
done
if grep -q '^    124 ' "$OUT"; then pass; else fail "wasm --help does not show exit status 124"; fi

# ---------------------------------------------------------------- limit options: bad values

# expect_bad_value OPTION VALUE RULE: `--OPTION=VALUE` is a usage error naming the rule.
expect_bad_value() {
    run "bad value $1=$2" wasm "$1=$2" "$PROBE"
    expect_status 2
    expect_err "nexus wasm: $1 expects $3, got '$2'"
    expect_out_lines 0
}
TIMEOUT_RULE="a whole number of milliseconds from 1 to 2147483647"
MEMORY_RULE="a whole number of MiB from 1 to 4096"
STACK_RULE="a whole number of KiB from 16 to 1048576"
FUEL_RULE="a whole number from 1 to 18446744073709551615"
for value in abc "" 0 -5 +5 12x " 7" 1.5 0x10 2147483648 99999999999999999999999; do
    expect_bad_value --timeout-ms "$value" "$TIMEOUT_RULE"
done
for value in abc "" 0 -1 4x 4097 18446744073709551616; do
    expect_bad_value --memory-limit-mb "$value" "$MEMORY_RULE"
done
for value in abc "" 0 15 -64 64k 1048577; do
    expect_bad_value --stack-limit-kb "$value" "$STACK_RULE"
done
for value in abc "" 0 -100 1e6 100000x 18446744073709551616; do
    expect_bad_value --fuel "$value" "$FUEL_RULE"
done

run "bad value as a separate word" wasm --fuel -3 "$PROBE"
expect_status 2
expect_err "nexus wasm: --fuel expects $FUEL_RULE, got '-3'"

for option in --timeout-ms --memory-limit-mb --stack-limit-kb --fuel; do
    run "$option without value" wasm "$option"
    expect_status 2
    expect_err "nexus wasm: option $option needs a value"
done

run "--print-fuel with a value" wasm --print-fuel=1 "$PROBE"
expect_status 2
expect_err "nexus wasm: --print-fuel takes no value"

run "--disable-simd with a value" wasm --disable-simd=no "$PROBE"
expect_status 2
expect_err "nexus wasm: --disable-simd takes no value"

run "--fuelx is unknown" wasm --fuelx 5 "$PROBE"
expect_status 2
expect_err "nexus wasm: unknown option '--fuelx'"

# ---------------------------------------------------------------- limit options: C programs

run "limits at their bounds, hello" wasm --timeout-ms 2147483647 --memory-limit-mb 4096 \
    --stack-limit-kb 16 --fuel 18446744073709551615 "$HELLO"
expect_status 0
expect_out "FNV-1a over 1e6 bytes: d29f3f05"
expect_err_lines 0

run "generous limits, hello" wasm --timeout-ms 60000 --memory-limit-mb 1 --stack-limit-kb 1048576 \
    "$HELLO"
expect_status 0
expect_out_lines 2

run "--print-fuel, hello" wasm --print-fuel "$HELLO"
expect_status 0
expect_out "FNV-1a over 1e6 bytes: d29f3f05"
expect_err_lines 1
expect_err_number_at_least "fuel:" 1000000
HELLO_FUEL=$(err_number "fuel:")

run "--fuel just enough, hello" wasm --fuel "$((HELLO_FUEL + HELLO_FUEL / 10))" "$HELLO"
expect_status 0
expect_out_lines 2

run "--fuel too little, hello" wasm --fuel "$((HELLO_FUEL / 2))" "$HELLO"
expect_status 126
expect_out "Hello from WebAssembly, run by Nexus."
expect_err_lines 1
expect_err_has "nexus: fuel exhausted (limit $((HELLO_FUEL / 2))) in function "

run "--print-fuel after proc_exit" wasm --print-fuel "$PROBE" exit 7
expect_status 7
expect_err_lines 1
expect_err_number_at_least "fuel:" 1

run "--print-fuel after a trap" wasm --print-fuel "$PROBE" div0 5
expect_status 134
expect_err_lines 2
expect_err_has "integer divide by zero"
expect_err_number_at_least "fuel:" 1

run "--print-fuel, unloadable module" wasm --print-fuel "$TMP/nope.wasm"
expect_status 1
expect_one_error_line "nexus: $TMP/nope.wasm: cannot read"

MEMORY_LIMIT_4="nexus: memory limit of 4 MiB reached (--memory-limit-mb): memory.grow was refused"
run "malloc loop under --memory-limit-mb 4" wasm --memory-limit-mb 4 "$PROBE" oom 64
expect_status 125
expect_err_lines 2
expect_err_has "malloc failed after "
expect_err "$MEMORY_LIMIT_4, then the module exited with status 1"

# refused while memory is still 100s of KiB below the limit: a 1000 KiB block does not fit
run "large mallocs under --memory-limit-mb 4" wasm --memory-limit-mb 4 "$PROBE" oom 1000
expect_status 125
expect_err_has "nexus: memory limit of 4 MiB reached"

run "malloc loop under --memory-limit-mb 16" wasm --memory-limit-mb 16 "$PROBE" oom 256
expect_status 125
expect_err_has "nexus: memory limit of 16 MiB reached"
if [[ $(sed -n 's/^malloc failed after \([0-9]*\) KiB$/\1/p' "$ERR") -gt 8192 ]]; then pass
else fail "16 MiB should allow more than 8 MiB of mallocs"; fi

run "exit status unchanged when no grow was refused" wasm --memory-limit-mb 4 "$PROBE" exit 3
expect_status 3
expect_err_lines 0

# ---------------------------------------------------------------- WAT modules

if ! command -v wat2wasm >/dev/null 2>&1; then
    echo "note: wat2wasm (wabt) not found: skipping the --invoke and WAT module tests" >&2
else
    wat() { # wat NAME: compiles $TMP/NAME.wat (from stdin) to $TMP/NAME.wasm, with names
        cat >"$TMP/$1.wat"
        wat2wasm --debug-names "$TMP/$1.wat" -o "$TMP/$1.wasm"
    }

    wat calc <<'EOF'
(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "mul64") (param i64 i64) (result i64) local.get 0 local.get 1 i64.mul)
  (func (export "addf32") (param f32 f32) (result f32) local.get 0 local.get 1 f32.add)
  (func (export "third") (param f64) (result f64) local.get 0 f64.const 3 f64.div)
  (func (export "id_f64") (param f64) (result f64) local.get 0)
  (func (export "swap") (param i32 i64) (result i64 i32) local.get 1 local.get 0)
  (func (export "nothing"))
  (func (export "is_null") (param externref) (result i32) local.get 0 ref.is_null)
  (func (export "null_func") (result funcref) ref.null func)
  (func (export "crash") unreachable))
EOF
    CALC=$TMP/calc.wasm

    run "invoke add" wasm --invoke add "$CALC" 2 3
    expect_status 0
    expect_out "5"
    expect_out_lines 1

    run "invoke add hex/negative" wasm --invoke add "$CALC" -1 0x10
    expect_status 0
    expect_out "15"

    run "invoke add wraps" wasm --invoke=add "$CALC" 0xffffffff 1
    expect_status 0
    expect_out "0"

    run "invoke add signed result" wasm --invoke add "$CALC" 2147483647 1
    expect_status 0
    expect_out "-2147483648"

    run "invoke mul64" wasm --invoke mul64 "$CALC" -3 7
    expect_status 0
    expect_out "-21"

    run "invoke mul64 large" wasm --invoke mul64 "$CALC" 0x100000000 3
    expect_status 0
    expect_out "12884901888"

    run "invoke addf32" wasm --invoke addf32 "$CALC" 1.5 2.25
    expect_status 0
    expect_out "3.75"

    run "invoke third" wasm --invoke third "$CALC" 1
    expect_status 0
    expect_out "0.33333333333333331"

    run "invoke id_f64 inf" wasm --invoke id_f64 "$CALC" -inf
    expect_status 0
    expect_out "-inf"

    run "invoke id_f64 nan" wasm --invoke id_f64 "$CALC" nan
    expect_status 0
    expect_out "nan"

    run "invoke swap" wasm --invoke swap "$CALC" 1 2
    expect_status 0
    if [[ $(tr '\n' ' ' <"$OUT") == "2 1 " ]]; then pass; else fail "swap should print 2 then 1"; fi

    run "invoke nothing" wasm --invoke nothing "$CALC"
    expect_status 0
    expect_out_lines 0
    expect_err_lines 0

    run "invoke is_null" wasm --invoke is_null "$CALC" null
    expect_status 0
    expect_out "1"

    run "invoke null_func" wasm --invoke null_func "$CALC"
    expect_status 0
    expect_out "null"

    run "invoke div trap" wasm --invoke div "$CALC" 1 0
    expect_status 134
    expect_one_error_line "nexus: trap: "
    expect_err_has "integer divide by zero"

    run "invoke unreachable" wasm --invoke crash "$CALC"
    expect_status 134
    expect_one_error_line "nexus: trap: "
    expect_err_has "unreachable"

    run "invoke wrong arg count" wasm --invoke add "$CALC" 1
    expect_status 2
    expect_err "nexus: add expects 2 arguments, got 1"

    run "invoke bad arg" wasm --invoke add "$CALC" 1 x
    expect_status 2
    expect_err "nexus: add: argument 2 'x' is not a valid i32"

    run "invoke i32 out of range" wasm --invoke add "$CALC" 0x100000000 1
    expect_status 2
    expect_err "nexus: add: argument 1 '0x100000000' is not a valid i32"

    run "invoke bad float" wasm --invoke third "$CALC" 1.5x
    expect_status 2
    expect_err "nexus: third: argument 1 '1.5x' is not a valid f64"

    run "invoke unknown export" wasm --invoke nope "$CALC"
    expect_status 2
    expect_err "nexus: $CALC: no exported function 'nope'"

    run "no _start" wasm "$CALC"
    expect_status 1
    expect_one_error_line "nexus: $CALC: no exported function \`_start\`"

    # ------------------------------------------------------------ v128 and features

    wat vec <<'EOF'
(module
  (memory 1)
  (func (export "add") (param v128 v128) (result v128) local.get 0 local.get 1 i32x4.add)
  (func (export "sq") (param v128) (result v128) local.get 0 local.get 0 f64x2.mul)
  (func (export "mask") (param v128) (result i32 v128) local.get 0 i8x16.bitmask local.get 0)
  (func (export "fill") (memory.fill (i32.const 0) (i32.const 0) (i32.const 1))))
EOF
    VEC=$TMP/vec.wasm

    run "invoke v128 i32x4" wasm --invoke add "$VEC" i32x4:1,2,3,-4 i32x4:0x10,20,30,4
    expect_status 0
    expect_out "i32x4:0x00000011,0x00000016,0x00000021,0x00000000"

    run "invoke v128 f64x2" wasm --invoke sq "$VEC" f64x2:1.5,-inf
    expect_status 0
    expect_out "i32x4:0x00000000,0x40020000,0x00000000,0x7ff00000"

    run "invoke v128 i8x16 and two results" wasm --invoke mask "$VEC" i8x16:-1,0,255,-128,0,0,0,0,0,0,0,0,0,0,0,1
    expect_status 0
    expect_out "13"
    expect_out "i32x4:0x80ff00ff,0x00000000,0x00000000,0x01000000"

    for bad in i8x16:256,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0 i16x8:1,2 i32x4:1,2,3,4,5 x:1 1; do
        run "invoke bad v128 $bad" wasm --invoke sq "$VEC" "$bad"
        expect_status 2
        expect_err "nexus: sq: argument 1 '$bad' is not a valid v128"
    done

    run "--disable-simd rejects v128" wasm --disable-simd --invoke fill "$VEC"
    expect_status 1
    expect_one_error_line "nexus: $VEC: SIMD is disabled (feature simd): function type 0 uses v128"

    wat bulk <<'EOF'
(module (memory 1) (func (export "_start") (memory.fill (i32.const 0) (i32.const 0) (i32.const 1))))
EOF
    run "--disable-bulk-memory rejects memory.fill" wasm --disable-bulk-memory "$TMP/bulk.wasm"
    expect_status 1
    expect_one_error_line "nexus: $TMP/bulk.wasm: bulk memory is disabled (feature bulk_memory): memory.fill in function 0 at offset "

    run "--disable-simd accepts a module without SIMD" wasm --disable-simd "$TMP/bulk.wasm"
    expect_status 0
    expect_err_lines 0

    wat raw_wasi <<'EOF'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hi from wat\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 12))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.const 5)))
  (func (export "bye") (param i32) (call $proc_exit (local.get 0))))
EOF
    run "raw WASI _start" wasm "$TMP/raw_wasi.wasm"
    expect_status 5
    expect_out "hi from wat"
    expect_out_lines 1
    expect_err_lines 0

    run "invoke proc_exit" wasm --invoke bye "$TMP/raw_wasi.wasm" 3
    expect_status 3
    expect_out_lines 0

    wat start_exit <<'EOF'
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func $init (call $proc_exit (i32.const 9)))
  (start $init))
EOF
    run "proc_exit in start function" wasm "$TMP/start_exit.wasm"
    expect_status 9

    wat start_trap <<'EOF'
(module (func $init unreachable) (start $init) (func (export "_start")))
EOF
    run "trap in start function" wasm "$TMP/start_trap.wasm"
    expect_status 134
    expect_one_error_line "nexus: trap: "

    wat unknown_import <<'EOF'
(module (import "env" "nope" (func)) (func (export "_start")))
EOF
    run "unlinkable: unknown import" wasm "$TMP/unknown_import.wasm"
    expect_status 1
    expect_one_error_line "nexus: $TMP/unknown_import.wasm: "

    wat wrong_wasi_sig <<'EOF'
(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32)))
        (func (export "_start")))
EOF
    run "unlinkable: wrong WASI signature" wasm "$TMP/wrong_wasi_sig.wasm"
    expect_status 1
    expect_one_error_line "nexus: $TMP/wrong_wasi_sig.wasm: "

    # ------------------------------------------------------------ --timeout-ms

    wat spin <<'EOF'
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $sched_yield (result i32)))
  (func $spin (loop $forever (br $forever)))
  (func $yield_forever (loop $forever (drop (call $sched_yield)) (br $forever)))
  (func (export "_start") (call $spin))
  (func (export "yielding") (call $yield_forever))
  (func (export "quick") (result i32) (i32.const 42)))
EOF
    SPIN=$TMP/spin.wasm

    run "infinite loop under --timeout-ms 200" wasm --timeout-ms 200 "$SPIN"
    expect_status 124
    expect_one_error_line "nexus: timeout: execution timed out after 200 ms in function 2 <spin>"
    expect_faster_than 2000
    if [[ $elapsed_ms -ge 200 ]]; then pass; else fail "stopped after $elapsed_ms ms, before 200 ms"; fi

    run "infinite loop of host calls under --timeout-ms" wasm --timeout-ms=150 --invoke yielding "$SPIN"
    expect_status 124
    expect_one_error_line "nexus: timeout: execution timed out after 150 ms in function 3 <yield_forever>"
    expect_faster_than 2000

    run "--timeout-ms not reached" wasm --timeout-ms 5000 --invoke quick "$SPIN"
    expect_status 0
    expect_out "42"
    expect_err_lines 0

    wat start_spin <<'EOF'
(module (func $spin_at_start (loop $forever (br $forever))) (start $spin_at_start)
        (func (export "_start")))
EOF
    run "--timeout-ms covers the start function" wasm --timeout-ms 200 "$TMP/start_spin.wasm"
    expect_status 124
    expect_one_error_line "nexus: timeout: execution timed out after 200 ms in function 0 <spin_at_start>"
    expect_faster_than 2000

    # ------------------------------------------------------------ --fuel and --print-fuel

    run "infinite loop under --fuel 100000" wasm --fuel 100000 "$SPIN"
    expect_status 126
    expect_one_error_line "nexus: fuel exhausted (limit 100000) in function 2 <spin>"
    expect_faster_than 2000

    run "--fuel with --print-fuel" wasm --fuel 100000 --print-fuel "$SPIN"
    expect_status 126
    expect_err_lines 2
    expect_err "nexus: fuel exhausted (limit 100000) in function 2 <spin>"
    expect_err_number_at_least "fuel:" 100000
    expect_err_number_below "fuel:" 101000

    run "--fuel in the start function" wasm --fuel 1000 "$TMP/start_spin.wasm"
    expect_status 126
    expect_one_error_line "nexus: fuel exhausted (limit 1000) in function 0 <spin_at_start>"

    # $burn(20000) costs the same in the start function and in _start
    wat burn <<'EOF'
(module
  (func $burn (param i32)
    (loop $again (br_if $again (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))
  (func $init (call $burn (i32.const 20000)))
  (start $init)
  (func (export "_start") (call $burn (i32.const 20000))))
EOF
    run "--print-fuel counts the start function and _start" wasm --print-fuel "$TMP/burn.wasm"
    expect_status 0
    expect_err_lines 1
    expect_err_number_at_least "fuel:" 2
    BURN_FUEL=$(err_number "fuel:")

    run "--fuel is one budget for the whole run" wasm --fuel "$((BURN_FUEL * 3 / 4))" "$TMP/burn.wasm"
    expect_status 126
    expect_one_error_line "nexus: fuel exhausted (limit $((BURN_FUEL * 3 / 4))) in function 0 <burn>"

    run "--fuel enough for the whole run" wasm --fuel "$((BURN_FUEL + 100))" "$TMP/burn.wasm"
    expect_status 0
    expect_err_lines 0

    run "--print-fuel with --invoke" wasm --print-fuel --invoke quick "$SPIN"
    expect_status 0
    expect_out "42"
    expect_err_lines 1
    expect_err_number_at_least "fuel:" 0

    # ------------------------------------------------------------ --stack-limit-kb

    wat recurse <<'EOF'
(module
  (func $recurse (call $recurse))
  (func $depth (export "depth") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (call $depth (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
  (func (export "_start") (call $recurse)))
EOF
    RECURSE=$TMP/recurse.wasm

    for kb in 16 64 8192; do
        run "unbounded recursion under --stack-limit-kb $kb" wasm --stack-limit-kb "$kb" "$RECURSE"
        expect_status 134
        expect_one_error_line "nexus: trap: call stack exhausted in function 0 <recurse>"
        expect_faster_than 5000
    done

    run "recursion 500 deep fits 64 KiB" wasm --stack-limit-kb 64 --invoke depth "$RECURSE" 500
    expect_status 0
    expect_out "500"

    run "recursion 5000 deep exceeds 64 KiB" wasm --stack-limit-kb 64 --invoke depth "$RECURSE" 5000
    expect_status 134
    expect_one_error_line "nexus: trap: call stack exhausted in function 1 <depth>"

    run "recursion 5000 deep fits the default 1 MiB" wasm --invoke depth "$RECURSE" 5000
    expect_status 0
    expect_out "5000"

    run "recursion 50000 deep exceeds the default 1 MiB" wasm --invoke depth "$RECURSE" 50000
    expect_status 134
    expect_err_has "call stack exhausted"

    run "recursion 50000 deep fits 8 MiB" wasm --stack-limit-kb 8192 --invoke depth "$RECURSE" 50000
    expect_status 0
    expect_out "50000"

    # ------------------------------------------------------------ --memory-limit-mb

    wat grow <<'EOF'
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory 1)
  (func $grow_all (result i32)
    (loop $again (br_if $again (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    (memory.size))
  (func $grow_then_trap (drop (call $grow_all)) unreachable)
  (func (export "_start") (call $grow_then_trap))
  (func (export "pages") (result i32) (call $grow_all))
  (func (export "grow_exit") (param i32) (drop (call $grow_all)) (call $proc_exit (local.get 0))))
EOF
    GROW=$TMP/grow.wasm

    run "memory.grow loop then trap under --memory-limit-mb 4" wasm --memory-limit-mb 4 "$GROW"
    expect_status 125
    expect_one_error_line \
        "$MEMORY_LIMIT_4, then the module trapped: unreachable in function 2 <grow_then_trap>"

    run "memory.grow loop stops at the limit" wasm --memory-limit-mb 4 --invoke pages "$GROW"
    expect_status 0
    expect_out "64"
    expect_err_lines 0

    run "memory.grow loop then exit 3" wasm --memory-limit-mb 4 --invoke grow_exit "$GROW" 3
    expect_status 125
    expect_one_error_line "$MEMORY_LIMIT_4, then the module exited with status 3"

    run "memory.grow loop then exit 0" wasm --memory-limit-mb 4 --invoke grow_exit "$GROW" 0
    expect_status 0
    expect_err_lines 0

    wat own_max <<'EOF'
(module
  (memory 1 2)
  (func (export "_start")
    (if (i32.eq (memory.grow (i32.const 2)) (i32.const -1)) (then unreachable))))
EOF
    run "grow refused by the module's own maximum" wasm --memory-limit-mb 4 "$TMP/own_max.wasm"
    expect_status 134
    expect_one_error_line "nexus: trap: unreachable in function 0"

    wat initial_17_pages <<'EOF'
(module (memory 17) (func (export "_start")))
EOF
    wat initial_16_pages <<'EOF'
(module (memory 16) (func (export "_start")))
EOF
    run "initial memory above --memory-limit-mb 1" wasm --memory-limit-mb 1 "$TMP/initial_17_pages.wasm"
    expect_status 125
    expect_one_error_line "nexus: $TMP/initial_17_pages.wasm: memory limit exceeded: "
    expect_err_has "(--memory-limit-mb 1)"

    run "initial memory at --memory-limit-mb 1" wasm --memory-limit-mb 1 "$TMP/initial_16_pages.wasm"
    expect_status 0
    expect_err_lines 0

    run "initial memory without a limit" wasm "$TMP/initial_17_pages.wasm"
    expect_status 0
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
