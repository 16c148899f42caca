#!/usr/bin/env bash
# bench/pg_to_pg.sh — catch-up throughput, PostgreSQL → PostgreSQL: tidemark against
# PostgreSQL's own logical replication (CREATE SUBSCRIPTION), on the same >= 1,000,000-change
# pgbench backlog, in the same run; prints rows/s of each and the ratio, and checks that both
# targets equal the source (row count + md5 of every table).
#
#   bench/pg_to_pg.sh                  # from anywhere
#
# What it does:
#   1. starts three throwaway PostgreSQL 15 servers (tests/servers/pg-up.sh, PG_DURABLE=0 unless
#      DURABLE=1) on free loopback ports: the source, tidemark's target and the subscription's
#      target;
#   2. source: `pgbench -i -s SCALE`, pgbench_history gets REPLICA IDENTITY FULL (it has no
#      primary key; both appliers then see full rows), plus a marker table
#      bench_marker(id int primary key). The five tables (schema and data) are copied to both
#      targets with pg_dump, so all three start equal;
#   3. BEFORE the workload: publication bench_pub over the five tables, two pgoutput slots
#      (bench_tm for tidemark, bench_sub for the subscription), and on the subscription's
#      target CREATE SUBSCRIPTION ... WITH (create_slot = false, slot_name = 'bench_sub',
#      copy_data = false, enabled = false). Nothing applies during the workload;
#   4. workload: `pgbench -n -c CLIENTS -j JOBS -t PGBENCH_TX` (TPC-B-like: 3 UPDATEs and 1
#      INSERT per transaction, so 4 × CLIENTS × PGBENCH_TX row changes; 1,000,000 by default),
#      then one marker row, the backlog's last commit. Row changes are counted from
#      pg_stat_user_tables (n_tup_ins+upd+del deltas) and checked against that number;
#   5. applies the backlog, one applier after the other (ORDER, default "sub,tidemark"), each
#      timed from its start until the marker row is visible on its target (one session on the
#      target checks every 10 ms, server-side: see wait_marker):
#        subscription:  ALTER SUBSCRIPTION bench_sub ENABLE  (PostgreSQL's apply worker)
#        tidemark:      tidemark run, PG source (slot bench_tm) → postgres sink (tables exist,
#                       create_tables: false), SIGTERM once the marker is there;
#   6. verifies: every table's row count and md5 (of the sorted md5s of its rows' text) on both
#      targets equals the source's, and prints the table.
#
# rows/s = row changes of the backlog / seconds. ratio = tidemark's rows/s / the subscription's.
# cpu columns: CPU seconds (user+sys) of each process, read once the marker is there:
# walsnd = the source's walsender for that slot (decoding), client = tidemark's process / the
# subscription's apply worker, target = tidemark's backend on its target (the apply worker IS
# the subscription's target backend, so that column is "-" for it).
#
# Knobs (environment): SCALE (10), CLIENTS (4), JOBS (2), PGBENCH_TX (62500 per client),
# ORDER (sub,tidemark), DURABLE (0; 1 = fsync on all three servers),
# BATCH_EVENTS / BATCH_MS (the sink's batch_events / batch_ms; unset = tidemark's defaults),
# CACHE_BYTES (journal.cache_bytes, e.g. 64MiB; unset = tidemark's default),
# CATCHUP_LINGER_MS / RECEIVE_BUFFER / CHUNK_EVENTS (source.catchup_linger_ms /
# receive_buffer_bytes, e.g. 1MiB / chunk_events; unset = tidemark's defaults),
# SOCKET (tcp: every connection over loopback TCP; unix: over the servers' Unix-domain sockets),
# STATUS_INTERVAL_MS (100), SUB_BINARY (0; 1 = the subscription uses binary = true),
# TIDEMARK_BIN (default: build/cli/tidemark, built with ninja), PERF=1 (perf record of tidemark's
# process and its target backend, dwarf call graphs, during its apply, report in the work directory; implies KEEP=1;
# PERF_EVENT=sched:sched_switch records context switches instead: where each thread waits), KEEP=1 keeps the work
# directory (server logs, tidemark's log and journal).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
SCALE=${SCALE:-10}
CLIENTS=${CLIENTS:-4}
JOBS=${JOBS:-2}
PGBENCH_TX=${PGBENCH_TX:-62500}
ORDER=${ORDER:-sub,tidemark}
DURABLE=${DURABLE:-0}
STATUS_INTERVAL_MS=${STATUS_INTERVAL_MS:-100}
SUB_BINARY=${SUB_BINARY:-0}
PERF=${PERF:-0}
SOCKET=${SOCKET:-tcp}
[[ $SOCKET == tcp || $SOCKET == unix ]] || { echo "SOCKET must be tcp or unix" >&2; exit 2; }
[[ $PERF == 1 ]] && KEEP=1
KEEP=${KEEP:-0}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
export PG_BIN
for b in pgbench pg_dump psql; do [[ -x $PG_BIN/$b ]] || die "$PG_BIN/$b missing (scripts/install-deps.sh)"; done

bench_workdir pgtopg
TM_PID="" PERF_PID=""
cleanup() {
  local rc=$?
  [[ -n $PERF_PID ]] && kill -INT "$PERF_PID" 2>/dev/null && wait "$PERF_PID" 2>/dev/null
  [[ -n $TM_PID ]] && kill -TERM "$TM_PID" 2>/dev/null && wait "$TM_PID" 2>/dev/null
  local d
  for d in sub tm src; do "$ROOT/tests/servers/pg-down.sh" "$WORK/$d" >/dev/null 2>&1 || true; done
  if [[ $KEEP == 1 ]]; then log "kept $WORK"; else rm -rf -- "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bench_tidemark

# ------------------------------------------------------------------ servers --
declare -A PORT DSN HOST
for d in src tm sub; do
  PORT[$d]=$("$ROOT/tests/servers/free-port.sh")
  log "starting PostgreSQL ($d) on 127.0.0.1:${PORT[$d]}"
  PG_DURABLE=$DURABLE "$ROOT/tests/servers/pg-up.sh" "${PORT[$d]}" "$WORK/$d" >/dev/null
  "$PG_BIN/psql" "host=127.0.0.1 port=${PORT[$d]} user=postgres dbname=postgres" -XAtq \
    -c "CREATE DATABASE bench" >/dev/null
  # SOCKET=unix: every client (tidemark, the subscription, the scripts) connects over the
  # servers' Unix-domain sockets instead of loopback TCP.
  HOST[$d]=127.0.0.1
  [[ $SOCKET == unix ]] && HOST[$d]=$WORK/$d/run
  DSN[$d]="host=${HOST[$d]} port=${PORT[$d]} user=postgres dbname=bench"
done
PG_VERSION=$("$PG_BIN/postgres" --version | awk '{print $3}')
q() { local d=$1; shift; "$PG_BIN/psql" "${DSN[$d]}" -XAtq -v ON_ERROR_STOP=1 "$@"; }

# ------------------------------------------------------------ initial state --
log "pgbench -i -s $SCALE on the source"
"$PG_BIN/pgbench" -i -q -s "$SCALE" "${DSN[src]}" >"$WORK/pgbench-init.log" 2>&1 \
  || { cat "$WORK/pgbench-init.log" >&2; die "pgbench -i failed"; }
TABLES=(pgbench_accounts pgbench_branches pgbench_tellers pgbench_history bench_marker)
q src <<SQL >/dev/null
ALTER TABLE pgbench_history REPLICA IDENTITY FULL;
CREATE TABLE bench_marker (id int PRIMARY KEY, note text NOT NULL);
SQL
log "copying the initial tables to both targets (pg_dump)"
DUMP_ARGS=()
for t in "${TABLES[@]}"; do DUMP_ARGS+=(-t "public.$t"); done
"$PG_BIN/pg_dump" -d "${DSN[src]}" "${DUMP_ARGS[@]}" >"$WORK/initial.sql"
for d in tm sub; do q "$d" -f "$WORK/initial.sql" >/dev/null; done

# ----------------------------------------------- replication set-up, before --
TABLE_LIST=$(printf 'public.%s, ' "${TABLES[@]}"); TABLE_LIST=${TABLE_LIST%, }
q src <<SQL >/dev/null
CREATE PUBLICATION bench_pub FOR TABLE $TABLE_LIST;
SELECT pg_create_logical_replication_slot('bench_tm', 'pgoutput');
SELECT pg_create_logical_replication_slot('bench_sub', 'pgoutput');
SQL
SUB_OPTS="create_slot = false, slot_name = 'bench_sub', copy_data = false, enabled = false"
[[ $SUB_BINARY == 1 ]] && SUB_OPTS+=", binary = true"
q sub -c "CREATE SUBSCRIPTION bench_sub CONNECTION 'host=${HOST[src]} port=${PORT[src]} \
user=postgres dbname=bench' PUBLICATION bench_pub WITH ($SUB_OPTS)" >/dev/null
START_LSN=$(q src -c "SELECT max(confirmed_flush_lsn) FROM pg_replication_slots")

count_changes() {
  local rel="" t
  for t in "${TABLES[@]}"; do rel+="'$t'::regclass, "; done
  q src -c "SELECT pg_stat_clear_snapshot()" \
        -c "SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables
            WHERE relid IN (${rel%, })" | tail -1
}
sleep 1   # statistics of the set-up sessions reach the shared stats
CHANGES0=$(count_changes)

# ----------------------------------------------------------------- workload --
log "workload: pgbench -n -c$CLIENTS -j$JOBS -t $PGBENCH_TX"
W0=$(now)
"$PG_BIN/pgbench" -n -c "$CLIENTS" -j "$JOBS" -t "$PGBENCH_TX" "${DSN[src]}" >"$WORK/pgbench.log" 2>&1 \
  || { cat "$WORK/pgbench.log" >&2; die "pgbench failed"; }
W1=$(now)
q src -c "INSERT INTO bench_marker VALUES (1, 'end of backlog')" >/dev/null
TARGET_LSN=$(q src -c "SELECT pg_current_wal_insert_lsn()")
sleep 1.5  # statistics of the finished sessions
ROWS=$(( $(count_changes) - CHANGES0 ))
EXPECTED=$((4 * CLIENTS * PGBENCH_TX + 1))
WAL_BYTES=$(( $(lsn2num "$TARGET_LSN") - $(lsn2num "$START_LSN") ))
PGBENCH_TPS=$(grep -o 'tps = [0-9.]*' "$WORK/pgbench.log" | head -1 | awk '{print $3}')
log "backlog: $ROWS row changes (expected $EXPECTED), WAL $START_LSN..$TARGET_LSN = $WAL_BYTES bytes; pgbench $(elapsed "$W0" "$W1") s, $PGBENCH_TPS tps"
[[ $ROWS -eq $EXPECTED ]] || die "row-change count $ROWS != expected $EXPECTED"

# -------------------------------------------------------------------- apply --
declare -A SECS CPU_CLIENT CPU_WALSND CPU_TARGET NOTE
slot_walsender() { q src -c "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '$1'"; }

# Waits until the marker row is visible on target $1 and sets MARKER_T to that moment. One
# session checks every 10 ms on the server (committing between checks, so it holds back no
# vacuum horizon on the target). A psql process per check, as before, cost ~10-30 ms of CPU
# per check (fork, connect, exit), taken from whichever applier was being measured: on 2 cores
# that slowed an applier using both cores (tidemark) and not one using one (the subscription's
# single apply worker). Process $2, if given, must stay alive. Afterwards samples the CPU of the
# walsender of slot $3 and of the pids printed by the command in $4 (client) / $5 (target),
# which are still running then.
wait_marker() {
  local d=$1 alive=$2 slot=$3 client_q=$4 target_q=$5 waiter x w c tg
  rm -f "$WORK/marker.t"
  { q "$d" -c "SET statement_timeout = '30min'" \
      -c "DO \$\$ BEGIN WHILE NOT EXISTS (SELECT 1 FROM bench_marker) LOOP COMMIT; PERFORM pg_sleep(0.01); END LOOP; END \$\$" \
      && now >"$WORK/marker.t"; } &
  waiter=$!
  while kill -0 "$waiter" 2>/dev/null; do
    if [[ -n $alive ]] && ! kill -0 "$alive" 2>/dev/null; then
      pkill -P "$waiter" 2>/dev/null; kill "$waiter" 2>/dev/null
      tail -30 "$WORK/tidemark.log" >&2; die "tidemark exited before applying the backlog"
    fi
    sleep 0.5
  done
  wait "$waiter" && [[ -s $WORK/marker.t ]] || die "$d: waiting for the marker row failed or took over 30 minutes (statement_timeout)"
  MARKER_T=$(cat "$WORK/marker.t")
  w=$(slot_walsender "$slot" 2>/dev/null || true)
  c=$(eval "$client_q" 2>/dev/null || true)
  tg=""
  [[ -z $target_q ]] || tg=$(eval "$target_q" 2>/dev/null || true)
  [[ -z $w ]] || { x=$(cpu_secs "$w"); [[ -z $x ]] || WCPU=$x; }
  [[ -z $c ]] || { x=$(cpu_secs "$c"); [[ -z $x ]] || CCPU=$x; }
  [[ -z $tg ]] || { x=$(cpu_secs "$tg"); [[ -z $x ]] || TCPU=$x; }
  [[ -z $tg ]] || { x=$(awk '{print $10}' "/proc/$tg/stat" 2>/dev/null); [[ -z $x ]] || TFLT=$x; }
  return 0
}

apply_sub() {
  log "subscription: ALTER SUBSCRIPTION bench_sub ENABLE"
  WCPU="?" CCPU="?" TCPU="-"
  local t0 t1 pk0
  t0=$(now)
  pk0=$(lo_packets)
  q sub -c "ALTER SUBSCRIPTION bench_sub ENABLE" >/dev/null
  wait_marker sub "" bench_sub \
    "q sub -c \"SELECT pid FROM pg_stat_subscription WHERE subname = 'bench_sub' AND relid IS NULL\"" ""
  t1=$MARKER_T
  q sub -c "ALTER SUBSCRIPTION bench_sub DISABLE" >/dev/null
  SECS[sub]=$(elapsed "$t0" "$t1")
  CPU_CLIENT[sub]=$CCPU CPU_WALSND[sub]=$WCPU CPU_TARGET[sub]="-"
  NOTE[sub]="apply worker (binary=$([[ $SUB_BINARY == 1 ]] && echo true || echo false)); $(( $(lo_packets) - pk0 )) loopback packets"
}

apply_tidemark() {
  local conf=$WORK/tm-run/pipeline.yaml batch=""
  mkdir -p "$WORK/tm-run"
  [[ -z ${BATCH_EVENTS:-} ]] || batch+=$'\n'"    batch_events: $BATCH_EVENTS"
  [[ -z ${BATCH_MS:-} ]] || batch+=$'\n'"    batch_ms: $BATCH_MS"
  local source_extra=""
  [[ -z ${CATCHUP_LINGER_MS:-} ]] || source_extra+=$'\n'"  catchup_linger_ms: $CATCHUP_LINGER_MS"
  [[ -z ${RECEIVE_BUFFER:-} ]] || source_extra+=$'\n'"  receive_buffer_bytes: $RECEIVE_BUFFER"
  [[ -z ${CHUNK_EVENTS:-} ]] || source_extra+=$'\n'"  chunk_events: $CHUNK_EVENTS"
  cat >"$conf" <<EOF
pipeline: bench
data_dir: $WORK/tm-run/data
source:
  type: postgres
  dsn: "${DSN[src]}"
  tables: [$TABLE_LIST]
  slot: bench_tm
  publication: bench_pub
  create_slot: false
  create_publication: false
  status_interval_ms: $STATUS_INTERVAL_MS$source_extra
sinks:
  - name: out
    type: postgres
    dsn: "${DSN[tm]}"$batch
snapshot:
  mode: never${CACHE_BYTES:+
journal:
  cache_bytes: $CACHE_BYTES}
EOF
  log "tidemark run (PG → PG sink)"
  WCPU="?" CCPU="?" TCPU="?" TFLT="?"
  local t0 t1 threads pk0
  t0=$(now)
  pk0=$(lo_packets)
  "$TM" --log-level info run -c "$conf" >"$WORK/tidemark.log" 2>&1 &
  TM_PID=$!
  if [[ $PERF == 1 ]]; then
    # perf -p attaches to the threads that exist: wait for the applier's target backend.
    local backend="" k
    for k in $(seq 50); do
      backend=$(q tm -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'tidemark:out'")
      [[ -z $backend ]] || break
      sleep 0.1
    done
    # PERF_EVENT=sched:sched_switch records where each thread blocks (off-CPU) instead of samples.
    # That one records every CPU (-a), so `perf sched timehist` sees every wait end.
    local what=(-p "$TM_PID${backend:+,$backend}" --call-graph dwarf,16384 -F 1000)
    [[ -z ${PERF_EVENT:-} ]] || what=(-a -g -e "$PERF_EVENT" -e sched:sched_wakeup)
    perf record "${what[@]}" -o "$WORK/perf.data" >"$WORK/perf-record.log" 2>&1 &
    PERF_PID=$!
  fi
  wait_marker tm "$TM_PID" bench_tm "echo $TM_PID" \
    "q tm -c \"SELECT pid FROM pg_stat_activity WHERE application_name = 'tidemark:out'\""
  t1=$MARKER_T
  if [[ -n $PERF_PID ]]; then kill -INT "$PERF_PID"; wait "$PERF_PID" || true; PERF_PID=""; fi
  threads=$(thread_summary "$TM_PID")
  local packets=$(( $(lo_packets) - pk0 ))
  CCPU=$(cpu_secs "$TM_PID")
  local rss_mb
  rss_mb=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$TM_PID/status")
  local minflt
  minflt=$(awk '{print $10}' "/proc/$TM_PID/stat")
  kill -TERM "$TM_PID"; wait "$TM_PID" || log "warning: tidemark exited with status $? after SIGTERM"
  TM_PID=""
  SECS[tidemark]=$(elapsed "$t0" "$t1")
  CPU_CLIENT[tidemark]=$CCPU CPU_WALSND[tidemark]=$WCPU CPU_TARGET[tidemark]=$TCPU
  NOTE[tidemark]="threads (creation order, name=CPU s/context switches): $threads; peak RSS ${rss_mb} MB; minor page faults $minflt (its target backend: $TFLT); journal $(du -sb "$WORK/tm-run/data/journal" | cut -f1) bytes; $packets loopback packets"
  if [[ $PERF == 1 ]]; then
    perf report -i "$WORK/perf.data" --children --sort pid,sym -g none --stdio 2>/dev/null \
      | head -300 >"$WORK/perf-report.txt" || true
    log "perf report: $WORK/perf-report.txt"
  fi
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
IFS=, read -r -a RUNS <<<"$ORDER"
for r in "${RUNS[@]}"; do
  case $r in
    sub) apply_sub ;;
    tidemark) apply_tidemark ;;
    *) die "ORDER: unknown run '$r' (sub, tidemark)" ;;
  esac
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------- verify --
log "verifying: row count + md5 of every table on the source and both targets"
digest() {  # count and md5 of the sorted md5s of the rows' text: independent of tidemark's code
  q "$1" -c "SELECT count(*) || ' ' || coalesce(md5(string_agg(h, '' ORDER BY h)), '-')
             FROM (SELECT md5(t::text) AS h FROM public.$2 t) s"
}
VERIFY=ok VERIFY_LINES=""
for t in "${TABLES[@]}"; do
  s=$(digest src "$t")
  for d in tm sub; do
    [[ -n ${SECS[${d/tm/tidemark}]:-} ]] || continue
    g=$(digest "$d" "$t")
    if [[ $g != "$s" ]]; then
      VERIFY=FAILED
      log "MISMATCH $t: source $s, $d target $g"
    fi
  done
  VERIFY_LINES+="  $t: ${s}"$'\n'
done

# -------------------------------------------------------------------- table --
echo
echo "$TM_DESC, PostgreSQL $PG_VERSION, $(nproc) CPUs, $(date -u +%FT%TZ)"
echo "load average before the apply runs: $LOAD_BEFORE, after: $LOAD_AFTER; servers: PG_DURABLE=$DURABLE; connections: $SOCKET"
echo "backlog: $ROWS row changes (pgbench -c$CLIENTS -j$JOBS -t $PGBENCH_TX at scale $SCALE, 4 per transaction, + 1 marker), WAL $WAL_BYTES bytes"
echo
printf '%-14s %8s %10s %7s %9s %9s %9s\n' apply seconds rows/s ratio client_s walsnd_s target_s
for r in sub tidemark; do
  [[ -n ${SECS[$r]:-} ]] || continue
  rate=$(awk -v n="$ROWS" -v s="${SECS[$r]}" 'BEGIN{printf "%.0f", n / s}')
  ratio="-"
  [[ -n ${SECS[sub]:-} ]] && ratio=$(awk -v a="${SECS[sub]}" -v b="${SECS[$r]}" 'BEGIN{printf "%.2f", a / b}')
  name=$r; [[ $r == sub ]] && name=subscription
  printf '%-14s %8s %10s %7s %9s %9s %9s\n' "$name" "${SECS[$r]}" "$rate" "$ratio" \
    "${CPU_CLIENT[$r]}" "${CPU_WALSND[$r]}" "${CPU_TARGET[$r]}"
done
echo
echo "seconds: from ALTER SUBSCRIPTION ENABLE / tidemark's start until the marker row (the backlog's"
echo "  last commit) is visible on that target. ratio: rows/s relative to the subscription's."
echo "client_s: CPU s of the subscription's apply worker / of tidemark; walsnd_s: of the source's"
echo "  walsender for that slot; target_s: of tidemark's backend on its target."
for r in sub tidemark; do [[ -z ${NOTE[$r]:-} ]] || echo "  $r: ${NOTE[$r]}"; done
echo "verification (source: count md5): $VERIFY"
printf '%s' "$VERIFY_LINES"
[[ $VERIFY == ok ]] || exit 1
