#!/usr/bin/env bash
# Runs every tidemark test: installs what is missing, builds once, runs the unit
# tests, starts throwaway PostgreSQL 15 servers on free loopback ports in a temp dir,
# runs the integration tests against them, and stops the servers (also on failure).
#
#   scripts/test.sh                 everything
#   scripts/test.sh -R PgPipeline   only tests whose name matches (ctest -R)
#
# Environment: BUILD_DIR (default build); TIDEMARK_CLANG=1 also builds with clang-14
# (always on in CI); TIDEMARK_KEEP_TMP=1 keeps the temp dir with server logs and outputs.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD_DIR=${BUILD_DIR:-build}

bash scripts/install-deps.sh
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTIDEMARK_WERROR=ON >/dev/null
ninja -C "$BUILD_DIR"
# The clang-14 build must be warning-free too (DESIGN.md §7). It runs in CI
# (CI=true) or with TIDEMARK_CLANG=1; it compiles everything and runs nothing, so it is
# built without optimization or debug info: clang's warnings come from its front end, and
# the build takes far less time than a RelWithDebInfo one.
if [[ ${CI:-} == true || ${TIDEMARK_CLANG:-0} == 1 ]]; then
  echo "== clang-14 build (-Werror; -O0 -g0, warnings only)" >&2
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$BUILD_DIR-clang" -G Ninja -DCMAKE_BUILD_TYPE=WarningsOnly \
    -DCMAKE_C_FLAGS="-O0 -g0" -DCMAKE_CXX_FLAGS="-O0 -g0" -DTIDEMARK_WERROR=ON >/dev/null
  ninja -C "$BUILD_DIR-clang"
fi

WORK=$(mktemp -d /tmp/tidemark-test.XXXXXX)
chmod 755 "$WORK"
cleanup() {
  tests/servers/pg-down.sh "$WORK/pg" >/dev/null 2>&1 || true
  tests/servers/pg-down.sh "$WORK/pg-plain" >/dev/null 2>&1 || true
  tests/servers/maria-down.sh "$WORK/maria" >/dev/null 2>&1 || true
  tests/servers/maria-down.sh "$WORK/maria-min" >/dev/null 2>&1 || true
  if [[ ${TIDEMARK_KEEP_TMP:-0} == 1 ]]; then echo "test.sh: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

echo "== unit tests" >&2
ctest --test-dir "$BUILD_DIR" -L unit --output-on-failure -j2 "$@"

echo "== starting test servers in $WORK" >&2
PG_PORT=$(tests/servers/free-port.sh)
PG_DURABLE=0 tests/servers/pg-up.sh "$PG_PORT" "$WORK/pg" >/dev/null
PLAIN_PORT=$(tests/servers/free-port.sh)
PG_DURABLE=0 tests/servers/pg-up.sh "$PLAIN_PORT" "$WORK/pg-plain" wal_level=replica >/dev/null

MARIA_PORT=$(tests/servers/free-port.sh)
MARIA_DURABLE=0 tests/servers/maria-up.sh "$MARIA_PORT" "$WORK/maria" >/dev/null
export TIDEMARK_MARIA_PORT=$MARIA_PORT
export TIDEMARK_MARIA_DIR=$WORK/maria
# A second MariaDB whose table maps carry no column names (schema from tidemark's history).
MARIA_MIN_PORT=$(tests/servers/free-port.sh)
MARIA_DURABLE=0 tests/servers/maria-up.sh "$MARIA_MIN_PORT" "$WORK/maria-min" binlog_row_metadata=MINIMAL >/dev/null
export TIDEMARK_MARIA_MINIMAL_PORT=$MARIA_MIN_PORT

# libmongoc (linked into tidemark) creates /dev/shm/mongoc-<pid> when it loads; kill -9
# tests leave such files behind, and a later process with a reused pid then prints a
# plain-text warning into logs that tests parse. The counters are not needed: disable them.
export MONGOC_DISABLE_SHM=1
export TIDEMARK_PG_PORT=$PG_PORT
export TIDEMARK_PG_SOCKET_DIR=$WORK/pg/run
export TIDEMARK_PG_PLAIN_PORT=$PLAIN_PORT
export TIDEMARK_BIN=$ROOT/$BUILD_DIR/cli/tidemark
export TIDEMARK_TEST_TMP=$WORK/tests
mkdir -p "$TIDEMARK_TEST_TMP"

echo "== integration tests (PostgreSQL on 127.0.0.1:$PG_PORT)" >&2
if [[ -z ${TIDEMARK_MONGO_URI:-} ]]; then
  echo "== MongoDB tests: TIDEMARK_MONGO_URI is not set, so they run against tests/servers/mongo_fake only (no real mongod)" >&2
else
  echo "== MongoDB tests: against the real replica set in TIDEMARK_MONGO_URI" >&2
fi
ctest --test-dir "$BUILD_DIR" -L integration --output-on-failure --timeout 900 "$@"
