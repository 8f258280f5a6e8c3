#!/bin/sh
# Runs one end-to-end test under a sanitizer build and fails it on any sanitizer report.
#
#   sanitizer_reports.sh REPORT_DIR COMMAND...
#
# The e2e tests start torqued and torque-cli as separate processes (rTorrent's hooks start
# torque-cli too), so a report in one of them would only reach a stderr the test may never
# read. Every sanitized process of the test writes its reports to REPORT_DIR/report.<pid>
# instead (log_path, appended to the *SAN_OPTIONS the test inherits); after the test, any
# file there is printed and fails it, whatever the test's own outcome was.
set -u
dir=$1
shift
rm -rf "$dir"
mkdir -p "$dir"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$dir/report"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$dir/report"
export TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}log_path=$dir/report"
# Tells the tests that measure memory that the sanitizers' allocator inflates it.
export TORQUE_SANITIZED=1
"$@"
rc=$?
reports=$(find "$dir" -type f | sort)
if [ -n "$reports" ]; then
  for f in $reports; do
    echo "==== sanitizer report $f"
    cat "$f"
  done
  echo "FAILED: sanitizer reports in $dir" >&2
  exit 1
fi
exit "$rc"
