# bench/rt_bench.sh: what the benchmarks against a real rTorrent share (sourced, not run).
# Before sourcing set NAME (e.g. rt_query) and USAGE_LINES (the header lines usage prints),
# and call rt_bench_start "$@" to parse [--items N] [--reps N] [--keep] [BUILD_DIR] and find
# the kit, python and the build. Sets ITEMS REPS KEEP BUILD BUILD_TYPE KIT PYTHON HERE.

usage() { sed -n "2,${USAGE_LINES}s/^# \\{0,1\\}//p" "$0"; }
die() { echo "$NAME.sh: $*" >&2; exit 1; }
say() { echo "[$NAME] $*" >&2; }

# rt_bench_start ARGS...; then rt_bench_need BIN... checks BUILD_DIR/BIN exist.
rt_bench_start() {
  ITEMS=10000
  REPS=20
  KEEP=0
  BUILD=./build
  while (($# > 0)); do
    case $1 in
      --items) ITEMS=${2:-}; shift ;;
      --reps) REPS=${2:-}; shift ;;
      --keep) KEEP=1 ;;
      -h | --help) usage; exit 0 ;;
      -*) echo "$NAME.sh: unknown option $1" >&2; usage >&2; exit 64 ;;
      *) BUILD=$1 ;;
    esac
    shift
  done
  [[ $ITEMS =~ ^[1-9][0-9]*$ && $REPS =~ ^[1-9][0-9]*$ ]] ||
    { echo "$NAME.sh: --items and --reps need positive numbers" >&2; exit 64; }
  HERE=$(cd "$(dirname "$0")" && pwd)
  KIT=${RT_KIT:-$HERE/../../shared/rtorrent}
  [[ -x $KIT/start-rtorrent.sh ]] || die "no rTorrent kit at $KIT (set RT_KIT)"
  KIT=$(cd "$KIT" && pwd)
  command -v rtorrent >/dev/null || die "rtorrent not found (apt-get install rtorrent)"
  PYTHON=/usr/bin/python3
  [[ -x $PYTHON ]] || PYTHON=$(command -v python3) || die "python3 not found"
  [[ -d $BUILD ]] || die "no build directory $BUILD"
  BUILD=$(cd "$BUILD" && pwd)
  BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
  [[ -f $BUILD/CMakeCache.txt && -z $BUILD_TYPE ]] && BUILD_TYPE=RelWithDebInfo
  case $BUILD_TYPE in
    Release | RelWithDebInfo) ;;
    *) say "WARNING: $BUILD is a '${BUILD_TYPE:-unknown}' build; use Release for meaningful figures" ;;
  esac
}

rt_bench_need() {
  local bin
  for bin in "$@"; do
    [[ -x $BUILD/$bin ]] || die "missing $BUILD/$bin (cmake --build $BUILD --target ${bin##*/})"
  done
}

# Runs when the script ends, before the clean-up (a script may redefine it): stops the
# torqued rt_bench_torqued started.
TORQUED_PID=
rt_bench_on_exit() {
  if [[ -n $TORQUED_PID ]]; then kill "$TORQUED_PID" 2>/dev/null && wait "$TORQUED_PID" 2>/dev/null || true; fi
}

# rt_bench_items START_EVERY: starts the kit's rTorrent in RT_DIR (RTORRENT_MEMORY_MAX,
# default 512M) and loads ITEMS small torrents into it (torrent_tool.py many, then
# bench/rt_query setup: every START_EVERY-th started, 0: none; its figures go to RESULTS).
rt_bench_items() {
  RTORRENT_MEMORY_MAX=${RTORRENT_MEMORY_MAX:-512M} "$KIT/start-rtorrent.sh" "$RT_DIR" >/dev/null
  say "making and loading $ITEMS torrents"
  "$PYTHON" "$KIT/torrent_tool.py" many "$ITEMS" "$ROOT/items" >/dev/null
  "$BUILD/bench/rt_query" setup --socket "$SOCK" --dir "$ROOT/items" --batch 500 \
    --start-every "$1" >>"$RESULTS"
}

# rt_bench_torqued < INI: writes ROOT/torque.ini ([server] files in ROOT, [rtorrent] url =
# SOCK, then the INI lines read from stdin), starts torqued with it (TORQUED_PID; its log
# becomes the failure log), defines `cli` (torque-cli on its socket) and waits until it
# answers.
rt_bench_torqued() {
  {
    printf '[server]\nsocket = %s\ndatabase = %s\npid_file = %s\nlog_file = %s\n' \
      "$ROOT/torqued.sock" "$ROOT/torque.db" "$ROOT/torqued.pid" "$ROOT/torqued.log"
    printf '[rtorrent]\nurl = scgi://%s\n' "$SOCK"
    cat
  } >"$ROOT/torque.ini"
  FAILURE_LOG=$ROOT/torqued.log
  FAILURE_LOG_NAME="torqued's log"
  "$BUILD/server/torqued" --config "$ROOT/torque.ini" --fg 2>>"$ROOT/torqued.err" &
  TORQUED_PID=$!
  cli() { "$BUILD/client/torque-cli" -s "$ROOT/torqued.sock" "$@"; }
  for _ in $(seq 100); do cli ping >/dev/null 2>&1 && break; sleep 0.1; done
  cli ping >/dev/null || die "torqued did not start"
}

# rt_bench_workdir PREFIX: a temp dir ROOT (a short path: socket paths stay under 108
# bytes) with RT_DIR (the kit's rTorrent), SOCK and RESULTS. When the script ends,
# rt_bench_on_exit runs, the rTorrent is stopped, on failure the last lines of FAILURE_LOG
# (called FAILURE_LOG_NAME) are shown, and ROOT is deleted unless --keep.
rt_bench_workdir() {
  ROOT=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  RT_DIR=$ROOT/rt
  SOCK=$RT_DIR/rtorrent.sock
  RESULTS=$ROOT/results.txt
  : >"$RESULTS"
  FAILURE_LOG=$RT_DIR/rtorrent.out
  FAILURE_LOG_NAME="rTorrent's output"
  trap rt_bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

rt_bench_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  rt_bench_on_exit
  if [[ -d $RT_DIR ]]; then
    "$KIT/stop-rtorrent.sh" $( ((KEEP)) || echo --purge) "$RT_DIR" >/dev/null 2>&1 || true
  fi
  if ((rc != 0 && rc != 130 && rc != 143)) && [[ -f $FAILURE_LOG ]]; then
    say "failed (exit $rc); $FAILURE_LOG_NAME:"
    tail -n 8 "$FAILURE_LOG" >&2 || true
  fi
  if ((KEEP)); then say "kept $ROOT"; else rm -rf "$ROOT"; fi
  exit "$rc"
}
