#!/usr/bin/env bash
# Installs every Debian 12 package tidemark needs to build, test and benchmark.
# Idempotent: packages already present are skipped; apt-get runs only when something is missing.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config ccache clang-14 lld
  libpq-dev libmariadb-dev libmongoc-dev libbson-dev librdkafka-dev
  libprotobuf-dev protobuf-compiler libabsl-dev libspdlog-dev libfmt-dev
  libssl-dev liblz4-dev libjemalloc-dev libyaml-cpp-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev
  postgresql-15 postgresql-client-15 postgresql-contrib
  mariadb-server mariadb-client libzstd-dev zlib1g-dev libdeflate-dev
  python3 python3-bson procps iproute2 util-linux kcat sysbench
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PKGS[@]} packages present" >&2
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
# The Debian postgresql package starts a cluster on 5432; tidemark never uses it.
if command -v pg_lsclusters >/dev/null 2>&1; then
  pg_lsclusters -h 2>/dev/null | awk '$4=="online"{print $1, $2}' | while read -r v c; do
    $SUDO pg_ctlcluster "$v" "$c" stop 2>/dev/null || true
  done
fi
# The Debian mariadb-server package starts a server on 3306; tidemark never uses it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mariadb 2>/dev/null; then
  $SUDO systemctl stop mariadb 2>/dev/null || true
fi
echo "install-deps: done" >&2
