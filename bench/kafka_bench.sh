#!/usr/bin/env bash
# bench/kafka_bench.sh — publish a >= 1,000,000-change PostgreSQL backlog to Kafka (librdkafka's
# mock cluster, 3 brokers) with tidemark, then, in the same run, `kcat -P` producing the same
# number of messages of the same sizes to the same cluster, and print events/s, MB/s and the
# ratio to kcat.
#
#   bench/kafka_bench.sh               # from anywhere; ROWS=1000000 by default
#
# What it does:
#   1. starts a throwaway PostgreSQL 15 (tests/servers/pg-up.sh, PG_DURABLE=0) and the mock
#      cluster (build/tests/unit/kafka/kafka_mock -b 3, topics pre-created with PARTITIONS
#      partitions, replication factor 3);
#   2. creates table bulk(id int primary key, payload text), the publication and the slot
#      tidemark will use, then inserts ROWS rows in TXNS transactions (the backlog) and one
#      marker row whose commit LSN is the target;
#   3. tidemark run (PG source → Kafka sink, json, defaults: idempotent, acks=all, lz4,
#      murmur2_random), timed from start until the sink's checkpoint (which moves only after
#      every message has a successful delivery report) reaches the marker's commit; then
#      the same pipeline with a new Kafka sink `replay` publishes the journal backlog (the
#      sink's own rate, without capture), timed from start until its "caught up" log line
#      (written when its checkpoint covers the whole journal; the line's own timestamp);
#   4. reads back 2000 of the published messages with kcat to get the average key and value
#      size, writes ROWS lines of exactly that key and value size, and times
#      `kcat -P -K TAB` with the same producer settings and tidemark's three headers (-H, the
#      values of one published message) into another topic of the same shape.
# MB = value + key bytes, 10^6 bytes. tidemark's time includes decoding the WAL and the journal
# (fsync'd group commits): the end-to-end figure, against kcat's produce-only figure.
# Knobs: ROWS (1000000), TXNS (10), PARTITIONS (12), PAYLOAD (100 bytes of text per row),
# BATCH_EVENTS (the sink's batch_events; default the sink's own), PERF_DATA=FILE (perf record the
# backlog run into FILE), FORMAT (the backlog sink's format: json, the default, or protobuf), SINK=null (tidemark → null sink instead, no
# kcat: the capture + journal cost alone), TIDEMARK_BIN, KAFKA_MOCK_BIN, KEEP=1 keeps the work
# directory.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROWS=${ROWS:-1000000}
TXNS=${TXNS:-10}
PARTITIONS=${PARTITIONS:-12}
PAYLOAD=${PAYLOAD:-100}
KEEP=${KEEP:-0}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
export PG_BIN
BUILD=${BUILD:-$ROOT/build}
TM=${TIDEMARK_BIN:-$BUILD/cli/tidemark}
MOCK=${KAFKA_MOCK_BIN:-$BUILD/tests/unit/kafka/kafka_mock}
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
command -v kcat >/dev/null || die "kcat missing (apt-get install kcat; scripts/install-deps.sh)"
if [[ -z ${TIDEMARK_BIN:-} || -z ${KAFKA_MOCK_BIN:-} ]]; then
  [[ -f $BUILD/build.ninja ]] || cmake -S "$ROOT" -B "$BUILD" -G Ninja >&2
  ninja -C "$BUILD" tidemark kafka_mock >&2 || [[ -x $TM && -x $MOCK ]] || die "build failed"
fi

WORK=$(mktemp -d /tmp/tidemark-kafkabench.XXXXXX)
chmod 755 "$WORK"
TM_PID="" MOCK_PID=""
cleanup() {
  local rc=$?
  [[ -n $TM_PID ]] && kill -TERM "$TM_PID" 2>/dev/null && wait "$TM_PID" 2>/dev/null || true
  [[ -n $MOCK_PID ]] && kill -TERM "$MOCK_PID" 2>/dev/null && wait "$MOCK_PID" 2>/dev/null || true
  pkill -f "tail -n 0 -F $WORK/tidemark.log" 2>/dev/null || true
  "$ROOT/tests/servers/pg-down.sh" "$WORK/pg" >/dev/null 2>&1 || true
  if [[ $KEEP == 1 ]]; then log "kept $WORK"; else rm -rf -- "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cp "$TM" "$WORK/tidemark"; TM=$WORK/tidemark

PORT=$("$ROOT/tests/servers/free-port.sh")
log "PostgreSQL on 127.0.0.1:$PORT"
PG_DURABLE=0 "$ROOT/tests/servers/pg-up.sh" "$PORT" "$WORK/pg" >/dev/null
DSN="host=127.0.0.1 port=$PORT user=postgres dbname=bench"
"$PG_BIN/psql" "host=127.0.0.1 port=$PORT user=postgres dbname=postgres" -XAtq -c "CREATE DATABASE bench" >/dev/null
psql_() { "$PG_BIN/psql" "$DSN" -XAtq -v ON_ERROR_STOP=1 "$@"; }

TOPIC=bench.public.bulk REF=bench.reference
"$MOCK" -b 3 -t "$TOPIC:$PARTITIONS:3" -t "replay.public.bulk:$PARTITIONS:3" -t "$REF:$PARTITIONS:3" >"$WORK/bootstrap" 2>"$WORK/mock.log" &
MOCK_PID=$!
for _ in $(seq 100); do [[ -s $WORK/bootstrap ]] && break; sleep 0.1; done
BROKERS=$(head -1 "$WORK/bootstrap")
[[ -n $BROKERS ]] || die "mock cluster did not start: $(cat "$WORK/mock.log")"
log "mock cluster (3 brokers): $BROKERS"

psql_ <<SQL >/dev/null
CREATE TABLE bulk (id int PRIMARY KEY, payload text);
CREATE PUBLICATION tidemark_bench FOR TABLE bulk;
SELECT pg_create_logical_replication_slot('tidemark_bench', 'pgoutput');
SQL
log "backlog: $ROWS rows in $TXNS transactions"
per=$((ROWS / TXNS))
for t in $(seq 0 $((TXNS - 1))); do
  psql_ -c "INSERT INTO bulk SELECT g, repeat(md5(g::text), $(( (PAYLOAD + 31) / 32 )))::varchar($PAYLOAD)
            FROM generate_series($((t * per + 1)), $((t * per + per))) g" >/dev/null
done
# The marker's commit is the backlog's last: its commit LSN is above TARGET.
TARGET=$(psql_ -c "SELECT pg_current_wal_insert_lsn()")
psql_ -c "INSERT INTO bulk VALUES (0, 'marker')" >/dev/null
EVENTS=$((per * TXNS + 1))

# Run 1 (end to end): the `kafka` sink publishes while the source captures; a null sink
# `capture` beside it marks the journal's end. Run 2 (journal backlog): the same pipeline with a
# new Kafka sink `replay` (no checkpoint yet, so it starts at journal offset 0) publishing the
# backlog already in the journal to another topic: the sink's own rate, without capture.
write_config() {  # $1 = extra sink yaml
  cat >"$WORK/bench.yaml" <<YAML
pipeline: bench
data_dir: $WORK/data
source:
  type: postgres
  dsn: "$DSN"
  tables: [public.bulk]
sinks:
  - name: capture
    type: null
  - name: kafka
    type: ${SINK:-kafka}
$( [[ ${SINK:-kafka} == kafka ]] && echo "    brokers: \"$BROKERS\"" )
$( [[ -n ${BATCH_EVENTS:-} ]] && echo "    batch_events: $BATCH_EVENTS" )
$1
YAML
  sed -i '/^$/d' "$WORK/bench.yaml"
}
sink_offset() {  # $1 = sink name → its checkpoint's journal offset (empty if none)
  "$TM" checkpoints -c "$WORK/bench.yaml" 2>/dev/null | sed -n "s/^$1: offset \([0-9]*\) .*/\1/p"
}
sink_commit() {  # $1 = sink name → the commit LSN of its checkpoint
  "$TM" checkpoints -c "$WORK/bench.yaml" 2>/dev/null | sed -n "s/^$1: .* commit \([0-9A-F]*\/[0-9A-F]*\) .*/\1/p"
}
cpu_seconds() {  # $1 = pid → its CPU seconds so far (user + system, with waited-for children)
  awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); printf "%.2f", ($12 + $13 + $14 + $15) / hz}' "/proc/$1/stat"
}
run_until() {  # $1 = description, $2 = sink (names its CPU file), $3... = end condition; prints seconds
  local t0 t1
  t0=$(date +%s.%N)
  if [[ -n ${PERF_DATA:-} && $1 == "the backlog run" ]]; then  # profile the sink-only run
    perf record -F 999 -g -o "$PERF_DATA" -- "$TM" run -c "$WORK/bench.yaml" >>"$WORK/tidemark.log" 2>&1 &
  else
    "$TM" run -c "$WORK/bench.yaml" >>"$WORK/tidemark.log" 2>&1 &
  fi
  TM_PID=$!
  rm -f "$WORK/checked"
  DONE_AT=""
  until "${@:3}"; do
    kill -0 "$TM_PID" 2>/dev/null || { tail -20 "$WORK/tidemark.log" >&2; die "tidemark exited during $1"; }
    sleep 0.05  # polling for the end; the clock stops at DONE_AT when the condition sets it
  done
  t1=${DONE_AT:-$(date +%s.%N)}
  echo "$(cpu_seconds "$TM_PID")" >"$WORK/cpu.$2"
  kill -TERM "$TM_PID"; wait "$TM_PID" || true; TM_PID=""
  echo "$t1 - $t0" | bc
}
# True when sink $1's checkpoint file changed since the last look. The condition (a
# `tidemark checkpoints` process, ~20 ms of CPU) runs only then ([[ -nt ]] is a shell
# builtin), so polling takes next to nothing from the 2 cores being measured.
checkpoint_changed() {
  local cp=$WORK/data/checkpoints/$1.pb stamp=$WORK/checked
  [[ -e $cp && ( ! -e $stamp || $cp -nt $stamp ) ]] && touch "$stamp"
}
kafka_past_target() {
  checkpoint_changed kafka || return 1
  local c; c=$(sink_commit kafka)
  [[ -n $c ]] && [[ $(psql_ -c "SELECT '$c'::pg_lsn > '$TARGET'::pg_lsn") == t ]]
}
write_config ""
log "run 1: tidemark PG → Kafka, end to end"
T_E2E=$(run_until "the end-to-end run" kafka kafka_past_target)
END_OFFSET=$(sink_offset kafka)
if [[ ${SINK:-kafka} == null ]]; then  # capture + journal only, for comparison
  awk -v n="$EVENTS" -v t="$T_E2E" 'BEGIN {printf "tidemark PG → null sink: %d events in %.2f s: %.0f events/s\n", n, t, n / t}'
  exit 0
fi
write_config "  - name: replay
    type: kafka
    brokers: \"$BROKERS\"
    topic: \"replay.{schema}.{table}\"
$( [[ -n ${FORMAT:-} ]] && echo "    format: $FORMAT" )
$( [[ -n ${BATCH_EVENTS:-} ]] && echo "    batch_events: $BATCH_EVENTS" )"
# Run 2 starts the PostgreSQL source too (a pipeline has one). The slot's restart_lsn is still
# at the backlog's start, so its walsender would decode the whole backlog again during the timed
# run, for nothing: a core's worth of work beside the sink being measured. A CHECKPOINT logs a
# running-xacts record, and pg_replication_slot_advance decodes up to now here, untimed, which
# moves restart_lsn past the backlog. Nothing is skipped: run 1 captured everything up to the
# marker, and nothing was written after it.
psql_ -c "CHECKPOINT" >/dev/null
psql_ -c "SELECT pg_replication_slot_advance('tidemark_bench', pg_current_wal_lsn())" >/dev/null
log "slot before run 2: $(psql_ -c "SELECT 'restart ' || restart_lsn || ', confirmed ' || confirmed_flush_lsn FROM pg_replication_slots")"
log "run 2: a new Kafka sink publishes the journal backlog (offsets 0..$END_OFFSET)"
# The sink logs "sink replay: caught up: journal offsets 0..N applied and checkpointed in ..."
# when its checkpoint covers the whole journal (always for a backlog of 100,000 entries or
# more: apply/catch_up_log.h): the clock stops at that line's timestamp, not when this loop
# next looks (a `tidemark checkpoints` process per look would also take CPU from the run).
# A smaller backlog may finish without the line: then the checkpoint is polled as in run 1.
replay_logged() {
  [[ -s $WORK/caught-up ]] || return 1  # written by the watcher below
  local line; line=$(<"$WORK/caught-up")
  local last=${line#*offsets 0..}; last=${last%% *}
  [[ $last -ge $END_OFFSET ]] || die "the replay sink caught up at offset $last, not $END_OFFSET: $line"
  DONE_AT=$(date -d "${line:0:23}" +%s.%N)
}
replay_checkpointed() {
  checkpoint_changed replay || return 1
  local o; o=$(sink_offset replay); [[ -n $o && $o -ge $END_OFFSET ]]
}
REPLAY_DONE=replay_logged
((END_OFFSET + 1 >= 100000)) || REPLAY_DONE=replay_checkpointed
# The watcher: tail -F follows the log through inotify, no polling.
tail -n 0 -F "$WORK/tidemark.log" 2>/dev/null |
  grep --line-buffered -m1 "sink replay: caught up: journal offsets 0\.\." >"$WORK/caught-up" &
M0=$(cpu_seconds "$MOCK_PID")
T_SINK=$(run_until "the backlog run" replay "$REPLAY_DONE")
M1=$(cpu_seconds "$MOCK_PID")
pkill -f "tail -n 0 -F $WORK/tidemark.log" 2>/dev/null || true
REPLAYED=$(sink_offset replay)
[[ -n $REPLAYED && $REPLAYED -ge $END_OFFSET ]] || die "the replay sink's checkpoint is at '$REPLAYED', not $END_OFFSET"

# The reference publishes real message contents (lz4 compresses them as it does tidemark's):
# 2000 of tidemark's published values, cycled, with keys of the same shape and size.
kcat -C -b "$BROKERS" -t "$TOPIC" -o -170 -e -q -f '%k\t%s\n' -c 2000 2>/dev/null >"$WORK/sample.txt" || true
[[ $(wc -l <"$WORK/sample.txt") -ge 1000 ]] || die "could not read back a sample of tidemark's messages"
# tidemark's three headers (position, journal offset, txid) go on every reference message too,
# with the values of a message from the middle of the backlog (the same names and sizes).
HEADERS=$(kcat -C -b "$BROKERS" -t "$TOPIC" -p 0 -o -1000 -e -q -f '%h\n' -c 1 2>/dev/null)
[[ $HEADERS == *tidemark.offset=* ]] || die "could not read back tidemark's message headers (got '$HEADERS')"
HEADER_ARGS=()
IFS=, read -r -a header_list <<<"$HEADERS"
for h in "${header_list[@]}"; do HEADER_ARGS+=(-H "$h"); done
log "reference headers: $HEADERS"
read -r KEYLEN VALLEN < <(awk -F'\t' '{k += length($1); v += length($0) - length($1) - 1; n++}
  END {printf "%d %d\n", k/n, v/n}' "$WORK/sample.txt")
log "published messages: key ~$KEYLEN bytes, value ~$VALLEN bytes"
python3 - "$EVENTS" "$WORK/sample.txt" >"$WORK/ref.txt" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
values = [line.rstrip("\n").split("\t", 1)[1] for line in open(path, encoding="utf-8")]
out = sys.stdout
for i in range(n):
    out.write('{"id":%d}\t%s\n' % (i, values[i % len(values)]))
PY
log "kcat -P reference: $EVENTS messages"
k0=$(date +%s.%N)
M2=$(cpu_seconds "$MOCK_PID")
# In a shell of its own, whose CPU figure then includes the waited-for kcat's.
KCAT_CPU=$(bash -c 'kcat -P "$@" && awk -v hz="$(getconf CLK_TCK)" '"'"'{sub(/.*\) /, ""); printf "%.2f", ($14 + $15) / hz}'"'"' /proc/$$/stat' \
  kcat -b "$BROKERS" -t "$REF" -K $'\t' "${HEADER_ARGS[@]}" -z lz4 -X enable.idempotence=true -X acks=all \
  -X linger.ms=10 -X partitioner=murmur2_random -l "$WORK/ref.txt")
k1=$(date +%s.%N)
M3=$(cpu_seconds "$MOCK_PID")

awk -v n="$EVENTS" -v kl="$KEYLEN" -v vl="$VALLEN" -v te="$T_E2E" -v ts="$T_SINK" -v k="$(echo "$k1 - $k0" | bc)" 'BEGIN {
  mb = n * (kl + vl) / 1e6
  printf "| %-40s | %10s | %8s | %12s | %8s | %8s |\n", "producer", "events", "seconds", "events/s", "MB/s", "/ kcat"
  printf "| %-40s | %10d | %8.2f | %12.0f | %8.1f | %7.0f%% |\n", "tidemark PG → Kafka, end to end", n, te, n / te, mb / te, 100 * k / te
  printf "| %-40s | %10d | %8.2f | %12.0f | %8.1f | %7.0f%% |\n", "tidemark journal backlog → Kafka", n, ts, n / ts, mb / ts, 100 * k / ts
  printf "| %-40s | %10d | %8.2f | %12.0f | %8.1f | %8s |\n", "kcat -P (same count, sizes, contents)", n, k, n / k, mb / k, ""
}'
# CPU seconds (user + system) of the producer and of the mock cluster during the same run: on 2
# cores both share the machine, so the producer's CPU per message is what bounds its rate.
log "CPU s: tidemark journal backlog → Kafka $(cat "$WORK/cpu.replay" 2>/dev/null || echo '?') (mock cluster $(echo "$M1 - $M0" | bc)), kcat -P $KCAT_CPU (mock cluster $(echo "$M3 - $M2" | bc))"
