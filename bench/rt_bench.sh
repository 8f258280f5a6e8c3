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
