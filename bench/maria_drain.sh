#!/usr/bin/env bash
# bench/maria_drain.sh — drain a >= 1,000,000-row-change MariaDB binlog backlog with
# mariadb-binlog (the reference), tidemark → null sink and tidemark → file sink, one after
# another from the same server and start position, and print seconds, rows/s, MB/s and the
# ratio to mariadb-binlog.
#
#   bench/maria_drain.sh               # from the repository root (or anywhere)
#
# What it does:
#   1. builds build/cli/tidemark if needed, starts a throwaway MariaDB
#      (tests/servers/maria-up.sh, MARIA_DURABLE=0, binlog_row_metadata=FULL, CRC32) on a
#      free loopback port, creates database "bench", `sysbench oltp_write_only prepare`
#      (TABLES tables of TABLE_SIZE rows) and table bulk(id int primary key, payload
#      varchar(64)); then FLUSH BINARY LOGS: START = the new file's first event (FILE:4);
#   2. workload: `sysbench oltp_write_only run --events=SB_EVENTS --threads=SB_THREADS`
#      (per transaction: an index UPDATE, a non-index UPDATE, a DELETE and an INSERT = 4 row
#      changes), then `INSERT INTO bulk SELECT seq, md5(seq) FROM seq_1_to_BULK_ROWS` (one
#      multi-row statement, one transaction), then one marker row whose commit is the
#      backlog's last; END = SHOW MASTER STATUS after it. Row changes are counted from the
#      binlog itself (`mariadb-binlog -v`: the ### INSERT/UPDATE/DELETE row images);
#   3. drains START..END in turn, each timed from process start:
#        mariadb-binlog --read-from-remote-server --raw --to-last-log --start-position=4
#                       --result-file=<tmp dir>/ FILE       (until it exits at the end of
#                       the last binlog; the raw files are written to a temp dir, no fsync)
#        tidemark → null / file (source.start FILE:4): until the sink's checkpoint
#                       (`tidemark checkpoints`) is at END, i.e. everything is applied
#                       (the file sink fsyncs before each checkpoint); then SIGTERM. The file
#                       sink's line count is checked against the row count. Both pipelines
#                       were started once before the workload (so their schema history
#                       exists): the drain is a restart into a backlog, the usual case;
#        tidemark → null, first start: a pipeline never started before, which first lists
#                       the backlog's DDL (schema_loader.h) — the one-time cost of a first
#                       start far behind the binlog's end.
#      mariadb-binlog drains first and again last (page-cache warmth favours neither side);
#      the ratio is against the faster of its two runs;
#   4. prints the table. MB = binlog bytes from START to END (10^6 bytes); rows/s and MB/s
#      use the drain's seconds.
#
# Knobs (environment): TABLES (4), TABLE_SIZE (100000), SB_THREADS (4), SB_EVENTS (100000
# transactions → 400,000 row changes), BULK_ROWS (600000), POLL (0.1 s), TIDEMARK_BIN
# (default build/cli/tidemark, built with ninja), TIDEMARK_WRAP (a command prefix for
# `tidemark run`, e.g. "perf record -g -o /tmp/perf.data"), KEEP=1 keeps the work directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TABLES=${TABLES:-4}
TABLE_SIZE=${TABLE_SIZE:-100000}
SB_THREADS=${SB_THREADS:-4}
SB_EVENTS=${SB_EVENTS:-100000}
BULK_ROWS=${BULK_ROWS:-600000}
POLL=${POLL:-0.1}
KEEP=${KEEP:-0}
BUILD=$ROOT/build
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

# ------------------------------------------------------------------ cleanup --
bench_workdir mariadrain
MDIR=$WORK/maria
CHILD_PID=""
cleanup() {
  local rc=$?
  if [[ -n $CHILD_PID ]] && kill -0 "$CHILD_PID" 2>/dev/null; then
    kill -TERM "$CHILD_PID" 2>/dev/null || true
    wait "$CHILD_PID" 2>/dev/null || true
  fi
  "$ROOT/tests/servers/maria-down.sh" "$MDIR" >/dev/null 2>&1 || true
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
for b in sysbench mariadb mariadb-binlog; do
  command -v "$b" >/dev/null || die "$b missing (scripts/install-deps.sh installs it)"
done

# ------------------------------------------------------------------ helpers --
# "FILE:POS" of the sink's checkpoint ("out: offset N source FILE:POS gtid G (reason)").
checkpoint_pos() {
  "$TM" checkpoints -c "$1" 2>/dev/null | sed -n 's/.* source \([^ ]*:[0-9]*\).*/\1/p'
}
at_end() {  # $1 = FILE:POS; true when it is at or past END
  local f=${1%:*} p=${1##*:}
  [[ $f > $END_FILE ]] || { [[ $f == "$END_FILE" ]] && [[ $p -ge $END_POS ]]; }
}

declare -A SECS CPU_CLIENT CPU_SERVER EXTRA
FILE_BYTES=0

drain_binlog() {  # $1: row name
  local name=$1 t0 t1 s0 s1 out=$WORK/raw-$RANDOM
  mkdir -p "$out"
  log "draining with mariadb-binlog --read-from-remote-server --raw"
  s0=$(cpu_secs "$SERVER_PID")
  t0=$(now)
  /usr/bin/time -f '%U %S' -o "$WORK/binlog.time" \
    mariadb-binlog --no-defaults --read-from-remote-server --raw --to-last-log \
      --host=127.0.0.1 --port="$PORT" --user=cdc --password=cdc \
      --start-position=$START_POS --result-file="$out/" "$START_FILE" 2>"$WORK/binlog.log" \
    || { cat "$WORK/binlog.log" >&2; die "mariadb-binlog failed"; }
  t1=$(now)
  s1=$(cpu_secs "$SERVER_PID")
  SECS[$name]=$(awk "BEGIN{printf \"%.2f\", $t1-$t0}")
  CPU_CLIENT[$name]=$(awk '{printf "%.2f", $1+$2}' "$WORK/binlog.time")
  CPU_SERVER[$name]=$(awk "BEGIN{printf \"%.2f\", $s1-$s0}")
  EXTRA[$name]="wrote $(du -sb "$out" | cut -f1) bytes in $(ls "$out" | wc -l) file(s)"
  rm -rf -- "$out"
}

write_conf() {  # $1: null | file, $2: dir
  local kind=$1 dir=$2 sink_yaml
  mkdir -p "$dir"
  if [[ $kind == file ]]; then
    sink_yaml="    type: file
    path: $dir/events.jsonl"
  else
    sink_yaml="    type: null"
  fi
  cat >"$dir/pipeline.yaml" <<EOF
pipeline: bench_$kind
data_dir: $dir/data
source:
  type: mysql
  dsn: "mysql://cdc:cdc@127.0.0.1:$PORT/bench"
  server_id: $((7000 + RANDOM % 1000))
  start: "$START_FILE:$START_POS"
sinks:
  - name: out
$sink_yaml
EOF
}

# Starts tidemark once on an empty backlog so that its schema history exists (the first
# start reads information_schema and lists the binlog's DDL from the start position:
# schema_loader.h), then stops it: the timed drain is then a restart into a backlog.
prime() {  # $1: dir
  local dir=$1 pid k
  (cd "$dir" && exec "$TM" --log-level info run -c "$dir/pipeline.yaml") >"$dir/prime.log" 2>&1 &
  pid=$!
  for k in $(seq 300); do
    grep -q "schema history: loaded" "$dir/prime.log" && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/prime.log" >&2; die "tidemark exited while priming"; }
    sleep 0.1
  done
  kill -TERM "$pid"; wait "$pid" || true
  grep -q "schema history: loaded" "$dir/prime.log" || die "priming $dir did not load the schema history"
}

drain_tidemark() {  # $1: null | file, $2: row name, $3: dir
  local kind=$1 name=$2 dir=$3 t0 t_end="" t c conf=$3/pipeline.yaml
  local pcpu="" s0 s1 deadline
  log "draining with tidemark -> $kind sink ($name)"
  s0=$(cpu_secs "$SERVER_PID")
  t0=$(now)
  # shellcheck disable=SC2086  # TIDEMARK_WRAP is split into words on purpose
  (cd "$dir" && exec ${TIDEMARK_WRAP:-} "$TM" --log-level info run -c "$conf") >"$dir/tidemark.log" 2>&1 &
  CHILD_PID=$!
  local tm_pid=$CHILD_PID k
  for k in $(seq 50); do
    [[ $(readlink "/proc/$CHILD_PID/exe" 2>/dev/null) == "$TM" ]] && break
    c=$(pgrep -P "$CHILD_PID" 2>/dev/null | head -1 || true)
    if [[ -n $c && $(readlink "/proc/$c/exe" 2>/dev/null) == "$TM" ]]; then tm_pid=$c; break; fi
    sleep 0.1
  done
  deadline=$(awk "BEGIN{printf \"%.3f\", $t0 + 1800}")
  while [[ -z $t_end ]]; do
    kill -0 "$CHILD_PID" 2>/dev/null || { tail -20 "$dir/tidemark.log" >&2; die "tidemark exited early"; }
    t=$(now)
    c=$(checkpoint_pos "$conf")
    if [[ -n $c ]] && at_end "$c"; then t_end=$t; break; fi
    pcpu=$(cpu_secs "$tm_pid")
    awk "BEGIN{exit !($t > $deadline)}" && die "tidemark did not finish in 30 minutes"
    sleep "$POLL"
  done
  s1=$(cpu_secs "$SERVER_PID")
  pcpu=$(cpu_secs "$tm_pid")
  # Per-thread CPU in creation order, by thread name: tidemark (main: capture = binlog
  # parse + decode), tm-journal-sync (journal fsync), the applier (tidemark), tm-binlog-read
  # (binlog reader + event CRC32), tm-journal-app (journal append: serialize + lz4 + write),
  # then the applier's journal read-ahead (tidemark).
  local threads
  threads=$(thread_summary "$tm_pid")
  kill -TERM "$tm_pid"
  wait "$CHILD_PID" || log "warning: tidemark exited with status $? after SIGTERM"
  CHILD_PID=""
  SECS[$name]=$(awk "BEGIN{printf \"%.2f\", $t_end - $t0}")
  CPU_CLIENT[$name]=${pcpu:-?}
  CPU_SERVER[$name]=$(awk "BEGIN{printf \"%.2f\", $s1-$s0}")
  EXTRA[$name]="$("$TM" checkpoints -c "$conf" 2>/dev/null | head -1)"
  EXTRA[$name]+="; threads (name=CPU s/context switches): $threads"
  if [[ $kind == file ]]; then
    local lines
    lines=$(wc -l <"$dir/events.jsonl")
    FILE_BYTES=$(stat -c %s "$dir/events.jsonl")
    EXTRA[$name]+="; file $lines lines, $FILE_BYTES bytes"
    [[ $lines -eq $ROWS ]] || log "warning: file has $lines lines, expected $ROWS"
  fi
  EXTRA[$name]+="; journal $(du -sb "$dir/data/journal" 2>/dev/null | cut -f1) bytes"
}

# ------------------------------------------------------------------- server --
PORT=$("$ROOT/tests/servers/free-port.sh")
log "starting MariaDB on 127.0.0.1:$PORT in $MDIR (MARIA_DURABLE=0)"
MARIA_DURABLE=0 "$ROOT/tests/servers/maria-up.sh" "$PORT" "$MDIR" >/dev/null
MARIA_VERSION=$(mariadbd --version 2>/dev/null | awk '{print $3}' || true)
MYSQL=(mariadb --no-defaults -h127.0.0.1 -P"$PORT" -ucdc -pcdc -N -B)
sql() { "${MYSQL[@]}" "$@"; }
sql -e "CREATE DATABASE bench"
SERVER_PID=$(cat "$MDIR/run/mariadbd.pid")

log "sysbench oltp_write_only prepare ($TABLES tables x $TABLE_SIZE rows)"
SB=(sysbench oltp_write_only --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$PORT"
    --mysql-user=cdc --mysql-password=cdc --mysql-db=bench --tables="$TABLES"
    --table-size="$TABLE_SIZE")
"${SB[@]}" prepare >"$WORK/sysbench-prepare.log" 2>&1 \
  || { cat "$WORK/sysbench-prepare.log" >&2; die "sysbench prepare failed"; }
sql bench -e "CREATE TABLE bulk (id INT PRIMARY KEY, payload VARCHAR(64) NOT NULL)"
sql -e "FLUSH BINARY LOGS"
START_FILE=$(sql -e "SHOW MASTER STATUS" | cut -f1)
START_POS=4
write_conf null "$WORK/tm-null"
write_conf file "$WORK/tm-file"
write_conf null "$WORK/tm-cold"
log "priming the null and file pipelines' schema history at $START_FILE:$START_POS"
prime "$WORK/tm-null"
prime "$WORK/tm-file"

# ----------------------------------------------------------------- workload --
log "workload: sysbench oltp_write_only run --threads=$SB_THREADS --events=$SB_EVENTS"
W0=$(date +%s.%N)
"${SB[@]}" --threads="$SB_THREADS" --events="$SB_EVENTS" --time=0 run >"$WORK/sysbench.log" 2>&1 \
  || { cat "$WORK/sysbench.log" >&2; die "sysbench run failed"; }
W1=$(date +%s.%N)
log "workload: INSERT INTO bulk SELECT seq, md5(seq) FROM seq_1_to_$BULK_ROWS"
sql bench -e "INSERT INTO bulk SELECT seq, md5(seq) FROM seq_1_to_$BULK_ROWS"
W2=$(date +%s.%N)
sql bench -e "INSERT INTO bulk VALUES (0, 'end of backlog')"
read -r END_FILE END_POS _ < <(sql -e "SHOW MASTER STATUS")
SB_TPS=$(grep -o 'transactions: *[0-9]* *([0-9.]* per sec' "$WORK/sysbench.log" | grep -o '[0-9.]* per' | cut -d' ' -f1 || true)

# Binlog bytes START..END (the files in between counted whole).
BINLOG_BYTES=0
while read -r f size _; do
  [[ $f < $START_FILE || $f > $END_FILE ]] && continue
  if [[ $f == "$END_FILE" ]]; then size=$END_POS; fi
  if [[ $f == "$START_FILE" ]]; then size=$((size - START_POS)); fi
  BINLOG_BYTES=$((BINLOG_BYTES + size))
done < <(sql -e "SHOW BINARY LOGS")

log "counting row changes in the binlog (mariadb-binlog -v, not timed)"
ROWS=$(mariadb-binlog --no-defaults --base64-output=decode-rows -v --start-position=$START_POS \
         --stop-position="$END_POS" "$MDIR/binlog/$START_FILE" \
         $(for f in $(sql -e "SHOW BINARY LOGS" | cut -f1); do
             [[ $f > $START_FILE && ! $f > $END_FILE ]] && echo "$MDIR/binlog/$f"; done) |
       grep -c -E '^### (INSERT INTO|UPDATE|DELETE FROM) ')
EXPECTED=$((4 * SB_EVENTS + BULK_ROWS + 1))
log "backlog: $ROWS row changes (4 x $SB_EVENTS + $BULK_ROWS + 1 = $EXPECTED), binlog $START_FILE:$START_POS..$END_FILE:$END_POS = $BINLOG_BYTES bytes"
log "sysbench: $(awk "BEGIN{printf \"%.1f\", $W1-$W0}") s (${SB_TPS:-?} tps), bulk insert: $(awk "BEGIN{printf \"%.1f\", $W2-$W1}") s"
[[ $ROWS -ge 1000000 ]] || log "warning: fewer than 1,000,000 row changes"

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
drain_binlog mariadb-binlog
drain_tidemark null 'tidemark->null' "$WORK/tm-null"
drain_tidemark file 'tidemark->file' "$WORK/tm-file"
drain_tidemark null 'null,1st start' "$WORK/tm-cold"
drain_binlog 'mariadb-binlog#2'

# -------------------------------------------------------------------- table --
FASTEST=$(awk "BEGIN{a=${SECS[mariadb-binlog]}; b=${SECS['mariadb-binlog#2']}; print (a < b ? a : b)}")
REF=$(awk "BEGIN{printf \"%.1f\", $ROWS / $FASTEST}")
echo
echo "$TM_DESC, MariaDB $MARIA_VERSION, $(nproc) CPUs, $(date -u +%FT%TZ), load average $LOAD_START before the drains, $(cut -d' ' -f1-3 /proc/loadavg) after"
echo "backlog: $ROWS row changes ($((4 * SB_EVENTS)) expected from sysbench oltp_write_only --threads=$SB_THREADS --events=$SB_EVENTS on $TABLES x $TABLE_SIZE rows, $BULK_ROWS bulk + 1 marker)"
echo "binlog: $START_FILE:$START_POS .. $END_FILE:$END_POS = $BINLOG_BYTES bytes (MB below = this binlog, 10^6 bytes)"
echo
printf '%-16s %8s %11s %8s %9s %9s %9s\n' drain seconds rows/s MB/s ratio cpu_s server_s
for name in mariadb-binlog 'tidemark->null' 'tidemark->file' 'null,1st start' 'mariadb-binlog#2'; do
  s=${SECS[$name]}
  printf '%-16s %8s %11s %8s %9s %9s %9s\n' "$name" "$s" \
    "$(awk "BEGIN{printf \"%.0f\", $ROWS / $s}")" \
    "$(awk "BEGIN{printf \"%.1f\", $BINLOG_BYTES / 1e6 / $s}")" \
    "$(awk "BEGIN{printf \"%.2f\", ($ROWS / $s) / $REF}")" \
    "${CPU_CLIENT[$name]}" "${CPU_SERVER[$name]}"
done
echo
echo "seconds: until the drain is complete (mariadb-binlog: exited at the end of the last binlog;"
echo "  tidemark: the sink's checkpoint is at END). ratio: rows/s relative to the faster"
echo "  mariadb-binlog run (it drains first and again last). tidemark->null/file restart into the"
echo "  backlog with their schema history in place (primed before the workload); 'null,1st start'"
echo "  is a first start at START: it also lists the backlog's DDL (SHOW BINLOG EVENTS) once."
echo "cpu_s: CPU seconds (user+sys) of the client process; server_s: of mariadbd during the drain."
echo "file sink output: $FILE_BYTES bytes ($(awk "BEGIN{printf \"%.1f\", $FILE_BYTES / 1e6 / ${SECS['tidemark->file']}}") MB/s of JSON written)"
for name in mariadb-binlog 'tidemark->null' 'tidemark->file' 'null,1st start' 'mariadb-binlog#2'; do
  echo "  $name: ${EXTRA[$name]}"
done
