#!/bin/sh
# A throwaway PostgreSQL cluster for the tests: no TCP listener, a UNIX socket in DIR.
#
#   tests/pg/cluster.sh start DIR   initdb (a fresh cluster in DIR/data, superuser `torque`,
#                                   trust over the socket), start it, create the database
#                                   `torque_test`, and write its libpq URI to DIR/uri
#   tests/pg/cluster.sh stop DIR    stop it (fast shutdown) and delete DIR
#   tests/pg/cluster.sh down DIR    stop it (fast shutdown), keeping its data
#   tests/pg/cluster.sh up DIR      start it again after `down`
#
# Run as root, the cluster belongs to the `postgres` account (PostgreSQL refuses to run as
# root): DIR is chowned to it and the server commands run under `runuser`. Without the
# PostgreSQL server binaries, `start` prints why and exits 0 without writing DIR/uri, so the
# tests that need a cluster skip themselves.
set -eu
cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop|down|up DIR" >&2
  exit 64
fi

bindir=""
for d in /usr/lib/postgresql/*/bin; do
  [ -x "$d/pg_ctl" ] && bindir=$d  # the glob sorts: the newest major version wins
done

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

stop() {
  if [ -n "$bindir" ] && [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

up() {
  # Only the socket; the tests' own settings (fsync stays on: durability is under test).
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses= -c unix_socket_directories=$dir -c max_connections=200" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
}

case $cmd in
  start)
    if [ -z "$bindir" ]; then
      echo "PostgreSQL server not installed (no /usr/lib/postgresql/*/bin/pg_ctl):" \
        "the tests that need it skip" >&2
      exit 0
    fi
    stop
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_owner "$bindir/initdb" -D "$dir/data" -U torque --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    up
    "$bindir/createdb" -h "$dir" -U torque torque_test
    printf 'postgresql:///torque_test?host=%s&user=torque\n' "$dir" >"$dir/uri"
    ;;
  stop)
    stop
    ;;
  down)
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  up)
    up
    ;;
  *)
    echo "usage: $0 start|stop|down|up DIR" >&2
    exit 64
    ;;
esac
