#!/usr/bin/env bash
# bench/pg_drain.sh — drain a >= 1,000,000-row-change PostgreSQL backlog from a logical slot
# with pg_recvlogical (the reference), tidemark → null sink and tidemark → file sink, one
# after another on the same server, and print seconds, rows/s, MB/s and the ratio to
# pg_recvlogical.
#
#   bench/pg_drain.sh                  # from the repository root (or anywhere)
#
# What it does:
#   1. builds build/cli/tidemark if needed, starts a throwaway PostgreSQL 15
#      (tests/servers/pg-up.sh, PG_DURABLE=0) on a free loopback port, creates database
#      "bench", runs `pgbench -i -s SCALE`, creates table bulk(id int primary key, payload
#      text), ONE publication over the five tables, and THREE pgoutput slots (recv, null,
#      file) before any workload, so each slot holds the identical backlog;
#   2. workload: `pgbench -n -c4 -j2 -t PGBENCH_TX` (4 row changes per transaction) and
#      `INSERT INTO bulk SELECT g, md5(g::text) FROM generate_series(1, BULK_ROWS) g`, then one
#      marker row (id 0) whose commit is the backlog's last; TARGET = pg_current_wal_insert_lsn()
#      after it. Row changes are counted from pg_stat_user_tables (n_tup_ins+upd+del deltas);
#   3. drains each slot in turn, timed from process start:
#        pg_recvlogical  --start --endpos=TARGET -P pgoutput -o proto_version=1
#                        -o publication_names=bench_pub -f /dev/null --no-loop   (until it exits)
#        tidemark → null / file: "ack"  = until the slot's confirmed_flush_lsn >= TARGET
#                                        (tidemark acks commits once they are durable in its journal);
#                                "sink" = until the sink's checkpoint (`tidemark checkpoints`)
#                                        is at the marker's commit, i.e. everything is applied
#                                        (the file sink fsyncs before each checkpoint).
#                        tidemark is then stopped with SIGTERM. The file sink's line count is
#                        checked against the row count;
#   4. prints the table. MB = bytes of WAL decoded (TARGET - START_LSN, the slots' common start),
#      in 10^6 bytes. rows/s of tidemark use the "sink" time (the honest end-to-end figure).
#
# Knobs (environment): SCALE (10), CLIENTS (4), JOBS (2), PGBENCH_TX (transactions per client,
# 25000 → 400,000 row changes), BULK_ROWS (600000), POLL (poll interval s, 0.1),
# STATUS_INTERVAL_MS (tidemark's standby status period, 100; the default 1000 would only add
# up to 1 s of ack latency), TIDEMARK_BIN (default build/cli/tidemark, built with ninja),
# TIDEMARK_WRAP (a command prefix for `tidemark run`, e.g.
# "valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p" with a small backlog),
# KEEP=1 keeps the work directory (logs, journals, the JSONL file) instead of deleting it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCALE=${SCALE:-10}
CLIENTS=${CLIENTS:-4}
JOBS=${JOBS:-2}
PGBENCH_TX=${PGBENCH_TX:-25000}
BULK_ROWS=${BULK_ROWS:-600000}
POLL=${POLL:-0.1}
STATUS_INTERVAL_MS=${STATUS_INTERVAL_MS:-100}
KEEP=${KEEP:-0}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
export PG_BIN
BUILD=$ROOT/build
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

# ------------------------------------------------------------------ cleanup --
bench_workdir pgdrain
PGDIR=$WORK/pg
CHILD_PID=""
cleanup() {
  local rc=$?
  if [[ -n $CHILD_PID ]] && kill -0 "$CHILD_PID" 2>/dev/null; then
    kill -TERM "$CHILD_PID" 2>/dev/null || true
    wait "$CHILD_PID" 2>/dev/null || true
  fi
  "$ROOT/tests/servers/pg-down.sh" "$PGDIR" >/dev/null 2>&1 || true
  if [[ $KEEP == 1 ]]; then
    log "kept $WORK"
  else
    rm -rf -- "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# -------------------------------------------------------------------- build --
bench_tidemark  # every drain uses this copy, even if the build directory is rebuilt meanwhile
for b in pgbench pg_recvlogical psql; do
  [[ -x $PG_BIN/$b ]] || die "$PG_BIN/$b missing"
done

# ------------------------------------------------------------------- server --
PORT=$("$ROOT/tests/servers/free-port.sh")
log "starting PostgreSQL 15 on 127.0.0.1:$PORT in $PGDIR (PG_DURABLE=0)"
PG_DURABLE=0 "$ROOT/tests/servers/pg-up.sh" "$PORT" "$PGDIR" >/dev/null
PG_VERSION=$("$PG_BIN/postgres" --version | awk '{print $3}')
DSN="host=127.0.0.1 port=$PORT user=postgres dbname=bench"
psql_() { "$PG_BIN/psql" "$DSN" -XAtq -v ON_ERROR_STOP=1 "$@"; }
"$PG_BIN/psql" "host=127.0.0.1 port=$PORT user=postgres dbname=postgres" -XAtq \
  -c "CREATE DATABASE bench" >/dev/null

log "pgbench -i -s $SCALE"
"$PG_BIN/pgbench" -i -q -s "$SCALE" "$DSN" >"$WORK/pgbench-init.log" 2>&1 \
  || { cat "$WORK/pgbench-init.log" >&2; die "pgbench -i failed"; }

TABLES=(public.pgbench_accounts public.pgbench_branches public.pgbench_tellers
        public.pgbench_history public.bulk)
TABLE_LIST=$(IFS=,; echo "${TABLES[*]}")
TABLE_LIST=${TABLE_LIST//,/, }
SLOTS=(bench_recv bench_null bench_file bench_recv2)
psql_ <<SQL >/dev/null
CREATE TABLE bulk (id int PRIMARY KEY, payload text NOT NULL);
CREATE PUBLICATION bench_pub FOR TABLE $TABLE_LIST;
SELECT pg_create_logical_replication_slot('bench_recv', 'pgoutput');
SELECT pg_create_logical_replication_slot('bench_null', 'pgoutput');
SELECT pg_create_logical_replication_slot('bench_file', 'pgoutput');
SELECT pg_create_logical_replication_slot('bench_recv2', 'pgoutput');
SQL
# The slots were created one after another with no change in between: all three start
# decoding at (or before) START_LSN and hold the same backlog.
START_LSN=$(psql_ -c "SELECT max(confirmed_flush_lsn) FROM pg_replication_slots")

# Sum of n_tup_ins + n_tup_upd + n_tup_del over the published tables.
count_changes() {
  psql_ -c "SELECT pg_stat_clear_snapshot()" \
        -c "SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables
            WHERE relid IN ('pgbench_accounts'::regclass, 'pgbench_branches'::regclass,
                            'pgbench_tellers'::regclass, 'pgbench_history'::regclass,
                            'bulk'::regclass)" | tail -1
}
sleep 1   # let pgbench -i's sessions' statistics reach the shared stats
CHANGES0=$(count_changes)

# ----------------------------------------------------------------- workload --
log "workload: pgbench -n -c$CLIENTS -j$JOBS -t $PGBENCH_TX"
W0=$(date +%s.%N)
"$PG_BIN/pgbench" -n -c "$CLIENTS" -j "$JOBS" -t "$PGBENCH_TX" "$DSN" >"$WORK/pgbench.log" 2>&1 \
  || { cat "$WORK/pgbench.log" >&2; die "pgbench failed"; }
W1=$(date +%s.%N)
log "workload: INSERT INTO bulk SELECT g, md5(g::text) FROM generate_series(1, $BULK_ROWS) g"
psql_ -c "INSERT INTO bulk SELECT g, md5(g::text) FROM generate_series(1, $BULK_ROWS) g"
W2=$(date +%s.%N)
# Everything above has committed before MARK_LSN; the marker row's commit is after it and is
# the last published transaction of the backlog.
MARK_LSN=$(psql_ -c "SELECT pg_current_wal_insert_lsn()")
psql_ -c "INSERT INTO bulk VALUES (0, 'end of backlog')"
TARGET_LSN=$(psql_ -c "SELECT pg_current_wal_insert_lsn()")
sleep 1.5 # statistics of the finished sessions
CHANGES1=$(count_changes)
ROWS=$((CHANGES1 - CHANGES0))
EXPECTED=$((4 * CLIENTS * PGBENCH_TX + BULK_ROWS + 1))
PGBENCH_TPS=$(grep -o 'tps = [0-9.]*' "$WORK/pgbench.log" | head -1 | awk '{print $3}')

WAL_BYTES=$(( $(lsn2num "$TARGET_LSN") - $(lsn2num "$START_LSN") ))
log "backlog: $ROWS row changes (expected $EXPECTED), WAL $START_LSN..$TARGET_LSN = $WAL_BYTES bytes"
log "pgbench: $(awk "BEGIN{printf \"%.1f\", $W1-$W0}") s ($PGBENCH_TPS tps), bulk insert: $(awk "BEGIN{printf \"%.1f\", $W2-$W1}") s"
[[ $ROWS -ge 1000000 ]] || log "warning: fewer than 1,000,000 row changes"
[[ $ROWS -eq $EXPECTED ]] || log "warning: row-change count $ROWS != expected $EXPECTED"

# ------------------------------------------------------------------ helpers --
slot_confirmed() { psql_ -c "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$1'"; }
slot_walsender() { psql_ -c "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '$1'"; }
# The commit LSN in `tidemark checkpoints` output ("out: offset N source lsn A commit B end C").
checkpoint_commit() {
  "$TM" checkpoints -c "$1" 2>/dev/null | sed -n 's/.* commit \([0-9A-F]*\/[0-9A-F]*\) .*/\1/p'
}

declare -A SECS ACK CPU_CLIENT CPU_WALSND EXTRA

# pg_recvlogical: runs until it reaches --endpos and exits.
# $1: slot, $2: row name. It runs first AND last: the first drain of a backlog also pays
# for reading the WAL into the page cache, so the reference is the faster of the two.
drain_recvlogical() {
  local slot=$1 name=$2 t0 t1 wpid="" wcpu="" c
  log "draining $slot with pg_recvlogical"
  t0=$(now)
  /usr/bin/time -f '%U %S' -o "$WORK/recv.time" \
    "$PG_BIN/pg_recvlogical" -d "$DSN" --slot "$slot" --start -P pgoutput \
      -o proto_version=1 -o publication_names=bench_pub -f /dev/null --no-loop \
      --endpos="$TARGET_LSN" 2>"$WORK/recv.log" &
  CHILD_PID=$!
  while kill -0 "$CHILD_PID" 2>/dev/null; do
    [[ -n $wpid ]] || wpid=$(slot_walsender "$slot" 2>/dev/null || true)
    if [[ -n $wpid ]]; then c=$(cpu_secs "$wpid"); [[ -z $c ]] || wcpu=$c; fi
    sleep "$POLL"
  done
  wait "$CHILD_PID" || { cat "$WORK/recv.log" >&2; die "pg_recvlogical failed"; }
  t1=$(now)
  CHILD_PID=""
  SECS[$name]=$(awk "BEGIN{printf \"%.2f\", $t1-$t0}")
  ACK[$name]=${SECS[$name]}
  CPU_CLIENT[$name]=$(awk '{printf "%.2f", $1+$2}' "$WORK/recv.time")
  CPU_WALSND[$name]=${wcpu:-?}
  EXTRA[$name]="confirmed $(slot_confirmed "$slot")"
}

# tidemark run with sink type $1 (null | file) on slot bench_$1.
drain_tidemark() {
  local kind=$1 slot=bench_$1 name="tidemark->$1" dir=$WORK/tm-$1 t0 t_ack="" t_sink="" t
  local wpid="" wcpu="" c conf sink_yaml pcpu="" deadline
  mkdir -p "$dir"
  conf=$dir/pipeline.yaml
  if [[ $kind == file ]]; then
    sink_yaml="    type: file
    path: $dir/events.jsonl"
  else
    sink_yaml="    type: null"
  fi
  cat >"$conf" <<EOF
pipeline: bench_$kind
data_dir: $dir/data
source:
  type: postgres
  dsn: "$DSN"
  tables: [$TABLE_LIST]
  slot: $slot
  publication: bench_pub
  create_slot: false
  create_publication: false
  status_interval_ms: $STATUS_INTERVAL_MS
sinks:
  - name: out
$sink_yaml
snapshot:
  mode: never
EOF
  log "draining $slot with tidemark -> $kind sink"
  local target mark
  target=$(lsn2num "$TARGET_LSN"); mark=$(lsn2num "$MARK_LSN")
  t0=$(now)
  # shellcheck disable=SC2086  # TIDEMARK_WRAP is split into words on purpose
  (cd "$dir" && exec ${TIDEMARK_WRAP:-} "$TM" --log-level info run -c "$conf") >"$dir/tidemark.log" 2>&1 &
  CHILD_PID=$!
  # With TIDEMARK_WRAP (strace, ...) tidemark may be a child of CHILD_PID: signal and
  # measure tidemark itself (valgrind execs in place, so it stays CHILD_PID).
  local tm_pid=$CHILD_PID k
  for k in $(seq 50); do
    [[ $(readlink "/proc/$CHILD_PID/exe" 2>/dev/null) == "$TM" ]] && break
    c=$(pgrep -P "$CHILD_PID" 2>/dev/null | head -1 || true)
    if [[ -n $c && $(readlink "/proc/$c/exe" 2>/dev/null) == "$TM" ]]; then tm_pid=$c; break; fi
    sleep 0.1
  done
  deadline=$(awk "BEGIN{printf \"%.3f\", $t0 + 1800}")
  while [[ -z $t_ack || -z $t_sink ]]; do
    kill -0 "$CHILD_PID" 2>/dev/null || { tail -20 "$dir/tidemark.log" >&2; die "tidemark exited early"; }
    t=$(now)
    if [[ -z $t_ack ]]; then
      c=$(slot_confirmed "$slot")
      [[ -n $c && $(lsn2num "$c") -ge $target ]] && t_ack=$t
    fi
    if [[ -z $t_sink ]]; then
      c=$(checkpoint_commit "$conf")
      [[ -n $c && $(lsn2num "$c") -gt $mark ]] && t_sink=$t
    fi
    [[ -n $wpid ]] || wpid=$(slot_walsender "$slot" 2>/dev/null || true)
    if [[ -n $wpid ]]; then c=$(cpu_secs "$wpid"); [[ -z $c ]] || wcpu=$c; fi
    pcpu=$(cpu_secs "$tm_pid")
    awk "BEGIN{exit !($t > $deadline)}" && die "tidemark did not finish in 30 minutes"
    [[ -n $t_ack && -n $t_sink ]] || sleep "$POLL"
  done
  # Per-thread CPU and context switches, in creation order: tidemark (main: capture = libpq
  # read + pgoutput decode), tm-journal-sync (fsync), the applier (tidemark), the applier's
  # journal read-ahead (tidemark), tm-journal-app (append: protobuf serialize + lz4 + write).
  local threads
  threads=$(thread_summary "$tm_pid")
  kill -TERM "$tm_pid"
  wait "$CHILD_PID" || log "warning: tidemark exited with status $? after SIGTERM"
  CHILD_PID=""
  SECS[$name]=$(awk "BEGIN{printf \"%.2f\", ($t_ack > $t_sink ? $t_ack : $t_sink) - $t0}")
  ACK[$name]=$(awk "BEGIN{printf \"%.2f\", $t_ack - $t0}")
  SINK_SECS[$name]=$(awk "BEGIN{printf \"%.2f\", $t_sink - $t0}")
  CPU_CLIENT[$name]=${pcpu:-?}
  CPU_WALSND[$name]=${wcpu:-?}
  EXTRA[$name]="$("$TM" checkpoints -c "$conf" 2>/dev/null | head -1)"
  EXTRA[$name]+="; threads (name=CPU s/context switches): $threads"
  if [[ $kind == file ]]; then
    local lines bytes
    lines=$(wc -l <"$dir/events.jsonl")
    bytes=$(stat -c %s "$dir/events.jsonl")
    FILE_BYTES=$bytes
    EXTRA[$name]+="; file $lines lines, $bytes bytes"
    [[ $lines -eq $ROWS ]] || log "warning: file has $lines lines, expected $ROWS"
  fi
  EXTRA[$name]+="; journal $(du -sb "$dir/data/journal" 2>/dev/null | cut -f1) bytes"
}
declare -A SINK_SECS
FILE_BYTES=0

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
drain_recvlogical bench_recv pg_recvlogical
drain_tidemark null
drain_tidemark file
drain_recvlogical bench_recv2 'pg_recvlogical#2'

# -------------------------------------------------------------------- table --
FASTEST_RECV=$(awk "BEGIN{a=${SECS[pg_recvlogical]}; b=${SECS['pg_recvlogical#2']}; print (a < b ? a : b)}")
REF=$(awk "BEGIN{printf \"%.1f\", $ROWS / $FASTEST_RECV}")
echo
echo "$TM_DESC, PostgreSQL $PG_VERSION, $(nproc) CPUs, $(date -u +%FT%TZ), load average $LOAD_START before the drains, $(cut -d' ' -f1-3 /proc/loadavg) after"
echo "backlog: $ROWS row changes ($((4 * CLIENTS * PGBENCH_TX)) from pgbench -c$CLIENTS -j$JOBS -t $PGBENCH_TX at scale $SCALE, $BULK_ROWS + 1 bulk inserts)"
echo "WAL decoded: $START_LSN .. $TARGET_LSN = $WAL_BYTES bytes (MB below = this WAL, 10^6 bytes)"
echo
printf '%-16s %8s %8s %11s %8s %9s %9s %9s\n' drain seconds ack_s rows/s MB/s ratio cpu_s walsnd_s
for name in pg_recvlogical 'tidemark->null' 'tidemark->file' 'pg_recvlogical#2'; do
  s=${SECS[$name]}
  printf '%-16s %8s %8s %11s %8s %9s %9s %9s\n' "$name" "$s" "${ACK[$name]}" \
    "$(awk "BEGIN{printf \"%.0f\", $ROWS / $s}")" \
    "$(awk "BEGIN{printf \"%.1f\", $WAL_BYTES / 1e6 / $s}")" \
    "$(awk "BEGIN{printf \"%.2f\", ($ROWS / $s) / $REF}")" \
    "${CPU_CLIENT[$name]}" "${CPU_WALSND[$name]}"
done
echo
echo "seconds: until the drain is complete (pg_recvlogical: exited at --endpos; tidemark: slot acked"
echo "  >= target AND the sink's checkpoint covers the last transaction); ack_s: until the slot's"
echo "  confirmed_flush_lsn >= target. ratio: rows/s relative to the faster pg_recvlogical run"
echo "  (it drains first and again last, so page-cache warmth does not favour tidemark)."
echo "cpu_s: CPU seconds (user+sys) of the client process; walsnd_s: of the server's walsender"
echo "  (decoding) for that slot (sampled every ${POLL}s, so a lower bound)."
echo "file sink output: $FILE_BYTES bytes ($(awk "BEGIN{printf \"%.1f\", $FILE_BYTES / 1e6 / ${SECS['tidemark->file']}}") MB/s of JSON written)"
for name in pg_recvlogical 'tidemark->null' 'tidemark->file' 'pg_recvlogical#2'; do
  echo "  $name: ${EXTRA[$name]}"
done
