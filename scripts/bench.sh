#!/usr/bin/env bash
# Benchmark the Nexus WebAssembly engine against native code.
#
# usage: scripts/bench.sh [NEXUS_BIN]
#
# Builds every bench/NAME.c natively and for wasm32-wasi, runs each build
# BENCH_RUNS times (native directly, wasm through `NEXUS_BIN wasm`), takes
# the median wall time of each, checks that the wasm output is identical to
# the native output, and prints a table plus the geometric-mean slowdown.
# A source line "bench-variant: VARIANT FLAGS..." adds a row NAME+VARIANT: the
# same program built for wasm with FLAGS added (e.g. -msimd128), compared with
# the same native run.
#
#   NEXUS_BIN      engine binary (default: build/nexus in the repo root;
#                  a relative path given on the command line is taken
#                  relative to the current directory)
#   BENCH_OUT      build directory (default: build/bench, relative to the
#                  repo root)
#   BENCH_RUNS     runs per workload and engine (default: 3)
#   BENCH_ONLY     comma-separated workload names to run (default: all)
#   BENCH_SCALE    work multiplier passed as argv[1] to every workload
#                  (default: none, i.e. each workload's own default size)
#   BENCH_TIMEOUT  seconds before one run is killed and counted as a
#                  failure (default: 600; needs coreutils `timeout`)
#   BENCH_CC       compiler (default: clang-19)
#   BENCH_CONTROL  0 skips the execution-control benchmark (control_bench: reset
#                  and instantiation from a snapshot, deadline precision) that
#                  otherwise follows the table
#
# Exit status: 0 if every workload built, ran and matched; 1 otherwise.
set -u

orig_pwd=$PWD
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$script_dir/.." && pwd)

nexus=${1:-build/nexus}
if [[ $# -ge 1 && $nexus != /* ]]; then
  nexus=$orig_pwd/$nexus
fi
cd "$root" || exit 1

if [[ ! -x $nexus || -d $nexus ]]; then
  echo "bench: engine binary '$nexus' not found or not executable." >&2
  echo "bench: build it first (from $root):" >&2
  echo "    cmake -S . -B build && cmake --build build" >&2
  exit 1
fi

out=${BENCH_OUT:-build/bench}
runs=${BENCH_RUNS:-3}
cc=${BENCH_CC:-clang-19}
scale=${BENCH_SCALE:-}
limit=${BENCH_TIMEOUT:-600}
if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
  echo "bench: BENCH_RUNS must be a positive integer (got '$runs')" >&2
  exit 1
fi
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "bench: compiler '$cc' not found (set BENCH_CC)" >&2
  exit 1
fi
mkdir -p "$out" || exit 1

# Workload list: every bench/*.c, optionally filtered by BENCH_ONLY.
names=()
for src in bench/*.c; do
  [[ -e $src ]] || continue
  names+=("$(basename "$src" .c)")
done
if [[ -n ${BENCH_ONLY:-} ]]; then
  selected=()
  IFS=',' read -r -a wanted <<<"$BENCH_ONLY"
  for w in "${wanted[@]}"; do
    [[ -z $w ]] && continue
    if [[ -f bench/$w.c ]]; then
      selected+=("$w")
    else
      echo "bench: no workload named '$w' (no bench/$w.c)" >&2
      exit 1
    fi
  done
  names=("${selected[@]}")
fi
if [[ ${#names[@]} -eq 0 ]]; then
  echo "bench: no workloads selected" >&2
  exit 1
fi

timeout_cmd=()
if command -v timeout >/dev/null 2>&1; then
  timeout_cmd=(timeout "$limit")
fi
bench_args=()
[[ -n $scale ]] && bench_args=("$scale")

# run_timed OUTFILE CMD... : runs CMD with stdout to OUTFILE, stderr to
# OUTFILE.err; sets `elapsed_ns` and returns CMD's exit status.
elapsed_ns=0
run_timed() {
  local outfile=$1
  shift
  local t0 t1 rc
  t0=$(date +%s%N)
  "${timeout_cmd[@]}" "$@" >"$outfile" 2>"$outfile.err"
  rc=$?
  t1=$(date +%s%N)
  elapsed_ns=$((t1 - t0))
  return $rc
}

# median of integers given as arguments (mean of the middle two if even)
median() {
  local sorted n
  mapfile -t sorted < <(printf '%s\n' "$@" | sort -n)
  n=${#sorted[@]}
  if ((n % 2)); then
    echo "${sorted[n / 2]}"
  else
    echo $(((sorted[n / 2 - 1] + sorted[n / 2]) / 2))
  fi
}

# nanoseconds -> seconds with 3 decimals, in integer arithmetic
fmt_s() {
  local ms=$((($1 + 500000) / 1000000))
  printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

# Rows: each workload, then its variants ("NAME+VARIANT|FLAGS").
rows_todo=()
for name in "${names[@]}"; do
  rows_todo+=("$name|")
  while read -r variant flags; do
    [[ -n $variant ]] && rows_todo+=("$name+$variant|$flags")
  done < <(sed -n 's/.*bench-variant:[[:space:]]*//p' "bench/$name.c")
done

rows=()
ratios=()
failed=0
native_name=""
for todo in "${rows_todo[@]}"; do
  row=${todo%%|*}
  wasm_flags=${todo#*|}
  name=${row%%+*}
  src=bench/$name.c
  native=$out/$name.native
  wasm=$out/$row.wasm
  echo "bench: $row: building" >&2
  # a variant reuses its workload's native build and runs (native_name says whose)
  if [[ $native_name != "$name" ]]; then
    native_name=""
    if ! "$cc" -std=c17 -O2 -o "$native" "$src" -lm; then
      rows+=("$row|-|-|FAIL (native build)")
      failed=1
      continue
    fi
  fi
  # shellcheck disable=SC2086 # FLAGS are words
  if ! "$cc" --target=wasm32-wasi -std=c17 -O2 $wasm_flags -o "$wasm" "$src"; then
    rows+=("$row|-|-|FAIL (wasm build)")
    failed=1
    continue
  fi

  status=ok
  if [[ $native_name == "$name" ]]; then
    runs_native=0 # already measured: native_times and expected are kept
  else
    runs_native=$runs
    expected=""
    native_times=()
  fi
  for ((i = 0; i < runs_native; i++)); do
    echo "bench: $name: native run $((i + 1))/$runs" >&2
    if ! run_timed "$out/$name.native.out" "$native" "${bench_args[@]}"; then
      status="FAIL (native run)"
      cat "$out/$name.native.out.err" >&2
      break
    fi
    native_times+=("$elapsed_ns")
    got=$(<"$out/$name.native.out")
    if [[ $i -eq 0 ]]; then
      expected=$got
    elif [[ $got != "$expected" ]]; then
      status="FAIL (native nondeterministic)"
      break
    fi
  done
  [[ $status == ok ]] && native_name=$name

  nexus_times=()
  if [[ $status == ok ]]; then
    for ((i = 0; i < runs; i++)); do
      echo "bench: $row: nexus run $((i + 1))/$runs" >&2
      run_timed "$out/$row.nexus.out" "$nexus" wasm "$wasm" "${bench_args[@]}"
      rc=$?
      if [[ $rc -ne 0 ]]; then
        if [[ $rc -eq 124 && ${#timeout_cmd[@]} -gt 0 ]]; then
          status="FAIL (timeout after ${limit}s)"
        else
          status="FAIL (exit $rc)"
        fi
        head -n 20 "$out/$row.nexus.out.err" >&2
        break
      fi
      nexus_times+=("$elapsed_ns")
      got=$(<"$out/$row.nexus.out")
      if [[ $got != "$expected" ]]; then
        status="FAIL (checksum)"
        {
          echo "bench: $row: output mismatch"
          echo "  native: $expected"
          echo "  nexus:  $got"
        } >&2
        break
      fi
    done
  fi

  nat_s=-
  nex_s=-
  if [[ ${#native_times[@]} -eq $runs ]]; then
    nat_ns=$(median "${native_times[@]}")
    nat_s=$(fmt_s "$nat_ns")
  fi
  if [[ ${#nexus_times[@]} -eq $runs ]]; then
    nex_ns=$(median "${nexus_times[@]}")
    nex_s=$(fmt_s "$nex_ns")
  fi
  if [[ $status == ok ]]; then
    ratio=$(awk -v a="$nex_ns" -v b="$nat_ns" 'BEGIN { printf "%.3f", a / (b > 0 ? b : 1) }')
    ratios+=("$(awk -v a="$nex_ns" -v b="$nat_ns" 'BEGIN { printf "%.9g", (a > 0 ? a : 1) / (b > 0 ? b : 1) }')")
    rows+=("$row|$nat_s|$nex_s|$ratio")
  else
    failed=1
    rows+=("$row|$nat_s|$nex_s|$status")
  fi
done

printf '%-14s %10s %10s  %s\n' workload native_s nexus_s ratio
for row in "${rows[@]}"; do
  IFS='|' read -r n a b r <<<"$row"
  printf '%-14s %10s %10s  %s\n' "$n" "$a" "$b" "$r"
done
if [[ ${#ratios[@]} -gt 0 ]]; then
  printf '%s\n' "${ratios[@]}" |
    awk '{ s += log($1); n++ } END { printf "geomean ratio: %.2f", exp(s / n) }'
  if [[ $failed -ne 0 ]]; then
    echo " (over ${#ratios[@]} of ${#rows[@]} workloads; failures excluded)"
  else
    echo
  fi
else
  echo "geomean ratio: n/a"
fi

# Execution control (reset, instantiation from a snapshot, deadline precision): built
# by CMake next to the engine binary. BENCH_CONTROL=0 skips it.
control_bin=$(dirname "$nexus")/control_bench
if [[ ${BENCH_CONTROL:-1} != 0 && -x $control_bin && -f $(dirname "$nexus")/control_bench.wasm ]]; then
  echo
  "$control_bin" "$(dirname "$nexus")/control_bench.wasm" || failed=1
fi
exit $failed
