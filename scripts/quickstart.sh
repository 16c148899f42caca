#!/usr/bin/env bash
# The quickstart: installs what is missing, builds tidemark, starts a throwaway
# PostgreSQL 15 (wal_level=logical) on 127.0.0.1:54329, creates a small shop schema,
# runs tidemark with conf/pg-file.yaml while a workload writes, shows the change
# events arriving in the file sink, then stops everything it started.
#
#   scripts/quickstart.sh            run the demo (about 30 s after the build)
#   QUICKSTART_SECONDS=60 scripts/quickstart.sh   a longer workload
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PORT=${QUICKSTART_PG_PORT:-54329}
SECONDS_OF_WORK=${QUICKSTART_SECONDS:-10}
WORK=$ROOT/var/quickstart
DATA=$ROOT/var/demo
EVENTS=$DATA/events.jsonl

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "installing what is missing and building"
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build tidemark
BIN=$ROOT/build/cli/tidemark

TM_PID=""
TAIL_PID=""
cleanup() {
  [[ -n $TAIL_PID ]] && kill "$TAIL_PID" 2>/dev/null || true
  if [[ -n $TM_PID ]] && kill -0 "$TM_PID" 2>/dev/null; then kill -TERM "$TM_PID"; wait "$TM_PID" || true; fi
  tests/servers/pg-down.sh "$WORK/pg" --purge >/dev/null 2>&1 || true
}
trap cleanup EXIT

say "starting a throwaway PostgreSQL on 127.0.0.1:$PORT"
rm -rf "$WORK" "$DATA"
mkdir -p "$WORK" "$DATA"
chmod 755 "$ROOT/var" "$WORK"
tests/servers/pg-down.sh "$WORK/pg" --purge >/dev/null 2>&1 || true
PG_DURABLE=0 tests/servers/pg-up.sh "$PORT" "$WORK/pg" >/dev/null
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE demo"
"${PSQL[@]}" -d demo <<'SQL'
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text, since date DEFAULT current_date);
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int REFERENCES customers(id),
                     total numeric(12,2) NOT NULL, status text NOT NULL DEFAULT 'new',
                     placed_at timestamptz NOT NULL DEFAULT now());
INSERT INTO customers (name, email) VALUES ('Ada', 'ada@example.com'), ('Grace', 'grace@example.com');
SQL

say "checking prerequisites: tidemark check -c conf/pg-file.yaml"
"$BIN" check -c conf/pg-file.yaml

say "running tidemark: tidemark run -c conf/pg-file.yaml (log: $DATA/tidemark.log)"
"$BIN" run -c conf/pg-file.yaml >"$DATA/tidemark.log" 2>&1 &
TM_PID=$!
for _ in $(seq 1 100); do   # wait until tidemark's slot is streaming
  active=$("${PSQL[@]}" -d demo -Atc "SELECT count(*) FROM pg_replication_slots WHERE active")
  [[ $active == 1 ]] && break
  kill -0 "$TM_PID" 2>/dev/null || { cat "$DATA/tidemark.log"; exit 1; }
  sleep 0.1
done

say "a workload writes for ${SECONDS_OF_WORK}s; change events as they arrive in $EVENTS:"
touch "$EVENTS"
# One readable line per event: operation, table, transaction, journal offset, row.
tail -n +1 -f "$EVENTS" | python3 -u -c '
import json, sys
ops = {"c": "INSERT", "u": "UPDATE", "d": "DELETE", "t": "TRUNCATE", "r": "READ"}
for line in sys.stdin:
    e = json.loads(line)
    row = e["after"] if e["after"] is not None else e["before"]
    src = e["source"]
    print("%-8s %s.%-9s tx %-6s offset %-5s %s" % (ops.get(e["op"], e["op"]), src["schema"], src["table"],
          src["txId"], e["tidemark"]["offset"], json.dumps(row, ensure_ascii=False)[:110]))
' &
TAIL_PID=$!
end=$((SECONDS + SECONDS_OF_WORK))
i=0
while (( SECONDS < end )); do
  i=$((i + 1))
  "${PSQL[@]}" -d demo <<SQL
BEGIN;
INSERT INTO customers (name, email) VALUES ('customer $i', 'c$i@example.com');
INSERT INTO orders (customer_id, total) VALUES (currval('customers_id_seq'), round((random() * 500)::numeric, 2));
COMMIT;
UPDATE orders SET status = 'paid' WHERE id = (SELECT max(id) FROM orders) - 1;
DELETE FROM orders WHERE id = (SELECT min(id) FROM orders WHERE status = 'paid') AND $i % 5 = 0;
SQL
  sleep 0.5   # demo pacing, so the stream is readable
done
sleep 1      # let the last events reach the screen before the summary
kill "$TAIL_PID" 2>/dev/null || true; TAIL_PID=""

say "stopping tidemark (SIGTERM: flush, checkpoint, exit 0)"
kill -TERM "$TM_PID"; wait "$TM_PID"; TM_PID=""
"$BIN" checkpoints -c conf/pg-file.yaml
echo "$(wc -l <"$EVENTS") change events in $EVENTS (one JSON envelope per line); by operation:"
grep -o '"op":"[a-z]"' "$EVENTS" | sort | uniq -c
say "done: the PostgreSQL server is stopped and removed; $DATA keeps the journal and events"
