#!/usr/bin/env bash
# bench/tree_watch.sh [--items N] [--reps N] [--keep] [BUILD_DIR]
#
# The tree-watch benchmark (see bench/README.md): starts its own rTorrent 0.9.8 with the
# ../shared/rtorrent kit, loads N small torrents into it (default 10000), starts a real
# torqued whose `treewatch` type watches a folder, and times in the same run (bench/tree_watch):
#   single   rename() of a metafile into the tree → the item present in rTorrent, next to
#            load.verbose of an equal file sent by a minimal client → present; alternately,
#            --reps times each (default 500)
#   burst    1000 files renamed into the tree at once, next to the same 1000 loads sent by
#            the minimal client in one system.multicall; until rTorrent holds them all
# Prints one table with the targets: single p50 within 1 ms of rTorrent's own, the burst
# within 1.2x of rTorrent's own time, no file missed. Builds nothing: BUILD_DIR (default
# ./build, best a Release build) must hold server/torqued, client/torque-cli,
# bench/tree_watch and bench/rt_query.
#   --items N   torrents loaded before (default 10000)
#   --reps N    single loads each way (default 500)
#   --keep      keep the temp directory (logs, raw RESULT lines)
# Environment: RT_KIT (default ../shared/rtorrent next to the repository), TMPDIR.
set -euo pipefail

NAME=tree_watch
USAGE_LINES=19
BURST=1000
# shellcheck source=bench/rt_bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/rt_bench.sh"
REPS_GIVEN=0
for a in "$@"; do [[ $a == --reps ]] && REPS_GIVEN=1; done
rt_bench_start "$@"
((REPS_GIVEN)) || REPS=500
rt_bench_need server/torqued client/torque-cli bench/tree_watch bench/rt_query

rt_bench_workdir tw

START=$(date +%s)
say "temp dir $ROOT ($(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg))"
rt_bench_items 0

mkdir -p "$ROOT/watch" "$ROOT/stage"
rt_bench_torqued <<INI
[TORQUE]
job.treewatch.active = True
job.treewatch.schedule =
job.treewatch.path = $ROOT/watch
job.treewatch.quiet = True
INI

"$BUILD/bench/tree_watch" --socket "$SOCK" --root "$ROOT/watch" --stage "$ROOT/stage" \
  --files "$REPS" --burst "$BURST" >>"$RESULTS"
sleep 1
# Where a load's time goes, from torqued's own records: each load job's result says how long
# its check, its load call and the wait for rTorrent to show the item took.
"$PYTHON" - "$ROOT/torque.db" "$REPS" >>"$RESULTS" <<'PY'
import re, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT created_at, started_at, finished_at, result FROM jobs "
                  "WHERE type = 'treewatch' AND result LIKE 'loaded %' ORDER BY id").fetchall()
pattern = re.compile(r" in ([\d.]+) ms \(load ([\d.]+) ms, until rTorrent showed it ([\d.]+) ms")
for n, (created, started, finished, result) in enumerate(rows):
    kind = "single" if n < int(sys.argv[2]) else "burst"
    m = pattern.search(result)
    if not m:
        continue
    print("RESULT %s job wait_ms %d" % (kind, started - created))
    for name, value in zip(("run_ms", "load_ms", "shown_ms"), m.groups()):
        print("RESULT %s job %s %s" % (kind, name, value))
PY
FAILED=$(cli list --type treewatch --state failed --limit 10000 | grep -c ' treewatch ' || true)

echo
echo "Tree-watch benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), $(($(date +%s) - START)) s"
echo "rTorrent $("$PYTHON" "$KIT/rtxmlrpc.py" "$SOCK" system.client_version) (kit), $ITEMS items before; torqued $BUILD_TYPE; $REPS single loads each way, a burst of $BURST; failed load jobs: $FAILED"
echo
awk -v failed="$FAILED" '
  $1 == "RESULT" { k = $2 " " $3 " " $4; n[k]++; v[k, n[k]] = $5 + 0; last[k] = $5 }
  function pct(k, p,   i, j, t, m, a, r) {
    m = n[k]; if (!m) return -1
    for (i = 1; i <= m; i++) a[i] = v[k, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    r = int(p / 100 * m + 0.999999); if (r < 1) r = 1; if (r > m) r = m
    return a[r]
  }
  function row(what, value, ref, diff, target, verdict) {
    printf "| %-40s | %9s | %9s | %9s | %-14s | %-4s |\n", what, value, ref, diff, target, verdict
  }
  END {
    row("measure", "torque", "rTorrent", "diff", "target", "")
    row("---", "---", "---", "---", "---", "---")
    t50 = pct("single torque ms", 50); r50 = pct("single raw ms", 50)
    t99 = pct("single torque ms", 99); r99 = pct("single raw ms", 99)
    row("rename -> item present, p50 ms", sprintf("%.2f", t50), sprintf("%.2f", r50),
        sprintf("+%.2f", t50 - r50), "<= +1 ms", t50 - r50 <= 1 ? "PASS" : "MISS")
    row("rename -> item present, p99 ms", sprintf("%.2f", t99), sprintf("%.2f", r99),
        sprintf("+%.2f", t99 - r99), "", "info")
    tb = last["burst torque ms"]; rb = last["burst raw ms"]
    row(sprintf("burst of %d, ms until all present", '"$BURST"'), sprintf("%.0f", tb), sprintf("%.0f", rb),
        sprintf("%.2fx", tb / rb), "<= 1.20x", tb <= 1.2 * rb ? "PASS" : "MISS")
    row("  of it renaming the files, ms", sprintf("%.1f", last["burst torque rename_ms"]), "", "", "", "info")
    for (i = 1; i <= 2; i++) {
      kind = i == 1 ? "single" : "burst"
      row(sprintf("%s load job, p50 ms: queued -> running", kind),
          sprintf("%.0f", pct(kind " job wait_ms", 50)), "", "", "", "info")
      row("  run: load request / until shown",
          sprintf("%.1f", pct(kind " job run_ms", 50)),
          sprintf("%.1f/%.1f", pct(kind " job load_ms", 50), pct(kind " job shown_ms", 50)),
          "", "", "info")
    }
    missed = last["burst torque missed"]
    row("files missed / failed load jobs", (missed == "" ? "?" : missed) " / " failed, "", "", "0", (missed == "0" && failed == 0) ? "PASS" : "MISS")
  }' "$RESULTS"
