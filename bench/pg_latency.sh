#!/usr/bin/env bash
# bench/pg_latency.sh — replication latency, PostgreSQL → PostgreSQL, under a steady source
# load: p50/p90/p99/p99.9/max of commit-on-source → visible-on-target for tidemark, and, in the
# same run and under the same load, for PostgreSQL's own logical replication (a subscription).
#
#   bench/pg_latency.sh                # from anywhere; 5,000 rows/s for 60 s by default
#
# How latency is measured (one clock: all servers run on this machine). A row's source commit
# time is pg_xact_commit_timestamp(xmin) of the row on the source (track_commit_timestamp = on;
# rows are only inserted, so xmin is the inserting transaction). Its visible time on a target is
# taken by a DEFERRED constraint trigger on the target table, which runs in the commit of the
# transaction that wrote the row, just before its commit record, and stores clock_timestamp()
# in lat_seen(id, seen) (ENABLE ALWAYS, so it also fires in the subscription's apply worker).
# latency = seen - source commit time. The target's own commit timestamp cannot be used for the
# subscription: PostgreSQL records the origin's commit time for transactions applied under a
# replication origin. For tidemark it can, and is printed as a cross-check
# (pg_xact_commit_timestamp(xmin) of the row on tidemark's target).
#
# What it does:
#   1. starts three throwaway PostgreSQL 15 servers (tests/servers/pg-up.sh, PG_DURABLE=0 but the
#      source with synchronous_commit = on: with asynchronous commit the walsender only sends
#      what the WAL writer has flushed, every wal_writer_delay = 200 ms, which would dominate
#      both appliers' latency);
#   2. table lat(id bigserial primary key, payload text) on the source and (schema only) on both
#      targets; a publication, a slot for tidemark and a subscription (its own slot);
#   3. starts tidemark (PG source → postgres sink, the sink's default batch_events / batch_ms
#      unless BATCH_EVENTS / BATCH_MS are set) and enables the subscription, and waits until a
#      warm-up row reached both targets;
#   4. load: `pgbench -n -R RATE_TPS -T DURATION -c CLIENTS` of a script that inserts
#      ROWS_PER_TX rows per transaction (RATE_TPS × ROWS_PER_TX = 5,000 rows/s by default;
#      pgbench's -R schedule is a Poisson process at that mean rate);
#   5. waits until every row is on both targets, then computes the latencies of every row of the
#      load (source commit times copied to each target) and prints the table.
#
# Knobs (environment): RATE_TPS (1000), ROWS_PER_TX (5), DURATION (60 s), CLIENTS (4),
# PAYLOAD (100 characters), BATCH_EVENTS / BATCH_MS (the sink's; unset = tidemark's defaults),
# STATUS_INTERVAL_MS (1000, tidemark's default), REFERENCE (1; 0 = no subscription),
# TIDEMARK_BIN, KEEP=1 keeps the work directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
RATE_TPS=${RATE_TPS:-1000}
ROWS_PER_TX=${ROWS_PER_TX:-5}
DURATION=${DURATION:-60}
CLIENTS=${CLIENTS:-4}
PAYLOAD=${PAYLOAD:-100}
STATUS_INTERVAL_MS=${STATUS_INTERVAL_MS:-1000}
REFERENCE=${REFERENCE:-1}
KEEP=${KEEP:-0}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
export PG_BIN
for b in pgbench psql; do [[ -x $PG_BIN/$b ]] || die "$PG_BIN/$b missing (scripts/install-deps.sh)"; done

bench_workdir pglatency
TM_PID=""
cleanup() {
  local rc=$?
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
TARGETS=(tm)
[[ $REFERENCE == 1 ]] && TARGETS+=(sub)
declare -A PORT DSN
for d in src "${TARGETS[@]}"; do
  PORT[$d]=$("$ROOT/tests/servers/free-port.sh")
  log "starting PostgreSQL ($d) on 127.0.0.1:${PORT[$d]}"
  extra=()
  [[ $d == src ]] && extra=(synchronous_commit=on)
  PG_DURABLE=0 "$ROOT/tests/servers/pg-up.sh" "${PORT[$d]}" "$WORK/$d" "${extra[@]}" >/dev/null
  "$PG_BIN/psql" "host=127.0.0.1 port=${PORT[$d]} user=postgres dbname=postgres" -XAtq \
    -c "CREATE DATABASE bench" >/dev/null
  DSN[$d]="host=127.0.0.1 port=${PORT[$d]} user=postgres dbname=bench"
done
PG_VERSION=$("$PG_BIN/postgres" --version | awk '{print $3}')
q() { local d=$1; shift; "$PG_BIN/psql" "${DSN[$d]}" -XAtq -v ON_ERROR_STOP=1 "$@"; }

TABLE_DDL="CREATE TABLE lat (id bigserial PRIMARY KEY, payload text NOT NULL)"
for d in src "${TARGETS[@]}"; do q "$d" -c "$TABLE_DDL" >/dev/null; done
for d in "${TARGETS[@]}"; do
  q "$d" <<'SQL' >/dev/null
CREATE TABLE lat_seen (id bigint NOT NULL, seen timestamptz NOT NULL);
CREATE FUNCTION lat_seen() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN INSERT INTO public.lat_seen VALUES (NEW.id, clock_timestamp()); RETURN NULL; END$$;
CREATE CONSTRAINT TRIGGER lat_seen AFTER INSERT ON lat DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION lat_seen();
ALTER TABLE lat ENABLE ALWAYS TRIGGER lat_seen;
SQL
done
q src <<SQL >/dev/null
CREATE PUBLICATION bench_pub FOR TABLE public.lat;
SELECT pg_create_logical_replication_slot('bench_tm', 'pgoutput');
SQL

# ------------------------------------------------------------ start appliers --
conf=$WORK/tm-run/pipeline.yaml
mkdir -p "$WORK/tm-run"
batch=""
[[ -z ${BATCH_EVENTS:-} ]] || batch+=$'\n'"    batch_events: $BATCH_EVENTS"
[[ -z ${BATCH_MS:-} ]] || batch+=$'\n'"    batch_ms: $BATCH_MS"
cat >"$conf" <<EOF
pipeline: bench
data_dir: $WORK/tm-run/data
source:
  type: postgres
  dsn: "${DSN[src]}"
  tables: [public.lat]
  slot: bench_tm
  publication: bench_pub
  create_slot: false
  create_publication: false
  status_interval_ms: $STATUS_INTERVAL_MS
sinks:
  - name: out
    type: postgres
    dsn: "${DSN[tm]}"$batch
snapshot:
  mode: never
EOF
log "starting tidemark"
"$TM" --log-level info run -c "$conf" >"$WORK/tidemark.log" 2>&1 &
TM_PID=$!
if [[ $REFERENCE == 1 ]]; then
  log "creating and enabling the subscription"
  q sub -c "CREATE SUBSCRIPTION bench_sub CONNECTION 'host=127.0.0.1 port=${PORT[src]} \
user=postgres dbname=bench' PUBLICATION bench_pub WITH (copy_data = false)" >/dev/null
fi

# Waits up to $3 seconds until target $1 holds at least $2 rows (tidemark must stay alive).
wait_rows() {
  local d=$1 n=$2 limit=$3 t0 c
  t0=$(now)
  while :; do
    c=$(q "$d" -c "SELECT count(*) FROM lat" 2>/dev/null || echo 0)
    [[ $c -ge $n ]] && return 0
    kill -0 "$TM_PID" 2>/dev/null || { tail -30 "$WORK/tidemark.log" >&2; die "tidemark exited"; }
    awk -v t0="$t0" -v t="$(now)" -v l="$limit" 'BEGIN{exit !(t - t0 > l)}' \
      && die "$d: only $c of $n rows after $limit s (see $d/postgres.log; KEEP=1 keeps it)"
    sleep 0.2
  done
}
q src -c "INSERT INTO lat (payload) VALUES ('warm-up')" >/dev/null
for d in "${TARGETS[@]}"; do wait_rows "$d" 1 60; done
log "both appliers are streaming"

# --------------------------------------------------------------------- load --
cat >"$WORK/insert.sql" <<EOF
INSERT INTO lat (payload) SELECT repeat(md5(random()::text), $(( (PAYLOAD + 31) / 32 )))::varchar($PAYLOAD) FROM generate_series(1, $ROWS_PER_TX);
EOF
FIRST_ID=$(( $(q src -c "SELECT max(id) FROM lat") + 1 ))
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "load: $RATE_TPS transactions/s × $ROWS_PER_TX rows for $DURATION s (pgbench -R, $CLIENTS clients)"
"$PG_BIN/pgbench" -n -f "$WORK/insert.sql" -R "$RATE_TPS" -T "$DURATION" -c "$CLIENTS" -j 1 \
  "${DSN[src]}" >"$WORK/pgbench.log" 2>&1 || { cat "$WORK/pgbench.log" >&2; die "pgbench failed"; }
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
TOTAL=$(q src -c "SELECT count(*) FROM lat")
LOADED=$(q src -c "SELECT count(*) FROM lat WHERE id >= $FIRST_ID")
for d in "${TARGETS[@]}"; do wait_rows "$d" "$TOTAL" 600; done
TM_CPU=$(cpu_secs "$TM_PID")
kill -TERM "$TM_PID"; wait "$TM_PID" || log "warning: tidemark exited with status $? after SIGTERM"
TM_PID=""

# ------------------------------------------------------------------ figures --
q src -c "\\copy (SELECT id, pg_xact_commit_timestamp(xmin) FROM lat WHERE id >= $FIRST_ID) TO '$WORK/src_commits.tsv'"
SPAN=$(q src -c "SELECT round(extract(epoch FROM max(c) - min(c))::numeric, 2) FROM
                 (SELECT pg_xact_commit_timestamp(xmin) c FROM lat WHERE id >= $FIRST_ID) s")
declare -A FIG
# percentiles of the latencies in "ms" of relation l, as one line of numbers
STATS="concat_ws(' ', count(*),
       round(percentile_disc(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1),
       round(percentile_disc(0.9) WITHIN GROUP (ORDER BY ms)::numeric, 1),
       round(percentile_disc(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1),
       round(percentile_disc(0.999) WITHIN GROUP (ORDER BY ms)::numeric, 1),
       round(max(ms)::numeric, 1), round(avg(ms)::numeric, 1), round(min(ms)::numeric, 1))"
for d in "${TARGETS[@]}"; do
  FIG[$d]=$(q "$d" <<SQL | tail -2 | paste -sd'|'
CREATE TEMP TABLE src_commits (id bigint PRIMARY KEY, committed timestamptz NOT NULL);
\\copy src_commits FROM '$WORK/src_commits.tsv'
WITH l AS (SELECT extract(epoch FROM v.seen - s.committed) * 1000 AS ms
           FROM lat_seen v JOIN src_commits s USING (id))
SELECT $STATS || ' ' || (SELECT count(DISTINCT xmin::text) FROM lat WHERE id >= $FIRST_ID) FROM l;
WITH l AS (SELECT extract(epoch FROM pg_xact_commit_timestamp(t.xmin) - s.committed) * 1000 AS ms
           FROM lat t JOIN src_commits s USING (id))
SELECT $STATS FROM l;
SQL
)
done

echo
echo "$TM_DESC, PostgreSQL $PG_VERSION, $(nproc) CPUs, $(date -u +%FT%TZ)"
echo "load average before the load: $LOAD_BEFORE, after: $LOAD_AFTER"
echo "load: $LOADED rows in $SPAN s of source commits ($(awk -v n="$LOADED" -v s="$SPAN" 'BEGIN{printf "%.0f", n / s}') rows/s; target $((RATE_TPS * ROWS_PER_TX)) rows/s = $RATE_TPS tx/s × $ROWS_PER_TX rows), $(grep -o 'latency average = .*' "$WORK/pgbench.log" | head -1) (pgbench)"
echo "tidemark: CPU $TM_CPU s over the run; sink batch_events ${BATCH_EVENTS:-default}, batch_ms ${BATCH_MS:-default}"
echo
printf '%-14s %8s %10s %8s %8s %8s %8s %8s %8s %8s\n' applier rows target_tx p50_ms p90_ms p99_ms p99.9_ms max_ms mean_ms min_ms
for d in "${TARGETS[@]}"; do
  name=tidemark; [[ $d == sub ]] && name=subscription
  read -r n p50 p90 p99 p999 mx mean mn tx <<<"${FIG[$d]%%|*}"
  [[ $n -eq $LOADED ]] || log "warning: $name: $n rows seen, $LOADED loaded"
  printf '%-14s %8s %10s %8s %8s %8s %8s %8s %8s %8s\n' "$name" "$n" "$tx" "$p50" "$p90" "$p99" "$p999" "$mx" "$mean" "$mn"
done
read -r n p50 p90 p99 p999 mx mean mn <<<"${FIG[tm]#*|}"
printf '%-14s %8s %10s %8s %8s %8s %8s %8s %8s %8s\n' "(tidemark, ts)" "$n" "" "$p50" "$p90" "$p99" "$p999" "$mx" "$mean" "$mn"
echo
echo "latency of each row: the time the target transaction that wrote it was committing (a deferred"
echo "  trigger's clock_timestamp()) - its source commit time (pg_xact_commit_timestamp on the"
echo "  source); one clock. target_tx: target transactions that wrote the rows. (tidemark, ts):"
echo "  tidemark's rows measured by its target's own commit timestamps instead (a cross-check)."
