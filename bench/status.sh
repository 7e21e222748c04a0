#!/usr/bin/env bash
# Status read benchmark (issue 31): GET /api/v1/bookings/{id} at 128
# connections (wrk), a gateway of its own on the local stack's Redis, for
#   - a known booking: one of IDS status views (CONFIRMED), seeded directly;
#   - an accepted booking: one of IDS accepted records, no view yet;
#   - unknown ids: a new random id each request;
# next to the ceiling in the same run: the gateway's GET /healthz, answered on
# the loop thread from a body built once. Each row runs RUNS times, the rows
# alternating; medians are reported. No processor and no ledger: the GET
# reads neither.
# Then, with WAITERS > 0, bench/status_wait.py: WAITERS reads waiting at once
# (Prefer: wait) for their outcomes, published while HERD POSTs run (wrk),
# from each outcome event's Kafka timestamp to its read's answer; the events
# published all at once, then at processors' paces (OUTCOME_RATES).
#
#   bench/status.sh                         the reads, then 10,000 waiters
#   WAITERS=0 bench/status.sh               the reads only
#   RUNS=1 DURATION=5s bench/status.sh      a quick look
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-128}
WRK_THREADS=${WRK_THREADS:-2}
IDS=${IDS:-10000}
WAITERS=${WAITERS:-10000}
HERD=${HERD:-100000}
# The waiters' outcome events: all at once (0), then at one processor's
# sold-out pace (README, "sold-out bookings/s, processor alone") and three's.
OUTCOME_RATES=${OUTCOME_RATES:-0 4000 12000}
BIN=${BIN:-build/wanderluxe}  # another build, for an A/B in one sitting
OUT=$(mktemp -d /tmp/wanderluxe-status.XXXX)

scripts/stack status >/dev/null || { echo "the local stack is not up: scripts/stack up" >&2; exit 1; }
[ -x "$BIN" ] || { echo "build first: cmake --build build" >&2; exit 1; }
ulimit -n "$(ulimit -Hn)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=${BENCH_PORT:-$(free_port)}
# The seeds live in a Redis database of the benches' own, under names of this
# run, for an hour: never the demo's database 0.
BENCH_REDIS_DB=${BENCH_REDIS_DB:-12}
RUN=status-$(date +%s)-$$
TOPIC=$RUN.outcomes
REQUESTS_TOPIC=$RUN.requests
sets=(--set redis.database=$BENCH_REDIS_DB --set log.level=warn
      --set kafka.outcomes_topic=$TOPIC --set kafka.requests_topic=$REQUESTS_TOPIC
      --set gateway.port=$PORT --set gateway.listen_host=127.0.0.1
      --set gateway.max_inflight=100000)
$BIN topics ensure "${sets[@]}" >/dev/null

seed() { python3 bench/status_seed.py "$@" | redis-cli -n "$BENCH_REDIS_DB" --pipe >/dev/null; }
seed view "$RUN-view" "$IDS" CONFIRMED 1
seed accepted "$RUN-accepted" "$IDS"

$BIN gateway "${sets[@]}" 2>"$OUT/gateway.log" &
GW=$!
trap 'kill -TERM $GW 2>/dev/null || true; wait $GW 2>/dev/null || true' EXIT
for _ in $(seq 300); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/readyz" && break; sleep 0.1; done
curl -fs -o /dev/null "http://127.0.0.1:$PORT/readyz" || { echo "gateway not ready; $OUT/gateway.log" >&2; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# wrk --latency prints "50%  1.23ms"; normalise to milliseconds.
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.2f\n", v}'; }
wrk_once() {  # name, i, prefix, ids (- for /healthz)
  local name=$1 i=$2 prefix=$3 ids=$4 target="http://127.0.0.1:$PORT/healthz" script=()
  if [ "$ids" != - ]; then target="http://127.0.0.1:$PORT/"; script=(-s bench/status_read.lua); fi
  STATUS_PREFIX=$prefix STATUS_IDS=$ids wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" \
    --latency "${script[@]}" "$target" > "$OUT/$name.$i.txt"
  awk '/Requests\/sec/ {print $2}' "$OUT/$name.$i.txt" >> "$OUT/$name.rps"
  awk '$1=="50%" {print $2}' "$OUT/$name.$i.txt" | to_ms >> "$OUT/$name.p50"
  awk '$1=="99%" {print $2}' "$OUT/$name.$i.txt" | to_ms >> "$OUT/$name.p99"
  # Every answer must be what the row asks: 200s for seeded ids, 404s for unknown ones.
  local non2xx; non2xx=$(awk '/Non-2xx/ {print $5}' "$OUT/$name.$i.txt")
  printf '%-10s run %d: %10s req/s  p50 %6s ms  p99 %6s ms  non-2xx %s\n' "$name" "$i" \
    "$(tail -1 "$OUT/$name.rps")" "$(tail -1 "$OUT/$name.p50")" "$(tail -1 "$OUT/$name.p99")" \
    "${non2xx:-0}"
}

wrk_once warmup 1 "$RUN-view" "$IDS" >/dev/null
for i in $(seq "$RUNS"); do
  wrk_once healthz "$i" - -
  wrk_once view "$i" "$RUN-view" "$IDS"
  wrk_once accepted "$i" "$RUN-accepted" "$IDS"
  wrk_once unknown "$i" "$RUN" 0
done

row() {
  printf '%-40s %12.0f %10s %10s\n' "$1" "$(median < "$OUT/$2.rps")" \
    "$(median < "$OUT/$2.p50")" "$(median < "$OUT/$2.p99")"
}
printf '\n%-40s %12s %10s %10s\n' "median of $RUNS runs, $CONNECTIONS connections" "req/s" "p50 ms" "p99 ms"
row "GET /healthz (the loop's ceiling)" healthz
row "GET a known booking (status view)" view
row "GET an accepted booking (no view yet)" accepted
row "GET unknown ids" unknown
echo "ledger reads by this gateway: none (it has no MongoDB client)"

if [ "$WAITERS" -gt 0 ]; then
  for rate in $OUTCOME_RATES; do
    seed view "$RUN-wait-$rate" "$WAITERS" RESERVED 0
    echo
    echo "--- $WAITERS reads waiting (Prefer: wait=60) during a herd of $HERD POSTs;" \
      "outcomes $([ "$rate" = 0 ] && echo "all at once" || echo "at $rate/s")"
    python3 bench/status_wait.py --port "$PORT" --prefix "$RUN-wait-$rate" --waiters "$WAITERS" \
      --topic "$TOPIC" --redis-db "$BENCH_REDIS_DB" --herd "$HERD" --outcome-rate "$rate" \
      --out "$OUT"
  done
fi
echo "(raw output in $OUT)"
