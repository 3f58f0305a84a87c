#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test-suite.
#   scripts/pg-test-server.sh start   initialise (once) and start it; print its URL on stdout
#   scripts/pg-test-server.sh stop    stop it and delete its data
#   scripts/pg-test-server.sh url     print the URL of the running cluster
# Runs initdb / pg_ctl from /usr/lib/postgresql/<version>/bin as the `postgres` user (when
# started as root), listens on 127.0.0.1 only, on port 54329 or the next free one, with trust
# authentication for loopback, data under /tmp. Works on a fresh Debian machine after
# `apt-get install -y postgresql`.
set -euo pipefail

BASE="${ICTAL_PG_TEST_DIR:-/tmp/ictal-pg-test}"
DATA="$BASE/data"
LOG="$BASE/server.log"
PORT_FILE="$BASE/port"
FIRST_PORT="${ICTAL_PG_TEST_PORT:-54329}"
DB=ictal_test
USER_NAME=postgres

die() { echo "pg-test-server: $*" >&2; exit 1; }

bindir() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    [[ -n "$dir" && -x "$dir/initdb" ]] || die "no PostgreSQL binaries in /usr/lib/postgresql/*/bin: apt-get install -y postgresql"
    echo "$dir"
}

# Run a command as the postgres user (directly when we are that user or not root).
as_pg() {
    if [[ "$(id -u)" == 0 ]]; then
        id "$USER_NAME" >/dev/null 2>&1 || die "no '$USER_NAME' user: apt-get install -y postgresql creates it"
        runuser -u "$USER_NAME" -- "$@"
    else
        "$@"
    fi
}

port_free() {
    python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

url() { echo "postgresql+psycopg://$USER_NAME@127.0.0.1:$(cat "$PORT_FILE")/$DB"; }

running() {
    [[ -f "$DATA/postmaster.pid" ]] && as_pg "$(bindir)/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

start() {
    local bin port
    bin="$(bindir)"
    if running; then url; return; fi
    mkdir -p "$BASE"
    if [[ "$(id -u)" == 0 ]]; then chown "$USER_NAME" "$BASE"; fi
    if [[ ! -f "$DATA/PG_VERSION" ]]; then
        rm -rf "$DATA"
        as_pg "$bin/initdb" -D "$DATA" -U "$USER_NAME" --auth=trust --encoding=UTF8 \
            --locale=C.UTF-8 >"$BASE/initdb.log" 2>&1 || \
            as_pg "$bin/initdb" -D "$DATA" -U "$USER_NAME" --auth=trust --encoding=UTF8 \
            --no-locale >"$BASE/initdb.log" 2>&1 || die "initdb failed: see $BASE/initdb.log"
    fi
    port="$FIRST_PORT"
    for _ in $(seq 1 50); do
        port_free "$port" && break
        port=$((port + 1))
    done
    port_free "$port" || die "no free port from $FIRST_PORT on"
    echo "$port" >"$PORT_FILE"
    # fast and throwaway: no fsync; sockets in the data dir, TCP on loopback only
    as_pg "$bin/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$DATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null || die "pg_ctl start failed: see $LOG"
    if ! as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U "$USER_NAME" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
        as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$USER_NAME" "$DB"
    fi
    url
}

stop() {
    local bin
    bin="$(bindir)"
    if running; then
        as_pg "$bin/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    fi
    rm -rf "$BASE"
    echo "stopped" >&2
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) running || die "not running"; url ;;
    *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
