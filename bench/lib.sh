# bench/lib.sh — shell helpers shared by the end-to-end benchmark scripts (sourced, not run).
#
# Expects ROOT (the repository root) to be set by the caller. Provides:
#   log / die                      messages on stderr with a timestamp
#   now                            seconds since the epoch, with nanoseconds
#   elapsed T0 T1                  T1 - T0 with two decimals
#   cpu_secs PID[/task/TID]        user+system CPU seconds of a process (empty if it is gone)
#   thread_summary PID             each thread of PID as name=CPU-s/context switches (voluntary +
#                                  involuntary), in creation order
#   lo_packets                     packets sent on the loopback interface so far (all processes)
#   lsn2num LSN                    a PostgreSQL LSN (16/B374D848) as a decimal number
#   bench_tidemark                 sets TM to a private copy of the tidemark binary (building it
#                                  with ninja unless TIDEMARK_BIN is given), so a rebuild of the
#                                  build directory during the run does not change what is measured
#   bench_workdir NAME             sets WORK to a fresh 0755 temp directory
#   machine_line                   one line: CPUs, load average, date
# shellcheck shell=bash

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b - a}'; }

BENCH_TCK=$(getconf CLK_TCK)
cpu_secs() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  awk -v t="$BENCH_TCK" '{printf "%.2f", ($12 + $13) / t}' <<<"$stat"
}

thread_summary() {
  local tid out="" cs
  for tid in $(ls "/proc/$1/task" 2>/dev/null | sort -n); do
    cs=$(awk '/ctxt_switches/ {n += $2} END {print n}' "/proc/$1/task/$tid/status" 2>/dev/null)
    out+=" $(cat "/proc/$1/task/$tid/comm" 2>/dev/null)=$(cpu_secs "$1/task/$tid")/${cs}cs"
  done
  echo "${out# }"
}

lo_packets() { awk -F'[: ]+' '$2 == "lo" {print $12}' /proc/net/dev; }

lsn2num() { local hi=${1%/*} lo=${1#*/}; echo $(( (16#$hi << 32) + 16#$lo )); }

bench_workdir() {
  WORK=$(mktemp -d "/tmp/tidemark-$1.XXXXXX")
  chmod 755 "$WORK"
}

bench_tidemark() {
  local build=${BUILD:-$ROOT/build} orig
  orig=${TIDEMARK_BIN:-$build/cli/tidemark}
  if [[ -z ${TIDEMARK_BIN:-} ]]; then
    log "building tidemark (ninja is a no-op when it is up to date)"
    [[ -f $build/build.ninja ]] || cmake -S "$ROOT" -B "$build" -G Ninja \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
    if ! ninja -C "$build" tidemark >&2; then
      [[ -x $orig ]] || die "build failed"
      log "WARNING: build failed; using the existing $orig from $(date -r "$orig" +%FT%T)"
    fi
  fi
  [[ -x $orig ]] || die "no tidemark binary at $orig"
  cp "$orig" "$WORK/tidemark"
  TM=$WORK/tidemark
  TM_DESC="$("$TM" --version 2>/dev/null | head -1) ($orig, built $(date -r "$orig" +%FT%T))"
}

machine_line() {
  echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
}
