#!/usr/bin/env bash
# bench/rt_query.sh [--items N] [--reps N] [--keep] [BUILD_DIR]
#
# The rTorrent query benchmark (see bench/README.md): starts its own rTorrent 0.9.8 with
# the ../shared/rtorrent kit, loads N small torrents (default 10000) and times a condition
# over all of them, three ways, in the same run:
#   torque        Query: one d.multicall2 (or, with rTorrent's pre-filter, one
#                 d.multicall.filtered) per query, whatever the number of items
#   naive C++     one d.multicall2 for the hashes, then one call per item and field
#   naive python  the same with the kit's rtxmlrpc.py (what a pyrocore-style script does)
# and prints one table. Builds nothing: BUILD_DIR (default ./build) must hold
# bench/rt_query (cmake --build BUILD_DIR --target rt_query).
#   --items N   torrents to load (default 10000)
#   --reps N    timed runs of each torque query (default 20; the naive ones run once)
#   --keep      keep the temp directory (torrents, rTorrent's logs, raw RESULT lines)
# Environment: RT_KIT (default ../shared/rtorrent next to the repository), TMPDIR (where
# the temp directory goes), RTORRENT_MEMORY_MAX (passed to the kit; default 256M here).
# The rTorrent it started is stopped and its directory deleted when it ends, also on
# failure or Ctrl-C. It talks to nothing but its own rTorrent's UNIX socket.
set -euo pipefail

NAME=rt_query
USAGE_LINES=20
# shellcheck source=bench/rt_bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/rt_bench.sh"
rt_bench_start "$@"
rt_bench_need bench/rt_query
RT_QUERY=$BUILD/bench/rt_query

rt_bench_workdir rtq

# seconds_since T0 (from date +%s.%N)
seconds_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'; }

START=$(date +%s)
say "temp dir $ROOT ($(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg))"
RTORRENT_MEMORY_MAX=${RTORRENT_MEMORY_MAX:-256M} "$KIT/start-rtorrent.sh" "$RT_DIR" >/dev/null

say "making $ITEMS torrents (torrent_tool.py many)"
t0=$(date +%s.%N)
"$PYTHON" "$KIT/torrent_tool.py" many "$ITEMS" "$ROOT/items" >/dev/null
echo "RESULT setup rtorrent make_s $(seconds_since "$t0")" >>"$RESULTS"

say "loading them (500 load.raw per system.multicall), starting every 100th"
"$RT_QUERY" setup --socket "$SOCK" --dir "$ROOT/items" --batch 500 --start-every 100 >>"$RESULTS"

# The naive way in Python, one run: the hashes in one d.multicall2, then one rtxmlrpc call
# per item and field. Prints RESULT lines like rt_query's.
naive_python() {
  "$PYTHON" - "$KIT" "$SOCK" "$1" <<'EOF'
import sys, time
sys.path.insert(0, sys.argv[1])
from rtxmlrpc import call
sock, workload = sys.argv[2], sys.argv[3]

def digest(hashes):  # FNV-1a 64, as rt_query's OrderDigest
    h = 0xcbf29ce484222325
    for c in "\n".join(hashes).encode():
        h = ((h ^ c) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h

calls = 0
def get(method, *args):
    global calls
    calls += 1
    return call(sock, method, *args)

t0 = time.monotonic()
hashes = [row[0] for row in get("d.multicall2", "", "main", "d.hash=")]
matches = []
for h in hashes:
    if workload == "startable":  # is_open=no is_active=no is_complete=no prio>0, -prio,loaded,name
        name = get("d.name", h)
        is_open, is_active = get("d.is_open", h), get("d.is_active", h)
        complete, prio = get("d.complete", h), get("d.priority", h)
        loaded = get("d.custom", h, "tm_loaded")
        if not is_open and not is_active and not complete and prio > 0:
            matches.append(((-prio, int(loaded or 0), name.encode()), h))
    elif workload == "complete":  # is_complete=yes, name
        name, complete = get("d.name", h), get("d.complete", h)
        if complete:
            matches.append(((name.encode(),), h))
    else:
        sys.exit("unknown workload " + workload)
matches.sort(key=lambda m: m[0])
ms = (time.monotonic() - t0) * 1000
for metric, value in (("ms_median", "%.1f" % ms), ("runs", 1), ("round_trips", calls),
                      ("fetched", len(hashes)), ("matches", len(matches)),
                      ("order", digest([m[1] for m in matches]))):
    print("RESULT %s naive-py %s %s" % (workload, metric, value))
EOF
}

# workload NAME CONDITION SORT
workload() {
  local name=$1 condition=$2 sort=$3
  say "$name: torque, $REPS runs each without and with rTorrent's pre-filter"
  "$RT_QUERY" torque --socket "$SOCK" --workload "$name" --condition "$condition" --sort "$sort" \
    --reps "$REPS" --prefilter off >>"$RESULTS"
  "$RT_QUERY" torque --socket "$SOCK" --workload "$name" --condition "$condition" --sort "$sort" \
    --reps "$REPS" --prefilter on >>"$RESULTS"
  say "$name: naive C++ (one run)"
  "$RT_QUERY" naive --socket "$SOCK" --workload "$name" --condition "$condition" --sort "$sort" \
    --reps 1 >>"$RESULTS"
  say "$name: naive python (one run)"
  naive_python "$name" >>"$RESULTS"
  echo "CONDITION $name $condition | sort $sort" >>"$RESULTS"
}

workload startable "is_open=no is_active=no is_complete=no prio>0" "-prio,loaded,name"
workload complete "is_complete=yes" "name"

VERSION=$("$PYTHON" "$KIT/rtxmlrpc.py" "$SOCK" system.client_version)
"$KIT/stop-rtorrent.sh" --purge "$RT_DIR" >/dev/null 2>&1 || true

echo
echo "rTorrent query benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), $(($(date +%s) - START)) s"
echo "rTorrent $VERSION (kit), $ITEMS items; rt_query ($BUILD_TYPE); torque: $REPS timed runs (median, p90), naive: one run"
awk '
  $1 == "RESULT" { v[$2 " " $3 " " $4] = $5 }
  $1 == "CONDITION" { name = $2; $1 = ""; $2 = ""; sub(/^  /, ""); cond[name] = $0; order[++n] = name }
  function get(w, s, m) { return ((w " " s " " m) in v) ? v[w " " s " " m] : "-" }
  function ratio(a, b) { return (a == "-" || b == "-" || b + 0 == 0) ? "-" : sprintf("%.0fx", a / b) }
  END {
    printf "setup: make %s torrents %s s (torrent_tool.py many), load %s s (%s requests), start %s of them %s s\n\n",
      get("setup", "rtorrent", "items"), get("setup", "rtorrent", "make_s"),
      sprintf("%.2f", get("setup", "rtorrent", "load_s")), get("setup", "rtorrent", "load_requests"),
      get("setup", "rtorrent", "started"), sprintf("%.2f", get("setup", "rtorrent", "start_s"))
    fmt = "| %-26s | %10s | %12s | %10s | %12s | %10s | %10s |\n"
    printf fmt, "workload", "torque", "torque -Q", "naive C++", "naive python", "C++/torque", "py/torque"
    printf fmt, "---", "---", "---", "---", "---", "---", "---"
    split("ms_median ms_p90 round_trips fetched matches", metrics, " ")
    label["ms_median"] = "ms, median"; label["ms_p90"] = "ms, p90"
    label["round_trips"] = "RPC round trips"; label["fetched"] = "rows fetched"; label["matches"] = "matches"
    bad = 0
    for (k = 1; k <= n; k++) {
      w = order[k]
      for (j = 1; j <= 5; j++) {
        m = metrics[j]
        t = get(w, "torque", m); q = get(w, "torque-Q", m); c = get(w, "naive-cpp", m); p = get(w, "naive-py", m)
        if (m ~ /^ms/) { if (t != "-") t = sprintf("%.1f", t); if (q != "-") q = sprintf("%.1f", q); if (c != "-") c = sprintf("%.1f", c); if (p != "-") p = sprintf("%.1f", p) }
        r1 = (m == "ms_median" || m == "round_trips") ? ratio(c, t) : ""
        r2 = (m == "ms_median" || m == "round_trips") ? ratio(p, t) : ""
        printf fmt, w ": " label[m], t, q, c, p, r1, r2
      }
      o = get(w, "torque", "order")
      if (get(w, "torque-Q", "order") != o || get(w, "naive-cpp", "order") != o || get(w, "naive-py", "order") != o) bad = 1
    }
    print ""
    for (k = 1; k <= n; k++) {
      w = order[k]
      printf "%s: %s; pre-filter %s\n", w, cond[w], get(w, "torque-Q", "prefilter")
    }
    if (bad) { print "MISMATCH: the approaches did not return the same items in the same order"; exit 1 }
    print "all approaches returned the same items in the same order (FNV-1a digest of the hash list)"
  }' "$RESULTS"
