#!/usr/bin/env bash
# bench/queue_pass.sh [--items N] [--reps N] [--keep] [BUILD_DIR]
#
# The queue-pass benchmark (see bench/README.md): starts its own rTorrent 0.9.8 with the
# ../shared/rtorrent kit, loads N small torrents (default 10000: a quarter prio 0, every
# 100th seeding, the rest stopped and startable), starts a real torqued whose `queue` type
# reads that rTorrent, and times in the same run, alternately:
#   pass, nothing starts  `torque-cli --wait queue_pass dry-run`: one fetch, no start
#   raw reference         the very request that pass sends (bench/queue_pass), written to
#                         rTorrent's socket by a minimal client that reads the answer to EOF
# then a few real passes that each start one item (fetch + one system.multicall). From
# each pass report: its wall time in torqued, its requests to rTorrent and the CPU its
# thread used (parse, match, sort, decide); torqued's process CPU from /proc as well.
# Prints one table with the targets: pass <= 1.2x the raw call, pass CPU < 20 ms,
# 1 request when nothing starts, 2 when something does. Builds nothing: BUILD_DIR (default
# ./build, best a Release build) must hold server/torqued, client/torque-cli and
# bench/queue_pass (cmake --build BUILD_DIR --target torqued torque-cli queue_pass rt_query).
#   --items N   torrents to load (default 10000)
#   --reps N    timed passes and raw calls (default 20); real passes: 5
#   --keep      keep the temp directory (torrents, logs, raw RESULT lines)
# Environment: RT_KIT (default ../shared/rtorrent next to the repository), TMPDIR.
set -euo pipefail

NAME=queue_pass
USAGE_LINES=23
STARTS=5
# shellcheck source=bench/rt_bench.sh
source "$(dirname "${BASH_SOURCE[0]}")/rt_bench.sh"
rt_bench_start "$@"
rt_bench_need server/torqued client/torque-cli bench/queue_pass bench/rt_query

rt_bench_workdir qp

START=$(date +%s)
say "temp dir $ROOT ($(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg))"
rt_bench_items 100

rt_bench_torqued <<INI
[TORQUE]
job.queue.active = True
job.queue.schedule =
job.queue.downloading_max = 1000000
INI

# process CPU ticks of torqued (utime + stime)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$TORQUED_PID/stat"; }
# report_figures KIND REPORT: RESULT lines from a pass report's "took" line
report_figures() {
  local line
  line=$(grep -m1 '^took ' <<<"$2") || die "no figures in the report: $2"
  [[ $line =~ ^took\ ([0-9.]+)\ ms:\ ([0-9]+)\ requests?\ to\ rTorrent,\ ([0-9.]+)\ ms\ CPU ]] ||
    die "unexpected report line: $line"
  printf 'RESULT %s pass_ms %s\nRESULT %s requests %s\nRESULT %s cpu_ms %s\n' \
    "$1" "${BASH_REMATCH[1]}" "$1" "${BASH_REMATCH[2]}" "$1" "${BASH_REMATCH[3]}"
}

say "warming up"
cli --wait queue_pass dry-run >/dev/null
"$BUILD/bench/queue_pass" --config "$ROOT/torque.ini" --socket "$SOCK" --reps 2 >/dev/null

say "$REPS passes that start nothing, each next to one raw call"
FIRST_REPORT=
ticks0=$(cpu_ticks)
for _ in $(seq "$REPS"); do
  "$BUILD/bench/queue_pass" --config "$ROOT/torque.ini" --socket "$SOCK" --reps 1 >>"$RESULTS"
  t0=$(date +%s%N)
  report=$(cli --wait queue_pass dry-run) || die "the pass failed: $report"
  echo "RESULT idle cli_ms $(( ($(date +%s%N) - t0) / 1000 ))e-3" >>"$RESULTS"
  report_figures idle "$report" >>"$RESULTS"
  [[ -n $FIRST_REPORT ]] || FIRST_REPORT=$report
done
ticks1=$(cpu_ticks)
echo "RESULT idle process_cpu_ms $(( (ticks1 - ticks0) * 1000 / $(getconf CLK_TCK) / REPS ))" >>"$RESULTS"

say "$STARTS passes that each start one item"
for _ in $(seq "$STARTS"); do
  report=$(cli --wait queue_pass) || die "the pass failed: $report"
  grep -q '^started ' <<<"$report" || die "a real pass started nothing: $report"
  report_figures start "$report" >>"$RESULTS"
done
echo "$FIRST_REPORT" | head -n 3 >"$ROOT/first_report.txt"

echo
echo "Queue-pass benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), $(($(date +%s) - START)) s"
echo "rTorrent $("$PYTHON" "$KIT/rtxmlrpc.py" "$SOCK" system.client_version) (kit), $ITEMS items; torqued $BUILD_TYPE; medians of $REPS (idle) and $STARTS (start) passes"
echo "first report lines:"
sed 's/^/  /' "$ROOT/first_report.txt"
echo
awk '
  $1 == "RESULT" { k = $2 " " $3; n[k]++; v[k, n[k]] = $4 + 0; last[k] = $4 }
  function median(k,   i, j, t, m, a) {
    m = n[k]; if (!m) return -1
    for (i = 1; i <= m; i++) a[i] = v[k, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
  }
  function row(what, value, ref, ratio, target, verdict) {
    printf "| %-44s | %10s | %-32s | %7s | %-9s | %-4s |\n", what, value, ref, ratio, target, verdict
  }
  END {
    raw = median("raw ms"); idle = median("idle pass_ms"); start = median("start pass_ms")
    row("measure", "torque", "reference", "ratio", "target", "")
    row("---", "---", "---", "---", "---", "---")
    row("pass, nothing starts: wall ms in torqued", sprintf("%.1f", idle),
        sprintf("raw %s %.1f ms", last["raw method"], raw), sprintf("%.2fx", idle / raw), "<= 1.20x",
        idle <= 1.2 * raw ? "PASS" : "MISS")
    row("  of it waiting (wall - CPU), ms", sprintf("%.1f", idle - median("idle cpu_ms")), "", "", "", "info")
    row("  torque-cli --wait, ms (whole round trip)", sprintf("%.1f", median("idle cli_ms")), "", "", "", "info")
    row("pass, one start: wall ms in torqued", sprintf("%.1f", start),
        sprintf("raw %.1f ms", raw), sprintf("%.2fx", start / raw), "", "info")
    cpu = median("idle cpu_ms")
    row("pass CPU (parse, match, sort, decide), ms", sprintf("%.1f", cpu), "", "", "< 20 ms",
        cpu < 20 ? "PASS" : "MISS")
    row("  with one start, ms", sprintf("%.1f", median("start cpu_ms")), "", "", "", "info")
    row("torqued process CPU per idle pass, ms", last["idle process_cpu_ms"], "", "", "", "info")
    ri = median("idle requests"); rs = median("start requests")
    row("requests to rTorrent, nothing starts", ri, "", "", "1", ri == 1 ? "PASS" : "MISS")
    row("requests to rTorrent, one start", rs, "", "", "2", rs == 2 ? "PASS" : "MISS")
    row("raw request / answer bytes", last["raw request_bytes"] " / " last["raw response_bytes"],
        last["raw columns"] " columns", "", "", "info")
  }' "$RESULTS"
