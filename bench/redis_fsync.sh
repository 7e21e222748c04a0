#!/usr/bin/env bash
# What durability costs on the reserve path (issue 12, item 9): the reserve
# script (read from its source, so it cannot drift) run by redis-benchmark
# against a private redis-server with
#   none      no AOF at all (the ceiling),
#   everysec  AOF, fsync once a second (a host crash loses up to ~1 s),
#   always    AOF, fsync before the reply (Redis groups the writes of one
#             event-loop turn into one fsync).
# Each mode runs RUNS times; the median requests/s is printed with its ratio to
# the ceiling. Not a test: numbers for DESIGN.md, on a shared, noisy machine.
#
#   bench/redis_fsync.sh            RUNS=3 CLIENTS=50 REQUESTS=100000
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${RUNS:-3} CLIENTS=${CLIENTS:-50} REQUESTS=${REQUESTS:-100000} PORT=${PORT:-16399}
dir=$(mktemp -d /tmp/wanderluxe-fsync.XXXXXX)
trap 'redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT

script=$(sed -n '/kReserve{"inventory-reserve", R"(/,/^)"};/p' src/adapters/redis/redis_inventory_store.cc |
  sed '1d;$d')
[ -n "$script" ] || { echo "reserve script not found in its source" >&2; exit 1; }

run_mode() {  # mode -> median requests/s
  local mode=$1 rates=()
  for _ in $(seq "$RUNS"); do
    redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
    rm -rf "${dir:?}"/*
    local aof=(--appendonly yes --appendfsync "$mode")
    [ "$mode" = none ] && aof=(--appendonly no)
    redis-server --port "$PORT" --bind 127.0.0.1 --dir "$dir" --save "" "${aof[@]}" \
      --daemonize yes --logfile "$dir/redis.log"
    until redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG; do sleep 0.1; done
    redis-cli -p "$PORT" set inventory:p 1000000000 >/dev/null
    # Every call reserves a new booking id (__rand_int__ over a range far
    # larger than REQUESTS): a DECR and an HSET, the AOF write of a real reserve.
    local rate
    rate=$(redis-benchmark -p "$PORT" -c "$CLIENTS" -n "$REQUESTS" -r 1000000000 --csv \
      EVAL "$script" 4 inventory:p holds:p sold:p total:p b-__rand_int__ 2026-11-25T00:00:00Z |
      tail -n1 | cut -d, -f2 | tr -d '"')
    rates+=("${rate%.*}")
  done
  printf '%s\n' "${rates[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}

ceiling=$(run_mode none)
printf '%-9s %8s req/s  (ceiling)\n' none "$ceiling"
for mode in everysec always; do
  rate=$(run_mode "$mode")
  printf '%-9s %8s req/s  %s of the ceiling\n' "$mode" "$rate" \
    "$(awk -v a="$rate" -v b="$ceiling" 'BEGIN { printf "%.2f", a / b }')"
done
echo "($RUNS runs each, median; $CLIENTS clients, $REQUESTS reserves per run; $(nproc) cores)"
