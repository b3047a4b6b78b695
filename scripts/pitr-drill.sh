#!/usr/bin/env bash
# A point-in-time recovery drill for PostgreSQL, the recipe of docs/operations.md run end to end on
# throwaway clusters:
#
#   1. initdb a primary with WAL archiving on (archive_command copies each segment to an archive);
#   2. take a base backup with pg_basebackup;
#   3. write rows "before", note the time, write rows "after", let the WAL reach the archive;
#   4. stop the primary; recover a second cluster from the base backup and the archive up to the noted
#      time (recovery.signal + restore_command + recovery_target_time);
#   5. check that the "before" rows are there and the "after" rows are not.
#
# Everything lives in a temporary directory; the clusters listen only on a Unix socket in it (and on
# their own port numbers, which name the socket), so the drill never touches another PostgreSQL. Each
# server is stopped by its own process id. Exit status 0 when the recovery is exact.
#
# Usage: scripts/pitr-drill.sh          (PG_BINDIR=/usr/lib/postgresql/15/bin to choose the version)
# initdb refuses to run as root, so as root the servers run as the "postgres" user (runuser).
set -euo pipefail

PG_BINDIR="${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
[[ -x "$PG_BINDIR/initdb" ]] || { echo "pitr-drill: no PostgreSQL binaries in '$PG_BINDIR'" >&2; exit 2; }
BEFORE_ROWS=50
AFTER_ROWS=30

WORK="$(mktemp -d -t luoshi-pitr.XXXXXX)"
PRIMARY="$WORK/primary"
RECOVERED="$WORK/recovered"
ARCHIVE="$WORK/archive"
BASE="$WORK/base"
SOCKETS="$WORK/sockets"
# Port numbers from the process id: distinct per run, and only socket names since TCP is off.
PRIMARY_PORT=$((20000 + $$ % 20000))
RECOVERED_PORT=$((PRIMARY_PORT + 1))
PIDS=()

if [[ $(id -u) -eq 0 ]]; then
    RUN_AS=(runuser -u postgres --)
    chown postgres: "$WORK"
else
    RUN_AS=()
fi
as_pg() { "${RUN_AS[@]}" "$@"; }

stop_server() {
    # Fast shutdown of one server, by the process id it wrote at start; wait for it to be gone.
    local pid=$1
    kill -INT "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    echo "pitr-drill: server $pid did not stop; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    for pid in "${PIDS[@]}"; do stop_server "$pid"; done
    if [[ $status -ne 0 ]]; then
        for log in "$WORK"/*.log; do
            [[ -f $log ]] && { echo "---- $log" >&2; tail -n 30 "$log" >&2; }
        done
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT

start_server() {
    # start_server DATADIR PORT LOG: start, wait until it accepts connections, record its process id.
    local datadir=$1 port=$2 log=$3
    as_pg "$PG_BINDIR/pg_ctl" -D "$datadir" -l "$log" -o "-p $port" -w -t 60 start >/dev/null
    PIDS+=("$(head -n 1 "$datadir/postmaster.pid")")
}

sql() {
    # sql PORT QUERY: one value, unaligned.
    as_pg "$PG_BINDIR/psql" -h "$SOCKETS" -p "$1" -d drill -X -A -t -q -v ON_ERROR_STOP=1 -c "$2"
}

as_pg mkdir -p "$ARCHIVE" "$SOCKETS"

echo "== 1. a primary with WAL archiving ($PG_BINDIR)"
as_pg "$PG_BINDIR/initdb" -D "$PRIMARY" -U postgres --auth=trust --no-sync >"$WORK/initdb.log"
cat >>"$PRIMARY/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$SOCKETS'
wal_level = replica
archive_mode = on
# Never overwrite a segment already archived; a non-zero status makes PostgreSQL retry later.
archive_command = 'test ! -f $ARCHIVE/%f && cp %p $ARCHIVE/%f'
# The drill's clusters are thrown away: skip waiting for the disk. Never do this in production.
fsync = off
EOF
start_server "$PRIMARY" "$PRIMARY_PORT" "$WORK/primary.log"
as_pg "$PG_BINDIR/createdb" -h "$SOCKETS" -p "$PRIMARY_PORT" drill
sql "$PRIMARY_PORT" "CREATE TABLE drill (id serial PRIMARY KEY, batch text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())"

echo "== 2. a base backup"
as_pg "$PG_BINDIR/pg_basebackup" -h "$SOCKETS" -p "$PRIMARY_PORT" -D "$BASE" --checkpoint=fast --wal-method=stream

echo "== 3. writes before and after the recovery target"
for _ in $(seq 1 "$BEFORE_ROWS"); do echo "INSERT INTO drill (batch) VALUES ('before');"; done \
    | as_pg "$PG_BINDIR/psql" -h "$SOCKETS" -p "$PRIMARY_PORT" -d drill -X -q -v ON_ERROR_STOP=1
sleep 1
TARGET="$(sql "$PRIMARY_PORT" "SELECT clock_timestamp()")"
sleep 1
for _ in $(seq 1 "$AFTER_ROWS"); do echo "INSERT INTO drill (batch) VALUES ('after');"; done \
    | as_pg "$PG_BINDIR/psql" -h "$SOCKETS" -p "$PRIMARY_PORT" -d drill -X -q -v ON_ERROR_STOP=1
echo "   target time: $TARGET"
# Close the current WAL segment so that it (with the "after" commits) is archived now, not in an hour.
SEGMENT="$(sql "$PRIMARY_PORT" "SELECT pg_walfile_name(pg_switch_wal())")"
for _ in $(seq 1 100); do
    [[ -f "$ARCHIVE/$SEGMENT" ]] && break
    sleep 0.1
done
[[ -f "$ARCHIVE/$SEGMENT" ]] || { echo "pitr-drill: segment $SEGMENT was not archived" >&2; exit 1; }
echo "   archived up to $SEGMENT"

echo "== 4. the primary is lost; recover a copy of the base backup to the target time"
stop_server "${PIDS[0]}"
PIDS=()
as_pg cp -a "$BASE" "$RECOVERED"
cat >>"$RECOVERED/postgresql.conf" <<EOF
restore_command = 'cp $ARCHIVE/%f %p'
recovery_target_time = '$TARGET'
recovery_target_action = 'promote'
# Recovery must not archive into the primary's archive as if it were the primary.
archive_mode = off
EOF
as_pg touch "$RECOVERED/recovery.signal"
start_server "$RECOVERED" "$RECOVERED_PORT" "$WORK/recovered.log"
for _ in $(seq 1 300); do
    [[ "$(sql "$RECOVERED_PORT" "SELECT pg_is_in_recovery()")" == "f" ]] && break
    sleep 0.1
done
[[ "$(sql "$RECOVERED_PORT" "SELECT pg_is_in_recovery()")" == "f" ]] \
    || { echo "pitr-drill: the recovered cluster did not finish recovery" >&2; exit 1; }

echo "== 5. only the writes before the target are there"
before="$(sql "$RECOVERED_PORT" "SELECT count(*) FROM drill WHERE batch = 'before'")"
after="$(sql "$RECOVERED_PORT" "SELECT count(*) FROM drill WHERE batch = 'after'")"
echo "   before: $before of $BEFORE_ROWS, after: $after of 0"
grep -E "recovery stopping before commit|starting point-in-time recovery" "$WORK/recovered.log" | sed 's/^/   log: /' || true
if [[ "$before" != "$BEFORE_ROWS" || "$after" != "0" ]]; then
    echo "pitr-drill: FAILED: expected $BEFORE_ROWS rows before the target and none after" >&2
    exit 1
fi
echo "pitr-drill: OK"
