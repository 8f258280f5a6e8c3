#!/usr/bin/env bash
# bench/run.sh [--quick] [--keep] [--fsync-delay-us N] [BUILD_DIR]
#
# Runs the torque benchmark against torqued, beanstalkd, redis-server and raw SQLite on this
# machine and prints one table (see bench/README.md). Builds nothing: BUILD_DIR (default
# ./build) must hold server/torqued, client/torque-cli and bench/torque_bench.
#   --quick   shorter runs and 100 000 instead of 1 000 000 queued jobs (about 20 s instead
#             of about 75 s on a 2-core machine)
#   --keep    keep the temp directory (databases, logs, raw RESULT lines)
#   --fsync-delay-us N   simulate a slower disk: every fsync/fdatasync of every system
#             takes N microseconds longer (an LD_PRELOAD shim)
# Environment: TORQUE_BENCH_DIR is where the temp directory goes (default /var/tmp; it must
# be on a real disk, a tmpfs makes every fsync free).
# Every process it starts is stopped when it ends, also on failure or Ctrl-C. It talks to
# nothing but 127.0.0.1 and its own UNIX socket.
set -euo pipefail

usage() { sed -n '2,16s/^# \{0,1\}//p' "$0"; }

QUICK=0
KEEP=0
FSYNC_DELAY_US=0
BUILD=./build
while (($# > 0)); do
  case $1 in
    --quick) QUICK=1 ;;
    --keep) KEEP=1 ;;
    --fsync-delay-us) FSYNC_DELAY_US=${2:-}; shift ;;
    --fsync-delay-us=*) FSYNC_DELAY_US=${1#*=} ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; usage >&2; exit 64 ;;
    *) BUILD=$1 ;;
  esac
  shift
done
[[ $FSYNC_DELAY_US =~ ^[0-9]+$ ]] || { echo "run.sh: --fsync-delay-us needs a number of microseconds" >&2; exit 64; }

die() { echo "run.sh: $*" >&2; exit 1; }
say() { echo "[bench] $*" >&2; }

BENCH=$BUILD/bench/torque_bench
STAMP=$BUILD/bench/torque_bench_stamp
TORQUED=$BUILD/server/torqued
CLI=$BUILD/client/torque-cli
for bin in "$BENCH" "$STAMP" "$TORQUED" "$CLI"; do
  [[ -x $bin ]] || die "missing $bin (configure and build first, e.g. cmake -S . -B $BUILD -DCMAKE_BUILD_TYPE=Release && cmake --build $BUILD)"
done
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
# An empty cache entry means the project's default (CMakeLists.txt: RelWithDebInfo).
[[ -f $BUILD/CMakeCache.txt && -z $BUILD_TYPE ]] && BUILD_TYPE=RelWithDebInfo
case $BUILD_TYPE in
  Release | RelWithDebInfo) ;;
  *) say "WARNING: $BUILD is a '${BUILD_TYPE:-unknown}' build; use Release for meaningful figures" ;;
esac
BENCH=$(realpath "$BENCH")
STAMP=$(realpath "$STAMP")
TORQUED=$(realpath "$TORQUED")
CLI=$(realpath "$CLI")
if ((FSYNC_DELAY_US > 0)); then
  SHIM=$BUILD/bench/libtorque_bench_slow_fsync.so
  [[ -f $SHIM ]] || die "missing $SHIM (build the target torque_bench_slow_fsync)"
  # Every process started from here on (daemons, raw SQLite, the disk probe) gets slower syncs.
  export LD_PRELOAD
  LD_PRELOAD=$(realpath "$SHIM")${LD_PRELOAD:+:$LD_PRELOAD}
  export TORQUE_BENCH_FSYNC_DELAY_US=$FSYNC_DELAY_US
fi
BEANSTALKD=$(command -v beanstalkd) || die "beanstalkd not found (apt-get install beanstalkd)"
REDIS_SERVER=$(command -v redis-server) || die "redis-server not found (apt-get install redis-server)"
REDIS_CLI=$(command -v redis-cli || true)

# Rate workloads run ROUNDS times for SECS seconds each, the systems taking turns so that a
# noisy neighbour hurts them alike; the table shows the median.
if ((QUICK)); then
  ROUNDS=1 SECS=1 E2E_JOBS=300 INPROC_JOBS=3000 LAT_SAMPLES=60 CLI_RUNS=30 LOAD_JOBS=100000
else
  ROUNDS=3 SECS=1 E2E_JOBS=2000 INPROC_JOBS=20000 LAT_SAMPLES=300 CLI_RUNS=200 LOAD_JOBS=1000000
fi
LOAD_CONNS=4
LOAD_WINDOW=250

ROOT=$(mktemp -d "${TORQUE_BENCH_DIR:-/var/tmp}/torque-bench.XXXXXX")
RESULTS=$ROOT/results.txt
: >"$RESULTS"
case $(stat -f -c %T "$ROOT") in
  tmpfs | ramfs) say "WARNING: $ROOT is on a $(stat -f -c %T "$ROOT"): fsync costs nothing there" ;;
esac

# ---- process bookkeeping: every pid we start, stopped on exit ------------------------------

PIDS=()
declare -A NAMES=()  # pid -> what it is, for messages

# started NAME PID: remembers a process we started.
started() {
  NAMES[$2]=$1
  PIDS+=("$2")
}

# stop_pid PID: SIGTERM, up to 30 s to exit, then SIGKILL; reaps it.
stop_pid() {
  local pid=$1 i rc=0
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || rc=$?
    say "${NAMES[$pid]:-pid $pid} (pid $pid) had already exited with status $rc$( ((rc > 128)) && echo " (signal $((rc - 128)))")"
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid did not stop after SIGTERM; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  local kept=()
  for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
  PIDS=("${kept[@]+"${kept[@]}"}")
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]+"${PIDS[@]}"}"; do stop_pid "$pid"; done
  if ((rc != 0 && rc != 130 && rc != 143)); then
    say "failed (exit $rc); logs:"
    for log in "$ROOT"/*/torqued.log "$ROOT"/*/stderr.log "$ROOT"/*/redis.log; do
      [[ -s $log ]] && { echo "--- $log" >&2; tail -n 8 "$log" >&2; }
    done
  fi
  if ((KEEP)); then
    say "kept $ROOT"
  else
    rm -rf "$ROOT"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# bench ARGS...: runs torque_bench, appending its RESULT lines to $RESULTS. A failed
# workload is reported and leaves its figures out of the table; the run goes on.
FAILED=0
bench() {
  if ! "$BENCH" "$@" >>"$RESULTS"; then
    say "FAILED: torque_bench $*"
    FAILED=$((FAILED + 1))
  fi
}

# emit WORKLOAD SYSTEM METRIC VALUE
emit() { echo "RESULT $*" >>"$RESULTS"; }

# megabytes PATH...: total size of files/directories in MB.
megabytes() { du -scb "$@" 2>/dev/null | awk 'END { printf "%.1f", $1 / 1048576 }'; }

# ---- the systems -------------------------------------------------------------------------

# start_torqued DIR: torqued on DIR/torqued.sock with the benchmark's job types.
start_torqued() {
  local dir=$1
  mkdir -p "$dir"
  cat >"$dir/torque.ini" <<EOF
[server]
socket = $dir/torqued.sock
database = $dir/torque.db
pid_file = $dir/torqued.pid
log_file = $dir/torqued.log
log_level = warn
shutdown_grace = 5s

# End-to-end: a real process per job.
[job bench_noop]
command = true
concurrent = 4

# End-to-end without a process: the dispatcher alone (handler = noop succeeds at once).
[job bench_inproc]
handler = noop
concurrent = 4

# Pure submissions: paused below, so jobs stay queued and only the submit path is measured.
[job bench_paused]
command = true

# Latency: the job (a static libc-only program) writes its start time to the benchmark's FIFO.
[job bench_stamp]
command = $STAMP $ROOT/stamp.fifo
concurrent = 1
EOF
  "$TORQUED" --config "$dir/torque.ini" --fg >>"$dir/stderr.log" 2>&1 &
  TORQUED_PID=$!
  started torqued "$TORQUED_PID"
  TORQUE_SOCK=$dir/torqued.sock
  "$BENCH" ready --target "torque=$TORQUE_SOCK" --timeout-ms 120000 ||
    die "torqued did not start (see $dir/torqued.log)"
  "$CLI" -s "$TORQUE_SOCK" pause bench_paused >/dev/null
}

# start_beanstalkd DIR FLAGS...: beanstalkd with its binlog in DIR on a free port.
start_beanstalkd() {
  local dir=$1
  shift
  mkdir -p "$dir"
  for _ in 1 2 3; do
    BEANSTALKD_PORT=$("$BENCH" port)
    "$BEANSTALKD" -l 127.0.0.1 -p "$BEANSTALKD_PORT" -b "$dir" "$@" >>"$dir/stderr.log" 2>&1 &
    BEANSTALKD_PID=$!
    started beanstalkd "$BEANSTALKD_PID"
    if "$BENCH" ready --target "beanstalkd=$BEANSTALKD_PORT" --timeout-ms 120000 &&
      kill -0 "$BEANSTALKD_PID" 2>/dev/null; then
      return 0
    fi
    stop_pid "$BEANSTALKD_PID"
  done
  die "beanstalkd did not start (see $dir/stderr.log)"
}

# start_redis DIR FSYNC: redis-server with an append-only file in DIR on a free port.
start_redis() {
  local dir=$1 fsync=$2
  mkdir -p "$dir"
  for _ in 1 2 3; do
    REDIS_PORT=$("$BENCH" port)
    "$REDIS_SERVER" --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$dir" --appendonly yes \
      --appendfsync "$fsync" --save '' --daemonize no --logfile "$dir/redis.log" &
    REDIS_PID=$!
    started redis-server "$REDIS_PID"
    if "$BENCH" ready --target "redis=$REDIS_PORT" --timeout-ms 120000 &&
      kill -0 "$REDIS_PID" 2>/dev/null; then
      return 0
    fi
    stop_pid "$REDIS_PID"
  done
  die "redis-server did not start (see $dir/redis.log)"
}

# pid_of TARGET: the server process of a benchmark target (0 for raw SQLite, in process).
pid_of() {
  case $1 in
    torque=*) echo "$TORQUED_PID" ;;
    beanstalkd=*) echo "$BEANSTALKD_PID" ;;
    redis=*) echo "$REDIS_PID" ;;
    *) echo 0 ;;
  esac
}

# ready_seconds TARGET: seconds until TARGET answers.
ready_seconds() {
  local t0 t1
  t0=$(date +%s.%N)
  "$BENCH" ready --target "$1" --timeout-ms 300000
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

# rss_mb PID FIELD: VmRSS/VmHWM of PID in MB.
rss_mb() { awk -v f="$2:" '$1 == f { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# ---- the run -----------------------------------------------------------------------------

START=$(date +%s)
say "temp dir $ROOT ($(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg))"
bench fsync --dir "$ROOT" --seconds 1

say "starting torqued, beanstalkd (-b -f 0), redis-server (appendfsync always)"
start_torqued "$ROOT/torque1"
start_beanstalkd "$ROOT/beanstalkd1" -f 0
start_redis "$ROOT/redis1" always
T="torque=$TORQUE_SOCK"
B="beanstalkd=$BEANSTALKD_PORT"
R="redis=$REDIS_PORT"

say "submit->start latency ($LAT_SAMPLES samples each)"
bench latency --target "$T" --queue bench_stamp --samples "$LAT_SAMPLES" \
  --fifo "$ROOT/stamp.fifo" --stamp "$STAMP"
bench latency --target "$B" --queue lat --samples "$LAT_SAMPLES"
bench latency --target "$R" --queue lat --samples "$LAT_SAMPLES"

say "end-to-end no-op jobs, 4 workers (up to $E2E_JOBS jobs or ${SECS}s of submitting), and the machine spawning \`true\` from 4 threads"
for ((round = 1; round <= ROUNDS; round++)); do
  bench e2e --target "$T" --queue bench_noop --count "$E2E_JOBS" --seconds "$SECS"
  bench spawn --workload e2e --threads 4 --seconds "$SECS"
  bench e2e --workload e2e_inproc --target "$T" --queue bench_inproc --count "$INPROC_JOBS" --seconds "$SECS"
  bench e2e --workload e2e_inproc --target "$B" --queue e2e --count "$INPROC_JOBS" --seconds "$SECS"
  bench e2e --workload e2e_inproc --target "$R" --queue e2e --count "$INPROC_JOBS" --seconds "$SECS"
done

say "torque-cli / redis-cli wall time ($CLI_RUNS runs each)"
bench cli --cli "$CLI" --socket "$TORQUE_SOCK" --type bench_paused --count "$CLI_RUNS" \
  ${REDIS_CLI:+--redis-cli "$REDIS_CLI" --redis-port "$REDIS_PORT"}

for ((round = 1; round <= ROUNDS; round++)); do
  say "durable submissions, round $round/$ROUNDS: 1 conn serial, 8 conns serial, 1 conn pipelining 100 (${SECS}s each)"
  for tgt in "$T" "$B" "$R" "sqlite=$ROOT/raw-serial.db"; do
    bench submit --workload submit1 --target "$tgt" --queue bench_paused --seconds "$SECS" \
      --io-pid "$(pid_of "$tgt")"
  done
  for tgt in "$T" "$B" "$R"; do
    bench submit --workload submit8 --target "$tgt" --queue bench_paused --conns 8 --seconds "$SECS" \
      --io-pid "$(pid_of "$tgt")"
  done
  for tgt in "$T" "$B" "$R" "sqlite=$ROOT/raw-batch.db"; do
    bench submit --workload pipe100 --target "$tgt" --queue bench_paused --window 100 --seconds "$SECS"
  done
done
stop_pid "$TORQUED_PID"
stop_pid "$BEANSTALKD_PID"
stop_pid "$REDIS_PID"

say "memory with $LOAD_JOBS queued jobs: fresh torqued, beanstalkd (-b -F), redis (appendfsync everysec)"
start_torqued "$ROOT/torque2"
start_beanstalkd "$ROOT/beanstalkd2" -F
start_redis "$ROOT/redis2" everysec
LOAD=(--workload load --queue bench_paused --count "$LOAD_JOBS" --conns "$LOAD_CONNS" --window "$LOAD_WINDOW")
bench submit "${LOAD[@]}" --target "torque=$TORQUE_SOCK" --pid "$TORQUED_PID"
bench submit "${LOAD[@]}" --target "beanstalkd=$BEANSTALKD_PORT" --pid "$BEANSTALKD_PID"
bench submit "${LOAD[@]}" --target "redis=$REDIS_PORT" --pid "$REDIS_PID"
emit load torque disk_mb "$(megabytes "$ROOT"/torque2/torque.db*)"
t0=$(date +%s%N)
"$CLI" -s "$TORQUE_SOCK" stats >/dev/null
t1=$(date +%s%N)
emit stats torque ms "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')"
emit stats torque hwm_mb "$(rss_mb "$TORQUED_PID" VmHWM)"
bench query --workload stats_q --target "torque=$TORQUE_SOCK" --line STATS --count 20
bench query --workload types_q --target "torque=$TORQUE_SOCK" --line TYPES --count 20
emit load beanstalkd disk_mb "$(megabytes "$ROOT"/beanstalkd2/binlog.*)"
emit load redis disk_mb "$(megabytes "$ROOT"/redis2/appendonlydir)"

say "restarts with $LOAD_JOBS queued jobs"
stop_pid "$TORQUED_PID"
"$TORQUED" --config "$ROOT/torque2/torque.ini" --fg >>"$ROOT/torque2/stderr.log" 2>&1 &
TORQUED_PID=$!
started torqued "$TORQUED_PID"
emit restart torque seconds "$(ready_seconds "torque=$TORQUE_SOCK")"
emit restart torque rss_mb "$(rss_mb "$TORQUED_PID" VmRSS)"

stop_pid "$BEANSTALKD_PID"
"$BEANSTALKD" -l 127.0.0.1 -p "$BEANSTALKD_PORT" -b "$ROOT/beanstalkd2" -F >>"$ROOT/beanstalkd2/stderr.log" 2>&1 &
BEANSTALKD_PID=$!
started beanstalkd "$BEANSTALKD_PID"
emit restart beanstalkd seconds "$(ready_seconds "beanstalkd=$BEANSTALKD_PORT")"
emit restart beanstalkd rss_mb "$(rss_mb "$BEANSTALKD_PID" VmRSS)"

stop_pid "$REDIS_PID"
"$REDIS_SERVER" --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$ROOT/redis2" --appendonly yes \
  --appendfsync everysec --save '' --daemonize no --logfile "$ROOT/redis2/redis.log" &
REDIS_PID=$!
started redis-server "$REDIS_PID"
emit restart redis seconds "$(ready_seconds "redis=$REDIS_PORT")"
emit restart redis rss_mb "$(rss_mb "$REDIS_PID" VmRSS)"

for pid in "${PIDS[@]}"; do stop_pid "$pid"; done

echo
echo "torque benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), $(($(date +%s) - START)) s"
((FSYNC_DELAY_US > 0)) && echo "SIMULATED SLOW DISK: every fsync/fdatasync takes $FSYNC_DELAY_US us longer (--fsync-delay-us)"
echo "torqued $("$TORQUED" --version 2>/dev/null | head -1) ($BUILD_TYPE), $("$BEANSTALKD" -v), redis $("$REDIS_SERVER" --version | awk '{print $3}' | sed 's/^v=//')"
echo
"$BENCH" report "$RESULTS"
if ((FAILED > 0)); then
  say "$FAILED workload(s) failed; their figures are missing (see the messages above)"
  exit 1
fi
