#!/usr/bin/env bash
# bench/maria_to_maria.sh — catch-up throughput, MariaDB → MariaDB: tidemark against a MariaDB
# replica (MariaDB's own replication), on the same >= 1,000,000-row-change sysbench backlog, in
# the same run; prints rows/s of each and the ratio, and checks that both targets equal the
# source (row count + md5 of every table).
#
#   bench/maria_to_maria.sh            # from anywhere
#
# What it does:
#   1. starts three throwaway MariaDB servers (tests/servers/maria-up.sh, MARIA_DURABLE=0 unless
#      DURABLE=1; row-based binlog with full images, GTID strict mode, log_slave_updates) on free
#      loopback ports: the source, tidemark's target and the replica;
#   2. source: `sysbench oltp_write_only prepare` (TABLES tables of TABLE_SIZE rows in database
#      sbtest) and a marker table bench_marker(id int primary key). Both are copied to the two
#      targets with mariadb-dump, with sql_log_bin = 0 so that the targets' binlogs hold none of
#      it (the replica then applies the source's GTIDs without a strict-mode conflict);
#   3. BEFORE the workload: the source's binlog position (SHOW MASTER STATUS) is the start of
#      both appliers: tidemark's `start: FILE:POS`, and on the replica CHANGE MASTER TO
#      MASTER_LOG_FILE/MASTER_LOG_POS (MASTER_USE_GTID = no); the replica is not started;
#   4. workload: `sysbench oltp_write_only run --threads=THREADS --events=EVENTS` (per
#      transaction: one index UPDATE, one non-index UPDATE, one DELETE and one INSERT, i.e. 4 row
#      changes; 1,000,000 by default), then one marker row, the backlog's last commit. Row changes
#      are counted by the server (Handler_write + Handler_update + Handler_delete deltas: rows
#      written, updated and deleted; nothing else writes on the source meanwhile) and checked
#      against 4 × EVENTS + 1;
#   5. applies the backlog, one applier after the other (ORDER, default "replica,tidemark"),
#      each timed from its start until the marker row is visible on its target (polled every
#      POLL s):
#        replica:  START SLAVE (IO thread + SQL thread; slave_parallel_threads = PARALLEL, 0 =
#                  MariaDB's default, a single applier thread)
#        tidemark: tidemark run, MySQL source → mysql sink (tables exist), SIGTERM at the marker;
#   6. verifies every table's row count and md5 (of the sorted md5s of its rows) on both targets
#      against the source, and prints the table.
#
# rows/s = row changes of the backlog / seconds; ratio = rows/s relative to the replica's.
# client_s = CPU s of tidemark's process; mariadbd_s = CPU s of the whole target server (for
# the replica that includes its IO and SQL threads); source_s = of the source server (the
# binlog dump thread serving the applier). Sampled every POLL s.
#
# Knobs (environment): TABLES (4), TABLE_SIZE (100000), THREADS (4), EVENTS (250000 sysbench
# transactions), ORDER (replica,tidemark), POLL (0.1), DURABLE (0), PARALLEL (0: the replica's
# slave_parallel_threads), BATCH_EVENTS / BATCH_MS (the sink's; unset = tidemark's defaults),
# TIDEMARK_BIN, PERF=1 (perf record of tidemark's
# threads, dwarf call graphs, during its apply; implies KEEP=1), KEEP=1 keeps
# the work directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
TABLES=${TABLES:-4}
TABLE_SIZE=${TABLE_SIZE:-100000}
THREADS=${THREADS:-4}
EVENTS=${EVENTS:-250000}
ORDER=${ORDER:-replica,tidemark}
POLL=${POLL:-0.1}
DURABLE=${DURABLE:-0}
PARALLEL=${PARALLEL:-0}
PERF=${PERF:-0}
[[ $PERF == 1 ]] && KEEP=1
KEEP=${KEEP:-0}
command -v sysbench >/dev/null || die "sysbench missing (scripts/install-deps.sh)"
command -v mariadb-dump >/dev/null || die "mariadb-dump missing (scripts/install-deps.sh)"

bench_workdir mariatomaria
TM_PID="" PERF_PID=""
cleanup() {
  local rc=$?
  [[ -n $PERF_PID ]] && kill -INT "$PERF_PID" 2>/dev/null && wait "$PERF_PID" 2>/dev/null
  [[ -n $TM_PID ]] && kill -TERM "$TM_PID" 2>/dev/null && wait "$TM_PID" 2>/dev/null
  local d
  for d in replica tm src; do "$ROOT/tests/servers/maria-down.sh" "$WORK/$d" >/dev/null 2>&1 || true; done
  if [[ $KEEP == 1 ]]; then log "kept $WORK"; else rm -rf -- "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bench_tidemark

# ------------------------------------------------------------------ servers --
declare -A PORT
for d in src tm replica; do
  PORT[$d]=$("$ROOT/tests/servers/free-port.sh")
  log "starting MariaDB ($d) on 127.0.0.1:${PORT[$d]}"
  extra=()
  [[ $d == replica ]] && extra=("slave_parallel_threads=$PARALLEL")
  MARIA_DURABLE=$DURABLE "$ROOT/tests/servers/maria-up.sh" "${PORT[$d]}" "$WORK/$d" "${extra[@]}" >/dev/null
done
q() { local d=$1; shift; mariadb --no-defaults -h127.0.0.1 -P"${PORT[$d]}" -ucdc -pcdc -N -B "$@"; }
MARIA_VERSION=$(q src -e "SELECT VERSION()")
replica_status() {
  mariadb --no-defaults -h127.0.0.1 -P"${PORT[replica]}" -ucdc -pcdc -e "SHOW SLAVE STATUS\G"
}
SERVER_PID() { cat "$WORK/$1/run/mariadbd.pid"; }

# ------------------------------------------------------------ initial state --
q src -e "CREATE DATABASE sbtest"
SB=(--db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="${PORT[src]}" --mysql-user=cdc
    --mysql-password=cdc --mysql-db=sbtest --tables="$TABLES" --table-size="$TABLE_SIZE")
log "sysbench oltp_write_only prepare: $TABLES tables of $TABLE_SIZE rows"
sysbench oltp_write_only "${SB[@]}" prepare >"$WORK/sysbench-prepare.log" 2>&1 \
  || { cat "$WORK/sysbench-prepare.log" >&2; die "sysbench prepare failed"; }
q src sbtest -e "CREATE TABLE bench_marker (id INT PRIMARY KEY, note VARCHAR(64) NOT NULL)"
TABLE_NAMES=()
for i in $(seq "$TABLES"); do TABLE_NAMES+=("sbtest$i"); done
TABLE_NAMES+=(bench_marker)
log "copying the initial tables to both targets (mariadb-dump, sql_log_bin = 0)"
mariadb-dump --no-defaults -h127.0.0.1 -P"${PORT[src]}" -ucdc -pcdc --single-transaction \
  --skip-add-locks sbtest >"$WORK/initial.sql"
for d in tm replica; do
  { echo "SET SESSION sql_log_bin = 0; CREATE DATABASE sbtest; USE sbtest;"; cat "$WORK/initial.sql"; } | q "$d"
done

# ----------------------------------------------- replication set-up, before --
read -r BINLOG_FILE BINLOG_POS _ < <(q src -e "SHOW MASTER STATUS")
[[ -n $BINLOG_FILE && -n $BINLOG_POS ]] || die "SHOW MASTER STATUS gave nothing (is log_bin on?)"
log "start position: $BINLOG_FILE:$BINLOG_POS"
q replica -e "CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ${PORT[src]},
  MASTER_USER = 'cdc', MASTER_PASSWORD = 'cdc', MASTER_LOG_FILE = '$BINLOG_FILE',
  MASTER_LOG_POS = $BINLOG_POS, MASTER_USE_GTID = no"
count_changes() {
  q src -e "SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN
            ('HANDLER_WRITE', 'HANDLER_UPDATE', 'HANDLER_DELETE')"
}
CHANGES0=$(count_changes)

# ----------------------------------------------------------------- workload --
log "workload: sysbench oltp_write_only run --threads=$THREADS --events=$EVENTS"
W0=$(now)
sysbench oltp_write_only "${SB[@]}" --threads="$THREADS" --events="$EVENTS" --time=0 run \
  >"$WORK/sysbench.log" 2>&1 || { cat "$WORK/sysbench.log" >&2; die "sysbench run failed"; }
W1=$(now)
q src sbtest -e "INSERT INTO bench_marker VALUES (1, 'end of backlog')"
ROWS=$(( $(count_changes) - CHANGES0 ))
read -r END_FILE END_POS _ < <(q src -e "SHOW MASTER STATUS")
SB_TPS=$(grep -o 'transactions: *[0-9]* *([0-9.]* per sec' "$WORK/sysbench.log" | grep -o '[0-9.]* per' | awk '{print $1}')
log "backlog: $ROWS row changes (sysbench: $(elapsed "$W0" "$W1") s, $SB_TPS tps), binlog up to $END_FILE:$END_POS"
[[ $ROWS -eq $((4 * EVENTS + 1)) ]] || log "warning: $ROWS row changes, expected $((4 * EVENTS + 1))"

# -------------------------------------------------------------------- apply --
declare -A SECS CPU_CLIENT CPU_TARGET CPU_SOURCE NOTE
marker_on() { [[ $(q "$1" sbtest -e "SELECT COUNT(*) FROM bench_marker" 2>/dev/null) == 1 ]]; }

# Waits until the marker is on target $1 (process $2 must stay alive, if given); samples the
# CPU of process $2 (CCPU), of target server $1 (TCPU) and of the source server (SCPU).
wait_marker() {
  local d=$1 alive=$2 t0=$3 tpid spid x0t x0s x
  tpid=$(SERVER_PID "$d"); spid=$(SERVER_PID src)
  x0t=$(cpu_secs "$tpid"); x0s=$(cpu_secs "$spid")
  while ! marker_on "$d"; do
    if [[ -n $alive ]] && ! kill -0 "$alive" 2>/dev/null; then
      tail -30 "$WORK/tidemark.log" >&2; die "tidemark exited before applying the backlog"
    fi
    if [[ $d == replica ]] && replica_status | grep -Eq '_Running: No'; then
      replica_status | grep -E 'Running|Error' >&2; die "a replica thread stopped"
    fi
    awk -v t0="$t0" -v t="$(now)" 'BEGIN{exit !(t - t0 > 1800)}' && die "$d: not caught up in 30 minutes"
    [[ -z $alive ]] || { x=$(cpu_secs "$alive"); [[ -z $x ]] || CCPU=$x; }
    sleep "$POLL"
  done
  TCPU=$(awk -v a="$x0t" -v b="$(cpu_secs "$tpid")" 'BEGIN{printf "%.2f", b - a}')
  SCPU=$(awk -v a="$x0s" -v b="$(cpu_secs "$spid")" 'BEGIN{printf "%.2f", b - a}')
}

apply_replica() {
  log "replica: START SLAVE"
  CCPU="-"
  local t0 t1
  t0=$(now)
  q replica -e "START SLAVE"
  wait_marker replica "" "$t0"
  t1=$(now)
  q replica -e "STOP SLAVE"
  SECS[replica]=$(elapsed "$t0" "$t1")
  CPU_CLIENT[replica]="-" CPU_TARGET[replica]=$TCPU CPU_SOURCE[replica]=$SCPU
  NOTE[replica]="slave_parallel_threads=$PARALLEL"
}

apply_tidemark() {
  local conf=$WORK/tm-run/pipeline.yaml batch="" list=""
  mkdir -p "$WORK/tm-run"
  [[ -z ${BATCH_EVENTS:-} ]] || batch+=$'\n'"    batch_events: $BATCH_EVENTS"
  [[ -z ${BATCH_MS:-} ]] || batch+=$'\n'"    batch_ms: $BATCH_MS"
  list=$(printf 'sbtest.%s, ' "${TABLE_NAMES[@]}"); list=${list%, }
  cat >"$conf" <<EOF
pipeline: bench
data_dir: $WORK/tm-run/data
source:
  type: mysql
  dsn: "mysql://cdc:cdc@127.0.0.1:${PORT[src]}/sbtest"
  server_id: 4242
  start: "$BINLOG_FILE:$BINLOG_POS"
  tables: [$list]
sinks:
  - name: out
    type: mysql
    dsn: "mysql://cdc:cdc@127.0.0.1:${PORT[tm]}/sbtest"$batch
snapshot:
  mode: never
EOF
  log "tidemark run (MariaDB → mysql sink)"
  CCPU="?"
  local t0 t1 tid threads=""
  t0=$(now)
  "$TM" --log-level info run -c "$conf" >"$WORK/tidemark.log" 2>&1 &
  TM_PID=$!
  if [[ $PERF == 1 ]]; then
    sleep 0.5  # perf -p attaches to the threads that exist: let tidemark start its threads
    perf record -p "$TM_PID" --call-graph dwarf,16384 -F 1000 -o "$WORK/perf.data" >"$WORK/perf-record.log" 2>&1 &
    PERF_PID=$!
  fi
  wait_marker tm "$TM_PID" "$t0"
  t1=$(now)
  if [[ -n $PERF_PID ]]; then kill -INT "$PERF_PID"; wait "$PERF_PID" || true; PERF_PID=""; fi
  for tid in $(ls "/proc/$TM_PID/task" | sort -n); do threads+=" $(cpu_secs "$TM_PID/task/$tid")"; done
  CCPU=$(cpu_secs "$TM_PID")
  kill -TERM "$TM_PID"; wait "$TM_PID" || log "warning: tidemark exited with status $? after SIGTERM"
  TM_PID=""
  SECS[tidemark]=$(elapsed "$t0" "$t1")
  CPU_CLIENT[tidemark]=$CCPU CPU_TARGET[tidemark]=$TCPU CPU_SOURCE[tidemark]=$SCPU
  NOTE[tidemark]="thread CPU s (creation order):$threads; journal $(du -sb "$WORK/tm-run/data/journal" | cut -f1) bytes"
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
    replica) apply_replica ;;
    tidemark) apply_tidemark ;;
    *) die "ORDER: unknown run '$r' (replica, tidemark)" ;;
  esac
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------- verify --
log "verifying: row count + md5 of every table on the source and both targets"
digest() {  # count and md5 of the sorted md5s of the rows (every column, NULL-safe)
  local cols
  cols=$(q "$1" -e "SELECT GROUP_CONCAT(CONCAT('QUOTE(\`', COLUMN_NAME, '\`)') ORDER BY ORDINAL_POSITION)
                    FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'sbtest' AND TABLE_NAME = '$2'")
  q "$1" sbtest -e "SET SESSION group_concat_max_len = 1073741824;
    SELECT CONCAT(COUNT(*), ' ', COALESCE(MD5(GROUP_CONCAT(h ORDER BY h SEPARATOR '')), '-'))
    FROM (SELECT MD5(CONCAT_WS(',', $cols)) AS h FROM \`$2\`) s"
}
VERIFY=ok VERIFY_LINES=""
for t in "${TABLE_NAMES[@]}"; do
  s=$(digest src "$t")
  for d in tm replica; do
    [[ -n ${SECS[${d/tm/tidemark}]:-} ]] || continue
    g=$(digest "$d" "$t")
    if [[ $g != "$s" ]]; then VERIFY=FAILED; log "MISMATCH $t: source $s, $d target $g"; fi
  done
  VERIFY_LINES+="  $t: $s"$'\n'
done

# -------------------------------------------------------------------- table --
echo
echo "$TM_DESC, MariaDB $MARIA_VERSION, $(nproc) CPUs, $(date -u +%FT%TZ)"
echo "load average before the apply runs: $LOAD_BEFORE, after: $LOAD_AFTER; servers: MARIA_DURABLE=$DURABLE"
echo "backlog: $ROWS row changes (sysbench oltp_write_only --threads=$THREADS --events=$EVENTS on $TABLES x $TABLE_SIZE rows, + 1 marker), binlog $BINLOG_FILE:$BINLOG_POS .. $END_FILE:$END_POS"
echo
printf '%-10s %8s %10s %7s %9s %11s %9s\n' apply seconds rows/s ratio client_s mariadbd_s source_s
for r in replica tidemark; do
  [[ -n ${SECS[$r]:-} ]] || continue
  rate=$(awk -v n="$ROWS" -v s="${SECS[$r]}" 'BEGIN{printf "%.0f", n / s}')
  ratio="-"
  [[ -n ${SECS[replica]:-} ]] && ratio=$(awk -v a="${SECS[replica]}" -v b="${SECS[$r]}" 'BEGIN{printf "%.2f", a / b}')
  printf '%-10s %8s %10s %7s %9s %11s %9s\n' "$r" "${SECS[$r]}" "$rate" "$ratio" \
    "${CPU_CLIENT[$r]}" "${CPU_TARGET[$r]}" "${CPU_SOURCE[$r]}"
done
echo
echo "seconds: from START SLAVE / tidemark's start until the marker row (the backlog's last commit)"
echo "  is visible on that target. ratio: rows/s relative to the replica's."
echo "client_s: CPU s of tidemark; mariadbd_s: of the target server; source_s: of the source server."
for r in replica tidemark; do [[ -z ${NOTE[$r]:-} ]] || echo "  $r: ${NOTE[$r]}"; done
echo "verification (source: count md5): $VERIFY"
printf '%s' "$VERIFY_LINES"
[[ $VERIFY == ok ]] || exit 1
