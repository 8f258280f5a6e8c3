#!/bin/sh
# Runs every fuzz target (tests/fuzz) under libFuzzer with ASan + UBSan and prints a table:
# executions, time, rate, findings and corpus size per target.
#
#   bench/fuzz.sh [SECONDS] [RUNS]   each target for SECONDS (default 60) or until RUNS
#                                    executions (default: no limit), whichever comes first
#   FUZZ_TARGETS="condition xmlrpc" bench/fuzz.sh 600    only those targets
#   FUZZ_BUILD=build-fuzz2 bench/fuzz.sh                  another build folder (default
#                                                         build-fuzz; the paths below move)
#   FUZZ_ARGS="-max_len=512" bench/fuzz.sh 600            more libFuzzer flags (here: inputs
#                                                         of at most 512 bytes)
#
# Builds in build-fuzz/ with clang (CXX=clang++). A target's new inputs go to
# build-fuzz/fuzz-corpus/<name>/ (the seeds in tests/fuzz/corpus/<name>/ are only read); a
# finding (a crash, a sanitizer report, a failed property, a unit running over 10 s) is
# written to build-fuzz/fuzz-findings/<name>/ — add it to the seed corpus as
# finding-<what> once fixed, so ctest replays it from then on.
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-60}
runs=${2:--1}
build=${FUZZ_BUILD:-build-fuzz}
jobs=$(nproc)

CC=clang CXX=clang++ cmake -S . -B "$build" -DTORQUE_FUZZ=ON -DTORQUE_SANITIZE=address,undefined \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=${FUZZ_TARGETS:-$(sed -n '/^set(TORQUE_FUZZ_TARGETS/,/)/p' tests/fuzz/CMakeLists.txt |
  sed 's/^set(TORQUE_FUZZ_TARGETS//' | tr -d '()' | tr -s ' \n' ' ')}
make_targets=""
for t in $targets; do make_targets="$make_targets fuzz_$t"; done
# shellcheck disable=SC2086
cmake --build "$build" -j"$jobs" --target $make_targets >/dev/null

printf '%-12s %12s %8s %10s %9s %8s\n' target executions seconds exec/s findings corpus
total_findings=0
for t in $targets; do
  corpus="$build/fuzz-corpus/$t"
  findings="$build/fuzz-findings/$t"
  mkdir -p "$corpus" "$findings"
  log="$build/fuzz-$t.log"
  start=$(date +%s.%N)
  # A unit that runs over 10 s is a finding too (a hang, exponential backtracking).
  # shellcheck disable=SC2086
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -runs="$runs" -print_final_stats=1 \
    -timeout=10 ${FUZZ_ARGS:-} \
    -artifact_prefix="$findings/" -close_fd_mask=3 "$corpus" "tests/fuzz/corpus/$t" \
    >"$log" 2>&1 || true
  end=$(date +%s.%N)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  found=$(find "$findings" -type f | wc -l)
  total_findings=$((total_findings + found))
  size=$(find "$corpus" -type f | wc -l)
  awk -v t="$t" -v n="${execs:-0}" -v a="$start" -v b="$end" -v f="$found" -v c="$size" \
    'BEGIN { s = b - a; printf "%-12s %12d %8.0f %10.0f %9d %8d\n", t, n, s, (s > 0 ? n / s : 0), f, c }'
done
echo "findings: $total_findings (inputs in $build/fuzz-findings/, logs in $build/fuzz-*.log)"
[ "$total_findings" -eq 0 ]
