#!/usr/bin/env bash
# HttpBank's kept connections (bank.pool_size, issue 31): bank calls/s from
# THREADS threads against a private `wanderluxe bank` at latency 0, pool on
# (POOL_SIZE) and off (0, a connection per call), alternating, RUNS runs each
# of SECONDS; medians, every run, and the connections the client opened. The
# bank's book goes to BOOK_DIR (tmpfs by default, so its fdatasync per charge
# does not hide the connection's cost; BOOK_DIR=/tmp for a disk). Not a test:
# numbers for DESIGN.md, on a shared, noisy machine.
#
#   bench/bank_pool.sh    RUNS=3 THREADS=32 SECONDS_EACH=10 POOL_SIZE=64 PORT=18190
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${RUNS:-3} THREADS=${THREADS:-32} SECONDS_EACH=${SECONDS_EACH:-10}
POOL_SIZE=${POOL_SIZE:-64} PORT=${PORT:-18190} BOOK_DIR=${BOOK_DIR:-/dev/shm}
BIN=build/wanderluxe_bench_bank
[ -x "$BIN" ] && [ -x build/wanderluxe ] || { echo "build first: cmake --build build" >&2; exit 1; }

dir=$(mktemp -d "$BOOK_DIR/wanderluxe-bank-pool.XXXXXX")
out=$(mktemp -d)
bank_pid=
trap '[ -n "$bank_pid" ] && kill "$bank_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir" "$out"' EXIT
build/wanderluxe bank --set bank.listen_host=127.0.0.1 --set bank.port="$PORT" \
  --set bank.latency_ms=0 --set bank.decline_pct=0 --set bank.timeout_pct=0 \
  --set bank.error_pct=0 --set bank.book_path="$dir/charges.jsonl" > "$out/bank.log" 2>&1 &
bank_pid=$!
for _ in $(seq 100); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
  kill -0 "$bank_pid" 2>/dev/null || { cat "$out/bank.log" >&2; exit 1; }
  sleep 0.1
done
curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" || { echo "the bank did not start" >&2; exit 1; }

for run in $(seq "$RUNS"); do
  for pool in "$POOL_SIZE" 0; do
    echo "run $run/$RUNS, pool_size $pool" >&2
    "$BIN" --url "http://127.0.0.1:$PORT" --threads "$THREADS" --seconds "$SECONDS_EACH" \
      --pool-size "$pool" | tee -a "$out/pool-$pool.jsonl" >&2
  done
done

python3 - "$out" "$POOL_SIZE" "$THREADS" <<'PY'
import json, statistics, sys
out, pool, threads = sys.argv[1], sys.argv[2], sys.argv[3]
print(f"bank calls from {threads} threads, bank at latency 0; median of each, then every run")
print(f"{'pool_size':>9} {'calls/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'opened':>8} {'reused':>8} {'retried':>7}  runs (calls/s)")
for p in (pool, "0"):
    rows = [json.loads(l) for l in open(f"{out}/pool-{p}.jsonl")]
    med = lambda k: statistics.median(r[k] for r in rows)
    print(f"{p:>9} {med('calls_per_s'):8.0f} {med('p50_ms'):7.2f} {med('p99_ms'):7.2f} "
          f"{med('opened'):8.0f} {med('reused'):8.0f} {med('retried'):7.0f}  "
          f"{[round(r['calls_per_s']) for r in rows]}")
PY
