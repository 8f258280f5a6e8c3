#!/bin/sh
# Installs the build to a temporary prefix, builds tests/client/package against it with
# find_package(torque), and runs the result: against a missing socket (69), then against a
# real torqued started from the installed files. COMPILER and SANITIZE (optional): how the
# build was compiled; a sanitized library needs the sanitizers' runtimes in the program too.
#   package_test.sh BUILD SRC [COMPILER [SANITIZE]]
set -eu
build=$1 src=$2 compiler=${3:-} sanitize=${4:-}
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
pid=
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
set -- -DCMAKE_PREFIX_PATH="$tmp/prefix"
[ -n "$compiler" ] && set -- "$@" -DCMAKE_CXX_COMPILER="$compiler"
[ -n "$sanitize" ] && set -- "$@" -DCMAKE_CXX_FLAGS="-fsanitize=$sanitize" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=$sanitize"
cmake -S "$src/tests/client/package" -B "$tmp/b" "$@" >/dev/null
cmake --build "$tmp/b" >/dev/null
rc=0; "$tmp/b/torque_example" "$tmp/none.sock" hello x 2>"$tmp/err" || rc=$?
[ "$rc" = 69 ] || { echo "expected 69 without a daemon, got $rc"; exit 1; }
grep -q "cannot connect" "$tmp/err" || { cat "$tmp/err"; exit 1; }
printf '[server]\nsocket = %s/s.sock\ndatabase = %s/t.db\npid_file = %s/p\nlog_file = %s/l\n' \
  "$tmp" "$tmp" "$tmp" "$tmp" > "$tmp/t.ini"
"$tmp/prefix/sbin/torqued" --config "$tmp/t.ini" --fg 2>/dev/null & pid=$!
i=0; while [ ! -S "$tmp/s.sock" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
out=$("$tmp/b/torque_example" "$tmp/s.sock" hello "from the library")
[ "$out" = "hello from the library" ] || { echo "unexpected output: $out"; exit 1; }
echo "client package: 1 passed, 0 failed"
